// One TCP socket carrying BOLT 8: the Noise_XK handshake (as initiator or responder, under a
// deadline), then encrypted frames in both directions. Messages here are opaque bytes; BOLT 1
// meaning is peer.ts's job.
//
// Everything that arrives from the socket is handled inside try/catch and ends, at worst, in
// close() with a reason: a peer that sends garbage is dropped and logged, never thrown at the node.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { connect as tcpConnect, type Socket } from 'node:net';
import { hex } from '../../bolt/bytes.js';
import { secp } from '../../bolt/crypto/secp256k1.js';
import {
  ACT_ONE_LENGTH,
  ACT_THREE_LENGTH,
  ACT_TWO_LENGTH,
  createTransport,
  HandshakeError,
  initiatorActOne,
  initiatorActThree,
  initiatorReadActTwo,
  MAX_MESSAGE_LENGTH,
  responderActTwo,
  responderReadActOne,
  responderReadActThree,
  TransportError,
  type HandshakeResult,
  type MessageEncryptor,
  type NodeKey,
} from '../../bolt/noise/index.js';
import { silentLogger, type Logger } from '../log.js';
import { formatHostPort } from './address.js';
import { ByteQueue, FrameReader } from './frame-reader.js';
import { ConnectionClosedError, isMisbehaviour, PeerStateError, type CloseCode, type CloseReason } from './reasons.js';

export interface ConnectionOptions {
  /** Our node key: its public key and an ECDH oracle (the signer). */
  readonly localKey: NodeKey;
  /** TCP connect plus all three acts must finish within this. Default 10 s. */
  readonly handshakeTimeoutMs?: number;
  /** Once a frame has started arriving, the rest of it must arrive within this. Default 30 s. */
  readonly frameTimeoutMs?: number;
  /** Bytes we may have queued for a peer that is not reading before we drop it. Default 16 MiB. */
  readonly maxWriteBufferBytes?: number;
  readonly logger?: Logger;
  /**
   * Aborting it ends a handshake still in progress, with the abort reason when that is a CloseReason
   * (else code 'shutdown'); an open connection is unaffected.
   */
  readonly signal?: AbortSignal;
}

export interface DialParams extends ConnectionOptions {
  readonly host: string;
  readonly port: number;
  /** The node we expect to reach: BOLT 8's initiator must know the responder's static key. */
  readonly remoteNodeId: Uint8Array;
}

export interface ConnectionEvents {
  /** One decrypted Lightning message (type + payload), in order. Only while not paused. */
  message: [message: Uint8Array];
  /** The socket's write buffer emptied after `send` returned false. */
  drain: [];
  /** Emitted once; nothing is sent or delivered afterwards. */
  close: [reason: CloseReason];
}

export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
export const DEFAULT_FRAME_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_WRITE_BUFFER_BYTES = 16 * 1024 * 1024;
/** Stop reading from the socket while this much undelivered input is buffered (two maximal frames). */
const READ_HIGH_WATER_BYTES = 4 * (MAX_MESSAGE_LENGTH + 34);
/** After a graceful close, how long the peer gets to close its side before we destroy the socket. */
const LINGER_MS = 2_000;

type Phase = 'handshake' | 'open' | 'closed';
type Direction = 'inbound' | 'outbound';

/** A pending handshake read: `n` bytes of `what`. */
interface ActWait {
  readonly n: number;
  readonly what: string;
  readonly resolve: (bytes: Uint8Array) => void;
}

function generateEphemeralKey(): Uint8Array {
  for (;;) {
    const candidate = new Uint8Array(randomBytes(32));
    if (secp.isValidPrivateKey(candidate)) return candidate;
  }
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class Connection extends EventEmitter<ConnectionEvents> {
  readonly direction: Direction;
  /** The peer's IP as the socket reports it (or the host we dialled). */
  readonly remoteHost: string;
  readonly remotePort: number;

  readonly #socket: Socket;
  readonly #localKey: NodeKey;
  readonly #frameTimeoutMs: number;
  readonly #maxWriteBufferBytes: number;
  #log: Logger;

  #phase: Phase = 'handshake';
  #remoteNodeId: Uint8Array | null;
  #tcpConnected: boolean;
  readonly #inbox = new ByteQueue();
  #actWait: ActWait | null = null;
  #handshakeTimer: NodeJS.Timeout | null = null;
  #handshakeSettle: { resolve: () => void; reject: (e: ConnectionClosedError) => void } | null = null;
  readonly #handshakeDone: Promise<void>;

  #encryptor: MessageEncryptor | null = null;
  #reader: FrameReader | null = null;
  #readPaused = true; // the owner calls resume() once its listeners are attached
  #pumping = false;
  #frameTimer: NodeJS.Timeout | null = null;
  #closeReason: CloseReason | null = null;
  #dropAbortListener: (() => void) | null = null;

  private constructor(
    socket: Socket,
    direction: Direction,
    remoteNodeId: Uint8Array | null,
    remote: { host: string; port: number },
    options: ConnectionOptions,
  ) {
    super();
    this.#socket = socket;
    this.direction = direction;
    this.#remoteNodeId = remoteNodeId;
    this.remoteHost = remote.host;
    this.remotePort = remote.port;
    this.#localKey = options.localKey;
    this.#frameTimeoutMs = options.frameTimeoutMs ?? DEFAULT_FRAME_TIMEOUT_MS;
    this.#maxWriteBufferBytes = options.maxWriteBufferBytes ?? DEFAULT_MAX_WRITE_BUFFER_BYTES;
    this.#tcpConnected = direction === 'inbound';
    this.#log = (options.logger ?? silentLogger()).child({
      module: 'peer-connection',
      direction,
      remote: this.remoteAddress,
      ...(remoteNodeId ? { peer: hex(remoteNodeId) } : {}),
    });
    this.#handshakeDone = new Promise<void>((resolve, reject) => (this.#handshakeSettle = { resolve, reject }));

    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => this.#onRemoteEnd());
    socket.on('error', (err: NodeJS.ErrnoException) => this.#onSocketError(err));
    socket.on('close', () => this.#onRemoteEnd());
    socket.on('drain', () => this.#safeEmit('drain'));
    if (direction === 'outbound') socket.once('connect', () => (this.#tcpConnected = true));

    const handshakeTimeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    this.#handshakeTimer = setTimeout(() => this.#onHandshakeTimeout(handshakeTimeoutMs), handshakeTimeoutMs);
    if (options.signal !== undefined) {
      const signal = options.signal;
      const onAbort = (): void => {
        if (this.#phase !== 'handshake') return;
        const given = signal.reason as Partial<CloseReason> | undefined;
        const reason: CloseReason = typeof given?.code === 'string' && typeof given.message === 'string'
          ? { code: given.code, message: given.message }
          : { code: 'shutdown', message: 'handshake abandoned: shutting down' };
        this.close(reason, 'destroy');
      };
      if (signal.aborted) queueMicrotask(onAbort);
      else {
        signal.addEventListener('abort', onAbort, { once: true });
        this.#dropAbortListener = () => signal.removeEventListener('abort', onAbort);
      }
    }
  }

  /**
   * Opens a TCP connection and runs the handshake as initiator. Resolves once the transport is up,
   * with reading paused: attach listeners, then call `resume()`. Rejects with ConnectionClosedError.
   */
  static dial(params: DialParams): Promise<Connection> {
    const { host, port, remoteNodeId } = params;
    if (remoteNodeId.length !== 33 || !secp.isValidPublicKey(remoteNodeId)) {
      return Promise.reject(new RangeError(`remote node id ${hex(remoteNodeId)} is not a 33-byte compressed public key`));
    }
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      return Promise.reject(new RangeError(`port ${port} is not in 1..65535`));
    }
    const socket = tcpConnect({ host, port });
    const connection = new Connection(socket, 'outbound', Uint8Array.from(remoteNodeId), { host, port }, params);
    return connection.#handshake();
  }

  /** Runs the handshake as responder on an accepted socket; the same promise contract as `dial`. */
  static accept(socket: Socket, options: ConnectionOptions): Promise<Connection> {
    const remote = { host: socket.remoteAddress ?? '?', port: socket.remotePort ?? 0 };
    const connection = new Connection(socket, 'inbound', null, remote, options);
    return connection.#handshake();
  }

  /** `host:port` of the other end (IPv6 in brackets). */
  get remoteAddress(): string {
    return formatHostPort(this.remoteHost, this.remotePort);
  }

  /** The peer's static public key (its node id); known from the start when we dialled, after act three when it did. */
  get remoteNodeId(): Uint8Array {
    if (this.#remoteNodeId === null) throw new PeerStateError('remote node id: not known before the handshake completes');
    return this.#remoteNodeId;
  }

  get closed(): boolean {
    return this.#phase === 'closed';
  }

  get closeReason(): CloseReason | null {
    return this.#closeReason;
  }

  /** True when `send` returned false and the 'drain' event has not fired yet. */
  get needsDrain(): boolean {
    return this.#socket.writableNeedDrain;
  }

  /** Bytes written but not yet handed to the kernel. */
  get bufferedWriteBytes(): number {
    return this.#socket.writableLength;
  }

  /**
   * Encrypts and writes one message. Returns false when the socket's buffer is above its
   * high-water mark: wait for 'drain' (or `whenDrained()`) before sending more.
   * Throws PeerStateError when the connection is not open, TransportError above 65535 bytes.
   */
  send(message: Uint8Array): boolean {
    if (this.#phase !== 'open' || this.#encryptor === null) {
      throw new PeerStateError(`cannot send: connection is ${this.#phase}${this.#closeReason ? ` (${this.#closeReason.code})` : ''}`);
    }
    const frame = this.#encryptor.encrypt(message);
    const belowHighWater = this.#socket.write(frame);
    if (this.#socket.writableLength > this.#maxWriteBufferBytes) {
      this.close({
        code: 'write-buffer-full',
        message: `${this.#socket.writableLength} bytes queued for the peer, above the ${this.#maxWriteBufferBytes}-byte limit`,
      }, 'destroy');
      return false;
    }
    return belowHighWater;
  }

  /** Resolves when the write buffer is below its high-water mark; rejects if the connection closes first. */
  whenDrained(): Promise<void> {
    if (this.#phase === 'closed') return Promise.reject(new ConnectionClosedError(this.#closeReason!));
    if (!this.#socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onDrain = (): void => {
        this.off('close', onClose);
        resolve();
      };
      const onClose = (reason: CloseReason): void => {
        this.off('drain', onDrain);
        reject(new ConnectionClosedError(reason));
      };
      this.once('drain', onDrain);
      this.once('close', onClose);
    });
  }

  /** Stops delivering messages (and, once the buffer fills, reading the socket) until `resume()`. */
  pause(): void {
    this.#readPaused = true;
    this.#updateFlow();
  }

  /** Delivers buffered messages and reads on. */
  resume(): void {
    if (this.#phase === 'closed') return;
    this.#readPaused = false;
    this.#pump();
  }

  /**
   * Ends the connection once. 'flush' lets already written bytes (e.g. a last warning) reach the
   * peer; 'destroy' drops them. Emits 'close' with the reason, which is also logged.
   */
  close(reason: CloseReason, mode: 'flush' | 'destroy' = 'flush'): void {
    if (this.#phase === 'closed') return;
    const wasOpen = this.#phase === 'open';
    this.#phase = 'closed';
    this.#closeReason = reason;
    this.#clearTimers();
    this.#actWait = null;
    this.#inbox.clear();
    const fields = { code: reason.code, reason: reason.message };
    if (isMisbehaviour(reason.code)) this.#log.warn(fields, 'connection dropped');
    else this.#log.info(fields, 'connection closed');

    if (mode === 'flush' && wasOpen && !this.#socket.destroyed) {
      this.#socket.end();
      const linger = setTimeout(() => this.#socket.destroy(), LINGER_MS);
      linger.unref();
      this.#socket.once('close', () => clearTimeout(linger));
    } else {
      this.#socket.destroy();
    }
    if (this.#handshakeSettle !== null) {
      this.#handshakeSettle.reject(new ConnectionClosedError(reason));
      this.#handshakeSettle = null;
    }
    this.#safeEmit('close', reason);
  }

  // ------------------------------------------------------------------ handshake (BOLT 8 §Act One..Three)

  async #handshake(): Promise<Connection> {
    this.#runHandshake().catch((e: unknown) => this.#onHandshakeError(e));
    await this.#handshakeDone;
    return this;
  }

  async #runHandshake(): Promise<void> {
    let result: HandshakeResult;
    if (this.direction === 'outbound') {
      const act1 = initiatorActOne({ remoteStatic: this.#remoteNodeId!, ephemeralPrivateKey: generateEphemeralKey() });
      this.#socket.write(act1.message);
      const act2 = await this.#readAct(ACT_TWO_LENGTH, 'act two');
      const actTwoRead = initiatorReadActTwo(act1.state, act2);
      const act3 = await initiatorActThree(actTwoRead, this.#localKey);
      if (this.#phase !== 'handshake') return;
      this.#socket.write(act3.message);
      result = act3.result;
    } else {
      const act1 = await this.#readAct(ACT_ONE_LENGTH, 'act one');
      const actOneRead = await responderReadActOne(this.#localKey, act1);
      if (this.#phase !== 'handshake') return;
      const act2 = responderActTwo(actOneRead, generateEphemeralKey());
      this.#socket.write(act2.message);
      const act3 = await this.#readAct(ACT_THREE_LENGTH, 'act three');
      result = responderReadActThree(act2.state, act3);
    }
    this.#startTransport(result);
  }

  /** Resolves with the next `n` bytes; never settles if the connection closes first (close() settles the handshake). */
  #readAct(n: number, what: string): Promise<Uint8Array> {
    if (this.#inbox.length >= n) return Promise.resolve(this.#inbox.take(n));
    return new Promise((resolve) => {
      this.#actWait = { n, what, resolve };
    });
  }

  #onHandshakeError(e: unknown): void {
    if (this.#phase === 'closed') return;
    if (e instanceof HandshakeError) {
      this.close({ code: 'handshake-failed', message: `${e.code}: ${e.message}` }, 'destroy');
    } else {
      // Every other failure comes from our side: the NodeKey (its ECDH call to the signer, or its public key).
      this.close({ code: 'local-key-failed', message: `node key ECDH failed during the handshake: ${errorText(e)}` }, 'destroy');
    }
  }

  #onHandshakeTimeout(ms: number): void {
    const wait = this.#actWait;
    const progress = !this.#tcpConnected
      ? 'TCP connection not established'
      : wait
        ? `waiting for ${wait.what}: ${this.#inbox.length} of ${wait.n} bytes`
        : 'waiting on our node key';
    this.close({ code: 'handshake-timeout', message: `handshake did not complete within ${ms} ms (${progress})` }, 'destroy');
  }

  #startTransport(result: HandshakeResult): void {
    const { encryptor, decryptor } = createTransport(result);
    this.#encryptor = encryptor;
    this.#remoteNodeId = Uint8Array.from(result.remoteStatic);
    this.#reader = new FrameReader(decryptor, this.#inbox); // bytes after act three are the first frames
    this.#phase = 'open';
    if (this.#handshakeTimer) clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = null;
    this.#dropAbortListener?.();
    this.#dropAbortListener = null;
    if (this.direction === 'inbound') this.#log = this.#log.child({ peer: hex(this.#remoteNodeId) });
    this.#log.debug('handshake complete');
    const settle = this.#handshakeSettle;
    this.#handshakeSettle = null;
    settle?.resolve();
    this.#updateFlow();
  }

  // ------------------------------------------------------------------ socket events

  #onData(chunk: Buffer): void {
    if (this.#phase === 'closed') return;
    this.#inbox.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if (this.#phase === 'handshake') {
      const wait = this.#actWait;
      if (wait !== null && this.#inbox.length >= wait.n) {
        this.#actWait = null;
        wait.resolve(this.#inbox.take(wait.n));
      }
      this.#updateFlow();
      return;
    }
    this.#pump();
  }

  #onRemoteEnd(): void {
    if (this.#phase === 'closed') return;
    if (this.#phase === 'handshake') {
      const wait = this.#actWait;
      const where = !this.#tcpConnected
        ? 'before the TCP connection was established'
        : wait
          ? `during the handshake (waiting for ${wait.what}: got ${this.#inbox.length} of ${wait.n} bytes)`
          : 'during the handshake';
      const code: CloseCode = this.#tcpConnected ? 'handshake-failed' : 'connect-failed';
      this.close({ code, message: `peer closed the connection ${where}` }, 'destroy');
      return;
    }
    const reader = this.#reader!;
    if (reader.midFrame) {
      const p = reader.progress;
      const detail = p.phase === 'header'
        ? `${reader.bufferedBytes} bytes of a length header`
        : `the body of a ${p.messageLength}-byte message, ${p.missing} bytes missing`;
      this.close({ code: 'remote-closed', message: `peer closed the connection in the middle of a frame (${detail})` }, 'destroy');
    } else {
      this.close({ code: 'remote-closed', message: 'peer closed the connection' }, 'destroy');
    }
  }

  #onSocketError(err: NodeJS.ErrnoException): void {
    if (this.#phase === 'closed') return;
    const text = `${err.code ?? 'error'}: ${err.message}`;
    if (!this.#tcpConnected) this.close({ code: 'connect-failed', message: text }, 'destroy');
    else this.close({ code: 'socket-error', message: text }, 'destroy');
  }

  // ------------------------------------------------------------------ transport phase

  /** Delivers every whole message buffered, unless paused. Re-entrant calls (resume() from a listener) fold into the running loop. */
  #pump(): void {
    if (this.#pumping || this.#phase !== 'open') return;
    this.#pumping = true;
    let delivered = false;
    try {
      while (this.#phase === 'open' && !this.#readPaused) {
        let message: Uint8Array | null;
        try {
          message = this.#reader!.next();
        } catch (e) {
          const why = e instanceof TransportError ? e.message : `frame decryption failed: ${errorText(e)}`;
          this.close({ code: 'transport-error', message: why }, 'destroy');
          return;
        }
        if (message === null) break;
        delivered = true;
        if (!this.#safeEmit('message', message)) return;
      }
    } finally {
      this.#pumping = false;
    }
    if (delivered) this.#clearFrameTimer(); // a fresh deadline for the next frame
    this.#updateFlow();
  }

  /** Frame deadline and socket reading, from the current state. */
  #updateFlow(): void {
    if (this.#phase === 'closed') return;
    if (this.#phase === 'open') {
      const waitingOnPeer = this.#reader!.midFrame && !this.#readPaused;
      if (!waitingOnPeer) this.#clearFrameTimer();
      else if (this.#frameTimer === null) this.#frameTimer = setTimeout(() => this.#onFrameTimeout(), this.#frameTimeoutMs);
    }
    const holdBack = this.#inbox.length > READ_HIGH_WATER_BYTES;
    if (holdBack && !this.#socket.isPaused()) this.#socket.pause();
    else if (!holdBack && this.#socket.isPaused()) this.#socket.resume();
  }

  #onFrameTimeout(): void {
    this.#frameTimer = null;
    if (this.#phase !== 'open') return;
    const reader = this.#reader!;
    const p = reader.progress;
    const detail = p.phase === 'header'
      ? `${reader.bufferedBytes} of 18 length-header bytes`
      : `length header announced ${p.messageLength} bytes, body still ${p.missing} bytes short`;
    this.close({ code: 'frame-timeout', message: `frame incomplete after ${this.#frameTimeoutMs} ms (${detail})` }, 'destroy');
  }

  #clearFrameTimer(): void {
    if (this.#frameTimer !== null) clearTimeout(this.#frameTimer);
    this.#frameTimer = null;
  }

  #clearTimers(): void {
    if (this.#handshakeTimer !== null) clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = null;
    this.#dropAbortListener?.();
    this.#dropAbortListener = null;
    this.#clearFrameTimer();
  }

  /** Emits to listeners; a throwing listener is our bug, not the peer's: log it and drop the connection. */
  #safeEmit<K extends keyof ConnectionEvents>(event: K, ...args: ConnectionEvents[K]): boolean {
    try {
      (this.emit as (e: K, ...a: ConnectionEvents[K]) => boolean)(event, ...args);
      return true;
    } catch (e) {
      this.#log.error({ err: e, event }, 'connection listener threw');
      if (event !== 'close') this.close({ code: 'internal-error', message: `a '${event}' listener threw: ${errorText(e)}` }, 'destroy');
      return false;
    }
  }
}
