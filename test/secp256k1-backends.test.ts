// Both secp256k1 backends must give byte-identical answers: same keys, same RFC 6979
// signatures, same ECDH, same tweaks. The BOLT vector suites then run on each (see bolt-on-noble).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { nativeBackend, nobleBackend, secp } from '../bolt/crypto/secp256k1.js';
import { sha256 } from '../bolt/crypto/hash.js';
import { hex } from '../bolt/bytes.js';
import { compactToDer, derToCompact } from '../bolt/crypto/der.js';

test('the native libsecp256k1 binding loads on this machine', () => {
  assert.ok(nativeBackend, 'secp256k1/bindings did not load: the native build failed');
  assert.equal(secp.name, process.env['VIGIL_SECP256K1'] === 'noble' ? 'noble' : 'native');
});

test('native and noble agree on keys, signatures, recovery, ECDH and tweaks', () => {
  const native = nativeBackend!;
  let cases = 0;
  for (let i = 0; i < 50; i++) {
    const k1 = randomBytes(32), k2 = randomBytes(32), tweak = randomBytes(32), digest = sha256(randomBytes(40));
    const p1 = nobleBackend.publicKey(k1);
    const p2 = nobleBackend.publicKey(k2);
    assert.equal(hex(native.publicKey(k1)), hex(p1));
    const sig = nobleBackend.sign(digest, k1);
    assert.equal(hex(native.sign(digest, k1)), hex(sig));
    assert.ok(native.verify(sig, digest, p1) && nobleBackend.verify(sig, digest, p1));
    assert.ok(!native.verify(sig, digest, p2) && !nobleBackend.verify(sig, digest, p2));
    const rec = nobleBackend.signRecoverable(digest, k1);
    assert.deepEqual(native.signRecoverable(digest, k1), rec);
    assert.equal(hex(native.recover(rec.signature, rec.recovery, digest)), hex(p1));
    assert.equal(hex(nobleBackend.recover(rec.signature, rec.recovery, digest)), hex(p1));
    assert.equal(hex(native.ecdh(k1, p2)), hex(nobleBackend.ecdh(k2, p1)));
    assert.equal(hex(native.publicKeyTweakAdd(p1, tweak)), hex(nobleBackend.publicKeyTweakAdd(p1, tweak)));
    assert.equal(hex(native.publicKeyTweakMul(p1, tweak)), hex(nobleBackend.publicKeyTweakMul(p1, tweak)));
    assert.equal(hex(native.publicKeyCombine([p1, p2])), hex(nobleBackend.publicKeyCombine([p1, p2])));
    assert.equal(hex(native.privateKeyTweakAdd(k1, tweak)), hex(nobleBackend.privateKeyTweakAdd(k1, tweak)));
    assert.equal(hex(native.privateKeyTweakMul(k1, tweak)), hex(nobleBackend.privateKeyTweakMul(k1, tweak)));
    assert.equal(hex(derToCompact(compactToDer(sig))), hex(sig));
    cases++;
  }
  console.log(`secp256k1 backend agreement: ${cases} cases`);
});

test('both backends refuse a high-S signature and an off-curve point', () => {
  const k = randomBytes(32), digest = sha256(Uint8Array.of(1));
  const sig = nobleBackend.sign(digest, k);
  const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
  const s = BigInt('0x' + hex(sig.subarray(32)));
  const highS = Uint8Array.from(sig);
  highS.set(Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex'), 32);
  const pub = nobleBackend.publicKey(k);
  for (const b of [nobleBackend, nativeBackend!]) {
    assert.equal(b.verify(highS, digest, pub), false, `${b.name} accepted high-S`);
    const bad = Uint8Array.from(pub);
    bad[0] = 0x05;
    assert.equal(b.isValidPublicKey(bad), false, `${b.name} accepted a bad prefix`);
    assert.throws(() => b.ecdh(k, bad));
  }
});
