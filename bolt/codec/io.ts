// Cursor over wire bytes (Reader) and a growable output buffer (Writer). Every bounds check of the
// codecs happens here, so a short read always reports how much was needed and how much was left.
import { DecodeError } from './errors.js';

/**
 * Reads big-endian fields from `buf[pos, end)`. A TLV record or a length-prefixed field narrows
 * `end` while its value is read, so "the rest of the value" codecs (tu64, `...*byte`) stop there.
 */
export class Reader {
  readonly buf: Uint8Array;
  pos: number;
  end: number;
  private readonly view: DataView;

  constructor(buf: Uint8Array, pos = 0, end = buf.length) {
    // A Node Buffer's slice() is a view, not a copy: read through a plain Uint8Array so values never alias.
    this.buf = buf.constructor === Uint8Array ? buf : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = pos;
    this.end = end;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** BOLT 1: a known message with insufficient length for the contents fails. */
  need(n: number): void {
    if (this.end - this.pos < n) {
      throw new DecodeError('short-read', `short read, need ${n} byte${n === 1 ? '' : 's'}, have ${this.end - this.pos}`);
    }
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, false);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, false);
    this.pos += 4;
    return v;
  }

  u64(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.pos, false);
    this.pos += 8;
    return v;
  }

  /** A copy, so a decoded message never aliases the transport's buffer. */
  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  rest(): Uint8Array {
    return this.bytes(this.end - this.pos);
  }

  /** BOLT 1 Appendix A: BigSize, big-endian, and only its minimal form is accepted. */
  bigsize(): bigint {
    const first = this.u8();
    if (first < 0xfd) return BigInt(first);
    if (first === 0xfd) {
      const v = this.u16();
      if (v < 0xfd) throw nonCanonical(v);
      return BigInt(v);
    }
    if (first === 0xfe) {
      const v = this.u32();
      if (v < 0x10000) throw nonCanonical(v);
      return BigInt(v);
    }
    const v = this.u64();
    if (v < 0x100000000n) throw nonCanonical(v);
    return v;
  }
}

function nonCanonical(v: number | bigint): DecodeError {
  return new DecodeError('invalid-value', `bigsize ${v} is not minimally encoded`);
}

/** Appends big-endian fields to a buffer that doubles when full. Values are range-checked by the codecs. */
export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  pos = 0;

  constructor(capacity = 128) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.pos, v, false);
    this.pos += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, v, false);
    this.pos += 4;
  }

  u64(v: bigint): void {
    this.ensure(8);
    this.view.setBigUint64(this.pos, v, false);
    this.pos += 8;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** BOLT 1 Appendix A: the minimal BigSize form of `v` (0 <= v < 2^64). */
  bigsize(v: bigint): void {
    if (v < 0xfdn) this.u8(Number(v));
    else if (v <= 0xffffn) {
      this.u8(0xfd);
      this.u16(Number(v));
    } else if (v <= 0xffffffffn) {
      this.u8(0xfe);
      this.u32(Number(v));
    } else {
      this.u8(0xff);
      this.u64(v);
    }
  }

  /** Reserves `width` bytes for a length written after the value; returns where the value starts. */
  reserve(width: number): number {
    this.ensure(width);
    this.pos += width;
    return this.pos;
  }

  /** Fills a u16 length reserved just before `valueStart`; returns the length. */
  patchU16Length(valueStart: number): number {
    const length = this.pos - valueStart;
    this.view.setUint16(valueStart - 2, length, false);
    return length;
  }

  /**
   * Fills a BigSize length reserved (1 byte) just before `valueStart`, moving the value right when
   * the length needs the 3, 5 or 9 byte form.
   */
  patchBigSizeLength(valueStart: number): void {
    const length = this.pos - valueStart;
    const width = length < 0xfd ? 1 : length <= 0xffff ? 3 : length <= 0xffffffff ? 5 : 9;
    if (width > 1) {
      this.ensure(width - 1);
      this.buf.copyWithin(valueStart + width - 1, valueStart, this.pos);
      this.pos += width - 1;
    }
    const end = this.pos;
    this.pos = valueStart - 1;
    this.bigsize(BigInt(length));
    this.pos = end;
  }

  /**
   * The bytes written so far. The writer is done after this: when little of its buffer is unused the
   * result is a view of that buffer (saving a copy on the hot path), otherwise an exact-size copy.
   */
  finish(): Uint8Array {
    return this.buf.length - this.pos <= 256 ? this.buf.subarray(0, this.pos) : this.buf.slice(0, this.pos);
  }
}
