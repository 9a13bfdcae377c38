// Reassembles BOLT 8 frames from TCP chunks of any size. TCP delivers a byte stream: one chunk may
// hold half a length header, or three frames and the start of a fourth. No I/O here; the connection
// pushes chunks in and pulls whole messages out.
import { bodyLength, LENGTH_HEADER_LENGTH, type MessageDecryptor } from '../../bolt/noise/index.js';

/** A FIFO of received chunks that hands out exact byte counts without re-concatenating everything. */
export class ByteQueue {
  #chunks: Uint8Array[] = [];
  #head = 0; // offset into #chunks[0]
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /** Removes and returns the next `n` bytes as a fresh array (the caller may keep it). */
  take(n: number): Uint8Array {
    if (!Number.isInteger(n) || n < 0 || n > this.#length) {
      throw new RangeError(`ByteQueue.take: asked for ${n} bytes, ${this.#length} buffered`);
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const first = this.#chunks[0]!;
      const available = first.length - this.#head;
      const count = Math.min(available, n - filled);
      out.set(first.subarray(this.#head, this.#head + count), filled);
      filled += count;
      this.#head += count;
      if (this.#head === first.length) {
        this.#chunks.shift();
        this.#head = 0;
      }
    }
    this.#length -= n;
    return out;
  }

  clear(): void {
    this.#chunks = [];
    this.#head = 0;
    this.#length = 0;
  }
}

/** Where the reader stands within the current frame. */
export interface FrameProgress {
  /** 'header': waiting for the 18-byte encrypted length; 'body': the length is known, waiting for the body. */
  readonly phase: 'header' | 'body';
  /** Bytes of the current part still missing. */
  readonly missing: number;
  /** The announced message length while in 'body'. */
  readonly messageLength: number | null;
}

/**
 * BOLT 8 §Receiving and Decrypting Messages over a byte stream. `next()` returns the next whole
 * message, or null when more bytes are needed; it throws TransportError on a bad MAC (the
 * decryptor then refuses everything, and the connection must be dropped).
 */
export class FrameReader {
  readonly #decryptor: MessageDecryptor;
  readonly #queue: ByteQueue;
  #messageLength: number | null = null; // set once the header of the current frame is decrypted

  constructor(decryptor: MessageDecryptor, queue: ByteQueue = new ByteQueue()) {
    this.#decryptor = decryptor;
    this.#queue = queue;
  }

  push(chunk: Uint8Array): void {
    this.#queue.push(chunk);
  }

  /** Bytes received that do not yet form a whole message (0 between frames). */
  get bufferedBytes(): number {
    return this.#queue.length;
  }

  /** True when part of a frame has arrived but not all of it. */
  get midFrame(): boolean {
    return this.#messageLength !== null || this.#queue.length > 0;
  }

  get progress(): FrameProgress {
    if (this.#messageLength === null) {
      return { phase: 'header', missing: Math.max(0, LENGTH_HEADER_LENGTH - this.#queue.length), messageLength: null };
    }
    const need = bodyLength(this.#messageLength);
    return { phase: 'body', missing: Math.max(0, need - this.#queue.length), messageLength: this.#messageLength };
  }

  next(): Uint8Array | null {
    if (this.#messageLength === null) {
      if (this.#queue.length < LENGTH_HEADER_LENGTH) return null;
      this.#messageLength = this.#decryptor.decryptLength(this.#queue.take(LENGTH_HEADER_LENGTH)); // steps 1-3
    }
    const need = bodyLength(this.#messageLength);
    if (this.#queue.length < need) return null;
    const message = this.#decryptor.decryptBody(this.#queue.take(need)); // steps 4-5
    this.#messageLength = null;
    return message;
  }
}
