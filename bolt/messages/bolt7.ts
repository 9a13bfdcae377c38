// BOLT 7 messages: announcements, channel updates and the gossip queries with their extended
// (timestamps / checksums / query flags) TLVs. Signed messages keep unknown odd TLV records, so
// re-encoding a decoded announcement gives back the exact bytes its signature covers.
import { message, type MessageOf } from '../codec/message.js';
import { arrayRest, struct, u16Sized } from '../codec/compound.js';
import { encodedArray } from '../codec/encoded-array.js';
import {
  bigsize, bytes, chainHash, channelId, point, shortChannelId, signature, u16, u32, u64, u8, varBytes,
} from '../codec/primitives.js';
import { tlv } from '../codec/tlv.js';

// BOLT 7 §The announcement_signatures Message
export const announcementSignatures = message(259, 'announcement_signatures', {
  channelId,
  shortChannelId,
  nodeSignature: signature,
  bitcoinSignature: signature,
});

// BOLT 7 §The channel_announcement Message
export const channelAnnouncement = message(256, 'channel_announcement', {
  nodeSignature1: signature,
  nodeSignature2: signature,
  bitcoinSignature1: signature,
  bitcoinSignature2: signature,
  features: varBytes,
  chainHash,
  shortChannelId,
  nodeId1: point, // the lexicographically lesser node id
  nodeId2: point,
  bitcoinKey1: point, // funding key of node_id_1
  bitcoinKey2: point,
});

// BOLT 7 §The node_announcement Message
export const nodeAnnouncement = message(257, 'node_announcement', {
  signature,
  features: varBytes,
  timestamp: u32,
  nodeId: point,
  rgbColor: bytes(3),
  alias: bytes(32), // UTF-8, zero-padded; untrusted text
  addresses: varBytes, // concatenated address descriptors (type byte + data), kept raw for the signature
});

// BOLT 7 §The channel_update Message
export const channelUpdate = message(258, 'channel_update', {
  signature,
  chainHash,
  shortChannelId,
  timestamp: u32,
  messageFlags: u8, // bit 0 must_be_one, bit 1 dont_forward
  channelFlags: u8, // bit 0 direction, bit 1 disable
  cltvExpiryDelta: u16,
  htlcMinimumMsat: u64,
  feeBaseMsat: u32,
  feeProportionalMillionths: u32,
  htlcMaximumMsat: u64,
});

/** BOLT 7 `channel_update_timestamps`: one pair per short_channel_id, 0 when there is no update. */
export const channelUpdateTimestamps = struct({ timestampNodeId1: u32, timestampNodeId2: u32 }, 'channel_update_timestamps');

/** BOLT 7 `channel_update_checksums`: CRC32C of each side's update without signature and timestamp. */
export const channelUpdateChecksums = struct({ checksumNodeId1: u32, checksumNodeId2: u32 }, 'channel_update_checksums');

// BOLT 7 §The query_short_channel_ids/reply_short_channel_ids_end Messages
export const queryShortChannelIds = message(261, 'query_short_channel_ids', {
  chainHash,
  encodedShortIds: u16Sized(encodedArray(shortChannelId)), // [u16:len][len*byte]: encoding byte, then ids
}, {
  tlvs: {
    queryFlags: tlv(1, encodedArray(bigsize)), // [byte:encoding_type][...]: one bigsize bitfield per id
  },
});

// BOLT 7 §The query_short_channel_ids/reply_short_channel_ids_end Messages
export const replyShortChannelIdsEnd = message(262, 'reply_short_channel_ids_end', {
  chainHash,
  fullInformation: u8, // 0: the sender lacks up-to-date information for this chain
});

// BOLT 7 §The query_channel_range and reply_channel_range Messages
export const queryChannelRange = message(263, 'query_channel_range', {
  chainHash,
  firstBlocknum: u32,
  numberOfBlocks: u32,
}, {
  tlvs: {
    queryOption: tlv(1, bigsize), // data `query_option_flags`: bit 0 timestamps, bit 1 checksums
  },
});

// BOLT 7 §The query_channel_range and reply_channel_range Messages
export const replyChannelRange = message(264, 'reply_channel_range', {
  chainHash,
  firstBlocknum: u32,
  numberOfBlocks: u32,
  syncComplete: u8,
  encodedShortIds: u16Sized(encodedArray(shortChannelId)),
}, {
  tlvs: {
    timestampsTlv: tlv(1, encodedArray(channelUpdateTimestamps)), // [byte:encoding_type][...]
    checksumsTlv: tlv(3, arrayRest(channelUpdateChecksums)), // data `checksums`, never compressed
  },
});

// BOLT 7 §The gossip_timestamp_filter Message
export const gossipTimestampFilter = message(265, 'gossip_timestamp_filter', {
  chainHash,
  firstTimestamp: u32,
  timestampRange: u32,
});

export type AnnouncementSignatures = MessageOf<typeof announcementSignatures>;
export type ChannelAnnouncement = MessageOf<typeof channelAnnouncement>;
export type NodeAnnouncement = MessageOf<typeof nodeAnnouncement>;
export type ChannelUpdate = MessageOf<typeof channelUpdate>;
export type QueryShortChannelIds = MessageOf<typeof queryShortChannelIds>;
export type ReplyShortChannelIdsEnd = MessageOf<typeof replyShortChannelIdsEnd>;
export type QueryChannelRange = MessageOf<typeof queryChannelRange>;
export type ReplyChannelRange = MessageOf<typeof replyChannelRange>;
export type GossipTimestampFilter = MessageOf<typeof gossipTimestampFilter>;

export const bolt7Messages = [
  announcementSignatures, channelAnnouncement, nodeAnnouncement, channelUpdate,
  queryShortChannelIds, replyShortChannelIdsEnd, queryChannelRange, replyChannelRange, gossipTimestampFilter,
] as const;
