// Strict readers for request objects in the shape @grpc/proto-loader produces with
// { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true }:
// snake_case keys, uint64 as decimal strings, bytes as Buffer, enums by name, unset messages as null.
// Each reader names the field path in its error ("commitment.htlcs[2].payment_hash: expected 32 bytes,
// got 31"), so a malformed request is refused as INVALID_ARGUMENT and never reaches the signing code.
import { secp } from '../../bolt/crypto/secp256k1.js';
import { invalidArgument } from '../errors.js';

export type Fields = Readonly<Record<string, unknown>>;

export const MAX_U32 = 0xffffffff;
export const MAX_U64 = (1n << 64n) - 1n;
/** BOLT 3: commitment numbers are 48 bits. */
export const MAX_COMMITMENT_NUMBER = 2 ** 48 - 1;
/** 21 million BTC in satoshi. */
export const MAX_MONEY_SAT = 21_000_000n * 100_000_000n;

function join(path: string, field: string): string {
  return path === '' ? field : `${path}.${field}`;
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return v.length > 40 ? `a ${v.length}-character string` : JSON.stringify(v);
  return typeof v;
}

/** The request itself: a plain object. */
export function requestObject(request: unknown): Fields {
  if (request === null || typeof request !== 'object' || Array.isArray(request) || request instanceof Uint8Array) {
    throw invalidArgument('request', `expected a message object, got ${describe(request)}`);
  }
  return request as Fields;
}

/** A nested message that must be set. */
export function message(obj: Fields, field: string, path = ''): Fields {
  const v = obj[field];
  if (v === null || v === undefined) throw invalidArgument(join(path, field), 'is required');
  if (typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) throw invalidArgument(join(path, field), `expected a message, got ${describe(v)}`);
  return v as Fields;
}

/** A nested message that may be unset (null). */
export function optionalMessage(obj: Fields, field: string, path = ''): Fields | null {
  const v = obj[field];
  if (v === null || v === undefined) return null;
  return message(obj, field, path);
}

/** Bytes of an exact length, or within [min, max]. A copy, so later changes by the caller do not matter. */
export function bytes(obj: Fields, field: string, path: string, length: number | { min: number; max: number }): Uint8Array {
  const v = obj[field] ?? new Uint8Array(0);
  const name = join(path, field);
  if (!(v instanceof Uint8Array)) throw invalidArgument(name, `expected bytes, got ${describe(v)}`);
  if (typeof length === 'number') {
    if (v.length !== length) throw invalidArgument(name, `expected ${length} bytes, got ${v.length}`);
  } else if (v.length < length.min || v.length > length.max) {
    throw invalidArgument(name, `expected ${length.min} to ${length.max} bytes, got ${v.length}`);
  }
  return Uint8Array.from(v);
}

/** A 33-byte compressed secp256k1 point on the curve. */
export function point(obj: Fields, field: string, path = ''): Uint8Array {
  const p = bytes(obj, field, path, 33);
  if ((p[0] !== 0x02 && p[0] !== 0x03) || !secp.isValidPublicKey(p)) throw invalidArgument(join(path, field), 'is not a compressed point on secp256k1');
  return p;
}

/** A uint64 (decimal string from proto-loader; a safe number or bigint is accepted too) within [min, max]. */
export function u64(obj: Fields, field: string, path = '', range: { min?: bigint; max?: bigint } = {}): bigint {
  const v = obj[field] ?? '0';
  const name = join(path, field);
  let n: bigint;
  if (typeof v === 'string') {
    if (!/^(0|[1-9][0-9]{0,19})$/.test(v)) throw invalidArgument(name, `expected a decimal uint64, got ${describe(v)}`);
    n = BigInt(v);
  } else if (typeof v === 'bigint') n = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) n = BigInt(v);
  else throw invalidArgument(name, `expected a uint64, got ${describe(v)}`);
  const min = range.min ?? 0n;
  const max = range.max ?? MAX_U64;
  if (n < min || n > max) throw invalidArgument(name, `${n} is outside ${min}..${max}`);
  return n;
}

/** A uint32 (a JS number from proto-loader) within [min, max]. */
export function u32(obj: Fields, field: string, path = '', range: { min?: number; max?: number } = {}): number {
  const v = obj[field] ?? 0;
  const name = join(path, field);
  if (typeof v !== 'number' || !Number.isInteger(v)) throw invalidArgument(name, `expected a uint32, got ${describe(v)}`);
  const min = range.min ?? 0;
  const max = range.max ?? MAX_U32;
  if (v < min || v > max) throw invalidArgument(name, `${v} is outside ${min}..${max}`);
  return v;
}

export function bool(obj: Fields, field: string, path = ''): boolean {
  const v = obj[field] ?? false;
  if (typeof v !== 'boolean') throw invalidArgument(join(path, field), `expected true or false, got ${describe(v)}`);
  return v;
}

export function text(obj: Fields, field: string, path: string, maxLength: number): string {
  const v = obj[field] ?? '';
  const name = join(path, field);
  if (typeof v !== 'string') throw invalidArgument(name, `expected text, got ${describe(v)}`);
  if (v.length > maxLength) throw invalidArgument(name, `${v.length} characters, at most ${maxLength}`);
  return v;
}

/** An enum by name (or by number); `values` maps accepted names to what the caller wants. UNSPECIFIED is refused. */
export function enumValue<T>(obj: Fields, field: string, path: string, values: Readonly<Record<string, T>>, numbers: Readonly<Record<number, string>>): T {
  const raw = obj[field];
  const name = typeof raw === 'number' ? numbers[raw] : raw;
  const key = join(path, field);
  if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(values, name)) {
    throw invalidArgument(key, `expected one of ${Object.keys(values).join(', ')}, got ${describe(raw)}`);
  }
  return values[name]!;
}

/** A repeated field: a list of at most `max` items. */
export function list(obj: Fields, field: string, path: string, max: number): readonly unknown[] {
  const v = obj[field] ?? [];
  const name = join(path, field);
  if (!Array.isArray(v)) throw invalidArgument(name, `expected a list, got ${describe(v)}`);
  if (v.length > max) throw invalidArgument(name, `${v.length} items, at most ${max}`);
  return v;
}

/** Item `i` of a repeated message field. */
export function itemMessage(items: readonly unknown[], i: number, name: string): Fields {
  const v = items[i];
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) throw invalidArgument(`${name}[${i}]`, `expected a message, got ${describe(v)}`);
  return v as Fields;
}

/** Item `i` of a repeated bytes field, of an exact length. */
export function itemBytes(items: readonly unknown[], i: number, name: string, length: number): Uint8Array {
  const v = items[i];
  if (!(v instanceof Uint8Array)) throw invalidArgument(`${name}[${i}]`, `expected bytes, got ${describe(v)}`);
  if (v.length !== length) throw invalidArgument(`${name}[${i}]`, `expected ${length} bytes, got ${v.length}`);
  return Uint8Array.from(v);
}

/** Item `i` of a repeated uint64 field. */
export function itemU64(items: readonly unknown[], i: number, name: string, max: bigint = MAX_U64): bigint {
  const key = `${name}[${i}]`;
  return u64({ [key]: items[i] }, key, '', { max });
}

/** A commitment number (uint64 on the wire, 48 bits in BOLT 3) as a number. */
export function commitmentNumber(obj: Fields, field: string, path = ''): number {
  return Number(u64(obj, field, path, { max: BigInt(MAX_COMMITMENT_NUMBER) }));
}

/** `channel.channel_id` of a ChannelRef field: 32 bytes. */
export function channelRef(obj: Fields, field = 'channel'): Uint8Array {
  return bytes(message(obj, field), 'channel_id', field, 32);
}

/** A proto OutPoint: txid (32 bytes, internal order) and vout. */
export function outPoint(obj: Fields, field: string, path = ''): { txid: Uint8Array; vout: number } {
  const m = message(obj, field, path);
  const p = join(path, field);
  return { txid: bytes(m, 'txid', p, 32), vout: u32(m, 'vout', p) };
}

/** Bytes as a response carries them (proto-loader serializes Buffer and Uint8Array alike). */
export function out(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
