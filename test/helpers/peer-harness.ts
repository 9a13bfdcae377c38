// Shared scaffolding for the peer-layer tests: node keys, captured logs, event waits with deadlines,
// and a raw BOLT 8 client built directly on bolt/noise so adversaries can send exactly the bytes they
// want (and so our Connection is checked against an independent use of the primitives).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { fromHex } from '../../bolt/bytes.js';
import { secp } from '../../bolt/crypto/secp256k1.js';
import { fromBits } from '../../bolt/features.js';
import { encodeMessage, type MessageToEncode } from '../../bolt/messages/index.js';
import {
  ACT_TWO_LENGTH,
  createTransport,
  initiatorActOne,
  initiatorActThree,
  initiatorReadActTwo,
  type MessageDecryptor,
  type MessageEncryptor,
  type NodeKey,
} from '../../bolt/noise/index.js';
import { createNodeLogger, type Logger } from '../../node/log.js';
import { ByteQueue, FrameReader } from '../../node/peer/frame-reader.js';
import { PeerManager, type PeerManagerOptions } from '../../node/peer/peer-manager.js';

/** Regtest genesis block hash in the byte order BOLT 1 `chain_hash` uses. */
export const REGTEST = fromHex('06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f');
/** var_onion_optin, option_static_remotekey, payment_secret (optional bits), basic_mpp. */
export const FEATURES = fromBits([9, 13, 15, 17]);

export function randomPrivateKey(): Uint8Array {
  for (;;) {
    const k = new Uint8Array(randomBytes(32));
    if (secp.isValidPrivateKey(k)) return k;
  }
}

/** A NodeKey over a random private key, as the signer would expose it (ECDH only). */
export function makeNodeKey(privateKey: Uint8Array = randomPrivateKey()): NodeKey & { privateKey: Uint8Array } {
  return {
    privateKey,
    publicKey: secp.publicKey(privateKey),
    async ecdh(point) {
      return secp.ecdh(privateKey, point);
    },
  };
}

export interface LogLine {
  level: number;
  msg: string;
  code?: string;
  reason?: string;
  peer?: string;
  [key: string]: unknown;
}

/** A pino logger whose lines land in `lines` (parsed), synchronously. */
export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = createNodeLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) } });
  return { logger, lines };
}

/** Waits for `event` on `emitter` (optionally one whose arguments satisfy `accept`), failing after a deadline. */
export function waitFor<A extends unknown[] = unknown[]>(
  emitter: EventEmitter<any>, // eslint-disable-line @typescript-eslint/no-explicit-any
  event: string,
  accept: (...args: A) => boolean = () => true,
  timeoutMs = 5_000,
): Promise<A> {
  const target = emitter as unknown as EventEmitter;
  return new Promise((resolve, reject) => {
    const onEvent = (...args: unknown[]): void => {
      if (!accept(...(args as A))) return;
      clearTimeout(timer);
      target.off(event, onEvent);
      resolve(args as A);
    };
    const timer = setTimeout(() => {
      target.off(event, onEvent);
      reject(new Error(`no '${event}' event within ${timeoutMs} ms`));
    }, timeoutMs);
    target.on(event, onEvent);
  });
}

/** Polls `check` until it returns true, failing after a deadline (for state without an event). */
export async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

export interface TestNode {
  readonly manager: PeerManager;
  readonly key: NodeKey & { privateKey: Uint8Array };
  readonly lines: LogLine[];
  port: number;
}

/** A peer manager with a fresh key and a captured log, listening on 127.0.0.1 (port 0 = any free one). */
export async function startNode(options: Partial<PeerManagerOptions> = {}, port: number | null = 0): Promise<TestNode> {
  const key = (options.localKey as (NodeKey & { privateKey: Uint8Array }) | undefined) ?? makeNodeKey();
  const { logger, lines } = captureLogger();
  const manager = new PeerManager({ features: FEATURES, chainHashes: [REGTEST], logger, ...options, localKey: key });
  const node: TestNode = { manager, key, lines, port: 0 };
  if (port !== null) node.port = (await manager.listen(port, '127.0.0.1')).port;
  return node;
}

export function addressOf(node: TestNode): string {
  return `${node.manager.nodeIdHex}@127.0.0.1:${node.port}`;
}

/** Records uncaught exceptions and unhandled rejections; `check()` asserts there were none. */
export function guardProcess(): { check(): void; dispose(): void } {
  const seen: unknown[] = [];
  const onError = (e: unknown): void => void seen.push(e);
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
  return {
    check() {
      assert.deepEqual(seen.map(String), [], 'no uncaught exception or unhandled rejection');
    },
    dispose() {
      process.off('uncaughtException', onError);
      process.off('unhandledRejection', onError);
    },
  };
}

// ------------------------------------------------------------------ raw sockets

/** A TCP client that reads exact byte counts, for speaking (or abusing) BOLT 8 by hand. */
export class RawSocket {
  readonly socket: Socket;
  readonly #queue = new ByteQueue();
  #wait: { n: number; resolve: (b: Uint8Array) => void; reject: (e: Error) => void } | null = null;
  #ended = false;
  /** Resolves when the other side has closed the connection. */
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('error', () => {}); // a reset from the victim is an expected outcome here
    socket.on('data', (chunk: Buffer) => {
      this.#queue.push(new Uint8Array(chunk));
      this.#serve();
    });
    this.closed = new Promise((resolve) => socket.once('close', () => {
      this.#ended = true;
      this.#serve();
      resolve();
    }));
  }

  static open(port: number): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        socket.off('error', reject);
        resolve(new RawSocket(socket));
      });
      socket.once('error', reject);
    });
  }

  get buffered(): number {
    return this.#queue.length;
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Reads exactly `n` bytes; rejects if the connection closes first. */
  read(n: number): Promise<Uint8Array> {
    assert.equal(this.#wait, null, 'one read at a time');
    return new Promise((resolve, reject) => {
      this.#wait = { n, resolve, reject };
      this.#serve();
    });
  }

  #serve(): void {
    const wait = this.#wait;
    if (wait === null) return;
    if (this.#queue.length >= wait.n) {
      this.#wait = null;
      wait.resolve(this.#queue.take(wait.n));
    } else if (this.#ended) {
      this.#wait = null;
      wait.reject(new Error(`connection closed with ${this.#queue.length} of ${wait.n} bytes`));
    }
  }
}

/** A raw initiator that completed the handshake: frames are built and parsed here, not by Connection. */
export interface RawPeer {
  readonly raw: RawSocket;
  readonly encryptor: MessageEncryptor;
  readonly decryptor: MessageDecryptor;
  /** Encrypts and writes one plaintext message. */
  sendPlain(message: Uint8Array): void;
  send(message: MessageToEncode): void;
  /** Reads and decrypts the next message. */
  readMessage(): Promise<Uint8Array>;
}

/** Acts one to three as initiator towards `victimNodeId`, by hand. */
export async function rawHandshake(port: number, victimNodeId: Uint8Array, key: NodeKey = makeNodeKey()): Promise<RawPeer> {
  const raw = await RawSocket.open(port);
  const act1 = initiatorActOne({ remoteStatic: victimNodeId, ephemeralPrivateKey: randomPrivateKey() });
  raw.write(act1.message);
  const act2 = initiatorReadActTwo(act1.state, await raw.read(ACT_TWO_LENGTH));
  const act3 = await initiatorActThree(act2, key);
  raw.write(act3.message);
  const { encryptor, decryptor } = createTransport(act3.result);
  const reader = new FrameReader(decryptor, new ByteQueue());
  return {
    raw,
    encryptor,
    decryptor,
    sendPlain: (message) => raw.write(encryptor.encrypt(message)),
    send: (message) => raw.write(encryptor.encrypt(encodeMessage(message))),
    async readMessage() {
      const header = await raw.read(18);
      reader.push(header);
      const progress = reader.next();
      assert.equal(progress, null);
      reader.push(await raw.read(reader.progress.missing));
      const message = reader.next();
      assert.ok(message !== null);
      return message;
    },
  };
}

/** u16 message type of a plaintext message. */
export function wireTypeOf(message: Uint8Array): number {
  return (message[0]! << 8) | message[1]!;
}
