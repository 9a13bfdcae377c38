// The node's peer layer: BOLT 8 transport over TCP (connection.ts), BOLT 1 behaviour (peer.ts),
// and the set of peers with listening, dialling and reconnection (peer-manager.ts).
export { AddressError, addressDescriptor, DEFAULT_PORT, formatHostPort, formatNodeAddress, isPublicAddress, parseNodeAddress } from './address.js';
export type { NodeAddress } from './address.js';
export { backoffBase, backoffDelay, checkBackoffPolicy, DEFAULT_BACKOFF } from './backoff.js';
export type { BackoffPolicy } from './backoff.js';
export {
  Connection,
  DEFAULT_FRAME_TIMEOUT_MS,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_MAX_WRITE_BUFFER_BYTES,
} from './connection.js';
export type { ConnectionEvents, ConnectionOptions, DialParams } from './connection.js';
export { ByteQueue, FrameReader } from './frame-reader.js';
export type { FrameProgress } from './frame-reader.js';
export {
  DEFAULT_INIT_TIMEOUT_MS,
  DEFAULT_PING_INTERVAL_MS,
  DEFAULT_PONG_TIMEOUT_MS,
  isChannelMessage,
  isGossipMessage,
  Peer,
  PONG_BYTES_NO_REPLY,
  printableData,
} from './peer.js';
export type {
  ChannelMessage,
  GossipMessage,
  PeerEvents,
  PeerOptions,
  PeerReadyInfo,
  PeerState,
  RemoteErrorReport,
  StorageMessage,
} from './peer.js';
export { DEFAULT_MAX_PENDING_HANDSHAKES, PeerManager } from './peer-manager.js';
export type {
  ConnectionFailure,
  ConnectOptions,
  PeerManagerEvents,
  PeerManagerOptions,
  ReconnectScheduled,
} from './peer-manager.js';
export { ConnectionClosedError, isMisbehaviour, PeerStateError } from './reasons.js';
export type { CloseCode, CloseReason } from './reasons.js';
