// Invoice preimages a wiped node derives again (node/daemon/channel-shell/invoice-preimage.ts): only the
// holder of K recognises its payment hashes, and only for the amount the invoice named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256 } from '../bolt/crypto/hash.js';
import { secp } from '../bolt/crypto/secp256k1.js';
import { invoiceKey, invoiceKeyPoint, invoicePreimage, recoverPreimage } from '../node/daemon/channel-shell/invoice-preimage.js';

const nodeKey = sha256(Uint8Array.of(1, 2, 3));
const key = invoiceKey(secp.ecdh(nodeKey, invoiceKeyPoint()));
const secret = sha256(Uint8Array.of(9));

test('the invoice key point is a valid point found by hashing, the same every time', () => {
  const point = invoiceKeyPoint();
  assert.ok(secp.isValidPublicKey(point));
  assert.equal(point.length, 33);
  assert.deepEqual(invoiceKeyPoint(), point);
});

test('an invoice with an amount is recognised for that amount only', () => {
  const preimage = invoicePreimage(key, secret, 5_000_000n);
  const hash = sha256(preimage);
  assert.deepEqual(recoverPreimage(key, hash, secret, 5_000_000n), { preimage, amountMsat: 5_000_000n });
  assert.equal(recoverPreimage(key, hash, secret, 5_000_001n), null, 'another amount does not match');
  assert.equal(recoverPreimage(key, hash, sha256(Uint8Array.of(8)), 5_000_000n), null, 'another payment secret does not match');
  const otherKey = invoiceKey(secp.ecdh(sha256(Uint8Array.of(4)), invoiceKeyPoint()));
  assert.equal(recoverPreimage(otherKey, hash, secret, 5_000_000n), null, 'another node cannot derive it');
});

test('an invoice without an amount is recognised for any amount, and never as one with an amount', () => {
  const preimage = invoicePreimage(key, secret, null);
  const hash = sha256(preimage);
  assert.deepEqual(recoverPreimage(key, hash, secret, 123n), { preimage, amountMsat: null });
  assert.notDeepEqual(invoicePreimage(key, secret, 0n), preimage, 'amount 0 and no amount differ');
});
