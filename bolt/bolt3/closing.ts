// BOLT 3 §Legacy Closing Transaction (closing_signed) and §Closing Transaction
// (closing_complete / closing_sig, option_simple_close): the mutual close spending the funding output.
import { secp } from '../crypto/secp256k1.js';
import { OP, fundingScript, fundingWitness } from './scripts.js';
import { compareOutputs, encodeScriptSignature, SIGHASH_ALL, segwitV0Sighash, withWitness } from './tx.js';
import type { Transaction, TxOutput } from './tx.js';
import type { FundingOutput } from './commitment.js';

export class ClosingError extends Error {
  override readonly name = 'ClosingError';
}

export interface ClosingOutput {
  readonly index: number;
  /** Which party the output pays, from the builder's side. */
  readonly owner: 'local' | 'remote';
  readonly amountSat: bigint;
  readonly script: Uint8Array;
}

export interface ClosingTransaction {
  /** Unsigned: the funding input's witness is empty until `finalizeClosing`. */
  readonly tx: Transaction;
  readonly outputs: readonly ClosingOutput[];
  readonly fundingWitnessScript: Uint8Array;
  readonly funding: FundingOutput;
  readonly localFundingPubkey: Uint8Array;
  readonly remoteFundingPubkey: Uint8Array;
}

export interface LegacyClosingParams {
  readonly funding: FundingOutput;
  readonly localFundingPubkey: Uint8Array;
  readonly remoteFundingPubkey: Uint8Array;
  /** scriptpubkey from each side's shutdown message. */
  readonly localScript: Uint8Array;
  readonly remoteScript: Uint8Array;
  readonly localBalanceMsat: bigint;
  readonly remoteBalanceMsat: bigint;
  /** Whether the local side funded the channel, and so pays `feeSat`. */
  readonly localIsFunder: boolean;
  /** fee_satoshis from closing_signed. */
  readonly feeSat: bigint;
  /** The signing node's own dust_limit_satoshis: outputs below it are removed. */
  readonly dustLimitSat: bigint;
}

function isOpReturn(script: Uint8Array): boolean {
  return script[0] === OP.OP_RETURN;
}

function checkBalances(funding: FundingOutput, a: bigint, b: bigint, fee: bigint): void {
  if (a < 0n || b < 0n) throw new ClosingError(`closing: balances must not be negative (${a} msat, ${b} msat)`);
  if (fee < 0n) throw new ClosingError(`closing: fee ${fee} sat is negative`);
  if (a + b !== funding.amountSat * 1000n) {
    throw new ClosingError(`closing: balances add up to ${a + b} msat, but the funding output holds ${funding.amountSat * 1000n} msat`);
  }
}

function assemble(
  funding: FundingOutput,
  localFundingPubkey: Uint8Array,
  remoteFundingPubkey: Uint8Array,
  sequence: number,
  locktime: number,
  unsorted: readonly Omit<ClosingOutput, 'index'>[],
): ClosingTransaction {
  if (unsorted.length === 0) throw new ClosingError('closing: no output is left (every output was removed)');
  const sorted = [...unsorted].sort((a, b) => compareOutputs(a, b));
  const tx: Transaction = {
    version: 2,
    locktime,
    inputs: [{ txid: funding.txid, vout: funding.vout, sequence, scriptSig: new Uint8Array(0), witness: [] }],
    outputs: sorted.map((o): TxOutput => ({ amountSat: o.amountSat, script: o.script })),
  };
  return {
    tx,
    outputs: sorted.map((o, index) => ({ ...o, index })),
    fundingWitnessScript: fundingScript(localFundingPubkey, remoteFundingPubkey),
    funding,
    localFundingPubkey,
    remoteFundingPubkey,
  };
}

/** BOLT 3 §Legacy Closing Transaction: round down, the funder pays the fee, drop outputs below our dust limit. */
export function buildLegacyClosing(p: LegacyClosingParams): ClosingTransaction {
  checkBalances(p.funding, p.localBalanceMsat, p.remoteBalanceMsat, p.feeSat);
  let local = p.localBalanceMsat / 1000n;
  let remote = p.remoteBalanceMsat / 1000n;
  if (p.localIsFunder) local -= p.feeSat;
  else remote -= p.feeSat;
  if (local < 0n || remote < 0n) {
    throw new ClosingError(`closing: fee ${p.feeSat} sat exceeds the funder's balance of ${(p.localIsFunder ? p.localBalanceMsat : p.remoteBalanceMsat) / 1000n} sat`);
  }
  const outputs: Omit<ClosingOutput, 'index'>[] = [];
  if (local >= p.dustLimitSat && local > 0n) outputs.push({ owner: 'local', amountSat: local, script: p.localScript });
  if (remote >= p.dustLimitSat && remote > 0n) outputs.push({ owner: 'remote', amountSat: remote, script: p.remoteScript });
  return assemble(p.funding, p.localFundingPubkey, p.remoteFundingPubkey, 0xffffffff, 0, outputs);
}

export interface ClosingParams {
  readonly funding: FundingOutput;
  readonly localFundingPubkey: Uint8Array;
  readonly remoteFundingPubkey: Uint8Array;
  /** Which side sent closing_complete and so pays the fee. */
  readonly closer: 'local' | 'remote';
  /** closer_scriptpubkey / closee_scriptpubkey; null when that side omits its output. */
  readonly closerScript: Uint8Array | null;
  readonly closeeScript: Uint8Array | null;
  readonly closerBalanceMsat: bigint;
  readonly closeeBalanceMsat: bigint;
  /** closing_complete.fee_satoshis. */
  readonly feeSat: bigint;
  /** closing_complete.locktime. */
  readonly locktime: number;
}

/** BOLT 3 §Closing Transaction (option_simple_close): the closer pays the fee; OP_RETURN outputs carry 0. */
export function buildClosing(p: ClosingParams): ClosingTransaction {
  checkBalances(p.funding, p.closerBalanceMsat, p.closeeBalanceMsat, p.feeSat);
  if (!Number.isInteger(p.locktime) || p.locktime < 0 || p.locktime > 0xffffffff) throw new ClosingError(`closing: locktime ${p.locktime} is not a u32`);
  const closee: 'local' | 'remote' = p.closer === 'local' ? 'remote' : 'local';
  const outputs: Omit<ClosingOutput, 'index'>[] = [];
  if (p.closerScript) {
    const amountSat = isOpReturn(p.closerScript) ? 0n : p.closerBalanceMsat / 1000n - p.feeSat;
    if (amountSat < 0n) throw new ClosingError(`closing: fee ${p.feeSat} sat exceeds the closer's balance of ${p.closerBalanceMsat / 1000n} sat`);
    outputs.push({ owner: p.closer, amountSat, script: p.closerScript });
  }
  if (p.closeeScript) {
    outputs.push({ owner: closee, amountSat: isOpReturn(p.closeeScript) ? 0n : p.closeeBalanceMsat / 1000n, script: p.closeeScript });
  }
  return assemble(p.funding, p.localFundingPubkey, p.remoteFundingPubkey, 0xfffffffd, p.locktime, outputs);
}

/** Sign a closing transaction with a funding private key: DER plus SIGHASH_ALL. */
export function signClosing(closing: ClosingTransaction, fundingPrivateKey: Uint8Array): Uint8Array {
  const digest = segwitV0Sighash(closing.tx, 0, closing.fundingWitnessScript, closing.funding.amountSat, SIGHASH_ALL);
  return encodeScriptSignature(secp.sign(digest, fundingPrivateKey), SIGHASH_ALL);
}

/** The closing transaction with its 2-of-2 funding witness. */
export function finalizeClosing(closing: ClosingTransaction, localSignature: Uint8Array, remoteSignature: Uint8Array): Transaction {
  return withWitness(closing.tx, 0, fundingWitness(closing.localFundingPubkey, localSignature, closing.remoteFundingPubkey, remoteSignature));
}
