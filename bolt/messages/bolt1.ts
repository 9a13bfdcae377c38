// BOLT 1 messages: setup (init, error, warning), control (ping, pong) and peer storage.
// Feature vectors stay raw bytes here; bolt/features.ts interprets them.
import { message, type MessageOf } from '../codec/message.js';
import { arrayRest } from '../codec/compound.js';
import { bytesRest, chainHash, channelId, u16, varBytes } from '../codec/primitives.js';
import { tlv } from '../codec/tlv.js';

// BOLT 1 §The init Message
export const init = message(16, 'init', {
  globalfeatures: varBytes, // legacy bitmap, bits <= 13; OR it with `features`
  features: varBytes,
}, {
  tlvs: {
    networks: tlv(1, arrayRest(chainHash)), // the chains this node gossips or opens channels for
    remoteAddr: tlv(3, bytesRest), // one BOLT 7 address descriptor: how the sender sees us
  },
});

// BOLT 1 §The error and warning Messages
export const error = message(17, 'error', {
  channelId, // all zero: every channel with this peer
  data: varBytes,
});

// BOLT 1 §The error and warning Messages
export const warning = message(1, 'warning', {
  channelId,
  data: varBytes,
});

// BOLT 1 §The ping and pong Messages
export const ping = message(18, 'ping', {
  numPongBytes: u16, // >= 65532 means "do not answer"
  ignored: varBytes,
});

// BOLT 1 §The ping and pong Messages
export const pong = message(19, 'pong', {
  ignored: varBytes,
});

// BOLT 1 §Peer Storage
export const peerStorage = message(7, 'peer_storage', {
  blob: varBytes,
});

// BOLT 1 §Peer Storage
export const peerStorageRetrieval = message(9, 'peer_storage_retrieval', {
  blob: varBytes,
});

export type Init = MessageOf<typeof init>;
export type ErrorMessage = MessageOf<typeof error>;
export type Warning = MessageOf<typeof warning>;
export type Ping = MessageOf<typeof ping>;
export type Pong = MessageOf<typeof pong>;
export type PeerStorage = MessageOf<typeof peerStorage>;
export type PeerStorageRetrieval = MessageOf<typeof peerStorageRetrieval>;

export const bolt1Messages = [init, error, warning, ping, pong, peerStorage, peerStorageRetrieval] as const;
