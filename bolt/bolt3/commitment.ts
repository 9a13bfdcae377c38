// BOLT 3 §Commitment Transaction and §Commitment Transaction Construction, for
// option_static_remotekey and option_anchors (zero-fee HTLC transactions) channels.
// Pure: whole data in (channel parameters, per-commitment keys, balances, HTLCs), an unsigned
// transaction out, with every output labelled so a signer can rebuild and check it.
import { bigintFromBytesBE, concat } from '../bytes.js';
import { hash160, sha256 } from '../crypto/hash.js';
import { secp } from '../crypto/secp256k1.js';
import type { CommitmentKeys } from './keys.js';
import {
  anchorScript,
  fundingScript,
  fundingWitness,
  offeredHtlcScript,
  p2wpkh,
  p2wsh,
  receivedHtlcScript,
  toLocalScript,
  toRemoteAnchorsScript,
} from './scripts.js';
import { compareOutputs, SIGHASH_ALL, encodeScriptSignature, segwitV0Sighash, transactionId, withWitness } from './tx.js';
import type { Transaction, TxOutput } from './tx.js';

export class CommitmentError extends Error {
  override readonly name = 'CommitmentError';
}

/** The commitment formats Vigil builds (BOLT 9 option_static_remotekey, option_anchors). */
export type ChannelType = 'static_remotekey' | 'anchors';

/** An HTLC as the commitment's owner sees it: offered by the owner, or received by it. */
export interface Htlc {
  /** The id the offering side gave it in update_add_htlc. */
  readonly id: bigint;
  readonly direction: 'offered' | 'received';
  readonly amountMsat: bigint;
  readonly paymentHash: Uint8Array;
  readonly cltvExpiry: number;
}

export interface FundingOutput {
  /** Funding txid, display order. */
  readonly txid: Uint8Array;
  readonly vout: number;
  readonly amountSat: bigint;
}

/** Everything one commitment transaction is built from, seen from its owner (the party that can broadcast it). */
export interface CommitmentParams {
  readonly channelType: ChannelType;
  readonly funding: FundingOutput;
  /** See `commitmentObscuringFactor`; constant for the channel's life. */
  readonly obscuringFactor: bigint;
  /** 48-bit commitment number, counting up from 0. */
  readonly commitmentNumber: bigint;
  /** Whether the owner opened the channel: the opener pays the commitment fee and the anchors. */
  readonly ownerIsOpener: boolean;
  /** CSV delay on the owner's outputs: the to_self_delay its counterparty asked for. */
  readonly toSelfDelay: number;
  /** The owner's dust_limit_satoshis. */
  readonly dustLimitSat: bigint;
  readonly feeratePerKw: number;
  readonly toLocalMsat: bigint;
  readonly toRemoteMsat: bigint;
  readonly htlcs: readonly Htlc[];
  readonly keys: CommitmentKeys;
}

interface OutputBase {
  /** Position in the transaction. */
  readonly index: number;
  readonly amountSat: bigint;
  /** The scriptPubKey. */
  readonly script: Uint8Array;
  /** The P2WSH witness script, or null for a P2WPKH output. */
  readonly witnessScript: Uint8Array | null;
}

export interface ToLocalOutput extends OutputBase {
  readonly kind: 'to_local';
  readonly witnessScript: Uint8Array;
}
export interface ToRemoteOutput extends OutputBase {
  readonly kind: 'to_remote';
}
export interface AnchorOutput extends OutputBase {
  readonly kind: 'local_anchor' | 'remote_anchor';
  readonly witnessScript: Uint8Array;
}
export interface HtlcOutput extends OutputBase {
  readonly kind: 'htlc';
  readonly htlc: Htlc;
  readonly witnessScript: Uint8Array;
}
export type CommitmentOutput = ToLocalOutput | ToRemoteOutput | AnchorOutput | HtlcOutput;

export interface CommitmentTransaction {
  /** Unsigned: the funding input's witness is empty until `finalizeCommitment`. */
  readonly tx: Transaction;
  /** Display order. */
  readonly txid: Uint8Array;
  /** Every output, in transaction order. */
  readonly outputs: readonly CommitmentOutput[];
  /** HTLCs below the owner's dust limit (after their second-stage fee): their value goes to fees. */
  readonly trimmedHtlcs: readonly Htlc[];
  /** BOLT 3 §Fee Calculation base fee, before trimming and rounding add to it. */
  readonly baseFeeSat: bigint;
  /** What the transaction actually leaves to miners: funding amount minus all outputs. */
  readonly feeSat: bigint;
  /** How far the opener's balance falls short of the base fee and anchors (0 when it can pay). */
  readonly openerShortfallSat: bigint;
  readonly fundingWitnessScript: Uint8Array;
  readonly params: CommitmentParams;
}

// BOLT 3 §Fee Calculation: expected weights.
export const COMMITMENT_WEIGHT = { static_remotekey: 724, anchors: 1124 } as const;
export const HTLC_OUTPUT_WEIGHT = 172;
export const HTLC_TIMEOUT_WEIGHT = { static_remotekey: 663, anchors: 666 } as const;
export const HTLC_SUCCESS_WEIGHT = { static_remotekey: 703, anchors: 706 } as const;
/** BOLT 3 §`to_local_anchor` and `to_remote_anchor` Output: fixed at 330 sats. */
export const ANCHOR_OUTPUT_SAT = 330n;

const MAX_COMMITMENT_NUMBER = (1n << 48n) - 1n;

function checkU32(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new CommitmentError(`${what}: ${n} is not a u32`);
}

/** Multiply feerate_per_kw by a weight and divide by 1000, rounding down. */
export function feeForWeight(feeratePerKw: number, weight: number): bigint {
  checkU32(feeratePerKw, 'feerate_per_kw');
  return (BigInt(feeratePerKw) * BigInt(weight)) / 1000n;
}

/** BOLT 3 §Fee Calculation: HTLC-timeout fee (0 with option_anchors). */
export function htlcTimeoutFeeSat(channelType: ChannelType, feeratePerKw: number): bigint {
  return channelType === 'anchors' ? 0n : feeForWeight(feeratePerKw, HTLC_TIMEOUT_WEIGHT.static_remotekey);
}

/** BOLT 3 §Fee Calculation: HTLC-success fee (0 with option_anchors). */
export function htlcSuccessFeeSat(channelType: ChannelType, feeratePerKw: number): bigint {
  return channelType === 'anchors' ? 0n : feeForWeight(feeratePerKw, HTLC_SUCCESS_WEIGHT.static_remotekey);
}

/** BOLT 3 §Fee Calculation: the base commitment fee for a number of untrimmed HTLC outputs. */
export function commitmentFeeSat(channelType: ChannelType, feeratePerKw: number, untrimmedHtlcs: number): bigint {
  return feeForWeight(feeratePerKw, COMMITMENT_WEIGHT[channelType] + HTLC_OUTPUT_WEIGHT * untrimmedHtlcs);
}

/** BOLT 3 §Trimmed Outputs: whether an HTLC is too small for its own output on the owner's commitment. */
export function isHtlcTrimmed(channelType: ChannelType, htlc: Pick<Htlc, 'direction' | 'amountMsat'>, feeratePerKw: number, dustLimitSat: bigint): boolean {
  const fee = htlc.direction === 'offered' ? htlcTimeoutFeeSat(channelType, feeratePerKw) : htlcSuccessFeeSat(channelType, feeratePerKw);
  return htlc.amountMsat / 1000n - fee < dustLimitSat;
}

/**
 * BOLT 3 §Commitment Transaction: the lower 48 bits of
 * SHA256(payment_basepoint from open_channel || payment_basepoint from accept_channel).
 */
export function commitmentObscuringFactor(openerPaymentBasepoint: Uint8Array, accepterPaymentBasepoint: Uint8Array): bigint {
  const digest = sha256(concat(openerPaymentBasepoint, accepterPaymentBasepoint));
  return bigintFromBytesBE(digest.subarray(26));
}

/** The commitment number hidden in a commitment transaction's locktime and sequence (a watcher's look-up key). */
export function decodeCommitmentNumber(tx: Transaction, obscuringFactor: bigint): bigint {
  const input = tx.inputs[0];
  if (tx.inputs.length !== 1 || !input) throw new CommitmentError(`commitment: expected 1 input, got ${tx.inputs.length}`);
  if (tx.locktime >>> 24 !== 0x20 || input.sequence >>> 24 !== 0x80) {
    throw new CommitmentError(`commitment: locktime 0x${tx.locktime.toString(16)} / sequence 0x${input.sequence.toString(16)} do not carry a commitment number`);
  }
  const obscured = (BigInt(input.sequence & 0xffffff) << 24n) | BigInt(tx.locktime & 0xffffff);
  return obscured ^ obscuringFactor;
}

function checkParams(p: CommitmentParams): void {
  if (p.channelType !== 'static_remotekey' && p.channelType !== 'anchors') throw new CommitmentError(`channel type "${String(p.channelType)}" is not supported`);
  if (p.commitmentNumber < 0n || p.commitmentNumber > MAX_COMMITMENT_NUMBER) throw new CommitmentError(`commitment number ${p.commitmentNumber} is outside 0..2^48-1`);
  if (p.obscuringFactor < 0n || p.obscuringFactor > MAX_COMMITMENT_NUMBER) throw new CommitmentError(`obscuring factor ${p.obscuringFactor} is outside 48 bits`);
  if (p.funding.txid.length !== 32) throw new CommitmentError(`funding txid: expected 32 bytes, got ${p.funding.txid.length}`);
  checkU32(p.funding.vout, 'funding output index');
  checkU32(p.feeratePerKw, 'feerate_per_kw');
  if (!Number.isInteger(p.toSelfDelay) || p.toSelfDelay < 0 || p.toSelfDelay > 0xffff) throw new CommitmentError(`to_self_delay: ${p.toSelfDelay} is not a u16`);
  if (p.dustLimitSat < 0n) throw new CommitmentError(`dust_limit_satoshis: ${p.dustLimitSat} is negative`);
  if (p.toLocalMsat < 0n) throw new CommitmentError(`to_local: ${p.toLocalMsat} msat is negative`);
  if (p.toRemoteMsat < 0n) throw new CommitmentError(`to_remote: ${p.toRemoteMsat} msat is negative`);
  let total = p.toLocalMsat + p.toRemoteMsat;
  const seen = new Set<string>();
  for (const h of p.htlcs) {
    const key = `${h.direction} ${h.id}`;
    if (seen.has(key)) throw new CommitmentError(`HTLC ${key}: listed twice`);
    seen.add(key);
    if (h.direction !== 'offered' && h.direction !== 'received') throw new CommitmentError(`HTLC ${h.id}: direction "${String(h.direction)}" is neither offered nor received`);
    if (h.amountMsat < 0n) throw new CommitmentError(`HTLC ${key}: amount ${h.amountMsat} msat is negative`);
    if (h.paymentHash.length !== 32) throw new CommitmentError(`HTLC ${key}: payment_hash is ${h.paymentHash.length} bytes, expected 32`);
    checkU32(h.cltvExpiry, `HTLC ${key} cltv_expiry`);
    total += h.amountMsat;
  }
  const capacityMsat = p.funding.amountSat * 1000n;
  if (total !== capacityMsat) {
    throw new CommitmentError(`balances and HTLCs add up to ${total} msat, but the funding output holds ${capacityMsat} msat`);
  }
}

interface Pending {
  readonly output: TxOutput;
  readonly cltvExpiry: number;
  readonly describe: (index: number) => CommitmentOutput;
}

/** BOLT 3 §Transaction Output Ordering: BIP 69, then increasing cltv_expiry for HTLC outputs. */
function compareCommitmentOutputs(a: Pending, b: Pending): number {
  return compareOutputs(a.output, b.output) || a.cltvExpiry - b.cltvExpiry;
}

/** BOLT 3 §Commitment Transaction Construction. */
export function buildCommitment(params: CommitmentParams): CommitmentTransaction {
  checkParams(params);
  const { channelType, keys, feeratePerKw, dustLimitSat } = params;
  const anchors = channelType === 'anchors';

  // Steps 1-2: trim HTLCs, then the base fee counts the untrimmed ones.
  const untrimmed: Htlc[] = [];
  const trimmedHtlcs: Htlc[] = [];
  for (const h of params.htlcs) (isHtlcTrimmed(channelType, h, feeratePerKw, dustLimitSat) ? trimmedHtlcs : untrimmed).push(h);
  const baseFeeSat = commitmentFeeSat(channelType, feeratePerKw, untrimmed.length);

  // Step 3: the opener pays the base fee and, with anchors, both anchors.
  const openerPays = baseFeeSat + (anchors ? 2n * ANCHOR_OUTPUT_SAT : 0n);
  let toLocalSat = params.toLocalMsat / 1000n;
  let toRemoteSat = params.toRemoteMsat / 1000n;
  let openerShortfallSat = 0n;
  if (params.ownerIsOpener) {
    toLocalSat -= openerPays;
    if (toLocalSat < 0n) [openerShortfallSat, toLocalSat] = [-toLocalSat, 0n];
  } else {
    toRemoteSat -= openerPays;
    if (toRemoteSat < 0n) [openerShortfallSat, toRemoteSat] = [-toRemoteSat, 0n];
  }

  const pending: Pending[] = [];
  const add = (amountSat: bigint, script: Uint8Array, cltvExpiry: number, describe: (index: number) => CommitmentOutput): void => {
    pending.push({ output: { amountSat, script }, cltvExpiry, describe });
  };

  // Steps 4-5: HTLC outputs.
  const revocationKeyHash = hash160(keys.revocationPubkey);
  for (const htlc of untrimmed) {
    const witnessScript =
      htlc.direction === 'offered'
        ? offeredHtlcScript(keys, htlc.paymentHash, anchors, revocationKeyHash)
        : receivedHtlcScript(keys, htlc.paymentHash, htlc.cltvExpiry, anchors, revocationKeyHash);
    const amountSat = htlc.amountMsat / 1000n;
    const script = p2wsh(witnessScript);
    add(amountSat, script, htlc.cltvExpiry, (index) => ({ kind: 'htlc', index, amountSat, script, witnessScript, htlc }));
  }

  // Step 6: to_local.
  const hasToLocal = toLocalSat >= dustLimitSat && toLocalSat > 0n;
  if (hasToLocal) {
    const witnessScript = toLocalScript(keys.revocationPubkey, params.toSelfDelay, keys.localDelayedPubkey);
    const script = p2wsh(witnessScript);
    const amountSat = toLocalSat;
    add(amountSat, script, 0, (index) => ({ kind: 'to_local', index, amountSat, script, witnessScript }));
  }

  // Step 7: to_remote (P2WPKH, or a P2WSH with a 1-block CSV under option_anchors).
  const hasToRemote = toRemoteSat >= dustLimitSat && toRemoteSat > 0n;
  if (hasToRemote) {
    const witnessScript = anchors ? toRemoteAnchorsScript(keys.remotePaymentPubkey) : null;
    const script = witnessScript ? p2wsh(witnessScript) : p2wpkh(keys.remotePaymentPubkey);
    const amountSat = toRemoteSat;
    add(amountSat, script, 0, (index) => ({ kind: 'to_remote', index, amountSat, script, witnessScript }));
  }

  // Step 8: anchors, each present when its side has an output or any HTLC is untrimmed.
  if (anchors) {
    const anchor = (kind: 'local_anchor' | 'remote_anchor', fundingPubkey: Uint8Array): void => {
      const witnessScript = anchorScript(fundingPubkey);
      const script = p2wsh(witnessScript);
      add(ANCHOR_OUTPUT_SAT, script, 0, (index) => ({ kind, index, amountSat: ANCHOR_OUTPUT_SAT, script, witnessScript }));
    };
    if (hasToLocal || untrimmed.length > 0) anchor('local_anchor', keys.localFundingPubkey);
    if (hasToRemote || untrimmed.length > 0) anchor('remote_anchor', keys.remoteFundingPubkey);
  }

  // Step 9: BIP 69 + CLTV order.
  pending.sort(compareCommitmentOutputs);

  // Step 1: input and locktime carry the obscured commitment number.
  const obscured = params.commitmentNumber ^ params.obscuringFactor;
  const tx: Transaction = {
    version: 2,
    locktime: (0x20 << 24 | Number(obscured & 0xffffffn)) >>> 0,
    inputs: [{ txid: params.funding.txid, vout: params.funding.vout, sequence: (0x80 << 24 | Number((obscured >> 24n) & 0xffffffn)) >>> 0, scriptSig: new Uint8Array(0), witness: [] }],
    outputs: pending.map((p) => p.output),
  };
  let outputsSat = 0n;
  for (const o of tx.outputs) outputsSat += o.amountSat;
  return {
    tx,
    txid: transactionId(tx),
    outputs: pending.map((p, index) => p.describe(index)),
    trimmedHtlcs,
    baseFeeSat,
    feeSat: params.funding.amountSat - outputsSat,
    openerShortfallSat,
    fundingWitnessScript: fundingScript(keys.localFundingPubkey, keys.remoteFundingPubkey),
    params,
  };
}

/** The BIP 143 digest both parties sign for this commitment (SIGHASH_ALL over the funding output). */
export function commitmentSighash(commitment: CommitmentTransaction): Uint8Array {
  return segwitV0Sighash(commitment.tx, 0, commitment.fundingWitnessScript, commitment.params.funding.amountSat, SIGHASH_ALL);
}

/** Sign a commitment with a funding private key; DER plus the SIGHASH_ALL byte, as the witness carries it. */
export function signCommitment(commitment: CommitmentTransaction, fundingPrivateKey: Uint8Array): Uint8Array {
  return encodeScriptSignature(secp.sign(commitmentSighash(commitment), fundingPrivateKey), SIGHASH_ALL);
}

/** The commitment with its funding witness: 0 <sig for pubkey1> <sig for pubkey2> <funding script>. */
export function finalizeCommitment(commitment: CommitmentTransaction, localSignature: Uint8Array, remoteSignature: Uint8Array): Transaction {
  const { localFundingPubkey, remoteFundingPubkey } = commitment.params.keys;
  return withWitness(commitment.tx, 0, fundingWitness(localFundingPubkey, localSignature, remoteFundingPubkey, remoteSignature));
}
