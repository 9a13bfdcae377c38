// BOLT 1 §Type-Length-Value Format: every Appendix B case on the n1/n2 namespaces the appendix defines,
// the appendix's stream concatenation rules, and Appendix C (init message extensions).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import tlvVectors from '../vectors/bolt01-tlv.json' with { type: 'json' };
import initVectors from '../vectors/bolt01-init-extension.json' with { type: 'json' };
import { fromHex, hex } from '../../bolt/bytes.js';
import { DecodeError, type DecodeErrorKind, EncodeError } from '../../bolt/codec/errors.js';
import { struct } from '../../bolt/codec/compound.js';
import { type Codec, bytesRest, point, shortChannelId, tu32, tu64, u16, u64 } from '../../bolt/codec/primitives.js';
import { parseShortChannelId } from '../../bolt/codec/short-channel-id.js';
import { type TlvRecord, type TlvStreamCodec, type UnknownTlvRecord, tlv, tlvStream } from '../../bolt/codec/tlv.js';
import { decodeMessage, encodeMessage, init } from '../../bolt/messages/index.js';

type Namespace = keyof typeof tlvVectors.namespaces;
type AnyStream = TlvStreamCodec<Record<string, TlvRecord<Record<string, unknown>>>>;
type AnyValues = Parameters<AnyStream['encode']>[0];

/** Appendix B data types -> our codecs, and spec values (strings) -> our value types. */
const codecOf: Record<string, Codec<any>> = { tu64, tu32, u64, u16, point, short_channel_id: shortChannelId };
const valueOf: Record<string, (text: string) => unknown> = {
  tu64: BigInt, u64: BigInt, tu32: Number, u16: Number, point: (t) => fromHex(t), short_channel_id: parseShortChannelId,
};
const camel = (name: string): string => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Builds n1 / n2 exactly as the JSON (and Appendix B) declares them: each record a struct of its data. */
function namespace(ns: Namespace): { stream: AnyStream; typeOf: Map<string, bigint>; dataTypes: Map<string, string> } {
  const records: Record<string, TlvRecord<Record<string, unknown>>> = {};
  const typeOf = new Map<string, bigint>();
  const dataTypes = new Map<string, string>();
  for (const [name, rec] of Object.entries(tlvVectors.namespaces[ns]) as Array<[string, { type: number; data: string[][] }]>) {
    const fields: Record<string, Codec<any>> = {};
    for (const [type, field] of rec.data) {
      fields[camel(field!)] = codecOf[type!]!;
      dataTypes.set(field!, type!);
    }
    records[name] = tlv(rec.type, struct(fields));
    typeOf.set(name, BigInt(rec.type));
  }
  return { stream: tlvStream(records, ns) as AnyStream, typeOf, dataTypes };
}

const namespaces = { n1: namespace('n1'), n2: namespace('n2') };
const streamBytes = (text: string): Uint8Array => fromHex(text.replace(/^0x/, '').replace(/ /g, ''));

/** What Appendix B's reason means in our error kinds. */
function expectedKind(reason: string): DecodeErrorKind {
  if (/unknown even/.test(reason)) return 'unknown-even-type';
  if (/truncated|missing|less than encoding length/.test(reason)) return 'short-read';
  return 'invalid-value'; // not minimal, greater than the encoding length, not a point, order, duplicate
}

function expectedValues(ns: Namespace, values: Record<string, Record<string, string>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [record, fields] of Object.entries(values)) {
    const v: Record<string, unknown> = {};
    for (const [field, text] of Object.entries(fields)) v[camel(field)] = valueOf[namespaces[ns].dataTypes.get(field)!]!(text);
    out[record] = v;
  }
  return out;
}

/** The record types a decoded stream holds, known and unknown, in order. */
function typesIn(ns: Namespace, decoded: Record<string, unknown>): bigint[] {
  const types: bigint[] = [];
  for (const key of Object.keys(decoded)) {
    if (key === 'unknownRecords') types.push(...(decoded[key] as UnknownTlvRecord[]).map((r) => r.type));
    else types.push(namespaces[ns].typeOf.get(key)!);
  }
  return types.sort((a, b) => (a < b ? -1 : 1));
}

test('BOLT 1 Appendix B: every decoding failure fails in each namespace it names, with the right error kind', () => {
  let cases = 0;
  for (const c of tlvVectors.decoding_failures) {
    for (const ns of c.namespaces as Namespace[]) {
      let error: unknown;
      try {
        namespaces[ns].stream.decode(streamBytes(c.stream), ns);
      } catch (e) {
        error = e;
      }
      assert.ok(error instanceof DecodeError, `${ns} ${c.stream}: expected a DecodeError (${c.reason}), got ${String(error)}`);
      assert.equal(error.kind, expectedKind(c.reason), `${ns} ${c.stream} (${c.reason}): ${error.message}`);
      assert.ok(error.message.startsWith(ns), `error names the stream: ${error.message}`);
      cases++;
    }
  }
  console.log(`BOLT 1 Appendix B (TLV decoding failures): ${tlvVectors.decoding_failures.length} cases, ${cases} namespace runs`);
});

test('BOLT 1 Appendix B: decoding failures name the record and field that broke', () => {
  const badPoint = tlvVectors.decoding_failures.find((c) => /not a valid point/.test(c.reason))!;
  assert.throws(() => namespaces.n1.stream.decode(streamBytes(badPoint.stream), 'n1'), /^DecodeError: n1\.tlv3\.node_id: not a valid secp256k1 point: 043da0/);
  assert.throws(() => namespaces.n1.stream.decode(streamBytes('0x01 01 00'), 'n1'), /n1\.tlv1\.amount_msat: tu64 is not minimal/);
  assert.throws(() => namespaces.n1.stream.decode(streamBytes('0x02 09 010101010101010101'), 'n1'), /n1\.tlv2: length 9 leaves 1 unread byte/);
  assert.throws(() => namespaces.n1.stream.decode(streamBytes('0x02 08 0000000000000231 02 08 0000000000000451'), 'n1'), /n1: type 2 after type 2: types must strictly increase/);
  assert.throws(() => namespaces.n1.stream.decode(streamBytes('0x00 00'), 'n1'), /n1: unknown even type 0/);
  assert.throws(() => namespaces.n2.stream.decode(streamBytes('0x0f fd0001 00'), 'n2'), /n2\[type 15\]\.length: bigsize 1 is not minimally encoded/);
});

test('BOLT 1 Appendix B: every decoding success gives the listed values and re-encodes to the same bytes', () => {
  let cases = 0;
  for (const c of tlvVectors.decoding_successes) {
    for (const ns of c.namespaces as Namespace[]) {
      const bytes = streamBytes(c.stream);
      const decoded = namespaces[ns].stream.decode(bytes, ns) as Record<string, unknown>;
      const { unknownRecords, ...known } = decoded;
      assert.deepEqual(known, expectedValues(ns, c.values as Record<string, Record<string, string>>), `${ns} ${c.stream}`);
      if (Object.keys(c.values).length === 0 && bytes.length > 0) {
        // "should correctly decode, and be ignored": one unknown odd record, kept raw.
        assert.equal((unknownRecords as UnknownTlvRecord[]).length, 1, `${ns} ${c.stream}`);
        assert.equal((unknownRecords as UnknownTlvRecord[])[0]!.type % 2n, 1n);
      }
      assert.equal(hex(namespaces[ns].stream.encode(decoded as AnyValues)), hex(bytes), `${ns} ${c.stream} re-encodes`);
      cases++;
    }
  }
  console.log(`BOLT 1 Appendix B (TLV decoding successes): ${tlvVectors.decoding_successes.length} cases, ${cases} namespace runs`);
});

test('BOLT 1 Appendix B: an invalid stream appended to a valid one always fails', () => {
  let pairs = 0;
  for (const ns of ['n1', 'n2'] as Namespace[]) {
    const valid = tlvVectors.decoding_successes.filter((c) => c.namespaces.includes(ns));
    const invalid = tlvVectors.decoding_failures.filter((c) => c.namespaces.includes(ns));
    for (const v of valid) {
      for (const x of invalid) {
        const joined = new Uint8Array([...streamBytes(v.stream), ...streamBytes(x.stream)]);
        assert.throws(() => namespaces[ns].stream.decode(joined, ns), DecodeError, `${ns}: ${v.stream} + ${x.stream}`);
        pairs++;
      }
    }
  }
  assert.ok(pairs > 500);
  console.log(`BOLT 1 Appendix B (valid + invalid streams): ${pairs} pairs`);
});

test('BOLT 1 Appendix B: a higher-numbered valid stream appended to a lower-numbered one decodes to both', () => {
  let pairs = 0;
  for (const ns of ['n1', 'n2'] as Namespace[]) {
    const valid = tlvVectors.decoding_successes
      .filter((c) => c.namespaces.includes(ns))
      .map((c) => {
        const bytes = streamBytes(c.stream);
        const decoded = namespaces[ns].stream.decode(bytes) as Record<string, unknown>;
        return { bytes, decoded, types: typesIn(ns, decoded) };
      });
    for (const a of valid) {
      for (const b of valid) {
        if (a.types.length === 0 || b.types.length === 0 || a.types.at(-1)! >= b.types[0]!) continue;
        const joined = new Uint8Array([...a.bytes, ...b.bytes]);
        const decoded = namespaces[ns].stream.decode(joined, ns);
        assert.deepEqual(typesIn(ns, decoded), [...a.types, ...b.types]);
        const unknown = [...((a.decoded['unknownRecords'] ?? []) as UnknownTlvRecord[]), ...((b.decoded['unknownRecords'] ?? []) as UnknownTlvRecord[])];
        assert.deepEqual(decoded, { ...a.decoded, ...b.decoded, ...(unknown.length > 0 ? { unknownRecords: unknown } : {}) });
        assert.equal(hex(namespaces[ns].stream.encode(decoded)), hex(joined));
        pairs++;
      }
    }
  }
  assert.ok(pairs > 30);
  console.log(`BOLT 1 Appendix B (lower + higher valid streams): ${pairs} pairs`);
});

test('BOLT 1 Appendix C: valid init extensions decode and re-encode byte for byte; invalid ones fail', () => {
  assert.deepEqual(init.decode(fromHex(initVectors.base)), {
    type: 'init', globalfeatures: new Uint8Array(0), features: new Uint8Array(0), tlvs: {},
  });
  for (const c of initVectors.valid) {
    const msg = decodeMessage(fromHex(c.message));
    assert.equal(msg.type, 'init', c.note);
    assert.equal(hex(encodeMessage(msg)), c.message, c.note);
  }
  const twoOdd = init.decode(fromHex(initVectors.valid[1]!.message));
  assert.deepEqual(twoOdd.tlvs.unknownRecords, [
    { type: 0xc9n, value: fromHex('2a') },
    { type: 0xcbn, value: fromHex('04') },
  ]);
  const kinds: DecodeErrorKind[] = ['short-read', 'unknown-even-type', 'invalid-value'];
  initVectors.invalid.forEach((c, i) => {
    assert.throws(() => decodeMessage(fromHex(c.message)), (e: unknown) => {
      assert.ok(e instanceof DecodeError, c.note);
      assert.equal(e.kind, kinds[i], `${c.note}: ${e.message}`);
      assert.match(e.message, /^init\.tlvs/);
      return true;
    });
  });
  console.log(`BOLT 1 Appendix C (init extensions): ${initVectors.valid.length + initVectors.invalid.length} cases`);
});

test('TLV encoding orders records by type, merges unknown records, and sizes long lengths as BigSize', () => {
  const stream = tlvStream({ late: tlv(10, bytesRest), early: tlv(2, u16) });
  const bytes = stream.encode({
    late: fromHex('aabb'),
    early: 7,
    unknownRecords: [{ type: 11n, value: fromHex('ff') }, { type: 1n, value: new Uint8Array(0) }],
  });
  assert.equal(hex(bytes), '0100' + '02020007' + '0a02aabb' + '0b01ff');

  const long = new Uint8Array(300).fill(1);
  assert.equal(hex(stream.encode({ late: long }).subarray(0, 4)), '0afd012c');
  assert.deepEqual(stream.decode(stream.encode({ late: long })), { late: long });
  const huge = new Uint8Array(70000).fill(2);
  const hugeBytes = stream.encode({ early: 1, late: huge });
  assert.equal(hex(hugeBytes.subarray(4, 10)), '0afe00011170');
  assert.deepEqual(stream.decode(hugeBytes), { early: 1, late: huge });
});

test('TLV encoding refuses unknown records that clash with known or with each other', () => {
  const stream = tlvStream({ early: tlv(2, u16) });
  assert.throws(() => stream.encode({ unknownRecords: [{ type: 2n, value: new Uint8Array(1) }] }), /unknown record type 2 is a known type \(early\)/);
  assert.throws(() => stream.encode({ unknownRecords: [{ type: 5n, value: new Uint8Array(0) }, { type: 5n, value: new Uint8Array(0) }] }), EncodeError);
  assert.throws(() => stream.encode({ early: 70000 }), /^EncodeError: early: u16 out of range: 70000/);
  assert.throws(() => tlvStream({ a: tlv(1, u16), b: tlv(1, u16) }), /TLV type 1 declared twice/);
});
