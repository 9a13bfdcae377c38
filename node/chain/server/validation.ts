// Transaction checks with bitcoind's rejection reasons. Bitcoin Core: src/consensus/tx_check.cpp
// (CheckTransaction), src/consensus/tx_verify.cpp (CheckTxInputs), src/policy/policy.cpp
// (IsStandardTx), src/validation.cpp (CheckInputScripts and the mempool's script checks).
import { formatMoney, MAX_MONEY, moneyRange } from './amount.js';
import { isCoinbase, NULL_TXID, type ChainTx } from './tx.js';
import { parseScript, OP_16 } from './script.js';
import { CONSENSUS_FLAGS, ScriptCheck, STANDARD_FLAGS } from '../script-validator.js';

/** What bitcoind's RPC layer makes of a rejection (TxValidationResult, roughly). */
export type RejectionKind = 'invalid' | 'missing-inputs' | 'conflict' | 'already-in-mempool' | 'already-known';

/** A transaction refused, with bitcoind's reject reason and debug text (state.ToString() = "reason, debug"). */
export class TxRejection extends Error {
  override readonly name = 'TxRejection';
  constructor(
    readonly reason: string,
    readonly debug: string = '',
    readonly kind: RejectionKind = 'invalid',
  ) {
    super(debug ? `${reason}, ${debug}` : reason);
  }
}

/** An unspent output as validation sees it. */
export interface Coin {
  readonly amount: bigint;
  readonly script: Uint8Array;
  /** Height of the block holding it; for an unconfirmed parent, the height of the next block. */
  readonly height: number;
  readonly coinbase: boolean;
}

/** consensus/consensus.h */
export const WITNESS_SCALE_FACTOR = 4;
export const MAX_BLOCK_WEIGHT = 4_000_000;
/** policy/policy.h */
export const MAX_STANDARD_TX_WEIGHT = 400_000;
export const MIN_STANDARD_TX_NONWITNESS_SIZE = 65;
export const MAX_STANDARD_SCRIPTSIG_SIZE = 1650;
export const TX_MAX_STANDARD_VERSION = 3;

/** CheckTransaction: rules that need no context. */
export function checkTransaction(tx: ChainTx): void {
  if (tx.inputs.length === 0) throw new TxRejection('bad-txns-vin-empty');
  if (tx.outputs.length === 0) throw new TxRejection('bad-txns-vout-empty');
  if (tx.strippedSize * WITNESS_SCALE_FACTOR > MAX_BLOCK_WEIGHT) throw new TxRejection('bad-txns-oversize');
  let total = 0n;
  for (const out of tx.outputs) {
    if (out.amount < 0n) throw new TxRejection('bad-txns-vout-negative');
    if (out.amount > MAX_MONEY) throw new TxRejection('bad-txns-vout-toolarge');
    total += out.amount;
    if (!moneyRange(total)) throw new TxRejection('bad-txns-txouttotal-toolarge');
  }
  const seen = new Set<string>();
  for (const i of tx.inputs) {
    const key = `${i.prevTxid}:${i.prevVout}`;
    if (seen.has(key)) throw new TxRejection('bad-txns-inputs-duplicate');
    seen.add(key);
  }
  if (isCoinbase(tx)) {
    const len = tx.inputs[0]!.scriptSig.length;
    if (len < 2 || len > 100) throw new TxRejection('bad-cb-length');
  } else if (tx.inputs.some((i) => i.prevTxid === NULL_TXID && i.prevVout === 0xffffffff)) {
    throw new TxRejection('bad-txns-prevout-null');
  }
}

/** The parts of IsStandardTx the mempool applies here (dust and output script types are allowed). */
export function checkStandard(tx: ChainTx): void {
  if (tx.version < 1 || tx.version > TX_MAX_STANDARD_VERSION) throw new TxRejection('version');
  if (tx.weight > MAX_STANDARD_TX_WEIGHT) throw new TxRejection('tx-size');
  if (tx.strippedSize < MIN_STANDARD_TX_NONWITNESS_SIZE) throw new TxRejection('tx-size-small');
  for (const input of tx.inputs) {
    if (input.scriptSig.length > MAX_STANDARD_SCRIPTSIG_SIZE) throw new TxRejection('scriptsig-size');
    const parsed = parseScript(input.scriptSig);
    if (parsed.truncated || parsed.ops.some((op) => op.opcode > OP_16)) throw new TxRejection('scriptsig-not-pushonly');
  }
}

/**
 * CheckTxInputs: coinbase maturity and amounts. `coins[i]` is the output input i spends;
 * `spendHeight` the height of the block the transaction would be in. Returns the fee.
 */
export function checkTxInputs(tx: ChainTx, coins: readonly Coin[], spendHeight: number, coinbaseMaturity: number): bigint {
  let valueIn = 0n;
  for (const coin of coins) {
    if (coin.coinbase && spendHeight - coin.height < coinbaseMaturity) {
      throw new TxRejection('bad-txns-premature-spend-of-coinbase', `tried to spend coinbase at depth ${spendHeight - coin.height}`);
    }
    valueIn += coin.amount;
    if (!moneyRange(coin.amount) || !moneyRange(valueIn)) throw new TxRejection('bad-txns-inputvalues-outofrange');
  }
  const valueOut = tx.outputs.reduce((n, o) => n + o.amount, 0n);
  if (valueIn < valueOut) {
    throw new TxRejection('bad-txns-in-belowout', `value in (${formatMoney(valueIn)}) < value out (${formatMoney(valueOut)})`);
  }
  const fee = valueIn - valueOut;
  if (!moneyRange(fee)) throw new TxRejection('bad-txns-fee-outofrange');
  return fee;
}

function scriptDebug(tx: ChainTx, inputIndex: number): string {
  const input = tx.inputs[inputIndex]!;
  return `input ${inputIndex} of ${tx.txid} (wtxid ${tx.wtxid}), spending ${input.prevTxid}:${input.prevVout}`;
}

/**
 * Every input's scripts, through bitcore-lib's interpreter. For the mempool: standard flags
 * first; a failure that the consensus flags alone accept is "non-mandatory", else "mandatory"
 * (as bitcoind reports). For a block: consensus flags only.
 */
export function checkInputScripts(tx: ChainTx, coins: readonly Coin[], mode: 'mempool' | 'block'): void {
  let check: ScriptCheck;
  try {
    check = new ScriptCheck(tx.raw, coins.map((c) => ({ script: c.script, amountSat: c.amount })));
  } catch (e) {
    throw new TxRejection('mandatory-script-verify-flag-failed (unknown error)', `${tx.txid}: ${(e as Error).message}`);
  }
  if (mode === 'mempool') {
    const policy = check.firstFailure(STANDARD_FLAGS);
    if (!policy) return;
    const consensus = check.firstFailure(CONSENSUS_FLAGS);
    if (!consensus) throw new TxRejection(`non-mandatory-script-verify-flag (${policy.message})`, scriptDebug(tx, policy.inputIndex));
    throw new TxRejection(`mandatory-script-verify-flag-failed (${consensus.message})`, scriptDebug(tx, consensus.inputIndex));
  }
  const consensus = check.firstFailure(CONSENSUS_FLAGS);
  if (consensus) throw new TxRejection(`mandatory-script-verify-flag-failed (${consensus.message})`, scriptDebug(tx, consensus.inputIndex));
}
