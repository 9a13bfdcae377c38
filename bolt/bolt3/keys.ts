// BOLT 3 §Key Derivation: the per-commitment keys of a commitment transaction, from each
// side's basepoints and the commitment owner's per_commitment_point. All curve math goes
// through `secp`; keys are 33-byte compressed points and 32-byte scalars.
import { concat } from '../bytes.js';
import { sha256 } from '../crypto/hash.js';
import { secp } from '../crypto/secp256k1.js';

export class KeyDerivationError extends Error {
  override readonly name = 'KeyDerivationError';
}

function checkPoint(point: Uint8Array, what: string): void {
  if (point.length !== 33 || (point[0] !== 0x02 && point[0] !== 0x03)) {
    throw new KeyDerivationError(`${what}: expected a 33-byte compressed point, got ${point.length} bytes`);
  }
}

function checkScalar(secret: Uint8Array, what: string): void {
  if (secret.length !== 32) throw new KeyDerivationError(`${what}: expected 32 bytes, got ${secret.length}`);
}

function guard<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new KeyDerivationError(`${what}: ${(e as Error).message}`);
  }
}

/**
 * BOLT 3 §`localpubkey`, `local_htlcpubkey`, ... Derivation:
 * pubkey = basepoint + SHA256(per_commitment_point || basepoint) * G
 */
export function derivePubkey(basepoint: Uint8Array, perCommitmentPoint: Uint8Array): Uint8Array {
  checkPoint(basepoint, 'basepoint');
  checkPoint(perCommitmentPoint, 'per_commitment_point');
  const tweak = sha256(concat(perCommitmentPoint, basepoint));
  return guard('derived pubkey', () => secp.publicKeyTweakAdd(basepoint, tweak));
}

/**
 * privkey = basepoint_secret + SHA256(per_commitment_point || basepoint).
 * `basepoint` may be passed when the caller already has it, to skip one point multiplication.
 */
export function derivePrivkey(basepointSecret: Uint8Array, perCommitmentPoint: Uint8Array, basepoint?: Uint8Array): Uint8Array {
  checkScalar(basepointSecret, 'basepoint secret');
  checkPoint(perCommitmentPoint, 'per_commitment_point');
  const base = basepoint ?? guard('basepoint secret', () => secp.publicKey(basepointSecret));
  checkPoint(base, 'basepoint');
  const tweak = sha256(concat(perCommitmentPoint, base));
  return guard('derived privkey', () => secp.privateKeyTweakAdd(basepointSecret, tweak));
}

/**
 * BOLT 3 §`revocationpubkey` Derivation:
 * revocation_basepoint * SHA256(revocation_basepoint || per_commitment_point)
 *   + per_commitment_point * SHA256(per_commitment_point || revocation_basepoint)
 */
export function deriveRevocationPubkey(revocationBasepoint: Uint8Array, perCommitmentPoint: Uint8Array): Uint8Array {
  checkPoint(revocationBasepoint, 'revocation_basepoint');
  checkPoint(perCommitmentPoint, 'per_commitment_point');
  const baseTweak = sha256(concat(revocationBasepoint, perCommitmentPoint));
  const pointTweak = sha256(concat(perCommitmentPoint, revocationBasepoint));
  return guard('revocation pubkey', () =>
    secp.publicKeyCombine([secp.publicKeyTweakMul(revocationBasepoint, baseTweak), secp.publicKeyTweakMul(perCommitmentPoint, pointTweak)]),
  );
}

/**
 * revocationprivkey = revocation_basepoint_secret * SHA256(revocation_basepoint || per_commitment_point)
 *   + per_commitment_secret * SHA256(per_commitment_point || revocation_basepoint)
 */
export function deriveRevocationPrivkey(revocationBasepointSecret: Uint8Array, perCommitmentSecret: Uint8Array): Uint8Array {
  checkScalar(revocationBasepointSecret, 'revocation_basepoint_secret');
  checkScalar(perCommitmentSecret, 'per_commitment_secret');
  const revocationBasepoint = guard('revocation_basepoint_secret', () => secp.publicKey(revocationBasepointSecret));
  const perCommitmentPoint = guard('per_commitment_secret', () => secp.publicKey(perCommitmentSecret));
  const baseTweak = sha256(concat(revocationBasepoint, perCommitmentPoint));
  const pointTweak = sha256(concat(perCommitmentPoint, revocationBasepoint));
  return guard('revocation privkey', () =>
    secp.privateKeyTweakAdd(secp.privateKeyTweakMul(revocationBasepointSecret, baseTweak), secp.privateKeyTweakMul(perCommitmentSecret, pointTweak)),
  );
}

/** The basepoints a party announces in open_channel / accept_channel (BOLT 2). */
export interface ChannelBasepoints {
  readonly fundingPubkey: Uint8Array;
  readonly revocationBasepoint: Uint8Array;
  readonly paymentBasepoint: Uint8Array;
  readonly delayedPaymentBasepoint: Uint8Array;
  readonly htlcBasepoint: Uint8Array;
}

/**
 * The keys one commitment transaction uses, named from its owner's ("local") side:
 * the owner is the party that can broadcast it.
 */
export interface CommitmentKeys {
  /** From the counterparty's revocation_basepoint: lets it punish a revoked commitment. */
  readonly revocationPubkey: Uint8Array;
  /** local_delayedpubkey: the owner's delayed to_local and HTLC-transaction outputs. */
  readonly localDelayedPubkey: Uint8Array;
  readonly localHtlcPubkey: Uint8Array;
  readonly remoteHtlcPubkey: Uint8Array;
  /** remotepubkey: with option_static_remotekey, the counterparty's payment_basepoint itself. */
  readonly remotePaymentPubkey: Uint8Array;
  readonly localFundingPubkey: Uint8Array;
  readonly remoteFundingPubkey: Uint8Array;
}

/**
 * Derive a commitment's keys from both parties' basepoints and the owner's
 * per_commitment_point. Both channel types Vigil supports (option_static_remotekey and
 * option_anchors) use the counterparty's payment_basepoint as remotepubkey, untweaked.
 */
export function deriveCommitmentKeys(
  owner: Pick<ChannelBasepoints, 'fundingPubkey' | 'delayedPaymentBasepoint' | 'htlcBasepoint'>,
  counterparty: Pick<ChannelBasepoints, 'fundingPubkey' | 'revocationBasepoint' | 'paymentBasepoint' | 'htlcBasepoint'>,
  perCommitmentPoint: Uint8Array,
): CommitmentKeys {
  checkPoint(owner.fundingPubkey, 'owner funding_pubkey');
  checkPoint(counterparty.fundingPubkey, 'counterparty funding_pubkey');
  checkPoint(counterparty.paymentBasepoint, 'counterparty payment_basepoint');
  return {
    revocationPubkey: deriveRevocationPubkey(counterparty.revocationBasepoint, perCommitmentPoint),
    localDelayedPubkey: derivePubkey(owner.delayedPaymentBasepoint, perCommitmentPoint),
    localHtlcPubkey: derivePubkey(owner.htlcBasepoint, perCommitmentPoint),
    remoteHtlcPubkey: derivePubkey(counterparty.htlcBasepoint, perCommitmentPoint),
    remotePaymentPubkey: counterparty.paymentBasepoint,
    localFundingPubkey: owner.fundingPubkey,
    remoteFundingPubkey: counterparty.fundingPubkey,
  };
}
