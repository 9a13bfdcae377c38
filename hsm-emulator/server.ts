// The device's TCP transport: length-prefixed frames (device-protocol.md §Framing). Each connection is
// answered strictly in order, one response per command; connections are independent, so one waiting
// on the screen does not hold up another.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { formatStatusWord, frame, FrameSplitter, MAX_COMMAND_BYTES, statusWordName } from '../bolt/apdu.js';
import { handleCommand, type DeviceContext } from './handlers.js';

/** Commands a client may send ahead of the answers before the device hangs up (flow control). */
const MAX_QUEUED_COMMANDS = 32;
/** Response bytes a client may leave unread before the device hangs up. */
const MAX_UNREAD_RESPONSE_BYTES = 1024 * 1024;

export interface DeviceServer {
  readonly address: AddressInfo;
  /** Stops accepting, closes every connection (cancelling what they wait for) and resolves when done. */
  close(): Promise<void>;
}

export function startDeviceServer(ctx: DeviceContext, host: string, port: number, log: Logger): Promise<DeviceServer> {
  const sockets = new Set<Socket>();
  let nextConnection = 1;

  const server: Server = createServer((socket) => {
    const connection = nextConnection++;
    const clog = log.child({ connection });
    sockets.add(socket);
    const closed = new AbortController();
    const splitter = new FrameSplitter(MAX_COMMAND_BYTES);
    let queued = 0;
    let chain: Promise<void> = Promise.resolve();
    clog.debug({ remote: `${socket.remoteAddress}:${socket.remotePort}` }, 'connection opened');

    const run = async (body: Uint8Array): Promise<void> => {
      const started = process.hrtime.bigint();
      const handled = await handleCommand(ctx, body, closed.signal);
      queued--;
      const ms = Number((process.hrtime.bigint() - started) / 1000n) / 1000;
      const fields = { ins: handled.ins ?? 'unknown', sw: formatStatusWord(handled.sw), status: statusWordName(handled.sw), ms, ...handled.detail };
      if (handled.sw === 0x9000) clog.info(fields, 'command');
      else clog.warn(fields, 'command refused');
      if (closed.signal.aborted) return;
      socket.write(frame(handled.response));
      if (socket.writableLength > MAX_UNREAD_RESPONSE_BYTES) {
        clog.warn({ unread: socket.writableLength }, 'closing: the client does not read its responses');
        socket.destroy();
      }
    };

    socket.on('data', (chunk: Buffer) => {
      const { frames, oversized } = splitter.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      for (const body of frames) {
        if (++queued > MAX_QUEUED_COMMANDS) {
          clog.warn({ queued }, `closing: more than ${MAX_QUEUED_COMMANDS} commands sent ahead of their answers`);
          socket.destroy();
          return;
        }
        chain = chain
          .then(() => run(body))
          .catch((e: unknown) => {
            clog.error({ error: (e as Error).name }, 'closing: failed to answer a command');
            socket.destroy();
          });
      }
      if (oversized !== undefined) {
        // The stream cannot be resynchronised after a bad length: hang up once queued answers are written.
        clog.warn({ announced: oversized, limit: MAX_COMMAND_BYTES }, 'closing: frame length prefix exceeds the limit');
        socket.pause();
        chain = chain.then(() => {
          socket.end();
        });
      }
    });
    socket.on('error', (e) => clog.debug({ error: e.message }, 'connection error'));
    socket.on('close', () => {
      sockets.delete(socket);
      closed.abort();
      clog.debug('connection closed');
    });
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({
        address: server.address() as AddressInfo,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            for (const s of sockets) s.destroy();
          }),
      });
    });
  });
}
