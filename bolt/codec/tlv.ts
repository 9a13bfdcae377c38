// BOLT 1 §Type-Length-Value Format: a stream of (bigsize type, bigsize length, value) records in
// strictly increasing type order. Known types decode with their codec and must use exactly `length`
// bytes; unknown even types fail the stream; unknown odd types are kept as raw bytes so a signed
// message re-encodes byte for byte.
import { DecodeError, EncodeError, rethrowWithin } from './errors.js';
import { Reader, Writer } from './io.js';
import type { Codec } from './primitives.js';
import { type Simplify, wireName } from './compound.js';

/** One record type of a stream: its number and the codec of its value. */
export interface TlvRecord<T> {
  readonly type: bigint;
  readonly codec: Codec<T>;
}

/** A record whose type this stream does not know; only odd ones survive decoding. */
export interface UnknownTlvRecord {
  readonly type: bigint;
  readonly value: Uint8Array;
}

export type TlvRecords = { readonly [key: string]: TlvRecord<any> };

/** Decoded stream: each known record's value when present, plus unknown odd records in type order. */
export type TlvValues<R extends TlvRecords> = Simplify<
  { -readonly [K in keyof R]?: R[K] extends TlvRecord<infer T> ? T : never } & { unknownRecords?: UnknownTlvRecord[] }
>;

/** Declares record `type`. A record with one data field holds that field's value; several use `struct`. */
export function tlv<T>(type: number | bigint, codec: Codec<T>): TlvRecord<T> {
  const t = BigInt(type);
  if (t < 0n || t >= 1n << 64n) throw new Error(`TLV type ${t} is not a u64`);
  return { type: t, codec };
}

interface Entry {
  readonly key: string;
  readonly name: string;
  readonly type: bigint;
  readonly codec: Codec<unknown>;
}

const MAX_U64 = (1n << 64n) - 1n;

export interface TlvStreamCodec<R extends TlvRecords> extends Codec<TlvValues<R>> {
  readonly records: R;
  /** Decodes a standalone stream (e.g. an onion payload); `name` prefixes error paths. */
  decode(bytes: Uint8Array, name?: string): TlvValues<R>;
  encode(values: TlvValues<R>): Uint8Array;
}

export function tlvStream<const R extends TlvRecords>(records: R, type = 'tlv_stream'): TlvStreamCodec<R> {
  const entries: Entry[] = Object.keys(records)
    .map((key) => ({ key, name: wireName(key), type: records[key]!.type, codec: records[key]!.codec }))
    .sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  const byType = new Map<bigint, Entry>();
  for (const e of entries) {
    if (byType.has(e.type)) throw new Error(`${type}: TLV type ${e.type} declared twice`);
    if (e.key === 'unknownRecords') throw new Error(`${type}: "unknownRecords" is reserved`);
    byType.set(e.type, e);
  }

  function read(r: Reader): TlvValues<R> {
    const out: Record<string, unknown> = {};
    let unknown: UnknownTlvRecord[] | undefined;
    let previous = -1n;
    while (r.pos < r.end) {
      // BOLT 1: type and length are minimal BigSize; types strictly increase.
      let recordType: bigint;
      try {
        recordType = r.bigsize();
      } catch (e) {
        rethrowWithin(e, 'type');
      }
      if (recordType <= previous) {
        throw new DecodeError('invalid-value', `type ${recordType} after type ${previous}: types must strictly increase`);
      }
      previous = recordType;
      const entry = byType.get(recordType);
      const where = entry === undefined ? `[type ${recordType}]` : entry.name;
      let length: bigint;
      try {
        length = r.bigsize();
      } catch (e) {
        rethrowWithin(e, `${where}.length`);
      }
      // BOLT 1: a length beyond the remaining bytes fails the stream.
      if (length > BigInt(r.remaining)) {
        throw new DecodeError('short-read', `short read, length ${length} but ${r.remaining} bytes remain`).within(where);
      }
      const n = Number(length);
      if (entry === undefined) {
        if ((recordType & 1n) === 0n) throw new DecodeError('unknown-even-type', `unknown even type ${recordType}`);
        (unknown ??= []).push({ type: recordType, value: r.bytes(n) });
        continue;
      }
      const outerEnd = r.end;
      r.end = r.pos + n;
      try {
        out[entry.key] = entry.codec.read(r);
        // BOLT 1: length must be exactly what the known encoding takes.
        if (r.pos !== r.end) throw new DecodeError('invalid-value', `length ${n} leaves ${r.end - r.pos} unread byte(s)`);
      } catch (e) {
        rethrowWithin(e, entry.name);
      }
      r.end = outerEnd;
    }
    if (unknown !== undefined) out['unknownRecords'] = unknown;
    return out as TlvValues<R>;
  }

  function writeUnknown(w: Writer, rec: UnknownTlvRecord): void {
    w.bigsize(rec.type);
    w.bigsize(BigInt(rec.value.length));
    w.bytes(rec.value);
  }

  function sortedUnknown(values: Record<string, unknown>): readonly UnknownTlvRecord[] {
    const given = values['unknownRecords'] as readonly UnknownTlvRecord[] | undefined;
    if (given === undefined || given.length === 0) return [];
    const sorted = [...given].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
    for (let i = 0; i < sorted.length; i++) {
      const t = sorted[i]!.type;
      if (typeof t !== 'bigint' || t < 0n || t > MAX_U64) throw new EncodeError(`unknown record type ${t} is not a u64`);
      if (!(sorted[i]!.value instanceof Uint8Array)) throw new EncodeError(`unknown record ${t} value must be a Uint8Array`);
      if (byType.has(t)) throw new EncodeError(`unknown record type ${t} is a known type (${byType.get(t)!.name})`);
      if (i > 0 && sorted[i - 1]!.type === t) throw new EncodeError(`unknown record type ${t} given twice`);
    }
    return sorted;
  }

  function write(w: Writer, values: TlvValues<R>): void {
    const v = values as Record<string, unknown>;
    const unknown = sortedUnknown(v);
    let u = 0;
    for (const entry of entries) {
      const value = v[entry.key];
      if (value === undefined) continue;
      while (u < unknown.length && unknown[u]!.type < entry.type) writeUnknown(w, unknown[u++]!);
      w.bigsize(entry.type);
      const start = w.reserve(1);
      try {
        entry.codec.write(w, value);
      } catch (e) {
        rethrowWithin(e, entry.name);
      }
      w.patchBigSizeLength(start);
    }
    while (u < unknown.length) writeUnknown(w, unknown[u++]!);
  }

  return {
    type,
    fixedSize: undefined,
    records,
    read,
    write,
    decode(bytes, name) {
      try {
        return read(new Reader(bytes));
      } catch (e) {
        if (name === undefined) throw e;
        rethrowWithin(e, name);
      }
    },
    encode(values) {
      const w = new Writer(64);
      write(w, values);
      return w.finish();
    },
  };
}
