// The device work the service asks for, with the key paths of signer/keys.ts. The device only signs
// digests of transactions and messages the signer rebuilt itself, and reveals a per-commitment secret
// only when a handler has passed the policy. A device failure becomes an INTERNAL refusal.
import { concat } from '../../bolt/bytes.js';
import { indexFromCommitmentNumber } from '../../bolt/bolt3/index.js';
import { sha256 } from '../../bolt/crypto/hash.js';
import type { DerivationPath, RecoverableSignature, SignRequest, SignTweak } from '../device/device.js';
import { channelKeyPath, type ChannelKeyRole } from '../keys.js';
import { internalError, SignerError } from '../errors.js';
import type { LiveChannel } from './channels.js';
import type { ServiceContext } from './context.js';

async function guarded<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof SignerError) throw e;
    throw internalError(`device ${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function keyPath(ctx: ServiceContext, keyIndex: number, role: ChannelKeyRole): DerivationPath {
  return channelKeyPath(ctx.network, keyIndex, role);
}

export function channelPath(ctx: ServiceContext, ch: LiveChannel, role: ChannelKeyRole): DerivationPath {
  return keyPath(ctx, ch.record.keyIndex, role);
}

/** BOLT 3 §Key Derivation: the tweak SHA256(per_commitment_point || basepoint) the device adds to the basepoint secret. */
export function addTweak(perCommitmentPoint: Uint8Array, basepoint: Uint8Array): SignTweak {
  return { kind: 'add', tweak: sha256(concat(perCommitmentPoint, basepoint)) };
}

/** Compact 64-byte signature of `digest` by the key at `path` (tweaked). */
export function sign(ctx: ServiceContext, path: DerivationPath, digest: Uint8Array, tweak?: SignTweak): Promise<Uint8Array> {
  return guarded('sign', () => ctx.device.sign(path, digest, tweak));
}

/**
 * Compact signatures of every request, in order, in as few device round trips as it allows (one
 * SIGN_BATCH for a commitment and its HTLCs). None when the device refuses any of them.
 */
export async function signAll(ctx: ServiceContext, requests: readonly SignRequest[]): Promise<Uint8Array[]> {
  if (requests.length === 0) return [];
  const signatures = await guarded('sign', () => ctx.device.signBatch(requests));
  if (signatures.length !== requests.length) throw internalError(`device sign: ${signatures.length} signatures for ${requests.length} requests`);
  return signatures;
}

export function signRecoverable(ctx: ServiceContext, path: DerivationPath, digest: Uint8Array): Promise<RecoverableSignature> {
  return guarded('sign', () => ctx.device.signRecoverable(path, digest));
}

export function ecdh(ctx: ServiceContext, path: DerivationPath, point: Uint8Array): Promise<Uint8Array> {
  return guarded('ecdh', () => ctx.device.ecdh(path, point));
}

export function publicKey(ctx: ServiceContext, path: DerivationPath): Promise<Uint8Array> {
  return guarded('public key', () => ctx.device.getPublicKey(path));
}

/** Our per-commitment point of holder commitment `number` (cached: points are public and fixed). */
export async function holderPoint(ctx: ServiceContext, ch: LiveChannel, number: number): Promise<Uint8Array> {
  const cached = ch.cachedPoint(number);
  if (cached) return cached;
  const point = await pointAt(ctx, ch.record.keyIndex, number);
  ch.rememberPoint(number, point);
  return point;
}

/** Our per-commitment point of commitment `number` of the channel with key index `keyIndex` (from the device). */
export function pointAt(ctx: ServiceContext, keyIndex: number, number: number): Promise<Uint8Array> {
  return guarded('per-commitment point', () => ctx.device.perCommitmentPoint(keyPath(ctx, keyIndex, 'perCommitmentSeed'), indexFromCommitmentNumber(BigInt(number))));
}

/** The secret of holder commitment `number`: call only once the policy allowed releasing it. */
export function holderSecret(ctx: ServiceContext, ch: LiveChannel, number: number): Promise<Uint8Array> {
  return guarded('per-commitment secret', () => ctx.device.perCommitmentSecret(channelPath(ctx, ch, 'perCommitmentSeed'), indexFromCommitmentNumber(BigInt(number))));
}
