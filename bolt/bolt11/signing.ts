// BOLT 11 §Data Part: the signature is over SHA256(hrp as UTF-8 || data words packed to bytes, zero-padded).
import { bigintFromBytesBE, concat } from '../bytes.js';
import { sha256 } from '../crypto/hash.js';
import { wordsToBytesPadded } from './words.js';

/** 64-byte r||s plus 1-byte recovery id, as 5-bit words: 520 bits. */
export const SIGNATURE_WORDS = 104;
/** 35-bit timestamp. */
export const TIMESTAMP_WORDS = 7;

/** The digest the payee signs; `dataWords` is timestamp and tagged fields, without the signature. */
export function invoiceDigest(hrp: string, dataWords: readonly number[]): Uint8Array {
  return sha256(concat(new TextEncoder().encode(hrp), wordsToBytesPadded(dataWords)));
}

// secp256k1 group order / 2: s above it is "high-S" (BIP 62, bitcoin/bitcoin#6769).
const HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

export function isHighS(signature: Uint8Array): boolean {
  return bigintFromBytesBE(signature.subarray(32, 64)) > HALF_ORDER;
}
