// The private-key work of the device, on a Keyring: sign a digest (optionally with a BOLT 3 tweak),
// ECDH, and per-commitment secrets. Every function returns public data, a signature, a shared secret,
// or a per-commitment secret, never a private key.
import type { DerivationPath, SignTweak } from '../bolt/apdu.js';
import { deriveRevocationPrivkey } from '../bolt/bolt3/keys.js';
import { perCommitmentPoint, perCommitmentSecret } from '../bolt/bolt3/per-commitment.js';
import { hmacSha256 } from '../bolt/crypto/hash.js';
import { secp, type RecoverableSignature } from '../bolt/crypto/secp256k1.js';
import { KeyDerivationFailed, type Keyring } from './keyring.js';

/** Request data the device cannot use (a tweak that gives an invalid key, a point off the curve...). */
export class OperationRejected extends Error {
  override readonly name = 'OperationRejected';
}

function guard<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof OperationRejected) throw e;
    throw new OperationRejected(`${what}: ${(e as Error).message}`);
  }
}

/** The key that signs: the key at the path, changed by the tweak (BOLT 3 §Key Derivation). */
function signingKey(base: Uint8Array, tweak: SignTweak): Uint8Array {
  switch (tweak.kind) {
    case 'none':
      return Uint8Array.from(base);
    case 'add':
      // BOLT 3 §localpubkey... Derivation: privkey = basepoint_secret + SHA256(per_commitment_point || basepoint),
      // the signer hands the SHA256 as the tweak.
      return guard('add tweak', () => secp.privateKeyTweakAdd(base, tweak.tweak));
    case 'revocation':
      // BOLT 3 §revocationpubkey Derivation: the key at the path is the revocation_basepoint_secret.
      return guard('revocation tweak', () => deriveRevocationPrivkey(base, tweak.perCommitmentSecret));
  }
}

function withSigningKey<T>(keyring: Keyring, path: DerivationPath, tweak: SignTweak, use: (key: Uint8Array) => T): T {
  return keyring.withPrivateKey(path, (base) => {
    const key = signingKey(base, tweak);
    try {
      return use(key);
    } finally {
      key.fill(0);
    }
  });
}

/** Compact 64-byte r || s, low-S, RFC 6979 nonce, over the 32-byte digest as given. */
export function signDigest(keyring: Keyring, path: DerivationPath, digest: Uint8Array, tweak: SignTweak): Uint8Array {
  return withSigningKey(keyring, path, tweak, (key) => secp.sign(digest, key));
}

/**
 * SIGN_BATCH: each item exactly as signDigest would sign it alone, in order. All or nothing: an item
 * the device cannot sign (a tweak giving an invalid key, an invalid BIP32 child) refuses the whole
 * batch, naming the item, and no signature leaves.
 */
export function signDigests(keyring: Keyring, items: readonly { path: DerivationPath; digest: Uint8Array; tweak: SignTweak }[]): Uint8Array[] {
  return items.map((item, i) => {
    try {
      return signDigest(keyring, item.path, item.digest, item.tweak);
    } catch (e) {
      if (e instanceof OperationRejected) throw new OperationRejected(`item ${i}: ${e.message}`);
      if (e instanceof KeyDerivationFailed) throw new KeyDerivationFailed(`item ${i}: ${e.message}`);
      throw e;
    }
  });
}

/** As signDigest, plus the recovery id (BOLT 11 invoices, node message signatures). */
export function signDigestRecoverable(keyring: Keyring, path: DerivationPath, digest: Uint8Array, tweak: SignTweak): RecoverableSignature {
  return withSigningKey(keyring, path, tweak, (key) => secp.signRecoverable(digest, key));
}

/** SHA256 of the compressed shared point (BOLT 8, BOLT 4). */
export function ecdh(keyring: Keyring, path: DerivationPath, point: Uint8Array): Uint8Array {
  return keyring.withPrivateKey(path, (key) => guard('ecdh', () => secp.ecdh(key, point)));
}

/** Domain separation for the per-channel shachain seed (device-protocol.md §PER_COMMITMENT_SECRET). */
const PER_COMMITMENT_SEED_LABEL = new TextEncoder().encode('vigil/per-commitment-seed/v1');

/**
 * The per-channel shachain seed: HMAC-SHA256(key = private key at `path`, "vigil/per-commitment-seed/v1").
 * Not the private key itself: BOLT 3's secret for index 0 *is* the seed, and revealing it must not
 * reveal a signing key.
 */
function withPerCommitmentSeed<T>(keyring: Keyring, path: DerivationPath, use: (seed: Uint8Array) => T): T {
  return keyring.withPrivateKey(path, (key) => {
    const seed = hmacSha256(key, PER_COMMITMENT_SEED_LABEL);
    try {
      return use(seed);
    } finally {
      seed.fill(0);
    }
  });
}

/** BOLT 3 §Per-commitment Secret Requirements: generate_from_seed(seed, index). */
export function perCommitmentSecretAt(keyring: Keyring, path: DerivationPath, index: bigint): Uint8Array {
  return withPerCommitmentSeed(keyring, path, (seed) => perCommitmentSecret(seed, index));
}

/** per_commitment_point = per_commitment_secret · G. */
export function perCommitmentPointAt(keyring: Keyring, path: DerivationPath, index: bigint): Uint8Array {
  return withPerCommitmentSeed(keyring, path, (seed) => {
    const secret = perCommitmentSecret(seed, index);
    try {
      return perCommitmentPoint(secret);
    } finally {
      secret.fill(0);
    }
  });
}
