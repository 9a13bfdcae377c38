// BOLT 3 §Key Derivation: every case of Appendix E (test/vectors/bolt03-key-derivation.json),
// with the intermediate values the appendix prints, then the per-commitment keys of the
// Appendix C channel (test/vectors/bolt03-commitments.json) derived from its secrets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import keyVectors from '../vectors/bolt03-key-derivation.json' with { type: 'json' };
import commitmentVectors from '../vectors/bolt03-commitments.json' with { type: 'json' };
import { concat, fromHex, hex } from '../../bolt/bytes.js';
import { sha256 } from '../../bolt/crypto/hash.js';
import { secp } from '../../bolt/crypto/secp256k1.js';
import {
  deriveCommitmentKeys,
  derivePrivkey,
  derivePubkey,
  deriveRevocationPrivkey,
  deriveRevocationPubkey,
  KeyDerivationError,
} from '../../bolt/bolt3/keys.js';

/** Appendix E prints values with a 0x prefix. */
const x = (s: string): Uint8Array => fromHex(s.replace(/^0x/, ''));
/** Appendix C prints private keys as 32 bytes plus the trailing 01 "compressed" marker. */
function privkey(s: string): Uint8Array {
  const bytes = fromHex(s);
  assert.equal(bytes.length, 33, `private key ${s} should be 32 bytes + 01`);
  assert.equal(bytes[32], 1, `private key ${s} should end in the compressed marker 01`);
  return bytes.subarray(0, 32);
}

const E = keyVectors;
const baseSecret = x(E.base_secret);
const basePoint = x(E.base_point);
const perCommitmentSecret = x(E.per_commitment_secret);
const perCommitmentPoint = x(E.per_commitment_point);
test('Appendix E: the base point and per_commitment_point are the secrets times G', () => {
  assert.equal(hex(secp.publicKey(baseSecret)), hex(basePoint));
  assert.equal(hex(secp.publicKey(perCommitmentSecret)), hex(perCommitmentPoint));
});

test('Appendix E: every key derivation case, with its intermediate values', () => {
  let cases = 0;
  for (const c of E.cases) {
    const k = c as unknown as Record<string, unknown> & { steps: Record<string, string>; name: string };
    const steps = k.steps;
    switch (k.name) {
      case 'derivation of pubkey from basepoint and per_commitment_point':
        assert.equal(hex(sha256(concat(perCommitmentPoint, basePoint))), hex(x(steps['sha256_per_commitment_point_basepoint']!)));
        assert.equal(hex(derivePubkey(basePoint, perCommitmentPoint)), hex(x(k['localpubkey'] as string)));
        break;
      case 'derivation of private key from basepoint secret and per_commitment_secret': {
        const priv = derivePrivkey(baseSecret, perCommitmentPoint);
        assert.equal(hex(priv), hex(x(k['localprivkey'] as string)));
        assert.equal(hex(derivePrivkey(baseSecret, perCommitmentPoint, basePoint)), hex(priv), 'passing the basepoint gives the same key');
        assert.equal(hex(secp.publicKey(priv)), hex(derivePubkey(basePoint, perCommitmentPoint)), 'private and public derivations agree');
        break;
      }
      case 'derivation of revocation pubkey from basepoint and per_commitment_point': {
        const t1 = sha256(concat(basePoint, perCommitmentPoint));
        const t2 = sha256(concat(perCommitmentPoint, basePoint));
        assert.equal(hex(t1), hex(x(steps['sha256_revocation_basepoint_per_commitment_point']!)));
        assert.equal(hex(t2), hex(x(steps['sha256_per_commitment_point_revocation_basepoint']!)));
        assert.equal(hex(secp.publicKeyTweakMul(basePoint, t1)), hex(x(steps['times_revocation_basepoint']!)));
        assert.equal(hex(secp.publicKeyTweakMul(perCommitmentPoint, t2)), hex(x(steps['times_per_commitment_point']!)));
        assert.equal(hex(deriveRevocationPubkey(basePoint, perCommitmentPoint)), hex(x(k['revocationpubkey'] as string)));
        break;
      }
      case 'derivation of revocation secret from basepoint_secret and per_commitment_secret': {
        const t1 = sha256(concat(basePoint, perCommitmentPoint));
        const t2 = sha256(concat(perCommitmentPoint, basePoint));
        assert.equal(hex(secp.privateKeyTweakMul(baseSecret, t1)), hex(x(steps['times_revocation_basepoint_secret']!)));
        assert.equal(hex(secp.privateKeyTweakMul(perCommitmentSecret, t2)), hex(x(steps['times_per_commitment_secret']!)));
        const priv = deriveRevocationPrivkey(baseSecret, perCommitmentSecret);
        assert.equal(hex(priv), hex(x(k['revocationprivkey'] as string)));
        assert.equal(hex(secp.publicKey(priv)), hex(deriveRevocationPubkey(basePoint, perCommitmentPoint)), 'revocation key pair matches');
        break;
      }
      default:
        assert.fail(`unexpected Appendix E case "${k.name}"`);
    }
    cases++;
  }
  assert.equal(cases, 4);
  console.log(`BOLT 3 Appendix E key derivation: ${cases} cases`);
});

test('Appendix C: the channel keys derive from its INTERNAL secrets', () => {
  const { channel, internal } = commitmentVectors;
  const perCommitmentSecretC = privkey(internal.x_local_per_commitment_secret);
  const point = secp.publicKey(perCommitmentSecretC);
  assert.equal(hex(point), internal.local_per_commitment_point);

  const localPaymentSecret = privkey(internal.local_payment_basepoint_secret);
  const remoteRevocationSecret = privkey(internal.remote_revocation_basepoint_secret);
  const localDelayedSecret = privkey(internal.local_delayed_payment_basepoint_secret);
  const remotePaymentSecret = privkey(internal.remote_payment_basepoint_secret);
  assert.equal(hex(secp.publicKey(localPaymentSecret)), channel.local_payment_basepoint);
  assert.equal(hex(secp.publicKey(remotePaymentSecret)), channel.remote_payment_basepoint);
  assert.equal(hex(secp.publicKey(remoteRevocationSecret)), internal.remote_revocation_basepoint);
  assert.equal(hex(secp.publicKey(localDelayedSecret)), internal.local_delayed_payment_basepoint);
  assert.equal(hex(secp.publicKey(privkey(channel.local_funding_privkey))), channel.local_funding_pubkey);
  assert.equal(hex(secp.publicKey(privkey(internal.remote_funding_privkey))), channel.remote_funding_pubkey);

  // The HTLC basepoints equal the payment basepoints in this appendix.
  assert.equal(hex(derivePrivkey(localPaymentSecret, point)), hex(privkey(channel.local_privkey)));
  assert.equal(hex(derivePrivkey(localDelayedSecret, point)), hex(privkey(internal.local_delayed_privkey)));
  assert.equal(hex(derivePrivkey(remotePaymentSecret, point)), hex(privkey(internal.remote_privkey)));

  const keys = deriveCommitmentKeys(
    { fundingPubkey: fromHex(channel.local_funding_pubkey), delayedPaymentBasepoint: fromHex(internal.local_delayed_payment_basepoint), htlcBasepoint: fromHex(channel.local_htlc_basepoint) },
    {
      fundingPubkey: fromHex(channel.remote_funding_pubkey),
      revocationBasepoint: fromHex(internal.remote_revocation_basepoint),
      paymentBasepoint: fromHex(channel.remote_payment_basepoint),
      htlcBasepoint: fromHex(channel.remote_htlc_basepoint),
    },
    point,
  );
  assert.equal(hex(keys.revocationPubkey), channel.local_revocation_pubkey);
  assert.equal(hex(keys.localDelayedPubkey), channel.local_delayedpubkey);
  assert.equal(hex(keys.localHtlcPubkey), channel.local_htlcpubkey);
  assert.equal(hex(keys.remoteHtlcPubkey), channel.remote_htlcpubkey);
  assert.equal(hex(keys.remotePaymentPubkey), channel.remote_payment_basepoint, 'option_static_remotekey: remotepubkey is the payment basepoint');
  assert.equal(hex(keys.localFundingPubkey), channel.local_funding_pubkey);
  assert.equal(hex(keys.remoteFundingPubkey), channel.remote_funding_pubkey);
  // The revocation private key the counterparty learns once the secret is revealed.
  assert.equal(hex(secp.publicKey(deriveRevocationPrivkey(remoteRevocationSecret, perCommitmentSecretC))), channel.local_revocation_pubkey);
});

test('derivations agree between private and public forms on random keys', () => {
  for (let i = 0; i < 20; i++) {
    const secret = randomBytes(32), pcSecret = randomBytes(32);
    const base = secp.publicKey(secret), pcPoint = secp.publicKey(pcSecret);
    assert.equal(hex(secp.publicKey(derivePrivkey(secret, pcPoint))), hex(derivePubkey(base, pcPoint)));
    assert.equal(hex(secp.publicKey(deriveRevocationPrivkey(secret, pcSecret))), hex(deriveRevocationPubkey(base, pcPoint)));
  }
});

test('malformed keys are refused with a message naming the field', () => {
  assert.throws(() => derivePubkey(basePoint.subarray(1), perCommitmentPoint), (e: unknown) => e instanceof KeyDerivationError && /basepoint: expected a 33-byte compressed point, got 32 bytes/.test(e.message));
  assert.throws(() => derivePubkey(basePoint, Uint8Array.of(4, ...perCommitmentPoint.subarray(1))), /per_commitment_point: expected a 33-byte compressed point/);
  assert.throws(() => deriveRevocationPubkey(basePoint, Uint8Array.of(2, ...new Uint8Array(32).fill(0xff))), (e: unknown) => e instanceof KeyDerivationError && /revocation pubkey/.test(e.message));
  assert.throws(() => derivePrivkey(baseSecret.subarray(0, 31), perCommitmentPoint), /basepoint secret: expected 32 bytes, got 31/);
  assert.throws(() => deriveRevocationPrivkey(new Uint8Array(32), perCommitmentSecret), /revocation_basepoint_secret/);
});
