// BOLT 1 connection behaviour on top of an open BOLT 8 connection: `init` first and its feature
// checks, ping/pong keepalive, error and warning reporting, the it's-ok-to-be-odd rule, and typed
// events carrying channel (BOLT 2) and gossip (BOLT 7) messages up to the layers that own them.
import { randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { equal, hex } from '../../bolt/bytes.js';
import type { MessageOf } from '../../bolt/codec/message.js';
import { FeatureError, negotiate, type NegotiatedFeatures } from '../../bolt/features.js';
import {
  bolt2Messages,
  bolt7Messages,
  codecForType,
  decodeMessage,
  encodeMessage,
  type ErrorMessage,
  type Init,
  type Message,
  type MessageToEncode,
  type PeerStorage,
  type PeerStorageRetrieval,
  type Ping,
  type Pong,
  type UnknownOddMessage,
  type Warning,
} from '../../bolt/messages/index.js';
import { silentLogger, type Logger } from '../log.js';
import { addressDescriptor } from './address.js';
import type { Connection } from './connection.js';
import { ConnectionClosedError, PeerStateError, type CloseCode, type CloseReason } from './reasons.js';

/** BOLT 2 messages: channel establishment, normal operation, closing, reestablishment. */
export type ChannelMessage = MessageOf<(typeof bolt2Messages)[number]>;
/** BOLT 7 messages: announcements, updates and gossip queries. */
export type GossipMessage = MessageOf<(typeof bolt7Messages)[number]>;
/** BOLT 1 §Peer Storage messages. */
export type StorageMessage = PeerStorage | PeerStorageRetrieval;

const CHANNEL_MESSAGE_NAMES: ReadonlySet<string> = new Set(bolt2Messages.map((c) => c.name));
const GOSSIP_MESSAGE_NAMES: ReadonlySet<string> = new Set(bolt7Messages.map((c) => c.name));

export function isChannelMessage(msg: Message): msg is ChannelMessage {
  return CHANNEL_MESSAGE_NAMES.has(msg.type);
}

export function isGossipMessage(msg: Message): msg is GossipMessage {
  return GOSSIP_MESSAGE_NAMES.has(msg.type);
}

/** BOLT 1 §The ping and pong Messages: a `num_pong_bytes` of 65532 or more asks for no reply. */
export const PONG_BYTES_NO_REPLY = 65532;
const ZERO_CHANNEL_ID = new Uint8Array(32);

export interface PeerOptions {
  /** Our `init` features (BOLT 9 context I); validated by `negotiate`. */
  readonly features: Uint8Array;
  /** Our `init.networks`: the chain hashes we gossip and open channels on. Empty: send none, accept any. */
  readonly chainHashes: readonly Uint8Array[];
  /** The peer's `init` must arrive within this. Default 30 s. */
  readonly initTimeoutMs?: number;
  /** Send a `ping` after this long without receiving anything. Default 60 s. */
  readonly pingIntervalMs?: number;
  /** Close when a `pong` does not come within this. Default 30 s. */
  readonly pongTimeoutMs?: number;
  readonly logger?: Logger;
}

export const DEFAULT_INIT_TIMEOUT_MS = 30_000;
export const DEFAULT_PING_INTERVAL_MS = 60_000;
export const DEFAULT_PONG_TIMEOUT_MS = 30_000;

/** What the peer told us in `init`, and what that makes of the connection. */
export interface PeerReadyInfo {
  readonly nodeId: Uint8Array;
  /** BOLT 1: `globalfeatures` OR `features`. */
  readonly remoteFeatures: Uint8Array;
  readonly negotiated: NegotiatedFeatures;
  /** The peer's `networks`, or null when it sent none. */
  readonly networks: readonly Uint8Array[] | null;
  /** The peer's `remote_addr` (a BOLT 7 address descriptor: how it sees us), if any. */
  readonly remoteAddr: Uint8Array | null;
}

/** A received `error` or `warning` (BOLT 1 §The error and warning Messages). */
export interface RemoteErrorReport {
  readonly channelId: Uint8Array;
  /** `channel_id` is all zero: an error then means every channel with this peer must fail. */
  readonly allChannels: boolean;
  readonly data: Uint8Array;
  /** `data` when it is printable ASCII, else `hex:<data>` (BOLT 1: SHOULD NOT print it verbatim). */
  readonly text: string;
}

export interface PeerEvents {
  /** `init` exchanged and accepted: messages may now be sent. */
  ready: [info: PeerReadyInfo];
  channelMessage: [message: ChannelMessage];
  gossipMessage: [message: GossipMessage];
  storageMessage: [message: StorageMessage];
  /** The peer sent `error`: fail the channel named, or all of them when `allChannels`. */
  remoteError: [report: RemoteErrorReport];
  remoteWarning: [report: RemoteErrorReport];
  /** A `pong` answered one of our pings. */
  pong: [info: { readonly byteslen: number; readonly rttMs: number }];
  /** Emitted once. A `ping-timeout` close must NOT fail channels (BOLT 1). */
  close: [reason: CloseReason];
}

export type PeerState = 'awaiting-init' | 'ready' | 'closed';

interface OutstandingPing {
  readonly byteslen: number;
  readonly sentAt: number;
  readonly resolve?: (rttMs: number) => void;
  readonly reject?: (e: Error) => void;
}

/** Bitwise OR of two feature fields, right-aligned (BOLT 1: combine `globalfeatures` and `features`). */
function orFeatures(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.max(a.length, b.length));
  out.set(a, out.length - a.length);
  for (let i = 0; i < b.length; i++) out[out.length - b.length + i]! |= b[i]!;
  return out;
}

const MAX_TEXT = 512;

/** BOLT 1: print `data` only when it is printable ASCII (bytes 32..126). */
export function printableData(data: Uint8Array): string {
  const printable = data.every((b) => b >= 32 && b <= 126);
  const text = printable ? new TextDecoder().decode(data) : `hex:${hex(data)}`;
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}...(${data.length} bytes)` : text;
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class Peer extends EventEmitter<PeerEvents> {
  readonly connection: Connection;
  readonly nodeId: Uint8Array;
  readonly nodeIdHex: string;

  readonly #features: Uint8Array;
  readonly #chainHashes: readonly Uint8Array[];
  readonly #pingIntervalMs: number;
  readonly #pongTimeoutMs: number;
  readonly #log: Logger;

  #state: PeerState = 'awaiting-init';
  #ready: PeerReadyInfo | null = null;
  #closeReason: CloseReason | null = null;
  #lastReceivedAt = performance.now();
  readonly #pings: OutstandingPing[] = [];
  #initTimer: NodeJS.Timeout | null = null;
  #keepaliveTimer: NodeJS.Timeout | null = null;
  #pongTimer: NodeJS.Timeout | null = null;

  /**
   * Takes over an open connection (from `Connection.dial`/`accept`) and sends our `init`. Attach
   * listeners, then call `start()`: nothing is delivered before that, so no event is missed.
   */
  constructor(connection: Connection, options: PeerOptions) {
    super();
    this.connection = connection;
    this.nodeId = connection.remoteNodeId;
    this.nodeIdHex = hex(this.nodeId);
    this.#features = options.features;
    this.#chainHashes = options.chainHashes;
    this.#pingIntervalMs = options.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS;
    this.#pongTimeoutMs = options.pongTimeoutMs ?? DEFAULT_PONG_TIMEOUT_MS;
    this.#log = (options.logger ?? silentLogger()).child({ module: 'peer', peer: this.nodeIdHex, direction: connection.direction });

    connection.on('message', (bytes) => this.#onMessage(bytes));
    connection.on('close', (reason) => this.#onClose(reason));
    if (connection.closed) {
      queueMicrotask(() => this.#onClose(connection.closeReason!));
      return;
    }
    const initTimeoutMs = options.initTimeoutMs ?? DEFAULT_INIT_TIMEOUT_MS;
    this.#initTimer = setTimeout(
      () => this.#fail('init-timeout', `no init from the peer within ${initTimeoutMs} ms`),
      initTimeoutMs,
    );
    this.#sendInit();
  }

  /** Starts delivering the peer's messages (its `init` may already be buffered). */
  start(): void {
    this.connection.resume();
  }

  get state(): PeerState {
    return this.#state;
  }

  get direction(): 'inbound' | 'outbound' {
    return this.connection.direction;
  }

  get remoteAddress(): string {
    return this.connection.remoteAddress;
  }

  /** Set once `init` has been exchanged. */
  get readyInfo(): PeerReadyInfo | null {
    return this.#ready;
  }

  get closeReason(): CloseReason | null {
    return this.#closeReason;
  }

  /** Resolves once `init` is exchanged; rejects with ConnectionClosedError if the connection ends first. */
  whenReady(): Promise<Peer> {
    if (this.#state === 'ready') return Promise.resolve(this);
    if (this.#state === 'closed') return Promise.reject(new ConnectionClosedError(this.#closeReason!));
    return new Promise((resolve, reject) => {
      const onReady = (): void => {
        this.off('close', onClose);
        resolve(this);
      };
      const onClose = (reason: CloseReason): void => {
        this.off('ready', onReady);
        reject(new ConnectionClosedError(reason));
      };
      this.once('ready', onReady);
      this.once('close', onClose);
    });
  }

  /**
   * Sends one message. BOLT 1: only after `init` was received (throws PeerStateError before, and
   * after close). `init` itself is ours to send. Returns false when the caller should wait for
   * `whenDrained()` before sending more. Throws the codec's EncodeError on an invalid value.
   */
  send(message: MessageToEncode | UnknownOddMessage): boolean {
    if (this.#state !== 'ready') throw new PeerStateError(`cannot send ${message.type} to ${this.nodeIdHex}: peer is ${this.#state}`);
    if (message.type === 'init') throw new PeerStateError('init is sent by the peer layer, once, when the connection opens');
    return this.connection.send(encodeMessage(message));
  }

  whenDrained(): Promise<void> {
    return this.connection.whenDrained();
  }

  /**
   * Sends a `ping` asking for `numPongBytes` bytes back; resolves with the round trip in ms when the
   * matching `pong` arrives, rejects with ConnectionClosedError if the connection ends (a missing
   * pong closes it with 'ping-timeout').
   */
  ping(numPongBytes = 0): Promise<number> {
    if (!Number.isInteger(numPongBytes) || numPongBytes < 0 || numPongBytes >= PONG_BYTES_NO_REPLY) {
      return Promise.reject(new RangeError(`num_pong_bytes ${numPongBytes}: a reply needs 0..${PONG_BYTES_NO_REPLY - 1}`));
    }
    if (this.#state !== 'ready') return Promise.reject(new PeerStateError(`cannot ping ${this.nodeIdHex}: peer is ${this.#state}`));
    return new Promise((resolve, reject) => this.#sendPing(numPongBytes, resolve, reject));
  }

  /** BOLT 1 `warning`: channelId null means "not about one channel" (all zero). */
  sendWarning(text: string, channelId: Uint8Array | null = null): boolean {
    return this.send({ type: 'warning', channelId: channelId ?? ZERO_CHANNEL_ID, data: new TextEncoder().encode(text) });
  }

  /** BOLT 1 `error`: the channel fails (all channels when channelId is null). */
  sendError(text: string, channelId: Uint8Array | null = null): boolean {
    return this.send({ type: 'error', channelId: channelId ?? ZERO_CHANNEL_ID, data: new TextEncoder().encode(text) });
  }

  /** Stops delivering messages until `resume()` (read backpressure for a slow consumer). */
  pause(): void {
    this.connection.pause();
  }

  resume(): void {
    this.connection.resume();
  }

  /** Closes the connection, letting anything already sent reach the peer. */
  disconnect(message = 'disconnect requested', code: CloseCode = 'local-request'): void {
    this.connection.close({ code, message }, 'flush');
  }

  // ------------------------------------------------------------------ BOLT 1 §The init Message

  #sendInit(): void {
    const remoteAddr = this.direction === 'inbound'
      ? addressDescriptor(this.connection.remoteHost, this.connection.remotePort)
      : null;
    const init: MessageToEncode = {
      type: 'init',
      globalfeatures: new Uint8Array(0), // BOLT 1: all our bits go in `features`
      features: this.#features,
      tlvs: {
        ...(this.#chainHashes.length > 0 ? { networks: [...this.#chainHashes] } : {}),
        ...(remoteAddr !== null ? { remoteAddr } : {}),
      },
    };
    this.connection.send(encodeMessage(init));
  }

  #onInit(init: Init): void {
    if (this.#initTimer !== null) clearTimeout(this.#initTimer);
    this.#initTimer = null;
    const remoteFeatures = orFeatures(init.globalfeatures, init.features);
    let negotiated: NegotiatedFeatures;
    try {
      negotiated = negotiate(this.#features, remoteFeatures);
    } catch (e) {
      if (!(e instanceof FeatureError)) throw e;
      this.#fail('incompatible-features', `${e.message} (their features ${hex(remoteFeatures) || 'empty'})`);
      return;
    }
    const networks = init.tlvs.networks ?? null;
    if (networks !== null && this.#chainHashes.length > 0 && !networks.some((n) => this.#chainHashes.some((c) => equal(c, n)))) {
      this.#fail('no-common-network', `peer's networks [${networks.map(hex).join(', ') || 'none'}] share no chain with ours [${this.#chainHashes.map(hex).join(', ')}]`);
      return;
    }
    this.#state = 'ready';
    this.#ready = { nodeId: this.nodeId, remoteFeatures, negotiated, networks, remoteAddr: init.tlvs.remoteAddr ?? null };
    this.#log.info({ features: hex(remoteFeatures), active: [...negotiated.active] }, 'peer ready');
    this.#armKeepalive(this.#pingIntervalMs);
    this.emit('ready', this.#ready);
  }

  // ------------------------------------------------------------------ incoming messages

  #onMessage(bytes: Uint8Array): void {
    if (this.#state === 'closed') return;
    this.#lastReceivedAt = performance.now();
    // BOLT 1 §Lightning Message Format: an unknown even type closes the connection.
    const wireType = bytes.length >= 2 ? (bytes[0]! << 8) | bytes[1]! : -1;
    if (wireType >= 0 && (wireType & 1) === 0 && codecForType(wireType) === undefined) {
      this.#fail('unknown-even-message', `unknown even message type ${wireType} (${bytes.length} bytes)`);
      return;
    }
    let msg: Message | UnknownOddMessage;
    try {
      msg = decodeMessage(bytes);
    } catch (e) {
      this.#fail('malformed-message', `cannot decode message type ${wireType}: ${errorText(e)}`);
      return;
    }
    if (this.#state === 'awaiting-init') {
      // BOLT 1: init MUST be the first message.
      if (msg.type === 'init') this.#onInit(msg);
      else this.#fail('message-before-init', `received ${msg.type === 'unknown' ? `type ${msg.wireType}` : msg.type} before init`);
      return;
    }
    this.#dispatch(msg);
  }

  #dispatch(msg: Message | UnknownOddMessage): void {
    switch (msg.type) {
      case 'init':
        this.#fail('duplicate-init', 'received a second init on this connection');
        return;
      case 'ping':
        this.#onPing(msg);
        return;
      case 'pong':
        this.#onPong(msg);
        return;
      case 'error':
        this.#onRemoteError(msg, 'remoteError');
        return;
      case 'warning':
        this.#onRemoteError(msg, 'remoteWarning');
        return;
      case 'peer_storage':
      case 'peer_storage_retrieval':
        this.emit('storageMessage', msg);
        return;
      case 'unknown':
        // BOLT 1: MUST ignore a message of odd, unknown type.
        this.#log.debug({ wireType: msg.wireType, bytes: msg.payload.length }, 'ignored unknown odd message');
        return;
      default:
        if (isChannelMessage(msg)) this.emit('channelMessage', msg);
        else if (isGossipMessage(msg)) this.emit('gossipMessage', msg);
        else this.#log.error({ type: (msg as Message).type }, 'decoded message has no route in the peer layer; ignored');
    }
  }

  // ------------------------------------------------------------------ BOLT 1 §The ping and pong Messages

  #onPing(ping: Ping): void {
    // "if num_pong_bytes is less than 65532: MUST respond ... otherwise MUST ignore the ping."
    if (ping.numPongBytes >= PONG_BYTES_NO_REPLY) return;
    this.connection.send(encodeMessage({ type: 'pong', ignored: new Uint8Array(ping.numPongBytes) }));
  }

  #onPong(pong: Pong): void {
    const expected = this.#pings[0];
    const byteslen = pong.ignored.length;
    // "if byteslen does not correspond to any ping's num_pong_bytes value it has sent: MAY close."
    if (expected === undefined || expected.byteslen !== byteslen) {
      const wanted = expected === undefined ? 'no ping outstanding' : `expected ${expected.byteslen}`;
      this.#fail('unexpected-pong', `pong with ${byteslen} bytes (${wanted})`);
      return;
    }
    this.#pings.shift();
    const rttMs = performance.now() - expected.sentAt;
    this.#armPongDeadline();
    expected.resolve?.(rttMs);
    this.emit('pong', { byteslen, rttMs });
  }

  #sendPing(numPongBytes: number, resolve?: (rttMs: number) => void, reject?: (e: Error) => void): void {
    this.connection.send(encodeMessage({ type: 'ping', numPongBytes, ignored: new Uint8Array(0) }));
    this.#pings.push({ byteslen: numPongBytes, sentAt: performance.now(), ...(resolve ? { resolve } : {}), ...(reject ? { reject } : {}) });
    if (this.#pings.length === 1) this.#armPongDeadline();
  }

  /** One timer, for the oldest ping still unanswered. */
  #armPongDeadline(): void {
    if (this.#pongTimer !== null) clearTimeout(this.#pongTimer);
    this.#pongTimer = null;
    const oldest = this.#pings[0];
    if (oldest === undefined || this.#state === 'closed') return;
    const left = Math.max(0, oldest.sentAt + this.#pongTimeoutMs - performance.now());
    this.#pongTimer = setTimeout(() => {
      this.#pongTimer = null;
      this.#fail('ping-timeout', `no pong within ${this.#pongTimeoutMs} ms for a ping asking ${oldest.byteslen} bytes`);
    }, left);
  }

  /** On an idle connection, ping: it checks the peer is alive and rotates keys (BOLT 1 rationale). */
  #armKeepalive(delayMs: number): void {
    this.#keepaliveTimer = setTimeout(() => {
      this.#keepaliveTimer = null;
      if (this.#state !== 'ready') return;
      const idleFor = performance.now() - this.#lastReceivedAt;
      if (idleFor >= this.#pingIntervalMs && this.#pings.length === 0) {
        try {
          this.#sendPing(randomInt(0, 64)); // a few bytes of synthetic traffic; `ignored` stays zero
        } catch (e) {
          this.#log.warn({ err: errorText(e) }, 'keepalive ping not sent');
        }
        this.#armKeepalive(this.#pingIntervalMs);
      } else {
        this.#armKeepalive(Math.max(1, this.#pingIntervalMs - idleFor));
      }
    }, delayMs);
  }

  // ------------------------------------------------------------------ BOLT 1 §The error and warning Messages

  #onRemoteError(msg: ErrorMessage | Warning, event: 'remoteError' | 'remoteWarning'): void {
    const report: RemoteErrorReport = {
      channelId: msg.channelId,
      allChannels: equal(msg.channelId, ZERO_CHANNEL_ID),
      data: msg.data,
      text: printableData(msg.data),
    };
    this.#log.warn(
      { channelId: report.allChannels ? 'all' : hex(report.channelId), data: report.text },
      event === 'remoteError' ? 'peer sent error' : 'peer sent warning',
    );
    this.emit(event, report);
  }

  // ------------------------------------------------------------------ closing

  /**
   * Drops the connection for a protocol reason. Once the peer's init is in, a `warning` tells it why
   * first (a warning, not an error: the connection failed, not necessarily its channels).
   */
  #fail(code: CloseCode, message: string): void {
    if (this.#state === 'closed') return;
    const initReceived = this.#state === 'ready' || code === 'incompatible-features' || code === 'no-common-network';
    if (initReceived && !this.connection.closed) {
      try {
        this.connection.send(encodeMessage({ type: 'warning', channelId: ZERO_CHANNEL_ID, data: new TextEncoder().encode(`${code}: ${message}`.slice(0, 1000)) }));
      } catch {
        // the connection is going away regardless
      }
    }
    this.connection.close({ code, message }, 'flush');
  }

  #onClose(reason: CloseReason): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#closeReason = reason;
    for (const t of [this.#initTimer, this.#keepaliveTimer, this.#pongTimer]) if (t !== null) clearTimeout(t);
    this.#initTimer = this.#keepaliveTimer = this.#pongTimer = null;
    const pending = this.#pings.splice(0);
    for (const p of pending) p.reject?.(new ConnectionClosedError(reason));
    this.emit('close', reason);
  }
}
