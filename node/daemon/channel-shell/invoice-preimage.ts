// Invoice preimages the node can derive again after its store is wiped (DESIGN: the node is a cache).
// preimage = HMAC-SHA256(K, payment_secret || amount), where K comes from the signer's Ecdh of the
// node key with a point nobody knows the discrete logarithm of (found by hashing to the curve), so K
// is known to the node and the signer only. The payment secret travels in the payer's onion (BOLT 4
// payment_data), the amount is the invoice's (0 for an invoice without one): the payee recognises its
// own invoice from the HTLC alone, and a payment of another amount does not match. Learnt from LDK's
// stateless inbound payments; our own construction.
import { concat, equal, u64be } from '../../../bolt/bytes.js';
import { hmacSha256, sha256 } from '../../../bolt/crypto/hash.js';
import { secp } from '../../../bolt/crypto/secp256k1.js';

const TAG = new TextEncoder().encode('vigil/invoice-preimage/v1');

/** Try-and-increment: the first x = SHA256(tag || i) that is on the curve, as an even-y point. */
export function invoiceKeyPoint(): Uint8Array {
  for (let i = 0; i < 256; i++) {
    const candidate = concat(Uint8Array.of(0x02), sha256(concat(TAG, Uint8Array.of(i))));
    if (secp.isValidPublicKey(candidate)) return candidate;
  }
  throw new Error('invoice key point: no candidate on the curve');
}

/** K from the Ecdh result with invoiceKeyPoint(). */
export function invoiceKey(sharedSecret: Uint8Array): Uint8Array {
  return hmacSha256(sharedSecret, TAG);
}

/** The preimage of an invoice with this payment secret and amount (null: the payer chooses). */
export function invoicePreimage(key: Uint8Array, paymentSecret: Uint8Array, amountMsat: bigint | null): Uint8Array {
  return hmacSha256(key, concat(paymentSecret, u64be(amountMsat ?? 0n), Uint8Array.of(amountMsat === null ? 0 : 1)));
}

/**
 * For an HTLC whose invoice the store does not know: the preimage if `paymentHash` is one of ours for
 * this payment secret, paid in full (`totalMsat` is the invoice's amount) or to an invoice without amount.
 */
export function recoverPreimage(key: Uint8Array, paymentHash: Uint8Array, paymentSecret: Uint8Array, totalMsat: bigint): { preimage: Uint8Array; amountMsat: bigint | null } | null {
  for (const amountMsat of [totalMsat, null]) {
    const preimage = invoicePreimage(key, paymentSecret, amountMsat);
    if (equal(sha256(preimage), paymentHash)) return { preimage, amountMsat };
  }
  return null;
}

