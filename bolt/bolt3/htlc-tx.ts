// BOLT 3 §HTLC-Timeout and HTLC-Success Transactions: the second-stage transactions that
// spend a commitment's HTLC outputs into the owner's delayed (revocable) output.
import { equal } from '../bytes.js';
import { sha256 } from '../crypto/hash.js';
import { secp } from '../crypto/secp256k1.js';
import { htlcSuccessFeeSat, htlcTimeoutFeeSat } from './commitment.js';
import type { ChannelType, CommitmentTransaction, Htlc, HtlcOutput } from './commitment.js';
import { p2wsh, toLocalScript } from './scripts.js';
import { encodeScriptSignature, SIGHASH_ALL, SIGHASH_ANYONECANPAY, SIGHASH_SINGLE, segwitV0Sighash, withWitness } from './tx.js';
import type { Transaction } from './tx.js';

export class HtlcTransactionError extends Error {
  override readonly name = 'HtlcTransactionError';
}

export interface HtlcTransaction {
  /** HTLC-timeout for an HTLC the owner offered, HTLC-success for one it received. */
  readonly kind: 'htlc-success' | 'htlc-timeout';
  readonly htlc: Htlc;
  /** Unsigned: its input's witness is empty until finalized. */
  readonly tx: Transaction;
  /** The commitment output it spends. */
  readonly spent: HtlcOutput;
  /** The witness script of its own output (to_local form: revocation or delayed). */
  readonly outputWitnessScript: Uint8Array;
  readonly channelType: ChannelType;
}

const EMPTY = new Uint8Array(0);

/**
 * The sighash type of the counterparty's signature on our HTLC transactions (the one sent in
 * commitment_signed.htlc_signatures): SIGHASH_SINGLE|SIGHASH_ANYONECANPAY with option_anchors,
 * so fees can be attached (BOLT 3, BOLT 5); SIGHASH_ALL otherwise. The owner always signs with SIGHASH_ALL.
 */
export function htlcRemoteSighashType(channelType: ChannelType): number {
  return channelType === 'anchors' ? SIGHASH_SINGLE | SIGHASH_ANYONECANPAY : SIGHASH_ALL;
}

/** The HTLC transaction spending one HTLC output of a commitment. */
export function buildHtlcTransaction(commitment: CommitmentTransaction, spent: HtlcOutput): HtlcTransaction {
  return build(commitment, spent, delayedOutputScript(commitment));
}

/** All HTLC transactions of a commitment, in its output order (the order of htlc_signatures). */
export function buildHtlcTransactions(commitment: CommitmentTransaction): HtlcTransaction[] {
  const out: HtlcTransaction[] = [];
  let outputWitnessScript: Uint8Array | undefined;
  for (const o of commitment.outputs) {
    if (o.kind !== 'htlc') continue;
    outputWitnessScript ??= delayedOutputScript(commitment); // the same for every HTLC transaction of a commitment
    out.push(build(commitment, o, outputWitnessScript));
  }
  return out;
}

/** BOLT 3: the HTLC transaction output has the to_local witness script (revocationpubkey / local_delayedpubkey). */
function delayedOutputScript(commitment: CommitmentTransaction): Uint8Array {
  const { keys, toSelfDelay } = commitment.params;
  return toLocalScript(keys.revocationPubkey, toSelfDelay, keys.localDelayedPubkey);
}

function build(commitment: CommitmentTransaction, spent: HtlcOutput, outputWitnessScript: Uint8Array): HtlcTransaction {
  const { channelType, feeratePerKw } = commitment.params;
  if (commitment.outputs[spent.index] !== spent) {
    throw new HtlcTransactionError(`HTLC ${spent.htlc.direction} ${spent.htlc.id}: output ${spent.index} is not an output of this commitment`);
  }
  const { htlc } = spent;
  const timeout = htlc.direction === 'offered';
  const feeSat = timeout ? htlcTimeoutFeeSat(channelType, feeratePerKw) : htlcSuccessFeeSat(channelType, feeratePerKw);
  const amountSat = spent.amountSat - feeSat;
  if (amountSat < 0n) {
    throw new HtlcTransactionError(`HTLC ${htlc.direction} ${htlc.id}: ${spent.amountSat} sat cannot pay its ${feeSat} sat second-stage fee`);
  }
  const tx: Transaction = {
    version: 2,
    // BOLT 3: locktime 0 for HTLC-success, cltv_expiry for HTLC-timeout; sequence 0 (1 with option_anchors).
    locktime: timeout ? htlc.cltvExpiry : 0,
    inputs: [{ txid: commitment.txid, vout: spent.index, sequence: channelType === 'anchors' ? 1 : 0, scriptSig: EMPTY, witness: [] }],
    outputs: [{ amountSat, script: p2wsh(outputWitnessScript) }],
  };
  return { kind: timeout ? 'htlc-timeout' : 'htlc-success', htlc, tx, spent, outputWitnessScript, channelType };
}

/** The BIP 143 digest of an HTLC transaction for a given sighash type. */
export function htlcSighash(htlcTx: HtlcTransaction, sighashType: number): Uint8Array {
  return segwitV0Sighash(htlcTx.tx, 0, htlcTx.spent.witnessScript, htlcTx.spent.amountSat, sighashType);
}

/** Sign an HTLC transaction with an HTLC private key: DER plus the sighash byte. */
export function signHtlcTransaction(htlcTx: HtlcTransaction, htlcPrivateKey: Uint8Array, sighashType: number): Uint8Array {
  return encodeScriptSignature(secp.sign(htlcSighash(htlcTx, sighashType), htlcPrivateKey), sighashType);
}

/**
 * The signed HTLC transaction. Witness: 0 <remotehtlcsig> <localhtlcsig> <payment_preimage> for
 * HTLC-success, 0 <remotehtlcsig> <localhtlcsig> <> for HTLC-timeout, then the HTLC witness script.
 */
export function finalizeHtlcTransaction(
  htlcTx: HtlcTransaction,
  remoteSignature: Uint8Array,
  localSignature: Uint8Array,
  paymentPreimage?: Uint8Array,
): Transaction {
  let last: Uint8Array = EMPTY;
  if (htlcTx.kind === 'htlc-success') {
    if (!paymentPreimage) throw new HtlcTransactionError(`HTLC-success for HTLC ${htlcTx.htlc.id}: the payment preimage is required`);
    if (paymentPreimage.length !== 32 || !equal(sha256(paymentPreimage), htlcTx.htlc.paymentHash)) {
      throw new HtlcTransactionError(`HTLC-success for HTLC ${htlcTx.htlc.id}: the preimage does not hash to its payment_hash`);
    }
    last = paymentPreimage;
  } else if (paymentPreimage) {
    throw new HtlcTransactionError(`HTLC-timeout for HTLC ${htlcTx.htlc.id}: takes no preimage`);
  }
  return withWitness(htlcTx.tx, 0, [EMPTY, remoteSignature, localSignature, last, htlcTx.spent.witnessScript]);
}
