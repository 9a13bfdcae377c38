// BOLT 1 §Fundamental Types as codecs: each one reads, writes and range-checks a single wire type.
// A Codec is a plain object made once at load; decoding allocates only the values it returns.
import { hex } from '../bytes.js';
import { secp } from '../crypto/secp256k1.js';
import { DecodeError, EncodeError } from './errors.js';
import { Reader, Writer } from './io.js';
import type { ShortChannelId } from './short-channel-id.js';

export interface Codec<T> {
  /** The spec's name for the wire type, e.g. `u64`, `point`, `32*byte`. */
  readonly type: string;
  /** Encoded size when it never varies, else undefined (used to size buffers). */
  readonly fixedSize: number | undefined;
  read(r: Reader): T;
  write(w: Writer, value: T): void;
}

/** The value type a codec reads and writes. */
export type CodecValue<C> = C extends Codec<infer T> ? T : never;

/** Reads a whole buffer with `codec`; every byte must be consumed. */
export function decodeWith<T>(codec: Codec<T>, bytes: Uint8Array): T {
  const r = new Reader(bytes);
  const value = codec.read(r);
  if (r.remaining !== 0) throw new DecodeError('invalid-value', `${r.remaining} trailing byte(s) after ${codec.type}`);
  return value;
}

export function encodeWith<T>(codec: Codec<T>, value: T): Uint8Array {
  const w = new Writer(codec.fixedSize ?? 64);
  codec.write(w, value);
  return w.finish();
}

// ---- unsigned integers: byte, u16, u32 are numbers; u64 is a bigint ----

function uintCheck(type: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new EncodeError(`${type} out of range: ${v}`);
}

function u64Check(type: string, v: bigint): void {
  if (typeof v !== 'bigint' || v < 0n || v > 0xffffffffffffffffn) throw new EncodeError(`${type} out of range: ${v}`);
}

export const u8: Codec<number> = {
  type: 'byte',
  fixedSize: 1,
  read: (r) => r.u8(),
  write(w, v) {
    uintCheck('byte', v, 0xff);
    w.u8(v);
  },
};
/** BOLT 1 calls it `byte`. */
export const byte = u8;

export const u16: Codec<number> = {
  type: 'u16',
  fixedSize: 2,
  read: (r) => r.u16(),
  write(w, v) {
    uintCheck('u16', v, 0xffff);
    w.u16(v);
  },
};

export const u32: Codec<number> = {
  type: 'u32',
  fixedSize: 4,
  read: (r) => r.u32(),
  write(w, v) {
    uintCheck('u32', v, 0xffffffff);
    w.u32(v);
  },
};

export const u64: Codec<bigint> = {
  type: 'u64',
  fixedSize: 8,
  read: (r) => r.u64(),
  write(w, v) {
    u64Check('u64', v);
    w.u64(v);
  },
};

// ---- signed integers: big-endian two's complement (BOLT 1 Appendix D) ----

function intCheck(type: string, v: number, bits: number): void {
  const limit = 2 ** (bits - 1);
  if (!Number.isInteger(v) || v < -limit || v >= limit) throw new EncodeError(`${type} out of range: ${v}`);
}

export const s8: Codec<number> = {
  type: 's8',
  fixedSize: 1,
  read: (r) => (r.u8() << 24) >> 24,
  write(w, v) {
    intCheck('s8', v, 8);
    w.u8(v & 0xff);
  },
};

export const s16: Codec<number> = {
  type: 's16',
  fixedSize: 2,
  read: (r) => (r.u16() << 16) >> 16,
  write(w, v) {
    intCheck('s16', v, 16);
    w.u16(v & 0xffff);
  },
};

export const s32: Codec<number> = {
  type: 's32',
  fixedSize: 4,
  read: (r) => r.u32() | 0,
  write(w, v) {
    intCheck('s32', v, 32);
    w.u32(v >>> 0);
  },
};

export const s64: Codec<bigint> = {
  type: 's64',
  fixedSize: 8,
  read: (r) => BigInt.asIntN(64, r.u64()),
  write(w, v) {
    if (typeof v !== 'bigint' || v < -(1n << 63n) || v >= 1n << 63n) throw new EncodeError(`s64 out of range: ${v}`);
    w.u64(BigInt.asUintN(64, v));
  },
};

// ---- truncated integers: the last field of a TLV value, leading zeros omitted (BOLT 1) ----

/** Reads the rest of the current TLV value as a minimal big-endian integer of at most `width` bytes. */
function readTruncated(r: Reader, type: string, width: number): bigint {
  const n = r.remaining;
  if (n > width) throw new DecodeError('invalid-value', `${type} is ${n} bytes, at most ${width} allowed`);
  if (n > 0 && r.buf[r.pos] === 0) throw new DecodeError('invalid-value', `${type} is not minimal: leading zero byte`);
  let v = 0n;
  for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(r.buf[r.pos + i]!);
  r.pos += n;
  return v;
}

function writeTruncated(w: Writer, v: bigint): void {
  let n = 0;
  for (let x = v; x > 0n; x >>= 8n) n++;
  for (let i = n - 1; i >= 0; i--) w.u8(Number((v >> BigInt(8 * i)) & 0xffn));
}

export const tu16: Codec<number> = {
  type: 'tu16',
  fixedSize: undefined,
  read: (r) => Number(readTruncated(r, 'tu16', 2)),
  write(w, v) {
    uintCheck('tu16', v, 0xffff);
    writeTruncated(w, BigInt(v));
  },
};

export const tu32: Codec<number> = {
  type: 'tu32',
  fixedSize: undefined,
  read: (r) => Number(readTruncated(r, 'tu32', 4)),
  write(w, v) {
    uintCheck('tu32', v, 0xffffffff);
    writeTruncated(w, BigInt(v));
  },
};

export const tu64: Codec<bigint> = {
  type: 'tu64',
  fixedSize: undefined,
  read: (r) => readTruncated(r, 'tu64', 8),
  write(w, v) {
    u64Check('tu64', v);
    writeTruncated(w, v);
  },
};

/** BOLT 1 Appendix A: BigSize, minimally encoded both ways. */
export const bigsize: Codec<bigint> = {
  type: 'bigsize',
  fixedSize: undefined,
  read: (r) => r.bigsize(),
  write(w, v) {
    u64Check('bigsize', v);
    w.bigsize(v);
  },
};

// ---- byte strings ----

function checkLength(type: string, v: Uint8Array, n: number): void {
  if (!(v instanceof Uint8Array)) throw new EncodeError(`${type} must be a Uint8Array`);
  if (v.length !== n) throw new EncodeError(`${type} must be ${n} bytes, got ${v.length}`);
}

/** `n*byte`: exactly n bytes. */
export function bytes(n: number, type = `${n}*byte`): Codec<Uint8Array> {
  return {
    type,
    fixedSize: n,
    read: (r) => r.bytes(n),
    write(w, v) {
      checkLength(type, v, n);
      w.bytes(v);
    },
  };
}

export const chainHash = bytes(32, 'chain_hash');
export const channelId = bytes(32, 'channel_id');
export const sha256 = bytes(32, 'sha256');
/** 64-byte compact ECDSA signature (r || s); checked by whoever verifies it, not here. */
export const signature = bytes(64, 'signature');
export const bip340sig = bytes(64, 'bip340sig');

/** `...*byte`: every byte left in the enclosing TLV value (or length-prefixed field). */
export const bytesRest: Codec<Uint8Array> = {
  type: '...*byte',
  fixedSize: undefined,
  read: (r) => r.rest(),
  write(w, v) {
    if (!(v instanceof Uint8Array)) throw new EncodeError('...*byte must be a Uint8Array');
    w.bytes(v);
  },
};

/** `[u16:len][len*byte:data]`: the spec's length field and the bytes it counts, as one value. */
export const varBytes: Codec<Uint8Array> = {
  type: 'u16,len*byte',
  fixedSize: undefined,
  read: (r) => r.bytes(r.u16()),
  write(w, v) {
    if (!(v instanceof Uint8Array)) throw new EncodeError('len*byte must be a Uint8Array');
    if (v.length > 0xffff) throw new EncodeError(`${v.length} bytes do not fit a u16 length`);
    w.u16(v.length);
    w.bytes(v);
  },
};

/** 33-byte compressed secp256k1 point; decoding rejects anything that is not on the curve. */
export const point: Codec<Uint8Array> = {
  type: 'point',
  fixedSize: 33,
  read(r) {
    const p = r.bytes(33);
    if (!secp.isValidPublicKey(p)) throw new DecodeError('invalid-value', `not a valid secp256k1 point: ${hex(p)}`);
    return p;
  },
  write(w, v) {
    checkLength('point', v, 33);
    if (v[0] !== 2 && v[0] !== 3) throw new EncodeError(`point must be compressed (02/03 prefix), got ${hex(v.subarray(0, 1))}`);
    w.bytes(v);
  },
};

/** BOLT 7 §Definition of short_channel_id, as a u64. */
export const shortChannelId: Codec<ShortChannelId> = {
  type: 'short_channel_id',
  fixedSize: 8,
  read: (r) => r.u64(),
  write(w, v) {
    u64Check('short_channel_id', v);
    w.u64(v);
  },
};

/** BOLT 1 `sciddir_or_pubkey`: a channel end (0/1 + short_channel_id) or a node id (point). */
export type SciddirOrPubkey =
  | { readonly direction: 0 | 1; readonly shortChannelId: ShortChannelId }
  | { readonly nodeId: Uint8Array };

export const sciddirOrPubkey: Codec<SciddirOrPubkey> = {
  type: 'sciddir_or_pubkey',
  fixedSize: undefined,
  read(r) {
    r.need(1);
    const first = r.buf[r.pos]!;
    if (first === 0 || first === 1) {
      r.pos++;
      return { direction: first, shortChannelId: r.u64() };
    }
    if (first === 2 || first === 3) return { nodeId: point.read(r) };
    throw new DecodeError('invalid-value', `sciddir_or_pubkey cannot start with byte ${first}`);
  },
  write(w, v) {
    if ('nodeId' in v) return point.write(w, v.nodeId);
    if (v.direction !== 0 && v.direction !== 1) throw new EncodeError(`sciddir_or_pubkey direction must be 0 or 1, got ${v.direction}`);
    w.u8(v.direction);
    shortChannelId.write(w, v.shortChannelId);
  },
};

/** A TLV record with no data: present or absent (e.g. `require_confirmed_inputs`). */
export const present: Codec<true> = {
  type: 'empty',
  fixedSize: 0,
  read: () => true,
  write(_w, v) {
    if (v !== true) throw new EncodeError(`an empty record is written as true, got ${String(v)}`);
  },
};
