// BOLT 8 §Lightning Message Specification: the transport phase after the handshake.
// Each frame is  encrypt(2-byte big-endian length) || MAC  then  encrypt(message) || MAC,
// each direction has its own key, nonce and chaining key, and a key rotates every 1000 uses.
//
// These objects are mutable on purpose: they sit on the per-message hot path and one
// belongs to exactly one connection direction. They do no I/O and hold no node key.
import { hkdf, MAC_LENGTH, open, sealInto, writeNonce } from './primitives.js';

/** BOLT 8: "The maximum size of any Lightning message MUST NOT exceed 65535 bytes." */
export const MAX_MESSAGE_LENGTH = 65535;
/** Encrypted length prefix: 2 bytes + 16-byte MAC. */
export const LENGTH_HEADER_LENGTH = 2 + MAC_LENGTH;
/** BOLT 8 §Lightning Message Key Rotation: rotate "once the nonce dedicated to it reaches 1000". */
export const KEY_ROTATION_INTERVAL = 1000;

const NO_AD = new Uint8Array(0);

/** A transport encryption or decryption failure; the connection must be closed. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
}

/** The keys a completed handshake hands to the transport (BOLT 8 §Act Three: sk, rk, sck = rck = ck). */
export interface TransportKeys {
  readonly sendingKey: Uint8Array;
  readonly receivingKey: Uint8Array;
  readonly chainingKey: Uint8Array;
}

/**
 * One direction's key `k`, nonce `n` and chaining key `ck`. Every seal/open uses the
 * current nonce, then advances it; at 1000 the key rotates: `ck', k' = HKDF(ck, k)`, n = 0.
 */
export class CipherState {
  #key: Uint8Array;
  #chainingKey: Uint8Array;
  #nonce = 0;
  readonly #nonceBytes = new Uint8Array(12); // rewritten before every use

  constructor(key: Uint8Array, chainingKey: Uint8Array) {
    if (key.length !== 32) throw new RangeError(`cipher key: expected 32 bytes, got ${key.length}`);
    if (chainingKey.length !== 32) throw new RangeError(`chaining key: expected 32 bytes, got ${chainingKey.length}`);
    this.#key = Uint8Array.from(key);
    this.#chainingKey = Uint8Array.from(chainingKey);
  }

  /** The nonce the next operation will use (0..999). */
  get nonce(): number {
    return this.#nonce;
  }

  /** Seals `plaintext` (empty AD) into `out` at `offset` as ciphertext || MAC, then advances the nonce. */
  sealInto(plaintext: Uint8Array, out: Uint8Array, offset: number): void {
    sealInto(this.#key, writeNonce(this.#nonce, this.#nonceBytes), NO_AD, plaintext, out, offset);
    this.#advance();
  }

  /** Opens ciphertext || MAC (empty AD); null on a bad MAC. The nonce advances either way. */
  open(sealed: Uint8Array): Uint8Array | null {
    const plaintext = open(this.#key, writeNonce(this.#nonce, this.#nonceBytes), NO_AD, sealed);
    this.#advance();
    return plaintext;
  }

  // BOLT 8 §Lightning Message Key Rotation, steps 1-5.
  #advance(): void {
    this.#nonce += 1;
    if (this.#nonce < KEY_ROTATION_INTERVAL) return;
    const [chainingKey, key] = hkdf(this.#chainingKey, this.#key);
    this.#chainingKey = chainingKey;
    this.#key = key;
    this.#nonce = 0;
  }
}

/** Sending side: BOLT 8 §Encrypting and Sending Messages. */
export class MessageEncryptor {
  readonly #cipher: CipherState;
  readonly #lengthBytes = new Uint8Array(2);

  constructor(sendingKey: Uint8Array, chainingKey: Uint8Array) {
    this.#cipher = new CipherState(sendingKey, chainingKey);
  }

  /** One wire frame, `lc || c`: 18-byte encrypted length, then the encrypted message and its MAC. */
  encrypt(message: Uint8Array): Uint8Array {
    const length = message.length;
    if (length > MAX_MESSAGE_LENGTH) {
      throw new TransportError(`message of ${length} bytes exceeds the ${MAX_MESSAGE_LENGTH}-byte limit of BOLT 8`);
    }
    const frame = new Uint8Array(LENGTH_HEADER_LENGTH + length + MAC_LENGTH);
    this.#lengthBytes[0] = length >>> 8; // steps 1-2: l as 2 bytes big-endian
    this.#lengthBytes[1] = length & 0xff;
    this.#cipher.sealInto(this.#lengthBytes, frame, 0); // step 3: lc, sn += 1
    this.#cipher.sealInto(message, frame, LENGTH_HEADER_LENGTH); // step 4: c, sn += 1
    return frame;
  }
}

/**
 * Receiving side: BOLT 8 §Receiving and Decrypting Messages. Call `decryptLength` on the
 * first 18 bytes of a frame, read `bodyLength(length)` more bytes, pass them to `decryptBody`.
 * After any failure every later call throws: the connection must be dropped.
 */
export class MessageDecryptor {
  readonly #cipher: CipherState;
  #pendingLength: number | null = null;
  #failure: string | null = null;

  constructor(receivingKey: Uint8Array, chainingKey: Uint8Array) {
    this.#cipher = new CipherState(receivingKey, chainingKey);
  }

  /** Steps 1-3: checks the header's MAC and returns the message length `l` (body is l + 16 bytes). */
  decryptLength(header: Uint8Array): number {
    this.#checkUsable();
    if (this.#pendingLength !== null) {
      throw this.#fail(`decryptLength: the body of the previous frame (${this.#pendingLength} bytes) was not decrypted yet`);
    }
    if (header.length !== LENGTH_HEADER_LENGTH) {
      throw this.#fail(`length header: expected ${LENGTH_HEADER_LENGTH} bytes, got ${header.length}`);
    }
    const nonce = this.#cipher.nonce;
    const plain = this.#cipher.open(header);
    if (plain === null) throw this.#fail(`length header: bad MAC (nonce ${nonce})`);
    const length = (plain[0]! << 8) | plain[1]!;
    this.#pendingLength = length;
    return length;
  }

  /** Steps 4-5: `body` is the encrypted message and its MAC; returns the message. */
  decryptBody(body: Uint8Array): Uint8Array {
    this.#checkUsable();
    const length = this.#pendingLength;
    if (length === null) throw this.#fail('decryptBody: no length header was decrypted for this frame');
    if (body.length !== bodyLength(length)) {
      throw this.#fail(`message body: expected ${length} + ${MAC_LENGTH} bytes, got ${body.length}`);
    }
    const nonce = this.#cipher.nonce;
    const message = this.#cipher.open(body);
    if (message === null) throw this.#fail(`message body: bad MAC (${length} bytes, nonce ${nonce})`);
    this.#pendingLength = null;
    return message;
  }

  #checkUsable(): void {
    if (this.#failure !== null) throw new TransportError(`transport already failed (${this.#failure}); close the connection`);
  }

  #fail(reason: string): TransportError {
    this.#failure = reason;
    return new TransportError(reason);
  }
}

/** Bytes to read after a length header announcing a `length`-byte message. */
export function bodyLength(length: number): number {
  return length + MAC_LENGTH;
}

/** Both directions of a connection from the handshake's keys (BOLT 8 §Act Three steps 6-8). */
export function createTransport(keys: TransportKeys): { encryptor: MessageEncryptor; decryptor: MessageDecryptor } {
  return {
    encryptor: new MessageEncryptor(keys.sendingKey, keys.chainingKey),
    decryptor: new MessageDecryptor(keys.receivingKey, keys.chainingKey),
  };
}
