// BOLT 1 §Fundamental Types: BigSize (Appendix A), signed integers (Appendix D), and the unsigned,
// truncated, point and short_channel_id codecs every message is built from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import bigsizeVectors from '../vectors/bolt01-bigsize.json' with { type: 'json' };
import signedVectors from '../vectors/bolt01-signed-integers.json' with { type: 'json' };
import { fromHex, hex } from '../../bolt/bytes.js';
import { secp } from '../../bolt/crypto/secp256k1.js';
import { DecodeError, EncodeError } from '../../bolt/codec/errors.js';
import {
  type Codec, bigsize, decodeWith, encodeWith, point, s16, s32, s64, s8, sciddirOrPubkey, shortChannelId,
  tu16, tu32, tu64, u16, u32, u64, u8,
} from '../../bolt/codec/primitives.js';
import {
  formatShortChannelId, parseShortChannelId, shortChannelIdFromParts, shortChannelIdParts,
} from '../../bolt/codec/short-channel-id.js';

/** The spec's Go error strings, as our error kinds. */
const bigsizeErrorKind: Record<string, DecodeError['kind']> = {
  'decoded bigsize is not canonical': 'invalid-value',
  'unexpected EOF': 'short-read',
  EOF: 'short-read',
};

function assertDecodeError(fn: () => unknown, kind: DecodeError['kind'], what: string): DecodeError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof DecodeError, `${what}: expected DecodeError, got ${String(e)}`);
    assert.equal(e.kind, kind, `${what}: ${e.message}`);
    return e;
  }
  assert.fail(`${what}: decoded without error`);
}

test('BOLT 1 Appendix A: every BigSize decoding case gives the value or the error kind', () => {
  for (const c of bigsizeVectors.decoding) {
    const bytes = fromHex(c.bytes);
    if ('exp_error' in c && c.exp_error !== undefined) {
      const kind = bigsizeErrorKind[c.exp_error];
      assert.ok(kind, `unmapped error "${c.exp_error}"`);
      assertDecodeError(() => decodeWith(bigsize, bytes), kind, c.name);
    } else {
      assert.equal(decodeWith(bigsize, bytes), BigInt(c.value), c.name);
    }
  }
  console.log(`BOLT 1 Appendix A (BigSize decoding): ${bigsizeVectors.decoding.length} cases`);
});

test('BOLT 1 Appendix A: every BigSize encoding case gives the minimal bytes', () => {
  for (const c of bigsizeVectors.encoding) {
    assert.equal(hex(encodeWith(bigsize, BigInt(c.value))), c.bytes, c.name);
  }
  console.log(`BOLT 1 Appendix A (BigSize encoding): ${bigsizeVectors.encoding.length} cases`);
});

test('BigSize refuses values outside u64 when encoding', () => {
  assert.throws(() => encodeWith(bigsize, -1n), EncodeError);
  assert.throws(() => encodeWith(bigsize, 1n << 64n), EncodeError);
});

const signedByWidth: Record<number, Codec<number> | Codec<bigint>> = { 1: s8, 2: s16, 4: s32, 8: s64 };

test('BOLT 1 Appendix D: every signed integer case encodes and decodes byte for byte', () => {
  for (const c of signedVectors.cases) {
    const width = c.bytes.length / 2;
    const codec = signedByWidth[width];
    assert.ok(codec, `no signed codec of ${width} bytes`);
    if (codec === s64) {
      assert.equal(hex(encodeWith(s64, BigInt(c.value))), c.bytes, c.value);
      assert.equal(decodeWith(s64, fromHex(c.bytes)), BigInt(c.value), c.value);
    } else {
      const small = codec as Codec<number>;
      assert.equal(hex(encodeWith(small, Number(c.value))), c.bytes, c.value);
      assert.equal(decodeWith(small, fromHex(c.bytes)), Number(c.value), c.value);
    }
  }
  console.log(`BOLT 1 Appendix D (signed integers): ${signedVectors.cases.length} cases`);
});

test('signed integers refuse values outside their width', () => {
  assert.throws(() => encodeWith(s8, 128), /s8 out of range: 128/);
  assert.throws(() => encodeWith(s16, -32769), /s16 out of range/);
  assert.throws(() => encodeWith(s32, 2 ** 31), /s32 out of range/);
  assert.throws(() => encodeWith(s64, 1n << 63n), /s64 out of range/);
  assert.throws(() => encodeWith(s32, 1.5), /s32 out of range/);
});

test('unsigned integers are big-endian and refuse out-of-range values', () => {
  assert.equal(hex(encodeWith(u8, 0xab)), 'ab');
  assert.equal(hex(encodeWith(u16, 0x1234)), '1234');
  assert.equal(hex(encodeWith(u32, 0xdeadbeef)), 'deadbeef');
  assert.equal(hex(encodeWith(u64, 0x0102030405060708n)), '0102030405060708');
  assert.equal(decodeWith(u64, fromHex('ffffffffffffffff')), 0xffffffffffffffffn);
  assert.throws(() => encodeWith(u8, 256), /byte out of range: 256/);
  assert.throws(() => encodeWith(u16, -1), /u16 out of range/);
  assert.throws(() => encodeWith(u32, 2 ** 32), /u32 out of range/);
  assert.throws(() => encodeWith(u64, 1n << 64n), /u64 out of range/);
  const e = assertDecodeError(() => decodeWith(u32, fromHex('0102')), 'short-read', 'u32 of 2 bytes');
  assert.equal(e.message, 'short read, need 4 bytes, have 2');
});

test('truncated integers drop leading zeros and reject non-minimal or oversized encodings', () => {
  const cases: Array<[Codec<number> | Codec<bigint>, number | bigint, string]> = [
    [tu16, 0, ''], [tu16, 1, '01'], [tu16, 0x100, '0100'], [tu16, 0xffff, 'ffff'],
    [tu32, 0, ''], [tu32, 0x10000, '010000'], [tu32, 0xffffffff, 'ffffffff'],
    [tu64, 0n, ''], [tu64, 0x1_0000_0000n, '0100000000'], [tu64, 0xffffffffffffffffn, 'ffffffffffffffff'],
  ];
  for (const [codec, value, bytes] of cases) {
    assert.equal(hex(encodeWith(codec as Codec<typeof value>, value)), bytes, `${codec.type} ${value}`);
    assert.equal(decodeWith(codec as Codec<typeof value>, fromHex(bytes)), value, `${codec.type} ${bytes}`);
  }
  assertDecodeError(() => decodeWith(tu16, fromHex('0001')), 'invalid-value', 'tu16 leading zero');
  assertDecodeError(() => decodeWith(tu32, fromHex('00')), 'invalid-value', 'tu32 single zero byte');
  assertDecodeError(() => decodeWith(tu32, fromHex('0100000000')), 'invalid-value', 'tu32 of 5 bytes');
  assertDecodeError(() => decodeWith(tu64, fromHex('010000000000000000')), 'invalid-value', 'tu64 of 9 bytes');
});

test('point decoding accepts curve points and rejects anything else as invalid-value', () => {
  const valid = secp.publicKey(fromHex('11'.repeat(32)));
  assert.equal(hex(decodeWith(point, valid)), hex(valid));
  const notCompressed = Uint8Array.from(valid);
  notCompressed[0] = 4;
  const e = assertDecodeError(() => decodeWith(point, notCompressed), 'invalid-value', '04 prefix');
  assert.match(e.message, /not a valid secp256k1 point: 04/);
  // x = 5 has no y on secp256k1 (x^3 + 7 = 132 is not a square mod p).
  const offCurve = fromHex('02' + '00'.repeat(31) + '05');
  assertDecodeError(() => decodeWith(point, offCurve), 'invalid-value', 'x not on the curve');
  assertDecodeError(() => decodeWith(point, valid.subarray(0, 32)), 'short-read', '32-byte point');
  assert.throws(() => encodeWith(point, valid.subarray(0, 32)), /point must be 33 bytes, got 32/);
});

test('short_channel_id is block(3) || tx(3) || output(2) and prints as BLOCKxTXxOUT', () => {
  const scid = shortChannelIdFromParts(539268, 845, 1);
  assert.equal(hex(encodeWith(shortChannelId, scid)), '083a8400034d0001');
  assert.equal(formatShortChannelId(scid), '539268x845x1');
  assert.equal(parseShortChannelId('539268x845x1'), scid);
  assert.deepEqual(shortChannelIdParts(scid), { blockHeight: 539268, txIndex: 845, outputIndex: 1 });
  assert.throws(() => shortChannelIdFromParts(1 << 24, 0, 0), /block height 16777216 is outside/);
  assert.throws(() => shortChannelIdFromParts(0, 0, 65536), /output index 65536 is outside/);
  assert.throws(() => parseShortChannelId('1:2:3'), /not of the form/);
});

test('sciddir_or_pubkey carries either a channel end or a node id', () => {
  const scidForm = { direction: 1 as const, shortChannelId: shortChannelIdFromParts(700000, 3, 0) };
  assert.equal(hex(encodeWith(sciddirOrPubkey, scidForm)), '01' + '0aae60000003' + '0000');
  assert.deepEqual(decodeWith(sciddirOrPubkey, encodeWith(sciddirOrPubkey, scidForm)), scidForm);
  const nodeId = secp.publicKey(fromHex('22'.repeat(32)));
  assert.deepEqual(decodeWith(sciddirOrPubkey, nodeId), { nodeId });
  assertDecodeError(() => decodeWith(sciddirOrPubkey, fromHex('04' + '00'.repeat(32))), 'invalid-value', 'first byte 4');
});
