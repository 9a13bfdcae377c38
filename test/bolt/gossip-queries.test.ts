// BOLT 7 §Query Messages: the spec's extended-queries vectors (bolt07/extended-queries.json) encode to
// their hex and decode to their fields, including zlib-encoded arrays; malformed encoded arrays fail
// with errors naming the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import queryVectors from '../vectors/bolt07-extended-queries.json' with { type: 'json' };
import { concat, fromHex, hex, u16be, u32be, u64be } from '../../bolt/bytes.js';
import { DecodeError, type DecodeErrorKind } from '../../bolt/codec/errors.js';
import { MAX_INFLATED_BYTES, type ArrayEncoding } from '../../bolt/codec/encoded-array.js';
import { parseShortChannelId, shortChannelIdFromParts } from '../../bolt/codec/short-channel-id.js';
import {
  type Message, type MessageToEncode, decodeMessage, encodeMessage, queryShortChannelIds, replyChannelRange,
} from '../../bolt/messages/index.js';

/** The vectors' (eclair's) JSON names, as ours. */
const encodingOf: Record<string, ArrayEncoding> = { UNCOMPRESSED: 'uncompressed', COMPRESSED_ZLIB: 'zlib' };
const queryOptionBit: Record<string, bigint> = { WANT_TIMESTAMPS: 1n, WANT_CHECKSUMS: 2n };

interface VectorIds { array: string[]; encoding: string }
interface VectorMsg {
  type: string;
  chainHash: string;
  firstBlockNum?: number;
  numberOfBlocks?: number;
  complete?: number;
  shortChannelIds?: VectorIds;
  timestamps?: { encoding: string; timestamps: Array<{ timestamp1: number; timestamp2: number }> };
  checksums?: { checksums: Array<{ checksum1: number; checksum2: number }> };
  tlvStream?: { records: Array<string | { array: number[]; encoding: string }>; unknown: unknown[] };
}

const ids = (v: VectorIds) => ({ encoding: encodingOf[v.encoding]!, items: v.array.map(parseShortChannelId) });

/** Translates one vector's `msg` into our message value. */
function toMessage(m: VectorMsg): Message {
  const chainHash = fromHex(m.chainHash);
  assert.deepEqual(m.tlvStream?.unknown ?? [], [], 'vectors carry no unknown records');
  const records = m.tlvStream?.records ?? [];
  switch (m.type) {
    case 'QueryChannelRange': {
      const tlvs = records.length === 0 ? {} : {
        queryOption: (records[0] as string).split(' | ').reduce((flags, name) => flags | queryOptionBit[name]!, 0n),
      };
      return { type: 'query_channel_range', chainHash, firstBlocknum: m.firstBlockNum!, numberOfBlocks: m.numberOfBlocks!, tlvs };
    }
    case 'ReplyChannelRange': {
      const tlvs: Extract<Message, { type: 'reply_channel_range' }>['tlvs'] = {};
      if (m.timestamps) {
        tlvs.timestampsTlv = {
          encoding: encodingOf[m.timestamps.encoding]!,
          items: m.timestamps.timestamps.map((t) => ({ timestampNodeId1: t.timestamp1, timestampNodeId2: t.timestamp2 })),
        };
      }
      if (m.checksums) {
        tlvs.checksumsTlv = m.checksums.checksums.map((c) => ({ checksumNodeId1: c.checksum1, checksumNodeId2: c.checksum2 }));
      }
      return {
        type: 'reply_channel_range', chainHash, firstBlocknum: m.firstBlockNum!, numberOfBlocks: m.numberOfBlocks!,
        syncComplete: m.complete!, encodedShortIds: ids(m.shortChannelIds!), tlvs,
      };
    }
    case 'QueryShortChannelIds': {
      const flags = records[0] as { array: number[]; encoding: string } | undefined;
      const tlvs = flags === undefined ? {} : { queryFlags: { encoding: encodingOf[flags.encoding]!, items: flags.array.map(BigInt) } };
      return { type: 'query_short_channel_ids', chainHash, encodedShortIds: ids(m.shortChannelIds!), tlvs };
    }
    default:
      throw new Error(`vector message type ${m.type} not handled`);
  }
}

test('BOLT 7 extended-queries vectors: each message encodes to the hex and the hex decodes to the fields', () => {
  for (const v of queryVectors.vectors) {
    const expected = toMessage(v.msg as VectorMsg);
    assert.equal(hex(encodeMessage(expected as MessageToEncode)), v.hex, `${v.msg.type} encodes`);
    assert.deepEqual(decodeMessage(fromHex(v.hex)), expected, `${v.msg.type} decodes`);
  }
  const zlib = queryVectors.vectors.filter((v) => v.hex.includes('789c')).length;
  assert.ok(zlib >= 4, 'the vectors exercise zlib');
  console.log(`BOLT 7 extended queries: ${queryVectors.vectors.length} cases (${zlib} with zlib arrays)`);
});

const mainnet = fromHex('6fe28c0ab6f1b372c1a6a246ae63f74f931e8365e15a089c68d6190000000000');

/** A reply_channel_range whose `encoded_short_ids` region is `region`, followed by `tail`. */
const reply = (region: Uint8Array, tail = new Uint8Array(0)): Uint8Array =>
  concat(u16be(264), mainnet, u32be(700_000), u32be(1000), Uint8Array.of(1), u16be(region.length), region, tail);

function expectDecodeError(bytes: Uint8Array, kind: DecodeErrorKind, message: RegExp): void {
  assert.throws(() => decodeMessage(bytes), (e: unknown) => {
    assert.ok(e instanceof DecodeError, String(e));
    assert.equal(e.kind, kind, e.message);
    assert.match(e.message, message);
    return true;
  });
}

test('encoded_short_ids: unknown encodings, partial ids, bad zlib and zlib bombs are invalid values', () => {
  const scid = u64be(shortChannelIdFromParts(700_001, 5, 0));
  expectDecodeError(reply(concat(Uint8Array.of(2), scid)), 'invalid-value', /^reply_channel_range\.encoded_short_ids: unknown encoding type 2$/);
  expectDecodeError(reply(concat(Uint8Array.of(0), scid, scid.subarray(0, 4))), 'invalid-value', /^reply_channel_range\.encoded_short_ids: 12 bytes is not a whole number of 8-byte short_channel_id$/);
  expectDecodeError(reply(concat(Uint8Array.of(1), fromHex('789c0000'))), 'invalid-value', /^reply_channel_range\.encoded_short_ids: zlib data does not inflate/);
  const bomb = deflateSync(new Uint8Array(MAX_INFLATED_BYTES + 8));
  assert.ok(bomb.length < 1024, 'a small message');
  expectDecodeError(reply(concat(Uint8Array.of(1), bomb)), 'invalid-value', /zlib data does not inflate \(limit 524288 bytes\)/);
  expectDecodeError(reply(new Uint8Array(0)), 'short-read', /^reply_channel_range\.encoded_short_ids: short read, need 1 byte, have 0$/);
  expectDecodeError(reply(Uint8Array.of(0)).subarray(0, 2 + 32 + 4 + 4 + 1 + 2), 'short-read', /^reply_channel_range\.encoded_short_ids: short read, need 1 byte, have 0$/);
});

test('gossip query TLVs: non-minimal flags and partial checksums fail naming the record', () => {
  const scid = u64be(shortChannelIdFromParts(700_001, 5, 0));
  const query = concat(u16be(261), mainnet, u16be(9), Uint8Array.of(0), scid);
  expectDecodeError(concat(query, fromHex('0104' + '00' + 'fd0001')), 'invalid-value', /^query_short_channel_ids\.tlvs\.query_flags\[0\]: bigsize 1 is not minimally encoded$/);
  expectDecodeError(concat(reply(concat(Uint8Array.of(0), scid)), fromHex('030c' + '00'.repeat(12))), 'invalid-value', /^reply_channel_range\.tlvs\.checksums_tlv: 12 bytes is not a whole number of 8-byte channel_update_checksums$/);
  expectDecodeError(concat(reply(concat(Uint8Array.of(0), scid)), fromHex('0105' + '00' + '00000001')), 'invalid-value', /^reply_channel_range\.tlvs\.timestamps_tlv: 4 bytes is not a whole number of 8-byte channel_update_timestamps$/);
});

test('zlib-encoded arrays round-trip, and an unknown encoding name is refused when encoding', () => {
  const msg = {
    type: 'reply_channel_range' as const, chainHash: mainnet, firstBlocknum: 1, numberOfBlocks: 2, syncComplete: 1,
    encodedShortIds: { encoding: 'zlib' as const, items: [1n, 2n, 3n] },
    tlvs: { timestampsTlv: { encoding: 'zlib' as const, items: [{ timestampNodeId1: 5, timestampNodeId2: 6 }] } },
  };
  assert.deepEqual(replyChannelRange.decode(replyChannelRange.encode(msg)), msg);
  assert.throws(
    () => queryShortChannelIds.encode({ chainHash: mainnet, encodedShortIds: { encoding: 'lz4' as 'zlib', items: [] } }),
    /^EncodeError: query_short_channel_ids\.encoded_short_ids: unknown encoding "lz4"/,
  );
});
