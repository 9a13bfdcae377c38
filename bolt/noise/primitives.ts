// The Noise building blocks BOLT 8 names: HKDF, encryptWithAD and decryptWithAD.
// BOLT 8 §Handshake State: ChaCha20-Poly1305 (RFC 8439, IETF variant) on Node's OpenSSL,
// HKDF (RFC 5869) over HMAC-SHA256 with an empty `info`.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { hmacSha256 } from '../crypto/hash.js';

/** Poly1305 tag length. */
export const MAC_LENGTH = 16;
const EMPTY = new Uint8Array(0);

/**
 * BOLT 8 §Handshake State: `HKDF(salt, ikm)` returns 64 bytes, split here into the two
 * 32-byte keys every caller uses (`ck, temp_k`, `sk, rk`, `ck', k'`).
 * RFC 5869: PRK = HMAC(salt, ikm); T1 = HMAC(PRK, 0x01); T2 = HMAC(PRK, T1 || 0x02).
 */
export function hkdf(salt: Uint8Array, ikm: Uint8Array): [Uint8Array, Uint8Array] {
  const prk = hmacSha256(salt, ikm);
  const t1 = hmacSha256(prk, Uint8Array.of(1));
  const t1Counter = new Uint8Array(33);
  t1Counter.set(t1);
  t1Counter[32] = 2;
  return [t1, hmacSha256(prk, t1Counter)];
}

/**
 * BOLT 8 §Handshake State: the 96-bit nonce is 32 zero bits then the 64-bit counter,
 * little-endian (the Noise convention). Writes into `out` so callers can reuse it.
 */
export function writeNonce(counter: number, out: Uint8Array): Uint8Array {
  if (!Number.isSafeInteger(counter) || counter < 0) throw new RangeError(`nonce: ${counter} is not a counter`);
  if (out.length !== 12) throw new RangeError(`nonce: buffer must be 12 bytes, got ${out.length}`);
  const view = new DataView(out.buffer, out.byteOffset, 12);
  view.setUint32(0, 0, true);
  view.setUint32(4, counter % 0x1_0000_0000, true); // low 32 bits (no BigInt on the hot path)
  view.setUint32(8, Math.floor(counter / 0x1_0000_0000), true);
  return out;
}

/**
 * ChaCha20-Poly1305 seal with a prepared 12-byte nonce: writes ciphertext || MAC
 * (plaintext.length + 16 bytes) into `out` at `offset`.
 */
export function sealInto(
  key: Uint8Array,
  nonce: Uint8Array,
  ad: Uint8Array,
  plaintext: Uint8Array,
  out: Uint8Array,
  offset: number,
): void {
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: MAC_LENGTH });
  if (ad.length > 0) cipher.setAAD(ad, { plaintextLength: plaintext.length });
  const ciphertext = cipher.update(plaintext);
  cipher.final();
  out.set(ciphertext, offset);
  out.set(cipher.getAuthTag(), offset + plaintext.length);
}

/** ChaCha20-Poly1305 open with a prepared nonce: the plaintext, or null when the MAC does not check. */
export function open(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, sealed: Uint8Array): Uint8Array | null {
  if (sealed.length < MAC_LENGTH) return null;
  const split = sealed.length - MAC_LENGTH;
  const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: MAC_LENGTH });
  if (ad.length > 0) decipher.setAAD(ad, { plaintextLength: split });
  decipher.setAuthTag(sealed.subarray(split));
  const plaintext = decipher.update(sealed.subarray(0, split));
  try {
    decipher.final(); // throws when the tag does not match; the plaintext is then discarded
  } catch {
    return null;
  }
  return ownedBytes(plaintext);
}

/** BOLT 8 `encryptWithAD(k, n, ad, plaintext)`: ciphertext || 16-byte MAC. */
export function encryptWithAd(key: Uint8Array, counter: number, ad: Uint8Array, plaintext: Uint8Array = EMPTY): Uint8Array {
  const out = new Uint8Array(plaintext.length + MAC_LENGTH);
  sealInto(key, writeNonce(counter, new Uint8Array(12)), ad, plaintext, out, 0);
  return out;
}

/** BOLT 8 `decryptWithAD(k, n, ad, ciphertext)`: the plaintext, or null on a bad MAC. */
export function decryptWithAd(key: Uint8Array, counter: number, ad: Uint8Array, sealed: Uint8Array): Uint8Array | null {
  return open(key, writeNonce(counter, new Uint8Array(12)), ad, sealed);
}

/** A plain Uint8Array over a Buffer's bytes: a view when the Buffer owns its memory, else a copy
 * (Buffers carved from Node's shared pool must not be handed out as views). */
function ownedBytes(buf: Buffer): Uint8Array {
  if (buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength) {
    return new Uint8Array(buf.buffer, 0, buf.byteLength);
  }
  return new Uint8Array(buf);
}
