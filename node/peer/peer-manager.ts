// The node's peers: a TCP listener, outbound dials to `pubkey@host:port`, one connection per node id
// (BOLT 1: "MUST use a single connection per peer"), reconnection to persistent peers with capped,
// jittered exponential backoff, and a disconnect API. Peer events are re-emitted with their peer.
import { EventEmitter, setMaxListeners } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { compare, hex } from '../../bolt/bytes.js';
import { assertValidFeatures } from '../../bolt/features.js';
import type { NodeKey } from '../../bolt/noise/index.js';
import { silentLogger, type Logger } from '../log.js';
import { formatHostPort, formatNodeAddress, parseNodeAddress, type NodeAddress } from './address.js';
import { backoffDelay, checkBackoffPolicy, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
import { Connection, type ConnectionOptions } from './connection.js';
import {
  Peer,
  type ChannelMessage,
  type GossipMessage,
  type PeerOptions,
  type PeerReadyInfo,
  type RemoteErrorReport,
  type StorageMessage,
} from './peer.js';
import { ConnectionClosedError, PeerStateError, type CloseCode, type CloseReason } from './reasons.js';

export interface PeerManagerOptions {
  readonly localKey: NodeKey;
  /** Our `init` features (validated here as BOLT 9 context I). */
  readonly features: Uint8Array;
  /** Our `init.networks` (32-byte chain hashes). */
  readonly chainHashes: readonly Uint8Array[];
  readonly logger?: Logger;
  readonly handshakeTimeoutMs?: number;
  readonly frameTimeoutMs?: number;
  readonly maxWriteBufferBytes?: number;
  readonly initTimeoutMs?: number;
  readonly pingIntervalMs?: number;
  readonly pongTimeoutMs?: number;
  /** Reconnection delays for persistent peers (any field left out takes DEFAULT_BACKOFF's). */
  readonly reconnect?: Partial<BackoffPolicy>;
  /**
   * Inbound connections allowed in the handshake at once. A new one beyond it evicts the oldest (so
   * stalled handshakes cannot keep honest peers out). Default DEFAULT_MAX_PENDING_HANDSHAKES.
   */
  readonly maxPendingHandshakes?: number;
  /** Jitter source in [0, 1); default Math.random. */
  readonly random?: () => number;
}

/** A connection that ended before its handshake completed (so no Peer exists for it). */
export interface ConnectionFailure {
  readonly direction: 'inbound' | 'outbound';
  readonly remoteAddress: string;
  /** Known for outbound dials; null for inbound (the node id arrives in act three). */
  readonly nodeId: string | null;
  readonly reason: CloseReason;
}

export interface ReconnectScheduled {
  readonly nodeId: string;
  readonly address: string;
  /** 1 for the first retry after a loss or a failure; reset to 0 when a connection becomes ready. */
  readonly attempt: number;
  readonly delayMs: number;
}

export interface PeerManagerEvents {
  /** Handshake done, our init sent, theirs not yet received. */
  peerConnected: [peer: Peer];
  /** `init` exchanged: the peer accepts messages. */
  peerReady: [peer: Peer, info: PeerReadyInfo];
  /** A peer (one that completed the handshake) is gone. */
  peerClosed: [peer: Peer, reason: CloseReason];
  connectionFailed: [failure: ConnectionFailure];
  reconnectScheduled: [info: ReconnectScheduled];
  channelMessage: [peer: Peer, message: ChannelMessage];
  gossipMessage: [peer: Peer, message: GossipMessage];
  storageMessage: [peer: Peer, message: StorageMessage];
  remoteError: [peer: Peer, report: RemoteErrorReport];
  remoteWarning: [peer: Peer, report: RemoteErrorReport];
}

export interface ConnectOptions {
  /** Keep this peer connected: reconnect with backoff whenever the connection is lost or fails. */
  readonly persistent?: boolean;
}

interface PersistentPeer {
  address: NodeAddress;
  attempts: number;
  timer: NodeJS.Timeout | null;
}

export const DEFAULT_MAX_PENDING_HANDSHAKES = 128;

/** An inbound connection still in its handshake; `abort` ends it with a reason. */
interface PendingHandshake {
  readonly abort: AbortController;
  readonly since: number;
}

/** Closes that must not trigger a reconnection. */
const NO_RECONNECT: ReadonlySet<CloseCode> = new Set<CloseCode>(['local-request', 'replaced', 'duplicate-connection', 'self-connection', 'shutdown']);

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function nodeIdKey(nodeId: Uint8Array | string): string {
  return typeof nodeId === 'string' ? nodeId.toLowerCase() : hex(nodeId);
}

export class PeerManager extends EventEmitter<PeerManagerEvents> {
  readonly nodeId: Uint8Array;
  readonly nodeIdHex: string;

  readonly #options: PeerManagerOptions;
  readonly #backoff: BackoffPolicy;
  readonly #random: () => number;
  readonly #log: Logger;
  readonly #shutdown = new AbortController();
  #server: Server | null = null;
  #closing = false;
  /** In arrival order: the first is the oldest. */
  readonly #pendingInbound = new Set<PendingHandshake>();
  readonly #peers = new Map<string, Peer>();
  readonly #dials = new Map<string, Promise<Peer>>();
  readonly #persistent = new Map<string, PersistentPeer>();

  constructor(options: PeerManagerOptions) {
    super();
    assertValidFeatures(options.features, 'I', 'sender');
    for (const chain of options.chainHashes) {
      if (chain.length !== 32) throw new RangeError(`chain hash ${hex(chain)}: expected 32 bytes, got ${chain.length}`);
    }
    const maxPending = options.maxPendingHandshakes;
    if (maxPending !== undefined && (!Number.isInteger(maxPending) || maxPending < 1)) {
      throw new RangeError(`maxPendingHandshakes ${maxPending}: expected an integer of at least 1`);
    }
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.reconnect };
    checkBackoffPolicy(this.#backoff);
    this.#options = options;
    this.#random = options.random ?? Math.random;
    this.nodeId = Uint8Array.from(options.localKey.publicKey);
    this.nodeIdHex = hex(this.nodeId);
    this.#log = (options.logger ?? silentLogger()).child({ module: 'peer-manager' });
    setMaxListeners(0, this.#shutdown.signal); // one abort listener per handshake in flight
  }

  // ------------------------------------------------------------------ listening

  /** Starts accepting peers. Port 0 picks a free port; the bound address is returned. */
  async listen(port = 9735, host = '127.0.0.1'): Promise<AddressInfo> {
    if (this.#closing) throw new PeerStateError('peer manager is closed');
    if (this.#server !== null) throw new PeerStateError('already listening');
    const server = createServer((socket) => this.#onInbound(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (e) => this.#log.error({ err: errorText(e) }, 'listener error'));
    this.#server = server;
    const address = server.address() as AddressInfo;
    this.#log.info({ host: address.address, port: address.port }, 'listening for peers');
    return address;
  }

  /** The bound listener address, or null when not listening. */
  get listenAddress(): AddressInfo | null {
    return (this.#server?.address() as AddressInfo | null | undefined) ?? null;
  }

  /** Stops accepting new connections; existing peers stay connected. */
  stopListening(): void {
    const server = this.#server;
    if (server === null) return;
    this.#server = null;
    server.close();
    this.#log.info('stopped listening');
  }

  #onInbound(socket: Socket): void {
    socket.on('error', () => {}); // Connection.accept takes over error handling; this covers the shutdown path
    if (this.#closing) {
      socket.destroy();
      return;
    }
    const max = this.#options.maxPendingHandshakes ?? DEFAULT_MAX_PENDING_HANDSHAKES;
    // Slow loris: refusing newcomers at the limit would let a few stalled sockets lock every peer
    // out until their deadlines; the oldest handshake gives way instead (honest ones take a round trip).
    if (this.#pendingInbound.size >= max) this.#evictOldestHandshake(max);
    const pending: PendingHandshake = { abort: new AbortController(), since: performance.now() };
    this.#pendingInbound.add(pending);
    const remoteAddress = formatHostPort(socket.remoteAddress ?? '?', socket.remotePort ?? 0);
    Connection.accept(socket, { ...this.#connectionOptions(), signal: pending.abort.signal })
      .then(
        (connection) => {
          this.#adopt(connection);
        },
        (e: unknown) => this.#onHandshakeFailure('inbound', remoteAddress, null, e),
      )
      .catch((e: unknown) => this.#log.error({ err: errorText(e) }, 'internal error adopting an inbound connection'))
      .then(() => this.#pendingInbound.delete(pending));
  }

  #evictOldestHandshake(max: number): void {
    const oldest = this.#pendingInbound.values().next().value;
    if (oldest === undefined) return;
    this.#pendingInbound.delete(oldest);
    const ageMs = Math.round(performance.now() - oldest.since);
    const reason: CloseReason = {
      code: 'handshake-evicted',
      message: `${max} inbound handshakes were in progress: the oldest (${ageMs} ms) gave way to a new connection`,
    };
    oldest.abort.abort(reason);
  }

  // ------------------------------------------------------------------ dialling

  /**
   * Connects to `pubkey@host:port` (or a NodeAddress) and resolves once `init` is exchanged. If the node
   * is already connected or being dialled, that connection is used. With `persistent`, the node is
   * kept connected: failures and losses are retried with backoff until `disconnect()` or `close()`.
   */
  connect(target: string | NodeAddress, options: ConnectOptions = {}): Promise<Peer> {
    let address: NodeAddress;
    try {
      address = typeof target === 'string' ? parseNodeAddress(target) : target;
    } catch (e) {
      return Promise.reject(e);
    }
    const id = hex(address.nodeId);
    if (this.#closing) return Promise.reject(new PeerStateError('peer manager is closed'));
    if (id === this.nodeIdHex) return Promise.reject(new RangeError(`cannot connect to our own node id ${id}`));
    if (options.persistent) {
      const entry = this.#persistent.get(id);
      if (entry === undefined) this.#persistent.set(id, { address, attempts: 0, timer: null });
      else entry.address = address; // the latest address given is the one retried
    }
    const existing = this.#peers.get(id);
    if (existing !== undefined) return existing.whenReady();
    const inFlight = this.#dials.get(id);
    if (inFlight !== undefined) return inFlight;
    const dial = this.#dial(id, address);
    this.#dials.set(id, dial);
    const forget = (): void => {
      if (this.#dials.get(id) === dial) this.#dials.delete(id);
    };
    dial.then(forget, forget);
    return dial;
  }

  async #dial(id: string, address: NodeAddress): Promise<Peer> {
    this.#log.debug({ peer: id, address: formatNodeAddress(address) }, 'dialling');
    let connection: Connection;
    try {
      connection = await Connection.dial({ ...this.#connectionOptions(), host: address.host, port: address.port, remoteNodeId: address.nodeId });
    } catch (e) {
      this.#dials.delete(id);
      this.#onHandshakeFailure('outbound', formatHostPort(address.host, address.port), id, e);
      throw e;
    }
    const peer = this.#adopt(connection);
    if (peer === null) throw new ConnectionClosedError(connection.closeReason ?? { code: 'shutdown', message: 'peer manager is closing' });
    try {
      return await peer.whenReady();
    } catch (e) {
      // Our connection gave way to another one to the same node (e.g. it dialled us at the same time): use that one.
      const current = this.#peers.get(id);
      if (e instanceof ConnectionClosedError && e.reason.code === 'replaced' && current !== undefined && current !== peer) {
        return current.whenReady();
      }
      throw e;
    }
  }

  #onHandshakeFailure(direction: 'inbound' | 'outbound', remoteAddress: string, nodeId: string | null, e: unknown): void {
    const reason: CloseReason = e instanceof ConnectionClosedError ? e.reason : { code: 'connect-failed', message: errorText(e) };
    this.emit('connectionFailed', { direction, remoteAddress, nodeId, reason });
    if (nodeId !== null) this.#reconnectLater(nodeId);
  }

  // ------------------------------------------------------------------ one connection per node id

  /**
   * Registers a connection whose handshake completed. When the node already has one: an established
   * (ready) connection gives way to the newer one (the peer reconnected; the old one may be half-open);
   * two connections both still exchanging init are a simultaneous dial, and the one opened by the
   * lower node id wins, which both ends compute alike. Returns the peer that stays, or null.
   */
  #adopt(connection: Connection): Peer | null {
    const id = hex(connection.remoteNodeId);
    if (this.#closing) {
      connection.close({ code: 'shutdown', message: 'peer manager is closing' }, 'destroy');
      return null;
    }
    if (id === this.nodeIdHex) {
      connection.close({ code: 'self-connection', message: 'the remote node id is our own' }, 'destroy');
      return null;
    }
    const existing = this.#peers.get(id);
    if (existing !== undefined) {
      if (existing.state === 'ready' || this.#newConnectionWins(connection, existing.connection)) {
        this.#peers.delete(id);
        existing.disconnect(`replaced by a newer ${connection.direction} connection from ${connection.remoteAddress}`, 'replaced');
      } else {
        connection.close({
          code: 'duplicate-connection',
          message: `an ${existing.direction} connection to this node is already exchanging init and wins the tie-break`,
        }, 'destroy');
        return existing;
      }
    }
    const peer = new Peer(connection, this.#peerOptions());
    this.#peers.set(id, peer);
    this.#wire(id, peer);
    this.emit('peerConnected', peer);
    peer.start();
    return peer;
  }

  #newConnectionWins(fresh: Connection, old: Connection): boolean {
    if (fresh.direction === old.direction) return true;
    const initiator = (c: Connection): Uint8Array => (c.direction === 'outbound' ? this.nodeId : c.remoteNodeId);
    return compare(initiator(fresh), initiator(old)) < 0;
  }

  #wire(id: string, peer: Peer): void {
    peer.on('ready', (info) => {
      const entry = this.#persistent.get(id);
      if (entry !== undefined) {
        entry.attempts = 0; // reset on success
        if (entry.timer !== null) clearTimeout(entry.timer);
        entry.timer = null;
      }
      this.emit('peerReady', peer, info);
    });
    peer.on('channelMessage', (m) => this.emit('channelMessage', peer, m));
    peer.on('gossipMessage', (m) => this.emit('gossipMessage', peer, m));
    peer.on('storageMessage', (m) => this.emit('storageMessage', peer, m));
    peer.on('remoteError', (r) => this.emit('remoteError', peer, r));
    peer.on('remoteWarning', (r) => this.emit('remoteWarning', peer, r));
    peer.on('close', (reason) => {
      const current = this.#peers.get(id) === peer;
      if (current) this.#peers.delete(id);
      this.emit('peerClosed', peer, reason);
      if (current && !NO_RECONNECT.has(reason.code)) this.#reconnectLater(id);
    });
  }

  // ------------------------------------------------------------------ persistence and backoff

  #reconnectLater(id: string): void {
    const entry = this.#persistent.get(id);
    if (entry === undefined || this.#closing || entry.timer !== null || this.#peers.has(id)) return;
    entry.attempts += 1;
    const delayMs = backoffDelay(entry.attempts, this.#backoff, this.#random);
    const address = formatNodeAddress(entry.address);
    entry.timer = setTimeout(() => {
      entry.timer = null;
      if (this.#persistent.get(id) !== entry) return;
      this.connect(entry.address).catch((e: unknown) => this.#log.debug({ peer: id, err: errorText(e) }, 'reconnection attempt failed'));
    }, delayMs);
    this.#log.info({ peer: id, attempt: entry.attempts, delayMs }, 'reconnecting later');
    this.emit('reconnectScheduled', { nodeId: id, address, attempt: entry.attempts, delayMs });
  }

  // ------------------------------------------------------------------ queries and control

  /** The connection to a node (ready or still exchanging init), if any. */
  peer(nodeId: Uint8Array | string): Peer | undefined {
    return this.#peers.get(nodeIdKey(nodeId));
  }

  /** Every peer that completed the handshake (see `state` for init). */
  peers(): Peer[] {
    return [...this.#peers.values()];
  }

  /** Node ids (hex) we keep connected. */
  persistentPeers(): string[] {
    return [...this.#persistent.keys()];
  }

  /**
   * Closes the connection to a node and stops reconnecting to it. Returns whether a connection
   * existed. A dial already under way still completes; call again once it has.
   */
  disconnect(nodeId: Uint8Array | string, message = 'disconnect requested'): boolean {
    const id = nodeIdKey(nodeId);
    const entry = this.#persistent.get(id);
    if (entry !== undefined) {
      if (entry.timer !== null) clearTimeout(entry.timer);
      this.#persistent.delete(id);
    }
    const peer = this.#peers.get(id);
    if (peer === undefined) return false;
    peer.disconnect(message, 'local-request');
    return true;
  }

  /** Stops listening, cancels reconnections and handshakes, disconnects every peer. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#shutdown.abort();
    for (const pending of this.#pendingInbound) pending.abort.abort();
    this.#pendingInbound.clear();
    for (const entry of this.#persistent.values()) if (entry.timer !== null) clearTimeout(entry.timer);
    this.#persistent.clear();
    for (const peer of [...this.#peers.values()]) peer.disconnect('node shutting down', 'shutdown');
    const server = this.#server;
    this.#server = null;
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #connectionOptions(): ConnectionOptions {
    const o = this.#options;
    return {
      localKey: o.localKey,
      signal: this.#shutdown.signal,
      ...(o.logger ? { logger: o.logger } : {}),
      ...(o.handshakeTimeoutMs !== undefined ? { handshakeTimeoutMs: o.handshakeTimeoutMs } : {}),
      ...(o.frameTimeoutMs !== undefined ? { frameTimeoutMs: o.frameTimeoutMs } : {}),
      ...(o.maxWriteBufferBytes !== undefined ? { maxWriteBufferBytes: o.maxWriteBufferBytes } : {}),
    };
  }

  #peerOptions(): PeerOptions {
    const o = this.#options;
    return {
      features: o.features,
      chainHashes: o.chainHashes,
      ...(o.logger ? { logger: o.logger } : {}),
      ...(o.initTimeoutMs !== undefined ? { initTimeoutMs: o.initTimeoutMs } : {}),
      ...(o.pingIntervalMs !== undefined ? { pingIntervalMs: o.pingIntervalMs } : {}),
      ...(o.pongTimeoutMs !== undefined ? { pongTimeoutMs: o.pongTimeoutMs } : {}),
    };
  }
}
