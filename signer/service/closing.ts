// Closing a channel and claiming its outputs (BOLT 2 §Channel Close, BOLT 3, BOLT 5 §On-chain handling).
// Every transaction is rebuilt here from the request and the stored channel: the spent script comes from
// the stored keys and commitments, never from the node, and the outputs are classified against our
// wallet and the allowlist before the policy sees them (DESIGN invariant 4).
//
// SignMutualClose builds the closing transaction from the two outputs and the fee it is given. Its
// format follows `locktime`: 0 builds the closing_signed form (BOLT 3 §Legacy Closing Transaction:
// sequence 0xFFFFFFFF), any other value the closing_complete form (§Closing Transaction,
// option_simple_close: sequence 0xFFFFFFFD, that locktime).
import { equal, hex } from '../../bolt/bytes.js';
import {
  anchorScript,
  anchorWitness,
  buildHtlcTransactions,
  commitmentSighash,
  compareOutputs,
  encodeScriptSignature,
  finalizeCommitment,
  finalizeHtlcTransaction,
  fundingScript,
  htlcRemoteSighashType,
  htlcSighash,
  indexFromCommitmentNumber,
  p2wpkh,
  p2wpkhScriptCode,
  segwitV0Sighash,
  serializeTransaction,
  SIGHASH_ALL,
  toLocalDelayedWitness,
  toLocalPenaltyWitness,
  toLocalScript,
  toRemoteAnchorsScript,
  toRemoteAnchorsWitness,
  transactionId,
  transactionWeight,
  withWitness,
  OP,
  type Transaction,
  type TxOutput,
} from '../../bolt/bolt3/index.js';
import { sha256 } from '../../bolt/crypto/hash.js';
import type { ClosingOutput, SweepInputKind, TxOutputFact } from '../../policy/index.js';
import type { SignTweak } from '../device/device.js';
import { invalidArgument, notFound, precondition } from '../errors.js';
import type { ChannelSetup } from '../store/records.js';
import { scriptToAddress } from './address.js';
import type { LiveChannel } from './channels.js';
import {
  balancesFromOurSide,
  buildCounterpartyCommitment,
  buildHolderCommitment,
  commitmentAmounts,
  counterpartyKeys,
  fundingOutput,
  holderKeys,
} from './commitments.js';
import type { Handler, ServiceContext } from './context.js';
import { addTweak, channelPath, holderPoint, sign, signAll } from './device-ops.js';
import { counterpartyCommitment } from './counterparty.js';
import {
  bytes,
  channelRef,
  commitmentNumber,
  enumValue,
  itemMessage,
  itemU64,
  list,
  out,
  outPoint,
  requestObject,
  u32,
  u64,
  MAX_MONEY_SAT,
  type Fields,
} from './fields.js';
import { requireOpen } from './guards.js';
import { holderCommitment } from './holder.js';
import { enforce } from './policy-bridge.js';
import { progressOf } from './progress.js';

/** A DER signature with its sighash byte at its longest: what weight estimates assume. */
const DUMMY_SIGNATURE = new Uint8Array(73);
const MAX_SCRIPT = 83;
/** BOLT 2: a closing output may be an OP_RETURN carrying 0 sat (option_simple_close). */
const isOpReturn = (script: Uint8Array): boolean => script[0] === OP.OP_RETURN;

function destinationScript(req: Fields, field: string): Uint8Array {
  return bytes(req, field, '', { min: 1, max: MAX_SCRIPT });
}

function outputFact(ctx: ServiceContext, script: Uint8Array, amountSat: bigint): TxOutputFact {
  return { amountSat, destination: ctx.wallet.classify(script), address: scriptToAddress(script, ctx.network) };
}

function markClosing(ctx: ServiceContext, ch: LiveChannel): { persist?: () => void; commit?: () => void } {
  if (ch.closing) return {};
  const progress = progressOf(ch.record, { state: 'closing' });
  return {
    persist: () => ctx.store.updateProgress(ch.record.rowId, progress),
    commit: () => {
      ch.record = { ...ch.record, ...progress };
    },
  };
}

/** A one-input, one-output transaction claiming `spent` to `destination`. */
function claimTransaction(spentTxid: Uint8Array, vout: number, sequence: number, amountSat: bigint, destination: Uint8Array): Transaction {
  return {
    version: 2,
    locktime: 0,
    inputs: [{ txid: spentTxid, vout, sequence, scriptSig: new Uint8Array(0), witness: [] }],
    outputs: [{ amountSat, script: destination }],
  };
}

/** Proto OutPoint txids travel in internal byte order; transactions name them in display order. */
function displayTxid(internal: Uint8Array): Uint8Array {
  return Uint8Array.from(internal).reverse();
}

function feeOf(amountSat: bigint, feeSat: bigint, field: string): bigint {
  if (feeSat >= amountSat) throw invalidArgument(field, `fee ${feeSat} sat leaves nothing of ${amountSat} sat`);
  return amountSat - feeSat;
}

// ---------------------------------------------------------------- SignMutualClose

export const signMutualClose: Handler = async (ctx, request, audit) => {
  const req = requestObject(request);
  const ch = ctx.channels.get(channelRef(req));
  audit.channelId = ch.displayId;
  const setup = ch.requireSetup('SignMutualClose');
  requireOpen(ch, 'SignMutualClose');
  const holderScript = bytes(req, 'holder_script', '', { min: 0, max: MAX_SCRIPT });
  const counterpartyScript = bytes(req, 'counterparty_script', '', { min: 0, max: MAX_SCRIPT });
  const holderSat = u64(req, 'holder_sat', '', { max: MAX_MONEY_SAT });
  const counterpartySat = u64(req, 'counterparty_sat', '', { max: MAX_MONEY_SAT });
  const feeSat = u64(req, 'fee_sat', '', { max: MAX_MONEY_SAT });
  const locktime = u32(req, 'locktime');
  audit.amountsMsat = { amount: holderSat * 1000n, fee: feeSat * 1000n };

  if (holderSat + counterpartySat + feeSat !== setup.fundingSat) {
    throw invalidArgument('fee_sat', `outputs ${holderSat} + ${counterpartySat} sat and fee ${feeSat} sat do not add up to the funding ${setup.fundingSat} sat`);
  }
  const outputs: { side: 'holder' | 'counterparty'; output: TxOutput }[] = [];
  for (const [side, field, script, amountSat] of [
    ['holder', 'holder_script', holderScript, holderSat],
    ['counterparty', 'counterparty_script', counterpartyScript, counterpartySat],
  ] as const) {
    const upfront = side === 'holder' ? setup.holderShutdownScript : setup.counterpartyShutdownScript;
    if (script.length === 0) {
      if (amountSat !== 0n) throw invalidArgument(field, `is empty but its output holds ${amountSat} sat`);
      continue;
    }
    if (upfront.length > 0 && !equal(upfront, script)) throw invalidArgument(field, 'differs from the upfront_shutdown_script given at setup (BOLT 2 §shutdown)');
    if (amountSat === 0n && !isOpReturn(script)) throw invalidArgument(field, 'an output of 0 sat must be an OP_RETURN');
    outputs.push({ side, output: { amountSat, script } });
  }
  if (outputs.length === 0) throw invalidArgument('holder_script', 'a closing transaction needs at least one output');
  outputs.sort((a, b) => compareOutputs(a.output, b.output));

  const latest = ch.latestHolder();
  if (latest === undefined) throw precondition('policy-signer-channel-state', 'SignMutualClose: no holder commitment was validated yet');
  const lastBalances = balancesFromOurSide(latest.info, 'holder');
  const holderBalanceSat = lastBalances.toHolderMsat / 1000n;
  const counterpartyBalanceSat = lastBalances.toCounterpartyMsat / 1000n;
  // Who pays: the side whose output is its balance less the fee (the funder under closing_signed, the
  // closer under closing_complete). If neither matches exactly, the policy holds us to our full balance.
  const feePayer: 'holder' | 'counterparty' =
    holderSat + feeSat === holderBalanceSat ? 'holder' : counterpartySat + feeSat === counterpartyBalanceSat ? 'counterparty' : ch.record.holderIsOpener ? 'holder' : 'counterparty';

  const funding = fundingOutput(setup);
  const witnessScript = fundingScript(ch.record.holder.fundingPubkey, setup.counterparty.fundingPubkey);
  const tx: Transaction = {
    version: 2,
    locktime,
    inputs: [{ txid: funding.txid, vout: funding.vout, sequence: locktime === 0 ? 0xffffffff : 0xfffffffd, scriptSig: new Uint8Array(0), witness: [] }],
    outputs: outputs.map((o) => o.output),
  };
  audit.txid = transactionId(tx);
  const weight = transactionWeight(withWitness(tx, 0, [new Uint8Array(0), DUMMY_SIGNATURE, DUMMY_SIGNATURE, witnessScript]));
  const facts: ClosingOutput[] = outputs.map((o) => ({ side: o.side, ...outputFact(ctx, o.output.script, o.output.amountSat) }));
  const warnings = enforce(ctx, {
    kind: 'sign-mutual-close',
    channel: ch.facts(setup),
    outputs: facts,
    feeSat,
    weight,
    feePayer,
    lastBalances,
  });
  const signature = await sign(ctx, channelPath(ctx, ch, 'funding'), segwitV0Sighash(tx, 0, witnessScript, setup.fundingSat, SIGHASH_ALL));
  return {
    response: { signature: out(signature) },
    reason: `mutual close signed: ${holderSat} sat to us, ${counterpartySat} sat to the peer, fee ${feeSat} sat (paid by ${feePayer})`,
    warnings,
    ...markClosing(ctx, ch),
  };
};

// ---------------------------------------------------------------- force close

export const signHolderCommitmentForBroadcast: Handler = async (ctx, request, audit) => {
  const req = requestObject(request);
  const ch = ctx.channels.get(channelRef(req));
  audit.channelId = ch.displayId;
  const setup = ch.requireSetup('SignHolderCommitmentForBroadcast');
  requireOpen(ch, 'SignHolderCommitmentForBroadcast');
  const n = ch.record.nextHolderNumber - 1;
  const stored = holderCommitment(ctx, ch, n);
  if (stored === undefined) throw precondition('policy-signer-channel-state', 'SignHolderCommitmentForBroadcast: no holder commitment was validated yet');
  audit.commitmentNumber = n;
  audit.amountsMsat = commitmentAmounts(balancesFromOurSide(stored.info, 'holder'));
  const warnings = enforce(ctx, {
    kind: 'sign-holder-commitment-for-broadcast',
    channelId: hex(setup.channelId),
    commitmentNumber: n,
    highestRevokedHolderCommitment: ch.record.revokedHolderThrough,
  });
  const commitment = buildHolderCommitment(ch, setup, stored.info, await holderPoint(ctx, ch, n));
  if (!equal(commitment.txid, stored.txid)) throw precondition('policy-signer-internal', `holder commitment ${n} rebuilds to another txid than the one validated`);
  audit.txid = commitment.txid;
  const ours = await sign(ctx, channelPath(ctx, ch, 'funding'), commitmentSighash(commitment));
  const tx = finalizeCommitment(commitment, encodeScriptSignature(ours, SIGHASH_ALL), encodeScriptSignature(stored.counterpartySignature, SIGHASH_ALL));
  return {
    response: { transaction: out(serializeTransaction(tx)) },
    reason: `holder commitment ${n} signed for broadcast (force close)`,
    warnings,
    ...markClosing(ctx, ch),
  };
};

export const signHolderHtlcTransaction: Handler = async (ctx, request, audit) => {
  const req = requestObject(request);
  const ch = ctx.channels.get(channelRef(req));
  audit.channelId = ch.displayId;
  const setup = ch.requireSetup('SignHolderHtlcTransaction');
  const n = commitmentNumber(req, 'commitment_number');
  audit.commitmentNumber = n;
  const htlcId = u64(req, 'htlc_id');
  const preimage = bytes(req, 'payment_preimage', '', { min: 0, max: 32 });
  if (preimage.length !== 0 && preimage.length !== 32) throw invalidArgument('payment_preimage', `expected 0 or 32 bytes, got ${preimage.length}`);
  const warnings = enforce(ctx, {
    kind: 'sign-holder-commitment-for-broadcast',
    channelId: hex(setup.channelId),
    commitmentNumber: n,
    highestRevokedHolderCommitment: ch.record.revokedHolderThrough,
  });
  const stored = n < ch.record.nextHolderNumber ? holderCommitment(ctx, ch, n) : undefined;
  if (stored === undefined) throw notFound('commitment_number', `holder commitment ${n} was not validated`);
  const point = await holderPoint(ctx, ch, n);
  const commitment = buildHolderCommitment(ch, setup, stored.info, point);
  // HTLC-success spends an HTLC we received (with the preimage), HTLC-timeout one we offered.
  const direction = preimage.length === 32 ? 'received' : 'offered';
  const htlcTxs = buildHtlcTransactions(commitment);
  const i = htlcTxs.findIndex((t) => t.htlc.id === htlcId && t.htlc.direction === direction);
  if (i < 0) throw notFound('htlc_id', `no untrimmed ${direction} HTLC ${htlcId} in holder commitment ${n}`);
  const htlcTx = htlcTxs[i]!;
  if (direction === 'received' && !equal(sha256(preimage), htlcTx.htlc.paymentHash)) {
    throw invalidArgument('payment_preimage', `does not hash to the payment_hash of HTLC ${htlcId}`);
  }
  audit.paymentHash = htlcTx.htlc.paymentHash;
  audit.amountsMsat = { amount: htlcTx.htlc.amountMsat };
  // BOLT 3: local_htlcpubkey = our htlc_basepoint tweaked with our point; we sign SIGHASH_ALL.
  const ours = await sign(ctx, channelPath(ctx, ch, 'htlc'), htlcSighash(htlcTx, SIGHASH_ALL), addTweak(point, ch.record.holder.htlcBasepoint));
  const theirs = encodeScriptSignature(stored.htlcSignatures[i]!, htlcRemoteSighashType(setup.channelType));
  const tx = finalizeHtlcTransaction(htlcTx, theirs, encodeScriptSignature(ours, SIGHASH_ALL), direction === 'received' ? preimage : undefined);
  audit.txid = transactionId(tx);
  return {
    response: { transaction: out(serializeTransaction(tx)) },
    reason: `${htlcTx.kind} for ${direction} HTLC ${htlcId} of holder commitment ${n} signed`,
    warnings,
  };
};

// ---------------------------------------------------------------- sweeps

const SWEEP_KINDS = {
  SWEEP_KIND_TO_LOCAL: 'to-local',
  SWEEP_KIND_HTLC_OUTPUT: 'htlc-output',
  SWEEP_KIND_ANCHOR: 'anchor',
  SWEEP_KIND_TO_REMOTE: 'to-remote',
} as const;
const SWEEP_KIND_NUMBERS: Record<number, string> = {
  0: 'SWEEP_KIND_UNSPECIFIED',
  1: 'SWEEP_KIND_TO_LOCAL',
  2: 'SWEEP_KIND_HTLC_OUTPUT',
  3: 'SWEEP_KIND_ANCHOR',
  4: 'SWEEP_KIND_TO_REMOTE',
};
type SweepKind = (typeof SWEEP_KINDS)[keyof typeof SWEEP_KINDS];

/** How one input is spent: its script code, sequence, signing key, and witness around the signature. */
interface Spend {
  readonly scriptCode: Uint8Array;
  readonly sequence: number;
  readonly path: ReturnType<typeof channelPath>;
  readonly tweak?: SignTweak;
  readonly witness: (signature: Uint8Array) => Uint8Array[];
}

/** The policy's name for what a sweep spends. SweepInputKind has no to_remote entry: it is our own (undelayed) output, the closest being to-local-delayed. */
const POLICY_SWEEP_KIND: Record<SweepKind, SweepInputKind> = {
  'to-local': 'to-local-delayed',
  'htlc-output': 'htlc-output',
  anchor: 'anchor',
  'to-remote': 'to-local-delayed',
};

async function sweepSpend(
  ctx: ServiceContext,
  ch: LiveChannel,
  setup: ChannelSetup,
  kind: SweepKind,
  n: number,
  outpoint: { txid: Uint8Array; vout: number },
  amountSat: bigint,
): Promise<Spend> {
  const holder = ch.record.holder;
  switch (kind) {
    case 'to-local':
    case 'htlc-output': {
      // BOLT 5: our delayed output on our commitment n, or the output of our HTLC transaction from it;
      // both pay the to_local script of commitment n, spendable by our delayed key after to_self_delay.
      if (n >= ch.record.nextHolderNumber) throw notFound('commitment_number', `holder commitment ${n} was not validated`);
      const point = await holderPoint(ctx, ch, n);
      const keys = holderKeys(ch, setup, n, point);
      const script = toLocalScript(keys.revocationPubkey, setup.holderToSelfDelay, keys.localDelayedPubkey);
      if (kind === 'to-local') {
        const stored = holderCommitment(ctx, ch, n);
        if (stored) {
          const c = buildHolderCommitment(ch, setup, stored.info, point);
          const o = c.outputs[outpoint.vout];
          if (!equal(displayTxid(outpoint.txid), c.txid) || o === undefined || o.kind !== 'to_local' || o.amountSat !== amountSat) {
            throw invalidArgument('outpoint', `is not the ${amountSat}-sat to_local output of holder commitment ${n}`);
          }
        }
      }
      return {
        scriptCode: script,
        sequence: setup.holderToSelfDelay,
        path: channelPath(ctx, ch, 'delayedPayment'),
        tweak: addTweak(point, holder.delayedPaymentBasepoint),
        witness: (sig) => toLocalDelayedWitness(sig, script),
      };
    }
    case 'anchor': {
      if (setup.channelType !== 'anchors') throw invalidArgument('kind', 'SWEEP_KIND_ANCHOR on a channel without option_anchors');
      const script = anchorScript(holder.fundingPubkey);
      return { scriptCode: script, sequence: 0xfffffffd, path: channelPath(ctx, ch, 'funding'), witness: (sig) => anchorWitness(sig, script) };
    }
    case 'to-remote': {
      // Our output on their commitment n: static_remotekey pays our payment_basepoint untweaked.
      const stored = counterpartyCommitment(ctx, ch, n);
      if (stored === undefined) throw notFound('commitment_number', `counterparty commitment ${n} was not signed`);
      const c = buildCounterpartyCommitment(ch, setup, stored.info, stored.perCommitmentPoint);
      const o = c.outputs[outpoint.vout];
      if (!equal(displayTxid(outpoint.txid), c.txid) || o === undefined || o.kind !== 'to_remote' || o.amountSat !== amountSat) {
        throw invalidArgument('outpoint', `is not the ${amountSat}-sat to_remote output of counterparty commitment ${n}`);
      }
      const path = channelPath(ctx, ch, 'payment');
      if (setup.channelType === 'anchors') {
        const script = toRemoteAnchorsScript(holder.paymentBasepoint);
        return { scriptCode: script, sequence: 1, path, witness: (sig) => toRemoteAnchorsWitness(sig, script) };
      }
      if (!equal(o.script, p2wpkh(holder.paymentBasepoint))) throw invalidArgument('outpoint', 'its script is not our payment_basepoint P2WPKH');
      return { scriptCode: p2wpkhScriptCode(holder.paymentBasepoint), sequence: 0xfffffffd, path, witness: (sig) => [sig, holder.paymentBasepoint] };
    }
  }
}

export const signSweep: Handler = async (ctx, request, audit) => {
  const req = requestObject(request);
  const ch = ctx.channels.get(channelRef(req));
  audit.channelId = ch.displayId;
  const setup = ch.requireSetup('SignSweep');
  const kind = enumValue(req, 'kind', '', SWEEP_KINDS, SWEEP_KIND_NUMBERS);
  const outpoint = outPoint(req, 'outpoint');
  const amountSat = u64(req, 'amount_sat', '', { min: 1n, max: MAX_MONEY_SAT });
  const n = commitmentNumber(req, 'commitment_number');
  audit.commitmentNumber = n;
  const destination = destinationScript(req, 'destination_script');
  const feeSat = u64(req, 'fee_sat', '', { max: MAX_MONEY_SAT });
  const outSat = feeOf(amountSat, feeSat, 'fee_sat');
  audit.amountsMsat = { amount: amountSat * 1000n, fee: feeSat * 1000n };

  const spend = await sweepSpend(ctx, ch, setup, kind, n, outpoint, amountSat);
  const tx = claimTransaction(displayTxid(outpoint.txid), outpoint.vout, spend.sequence, outSat, destination);
  const weight = transactionWeight(withWitness(tx, 0, spend.witness(DUMMY_SIGNATURE)));
  const warnings = enforce(ctx, {
    kind: 'sign-sweep',
    channelId: hex(ch.displayId),
    inputs: [{ kind: POLICY_SWEEP_KIND[kind], amountSat }],
    outputs: [outputFact(ctx, destination, outSat)],
    weight,
  });
  const signature = await sign(ctx, spend.path, segwitV0Sighash(tx, 0, spend.scriptCode, amountSat, SIGHASH_ALL), spend.tweak);
  const signed = withWitness(tx, 0, spend.witness(encodeScriptSignature(signature, SIGHASH_ALL)));
  audit.txid = transactionId(signed);
  return { response: { transaction: out(serializeTransaction(signed)) }, reason: `${kind} sweep of ${amountSat} sat signed, fee ${feeSat} sat`, warnings };
};

// ---------------------------------------------------------------- justice

/** BOLT 2: at most 483 HTLCs each way, plus to_local and anchors. */
const MAX_JUSTICE_INPUTS = 2 * 483 + 4;

export const signJustice: Handler = async (ctx, request, audit) => {
  const req = requestObject(request);
  const ch = ctx.channels.get(channelRef(req));
  audit.channelId = ch.displayId;
  const setup = ch.requireSetup('SignJustice');
  const n = commitmentNumber(req, 'revoked_commitment_number');
  audit.commitmentNumber = n;
  const outpointItems = list(req, 'outpoints', '', MAX_JUSTICE_INPUTS);
  const amountItems = list(req, 'amounts_sat', '', MAX_JUSTICE_INPUTS);
  if (outpointItems.length === 0) throw invalidArgument('outpoints', 'at least one output to claim is required');
  if (amountItems.length !== outpointItems.length) throw invalidArgument('amounts_sat', `${amountItems.length} amounts for ${outpointItems.length} outpoints`);
  const outpoints = outpointItems.map((_, i) => outPoint({ item: itemMessage(outpointItems, i, 'outpoints') }, 'item', `outpoints[${i}]`));
  const amounts = amountItems.map((_, i) => itemU64(amountItems, i, 'amounts_sat', MAX_MONEY_SAT));
  const destination = destinationScript(req, 'destination_script');
  const feeSat = u64(req, 'fee_sat', '', { max: MAX_MONEY_SAT });
  const totalSat = amounts.reduce((a, b) => a + b, 0n);
  const outSat = feeOf(totalSat, feeSat, 'fee_sat');
  audit.amountsMsat = { amount: totalSat * 1000n, fee: feeSat * 1000n };

  const secret = ch.shachain.get(indexFromCommitmentNumber(BigInt(n)));
  if (secret === undefined) throw invalidArgument('revoked_commitment_number', `counterparty commitment ${n} is not revoked (no secret received)`);
  const stored = counterpartyCommitment(ctx, ch, n);
  if (stored === undefined) throw notFound('revoked_commitment_number', `counterparty commitment ${n} was not signed by this signer`);
  const commitment = buildCounterpartyCommitment(ch, setup, stored.info, stored.perCommitmentPoint);
  const keys = counterpartyKeys(ch, setup, n, stored.perCommitmentPoint);
  // Their HTLC transactions pay the to_local script of their commitment: revocable by us at once.
  const secondStage = toLocalScript(keys.revocationPubkey, setup.counterpartyToSelfDelay, keys.localDelayedPubkey);

  const spends = outpoints.map((o, i): { script: Uint8Array; witness: (sig: Uint8Array) => Uint8Array[] } => {
    if (equal(displayTxid(o.txid), commitment.txid)) {
      const output = commitment.outputs[o.vout];
      if (output === undefined || (output.kind !== 'to_local' && output.kind !== 'htlc')) {
        throw invalidArgument(`outpoints[${i}]`, `output ${o.vout} of revoked commitment ${n} is not its to_local or an HTLC output`);
      }
      if (output.amountSat !== amounts[i]) throw invalidArgument(`amounts_sat[${i}]`, `output ${o.vout} holds ${output.amountSat} sat, not ${amounts[i]}`);
      const script = output.witnessScript;
      // BOLT 3: to_local by <revocation_sig> 1; an HTLC output by <revocation_sig> <revocationpubkey>.
      return output.kind === 'to_local'
        ? { script, witness: (sig) => toLocalPenaltyWitness(sig, script) }
        : { script, witness: (sig) => [sig, keys.revocationPubkey, script] };
    }
    return { script: secondStage, witness: (sig) => toLocalPenaltyWitness(sig, secondStage) };
  });
  const tx: Transaction = {
    version: 2,
    locktime: 0,
    inputs: outpoints.map((o) => ({ txid: displayTxid(o.txid), vout: o.vout, sequence: 0xfffffffd, scriptSig: new Uint8Array(0), witness: [] })),
    outputs: [{ amountSat: outSat, script: destination }],
  };
  let estimate = tx;
  spends.forEach((s, i) => (estimate = withWitness(estimate, i, s.witness(DUMMY_SIGNATURE))));
  const warnings = enforce(ctx, {
    kind: 'sign-sweep',
    channelId: hex(ch.displayId),
    inputs: amounts.map((amountSat) => ({ kind: 'justice' as const, amountSat })),
    outputs: [outputFact(ctx, destination, outSat)],
    weight: transactionWeight(estimate),
  });
  // revocationprivkey = f(our revocation_basepoint_secret, their per_commitment_secret): the device derives it.
  const tweak: SignTweak = { kind: 'revocation', perCommitmentSecret: secret };
  const path = channelPath(ctx, ch, 'revocation');
  // BIP 143 digests commit to the unsigned transaction, so every input is signed in one device round trip.
  const signatures = await signAll(ctx, spends.map((s, i) => ({ path, digest: segwitV0Sighash(tx, i, s.script, amounts[i]!, SIGHASH_ALL), tweak })));
  let signed = tx;
  spends.forEach((s, i) => (signed = withWitness(signed, i, s.witness(encodeScriptSignature(signatures[i]!, SIGHASH_ALL)))));
  audit.txid = transactionId(signed);
  return {
    response: { transaction: out(serializeTransaction(signed)) },
    reason: `justice transaction against revoked counterparty commitment ${n} signed: ${spends.length} inputs, fee ${feeSat} sat`,
    warnings,
  };
};

