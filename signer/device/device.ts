// The device the signer codes against: whatever holds the keys (the bundled HSM emulator, later a
// Ledger or Trezor backend). The signer decides *whether* to sign (policy/); the device only does the
// private-key work it is asked for, and shows a person what the policy marks for approval.
// No method returns a private key, a seed or an xprv.

/** BIP32 path, each element a u32; hardened when >= 2^31 (use `hardened(n)`). */
export type DerivationPath = readonly number[];

export const HARDENED_OFFSET = 0x80000000;
export function hardened(index: number): number {
  if (!Number.isInteger(index) || index < 0 || index >= HARDENED_OFFSET) throw new RangeError(`hardened index must be 0..2^31-1, got ${index}`);
  return index + HARDENED_OFFSET;
}

/**
 * How the device changes the key at the path before signing (BOLT 3 §Key Derivation):
 * - `add`: key + tweak, where the signer computed tweak = SHA256(per_commitment_point || basepoint),
 *   giving the secret of localpubkey / local_htlcpubkey / local_delayedpubkey;
 * - `revocation`: the key at the path is our revocation_basepoint_secret and the device derives
 *   revocationprivkey with the counterparty's revealed per_commitment_secret.
 */
export type SignTweak =
  | { readonly kind: 'none' }
  | { readonly kind: 'add'; readonly tweak: Uint8Array }
  | { readonly kind: 'revocation'; readonly perCommitmentSecret: Uint8Array };

export interface RecoverableSignature {
  /** r || s, 64 bytes, low-S. */
  readonly signature: Uint8Array;
  /** 0..3 */
  readonly recovery: number;
}

/** One signature of a batch: what `sign` takes. */
export interface SignRequest {
  readonly path: DerivationPath;
  /** 32 bytes, signed as given. */
  readonly digest: Uint8Array;
  /** Default: none. */
  readonly tweak?: SignTweak;
}

export type ConfirmResult = 'approved' | 'denied';

export type XpubNetwork = 'mainnet' | 'testnet';

export interface Device {
  /** BIP32 fingerprint of the master key, to check that the expected device is connected. */
  fingerprint(): Promise<number>;
  /** 33-byte compressed public key at `path`. */
  getPublicKey(path: DerivationPath): Promise<Uint8Array>;
  /** Base58 extended public key at `path` (xpub for mainnet, tpub for testnet/regtest). */
  getXpub(path: DerivationPath, network?: XpubNetwork): Promise<string>;
  /** Compact 64-byte low-S ECDSA signature (RFC 6979) over the 32-byte `digest`, by the (tweaked) key at `path`. */
  sign(path: DerivationPath, digest: Uint8Array, tweak?: SignTweak): Promise<Uint8Array>;
  /**
   * Each request signed exactly as `sign` would sign it alone, returned in order, in as few device
   * round trips as the transport allows (the emulator: one SIGN_BATCH per up to 64 signatures).
   * All or nothing: if the device refuses one request, this throws and no signature is returned.
   */
  signBatch(requests: readonly SignRequest[]): Promise<Uint8Array[]>;
  /** As `sign`, with the recovery id (BOLT 11 invoice and node message signatures). */
  signRecoverable(path: DerivationPath, digest: Uint8Array, tweak?: SignTweak): Promise<RecoverableSignature>;
  /** SHA256 of the compressed point `point` · key(path) (BOLT 8 / BOLT 4 ECDH). */
  ecdh(path: DerivationPath, point: Uint8Array): Promise<Uint8Array>;
  /**
   * BOLT 3 per-commitment secret `index` (48 bits) of the shachain whose seed the device derives from
   * the key at `path`. The signer releases it to the node only when the policy allows (invariant 2).
   */
  perCommitmentSecret(path: DerivationPath, index: bigint): Promise<Uint8Array>;
  /** per_commitment_point for `index`: the public side of perCommitmentSecret. */
  perCommitmentPoint(path: DerivationPath, index: bigint): Promise<Uint8Array>;
  /** Shows `text` on the device's screen and waits for the person's answer (no timeout). */
  confirm(text: string): Promise<ConfirmResult>;
  close(): Promise<void>;
}
