// BOLT 3 transactions, byte for byte on the specification's vectors:
//   Appendix B, the funding transaction (test/vectors/bolt03-funding.json);
//   Appendix C, 16 option_static_remotekey commitments with their HTLC transactions (bolt03-commitments.json);
//   Appendix F, 9 option_anchors commitments with their HTLC transactions (bolt03-anchors.json).
// Every signature is made here with secp.sign over our BIP 143 digest and compared with the
// vector's; every signed transaction is then run through bitcore-lib's script interpreter
// against the output it spends. Then: each spending path of each output script, closing
// transactions, and the refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fundingVector from '../vectors/bolt03-funding.json' with { type: 'json' };
import C from '../vectors/bolt03-commitments.json' with { type: 'json' };
import F from '../vectors/bolt03-anchors.json' with { type: 'json' };
import { fromHex, hex } from '../../bolt/bytes.js';
import { hash160, sha256 } from '../../bolt/crypto/hash.js';
import { secp } from '../../bolt/crypto/secp256k1.js';
import { deriveCommitmentKeys, derivePrivkey, deriveRevocationPrivkey } from '../../bolt/bolt3/keys.js';
import {
  anchorWitness,
  encodeScript,
  fundingScript,
  OP,
  p2pkhFromHash,
  p2wpkh,
  p2wpkhScriptCode,
  p2wsh,
  toLocalDelayedWitness,
  toLocalPenaltyWitness,
  toRemoteAnchorsWitness,
} from '../../bolt/bolt3/scripts.js';
import {
  compareOutputs,
  legacySighashAll,
  parseTransaction,
  SIGHASH_ALL,
  SIGHASH_ANYONECANPAY,
  SIGHASH_SINGLE,
  serializeTransaction,
  signSegwitV0Input,
  transactionId,
  transactionIdHex,
  transactionWeight,
  verifySegwitV0Input,
  encodeScriptSignature,
  withScriptSig,
  withWitness,
  type Transaction,
} from '../../bolt/bolt3/tx.js';
import {
  buildCommitment,
  commitmentObscuringFactor,
  CommitmentError,
  decodeCommitmentNumber,
  feeForWeight,
  finalizeCommitment,
  signCommitment,
  type ChannelType,
  type CommitmentOutput,
  type CommitmentParams,
  type CommitmentTransaction,
  type Htlc,
} from '../../bolt/bolt3/commitment.js';
import {
  buildHtlcTransaction,
  buildHtlcTransactions,
  finalizeHtlcTransaction,
  htlcRemoteSighashType,
  HtlcTransactionError,
  signHtlcTransaction,
} from '../../bolt/bolt3/htlc-tx.js';
import { buildClosing, buildLegacyClosing, ClosingError, finalizeClosing, signClosing } from '../../bolt/bolt3/closing.js';
import { assertInputsValid, InterpreterRejection } from '../helpers/interpreter.js';

/** The vectors print private keys as 32 bytes plus the trailing 01 "compressed" marker. */
function privkey(s: string): Uint8Array {
  const bytes = fromHex(s);
  assert.equal(bytes.length, 33, `private key ${s} should be 32 bytes + 01`);
  assert.equal(bytes[32], 1);
  return bytes.subarray(0, 32);
}
const txHex = (tx: Transaction): string => hex(serializeTransaction(tx));

// ---------------------------------------------------------------- the Appendix C / F channel

const ch = C.channel;
const internal = C.internal;
const perCommitmentSecret = privkey(internal.x_local_per_commitment_secret);
const perCommitmentPoint = secp.publicKey(perCommitmentSecret);
const keys = deriveCommitmentKeys(
  { fundingPubkey: fromHex(ch.local_funding_pubkey), delayedPaymentBasepoint: fromHex(internal.local_delayed_payment_basepoint), htlcBasepoint: fromHex(ch.local_htlc_basepoint) },
  {
    fundingPubkey: fromHex(ch.remote_funding_pubkey),
    revocationBasepoint: fromHex(internal.remote_revocation_basepoint),
    paymentBasepoint: fromHex(ch.remote_payment_basepoint),
    htlcBasepoint: fromHex(ch.remote_htlc_basepoint),
  },
  perCommitmentPoint,
);
const localFundingPrivkey = privkey(ch.local_funding_privkey);
const remoteFundingPrivkey = privkey(internal.remote_funding_privkey);
// The HTLC basepoints equal the payment basepoints in these appendices.
const localHtlcPrivkey = derivePrivkey(privkey(internal.local_payment_basepoint_secret), perCommitmentPoint);
const remoteHtlcPrivkey = derivePrivkey(privkey(internal.remote_payment_basepoint_secret), perCommitmentPoint);
const localDelayedPrivkey = privkey(internal.local_delayed_privkey);
const remotePaymentPrivkey = privkey(internal.remote_payment_basepoint_secret);
const revocationPrivkey = deriveRevocationPrivkey(privkey(internal.remote_revocation_basepoint_secret), perCommitmentSecret);
const obscuringFactor = commitmentObscuringFactor(fromHex(ch.local_payment_basepoint), fromHex(ch.remote_payment_basepoint));
const funding = { txid: fromHex(ch.funding_tx_id), vout: ch.funding_output_index, amountSat: BigInt(ch.funding_amount_satoshi) };
const fundingScriptPubKey = p2wsh(fundingScript(keys.localFundingPubkey, keys.remoteFundingPubkey));
const fundingSpent = [{ scriptPubKeyHex: hex(fundingScriptPubKey), amountSat: funding.amountSat }];

const preimages = new Map<bigint, Uint8Array>();
const allHtlcs = new Map<number, Htlc>();
for (const h of C.htlcs) {
  const preimage = fromHex(h.payment_preimage);
  preimages.set(BigInt(h.id), preimage);
  allHtlcs.set(h.id, {
    id: BigInt(h.id),
    // "remote->local" HTLCs were received by local, the owner of these commitments.
    direction: h.direction === 'local->remote' ? 'offered' : 'received',
    amountMsat: BigInt(h.amount_msat),
    paymentHash: sha256(preimage),
    cltvExpiry: h.expiry,
  });
}

function paramsFor(channelType: ChannelType, toLocalMsat: number, toRemoteMsat: number, feeratePerKw: number, dustLimitSat: number, htlcIds: readonly number[]): CommitmentParams {
  return {
    channelType,
    funding,
    obscuringFactor,
    commitmentNumber: BigInt(ch.commitment_number),
    ownerIsOpener: true,
    toSelfDelay: ch.local_delay,
    dustLimitSat: BigInt(dustLimitSat),
    feeratePerKw,
    toLocalMsat: BigInt(toLocalMsat),
    toRemoteMsat: BigInt(toRemoteMsat),
    htlcs: htlcIds.map((id) => allHtlcs.get(id)!),
    keys,
  };
}

/** The signed commitment's outputs, as the vector's own transaction has them, for the interpreter. */
function spentOutputOf(vectorTxHex: string, index: number): { scriptPubKeyHex: string; amountSat: bigint } {
  const out = parseTransaction(fromHex(vectorTxHex)).outputs[index];
  assert.ok(out, `vector transaction has no output ${index}`);
  return { scriptPubKeyHex: hex(out.script), amountSat: out.amountSat };
}

test('Appendix C: the obscuring factor and funding script', () => {
  assert.equal(obscuringFactor, 0x2bb038521914n);
  assert.equal(ch.obscured_commitment_number, '0x2bb038521914 ^ 42');
  assert.equal(hex(fundingScript(keys.localFundingPubkey, keys.remoteFundingPubkey)), ch.funding_wscript);
  assert.equal(hex(fundingScript(keys.remoteFundingPubkey, keys.localFundingPubkey)), ch.funding_wscript, 'funding keys are sorted');
});

// ---------------------------------------------------------------- Appendix B

test('Appendix B: the funding transaction, signed, byte for byte and valid', () => {
  const v = fundingVector;
  const coinbase = parseTransaction(fromHex(v.block1_coinbase_tx));
  assert.equal(transactionIdHex(coinbase), v.input_txid);
  const spentOutput = coinbase.outputs[v.input_index]!;
  assert.equal(spentOutput.amountSat, BigInt(v.input_satoshis));

  const key = privkey(v.block1_coinbase_privkey);
  const pub = secp.publicKey(key);
  assert.equal(hex(spentOutput.script), hex(p2pkhFromHash(hash160(pub))));
  const witnessScript = fundingScript(fromHex(v.local_funding_pubkey), fromHex(v.remote_funding_pubkey));
  assert.equal(hex(witnessScript), v.funding_witness_script);

  const outputs = [
    { amountSat: BigInt(v.change_satoshis), script: p2wpkh(pub) },
    { amountSat: BigInt(v.funding_satoshis), script: p2wsh(witnessScript) },
  ].sort(compareOutputs);
  assert.equal(hex(outputs[v.funding_output]!.script), hex(p2wsh(witnessScript)), 'BIP 69 puts the funding output first');
  const unsigned: Transaction = {
    version: 2,
    locktime: 0,
    inputs: [{ txid: fromHex(v.input_txid), vout: v.input_index, sequence: 0xffffffff, scriptSig: new Uint8Array(0), witness: [] }],
    outputs,
  };
  const signature = encodeScriptSignature(secp.sign(legacySighashAll(unsigned, 0, spentOutput.script), key), SIGHASH_ALL);
  const signed = withScriptSig(unsigned, 0, encodeScript([signature, pub]));
  assert.equal(txHex(signed), v.funding_tx);
  assert.equal(transactionIdHex(signed), v.funding_txid);
  assert.equal(v.funding_txid, ch.funding_tx_id);
  assert.equal(hex(signed.outputs[0]!.script), hex(fundingScriptPubKey));
  // The change pays what is left after a 15000 sat/kw fee on this transaction's weight.
  assert.equal(BigInt(v.input_satoshis - v.funding_satoshis - v.change_satoshis), feeForWeight(v.feerate_per_kw, transactionWeight(signed)));
  assertInputsValid(v.funding_tx, [{ scriptPubKeyHex: hex(spentOutput.script), amountSat: spentOutput.amountSat }]);
  console.log('BOLT 3 Appendix B funding transaction: 1 case');
});

// ---------------------------------------------------------------- Appendix C

/** An output the appendix describes in its comments ("# HTLC #2 offered amount 2000 wscript ..."). */
interface DescribedOutput {
  output: 'to_local' | 'to_remote' | 'htlc';
  amount_satoshi: number;
  htlc_id?: number;
  direction?: string;
  wscript?: string;
  p2wpkh_pubkey?: string;
}

function checkDescribedOutput(c: CommitmentTransaction, d: DescribedOutput, where: string): void {
  let match: CommitmentOutput | undefined;
  if (d.output === 'htlc') {
    match = c.outputs.find((o) => o.kind === 'htlc' && o.htlc.id === BigInt(d.htlc_id!));
    assert.ok(match && match.kind === 'htlc', `${where}: no output for HTLC #${d.htlc_id}`);
    assert.equal(match.htlc.direction, d.direction);
  } else {
    match = c.outputs.find((o) => o.kind === d.output);
    assert.ok(match, `${where}: no ${d.output} output`);
  }
  assert.equal(match.amountSat, BigInt(d.amount_satoshi), `${where}: ${d.output} amount`);
  if (d.output === 'to_remote') {
    assert.equal(match.witnessScript, null);
    assert.equal(hex(match.script), hex(p2wpkh(fromHex(d.p2wpkh_pubkey!))));
  } else {
    assert.equal(hex(match.witnessScript!), d.wscript, `${where}: ${d.output} witness script`);
    assert.equal(hex(match.script), hex(p2wsh(match.witnessScript!)));
  }
}

test('Appendix C: all 16 static_remotekey commitments and their HTLC transactions, byte for byte and valid', () => {
  let cases = 0;
  let htlcTxs = 0;
  for (const v of C.cases) {
    const where = `Appendix C "${v.name}"`;
    const c = buildCommitment(paramsFor('static_remotekey', v.to_local_msat, v.to_remote_msat, v.local_feerate_per_kw, ch.local_dust_limit_satoshi, v.htlc_ids));
    if (v.base_fee_satoshi !== undefined) {
      assert.equal(c.baseFeeSat, BigInt(v.base_fee_satoshi), `${where}: base fee`);
      assert.equal(c.feeSat, BigInt(v.actual_fee_satoshi!), `${where}: actual fee`);
      assert.equal(c.outputs.length, v.described_outputs.length, `${where}: output count`);
    }
    for (const d of v.described_outputs as DescribedOutput[]) checkDescribedOutput(c, d, where);
    c.outputs.forEach((o, i) => assert.equal(o.index, i));

    const remoteSig = signCommitment(c, remoteFundingPrivkey);
    const localSig = signCommitment(c, localFundingPrivkey);
    assert.equal(hex(remoteSig), v.remote_signature + '01', `${where}: remote signature`);
    assert.equal(hex(localSig), v.local_signature + '01', `${where}: local signature`);
    const signed = finalizeCommitment(c, localSig, remoteSig);
    assert.equal(txHex(signed), v.commit_tx, `${where}: commitment transaction`);
    assert.equal(hex(transactionId(signed)), hex(c.txid));
    assert.equal(decodeCommitmentNumber(signed, obscuringFactor), 42n);
    assertInputsValid(v.commit_tx, fundingSpent);

    const htlcs = buildHtlcTransactions(c);
    assert.equal(htlcs.length, v.num_htlcs, `${where}: HTLC transaction count`);
    htlcs.forEach((h, i) => {
      const e = v.htlc_txs[i]!;
      const at = `${where} ${e.kind} for HTLC #${e.htlc_id}`;
      assert.equal(h.spent.index, e.output_index, `${at}: spent output`);
      assert.equal(h.kind, e.kind, at);
      assert.equal(h.htlc.id, BigInt(e.htlc_id), at);
      const remote = signHtlcTransaction(h, remoteHtlcPrivkey, htlcRemoteSighashType('static_remotekey'));
      const local = signHtlcTransaction(h, localHtlcPrivkey, SIGHASH_ALL);
      assert.equal(hex(remote), e.remote_htlc_signature + '01', `${at}: remote signature`);
      assert.equal(hex(local), e.local_htlc_signature + '01', `${at}: local signature`);
      const final = finalizeHtlcTransaction(h, remote, local, h.kind === 'htlc-success' ? preimages.get(h.htlc.id) : undefined);
      assert.equal(txHex(final), e.tx, `${at}: transaction`);
      assertInputsValid(e.tx, [spentOutputOf(v.commit_tx, e.output_index)]);
      htlcTxs++;
    });
    cases++;
  }
  assert.equal(cases, 16);
  console.log(`BOLT 3 Appendix C static_remotekey commitments: ${cases} cases, ${htlcTxs} HTLC transactions`);
});

test('Appendix C: a fee larger than the opener\'s balance leaves only to_remote and reports the shortfall', () => {
  const v = C.cases.find((k) => k.name === 'commitment tx with fee greater than funder amount')!;
  const c = buildCommitment(paramsFor('static_remotekey', v.to_local_msat, v.to_remote_msat, v.local_feerate_per_kw, ch.local_dust_limit_satoshi, v.htlc_ids));
  assert.deepEqual(c.outputs.map((o) => o.kind), ['to_remote']);
  assert.equal(c.baseFeeSat, 6988001n);
  assert.equal(c.openerShortfallSat, 1n);
  assert.deepEqual(c.trimmedHtlcs.map((h) => h.id), [0n, 1n, 2n, 3n, 4n]);
});

// ---------------------------------------------------------------- Appendix F

test('Appendix F: all 9 anchors commitments and their HTLC transactions, byte for byte and valid', () => {
  let cases = 0;
  let htlcTxs = 0;
  for (const v of F.cases) {
    const where = `Appendix F "${v.Name}"`;
    const c = buildCommitment(paramsFor('anchors', v.LocalBalance, v.RemoteBalance, v.FeePerKw, v.DustLimitSatoshis, v.htlc_ids));
    const remoteSig = signCommitment(c, remoteFundingPrivkey);
    assert.equal(hex(remoteSig), v.RemoteSigHex + '01', `${where}: remote signature`);
    const signed = finalizeCommitment(c, signCommitment(c, localFundingPrivkey), remoteSig);
    assert.equal(txHex(signed), v.ExpectedCommitmentTxHex, `${where}: commitment transaction`);
    assertInputsValid(v.ExpectedCommitmentTxHex, fundingSpent);

    const anchors = c.outputs.filter((o) => o.kind === 'local_anchor' || o.kind === 'remote_anchor');
    const htlcOutputs = c.outputs.filter((o) => o.kind === 'htlc');
    const hasLocal = c.outputs.some((o) => o.kind === 'to_local');
    const hasRemote = c.outputs.some((o) => o.kind === 'to_remote');
    assert.equal(anchors.length, (hasLocal || htlcOutputs.length > 0 ? 1 : 0) + (hasRemote || htlcOutputs.length > 0 ? 1 : 0), `${where}: anchors`);
    for (const a of anchors) assert.equal(a.amountSat, 330n);

    const htlcs = buildHtlcTransactions(c);
    assert.equal(htlcs.length, v.HtlcDescs.length, `${where}: HTLC transaction count`);
    htlcs.forEach((h, i) => {
      const e = v.HtlcDescs[i]! as { RemoteSigHex: string; ResolutionTxHex: string };
      const at = `${where} ${h.kind} for HTLC #${h.htlc.id}`;
      assert.equal(h.tx.inputs[0]!.sequence, 1, `${at}: anchors HTLC transactions use nSequence 1`);
      assert.equal(h.tx.outputs[0]!.amountSat, h.spent.amountSat, `${at}: zero-fee HTLC transaction`);
      const remote = signHtlcTransaction(h, remoteHtlcPrivkey, htlcRemoteSighashType('anchors'));
      assert.equal(hex(remote), e.RemoteSigHex + '83', `${at}: remote SIGHASH_SINGLE|ANYONECANPAY signature`);
      const local = signHtlcTransaction(h, localHtlcPrivkey, SIGHASH_ALL);
      const final = finalizeHtlcTransaction(h, remote, local, h.kind === 'htlc-success' ? preimages.get(h.htlc.id) : undefined);
      assert.equal(txHex(final), e.ResolutionTxHex, `${at}: transaction`);
      assertInputsValid(e.ResolutionTxHex, [spentOutputOf(v.ExpectedCommitmentTxHex, h.spent.index)]);
      htlcTxs++;
    });
    cases++;
  }
  assert.equal(cases, 9);
  console.log(`BOLT 3 Appendix F anchors commitments: ${cases} cases, ${htlcTxs} HTLC transactions`);
});

test('every vector transaction parses and re-serializes to the same bytes', () => {
  const all = [fundingVector.funding_tx, ...C.cases.flatMap((k) => [k.commit_tx, ...k.htlc_txs.map((h) => h.tx)]), ...F.cases.flatMap((k) => [k.ExpectedCommitmentTxHex, ...k.HtlcDescs.map((h) => (h as { ResolutionTxHex: string }).ResolutionTxHex)])];
  for (const t of all) assert.equal(txHex(parseTransaction(fromHex(t))), t);
  assert.ok(all.length > 70);
});

// ---------------------------------------------------------------- every spending path

/** A one-input, one-output transaction spending `output` of `parent`. */
function spend(parent: Transaction, index: number, sequence: number, locktime = 0): Transaction {
  const prev = parent.outputs[index]!;
  return {
    version: 2,
    locktime,
    inputs: [{ txid: transactionId(parent), vout: index, sequence, scriptSig: new Uint8Array(0), witness: [] }],
    outputs: [{ amountSat: prev.amountSat - 200n, script: p2wpkh(keys.localFundingPubkey) }],
  };
}

function anchorsSevenOutputs(): { c: CommitmentTransaction; signed: Transaction } {
  const v = F.cases.find((k) => k.Name === 'commitment tx with seven outputs untrimmed')!;
  const c = buildCommitment(paramsFor('anchors', v.LocalBalance, v.RemoteBalance, v.FeePerKw, v.DustLimitSatoshis, v.htlc_ids));
  return { c, signed: parseTransaction(fromHex(v.ExpectedCommitmentTxHex)) };
}

function checkSpend(tx: Transaction, parent: Transaction, index: number): void {
  const prev = parent.outputs[index]!;
  assertInputsValid(txHex(tx), [{ scriptPubKeyHex: hex(prev.script), amountSat: prev.amountSat }]);
}

function rejects(tx: Transaction, parent: Transaction, index: number, error: RegExp): void {
  assert.throws(() => checkSpend(tx, parent, index), (e: unknown) => e instanceof InterpreterRejection && error.test(e.message));
}

test('to_local: the owner spends after to_self_delay, the counterparty at once with the revocation key', () => {
  const { c, signed } = anchorsSevenOutputs();
  const out = c.outputs.find((o) => o.kind === 'to_local')!;
  const sign = (tx: Transaction, key: Uint8Array) => signSegwitV0Input(tx, 0, out.witnessScript!, out.amountSat, key);

  const delayed = spend(signed, out.index, 144);
  checkSpend(withWitness(delayed, 0, toLocalDelayedWitness(sign(delayed, localDelayedPrivkey), out.witnessScript!)), signed, out.index);
  const early = spend(signed, out.index, 143);
  rejects(withWitness(early, 0, toLocalDelayedWitness(sign(early, localDelayedPrivkey), out.witnessScript!)), signed, out.index, /SCRIPT_ERR_UNSATISFIED_LOCKTIME/);

  const penalty = spend(signed, out.index, 0xffffffff);
  checkSpend(withWitness(penalty, 0, toLocalPenaltyWitness(sign(penalty, revocationPrivkey), out.witnessScript!)), signed, out.index);
  rejects(withWitness(penalty, 0, toLocalPenaltyWitness(sign(penalty, localDelayedPrivkey), out.witnessScript!)), signed, out.index, /SCRIPT_ERR_(SIG_)?NULLFAIL/);
});

test('to_remote: P2WPKH without anchors; with anchors, a 1-block CSV', () => {
  const staticCase = C.cases[0]!;
  const staticTx = parseTransaction(fromHex(staticCase.commit_tx));
  const c0 = buildCommitment(paramsFor('static_remotekey', staticCase.to_local_msat, staticCase.to_remote_msat, staticCase.local_feerate_per_kw, ch.local_dust_limit_satoshi, []));
  const remoteOut = c0.outputs.find((o) => o.kind === 'to_remote')!;
  const tx0 = spend(staticTx, remoteOut.index, 0xffffffff);
  const sig0 = signSegwitV0Input(tx0, 0, p2wpkhScriptCode(keys.remotePaymentPubkey), remoteOut.amountSat, remotePaymentPrivkey);
  checkSpend(withWitness(tx0, 0, [sig0, keys.remotePaymentPubkey]), staticTx, remoteOut.index);

  const { c, signed } = anchorsSevenOutputs();
  const out = c.outputs.find((o) => o.kind === 'to_remote')!;
  const tx = spend(signed, out.index, 1);
  checkSpend(withWitness(tx, 0, toRemoteAnchorsWitness(signSegwitV0Input(tx, 0, out.witnessScript!, out.amountSat, remotePaymentPrivkey), out.witnessScript!)), signed, out.index);
  const now = spend(signed, out.index, 0);
  rejects(withWitness(now, 0, toRemoteAnchorsWitness(signSegwitV0Input(now, 0, out.witnessScript!, out.amountSat, remotePaymentPrivkey), out.witnessScript!)), signed, out.index, /SCRIPT_ERR_UNSATISFIED_LOCKTIME/);
});

test('anchors: each funding key spends its anchor at once; anyone sweeps it after 16 blocks', () => {
  const { c, signed } = anchorsSevenOutputs();
  for (const [kind, key] of [['local_anchor', localFundingPrivkey], ['remote_anchor', remoteFundingPrivkey]] as const) {
    const out = c.outputs.find((o) => o.kind === kind)!;
    const tx = { ...spend(signed, out.index, 0), outputs: [{ amountSat: 0n, script: Uint8Array.of(OP.OP_RETURN) }] };
    checkSpend(withWitness(tx, 0, anchorWitness(signSegwitV0Input(tx, 0, out.witnessScript!, out.amountSat, key), out.witnessScript!)), signed, out.index);
    const sweep = { ...tx, inputs: [{ ...tx.inputs[0]!, sequence: 16 }] };
    checkSpend(withWitness(sweep, 0, anchorWitness(null, out.witnessScript!)), signed, out.index);
    const early = { ...tx, inputs: [{ ...tx.inputs[0]!, sequence: 15 }] };
    rejects(withWitness(early, 0, anchorWitness(null, out.witnessScript!)), signed, out.index, /SCRIPT_ERR_UNSATISFIED_LOCKTIME/);
  }
});

test('HTLC outputs: the counterparty claims with the preimage, times out after cltv_expiry, or revokes', () => {
  for (const channelType of ['static_remotekey', 'anchors'] as const) {
    const v = C.cases[1]!; // all five HTLCs untrimmed at feerate 0
    const c = buildCommitment(paramsFor(channelType, v.to_local_msat, v.to_remote_msat, 0, 546, v.htlc_ids));
    const signed = finalizeCommitment(c, signCommitment(c, localFundingPrivkey), signCommitment(c, remoteFundingPrivkey));
    assertInputsValid(txHex(signed), fundingSpent);
    const seq = channelType === 'anchors' ? 1 : 0xfffffffe;
    for (const out of c.outputs) {
      if (out.kind !== 'htlc') continue;
      const sign = (tx: Transaction, key: Uint8Array) => signSegwitV0Input(tx, 0, out.witnessScript, out.amountSat, key);
      if (out.htlc.direction === 'offered') {
        // BOLT 3 §Offered HTLC Outputs: <remotehtlcsig> <payment_preimage>
        const tx = spend(signed, out.index, seq);
        checkSpend(withWitness(tx, 0, [sign(tx, remoteHtlcPrivkey), preimages.get(out.htlc.id)!, out.witnessScript]), signed, out.index);
        rejects(withWitness(tx, 0, [sign(tx, remoteHtlcPrivkey), new Uint8Array(32), out.witnessScript]), signed, out.index, /SCRIPT_ERR_EQUALVERIFY/);
      } else {
        // BOLT 3 §Received HTLC Outputs: <remotehtlcsig> <> once cltv_expiry has passed
        const tx = spend(signed, out.index, seq, out.htlc.cltvExpiry);
        checkSpend(withWitness(tx, 0, [sign(tx, remoteHtlcPrivkey), new Uint8Array(0), out.witnessScript]), signed, out.index);
        const early = spend(signed, out.index, seq, out.htlc.cltvExpiry - 1);
        rejects(withWitness(early, 0, [sign(early, remoteHtlcPrivkey), new Uint8Array(0), out.witnessScript]), signed, out.index, /SCRIPT_ERR_UNSATISFIED_LOCKTIME/);
      }
      // Either kind, revoked: <revocation_sig> <revocationpubkey>, at once.
      const penalty = spend(signed, out.index, 0xffffffff);
      checkSpend(withWitness(penalty, 0, [sign(penalty, revocationPrivkey), keys.revocationPubkey, out.witnessScript]), signed, out.index);
      if (channelType === 'anchors' && out.htlc.direction === 'offered') {
        const now = spend(signed, out.index, 0);
        rejects(withWitness(now, 0, [sign(now, remoteHtlcPrivkey), preimages.get(out.htlc.id)!, out.witnessScript]), signed, out.index, /SCRIPT_ERR_UNSATISFIED_LOCKTIME/);
      }
    }
  }
});

test('HTLC transaction outputs: delayed for the owner, revocable by the counterparty', () => {
  const v = C.cases[1]!;
  const e = v.htlc_txs.find((h) => h.kind === 'htlc-success')!;
  const htlcTx = parseTransaction(fromHex(e.tx));
  const c = buildCommitment(paramsFor('static_remotekey', v.to_local_msat, v.to_remote_msat, v.local_feerate_per_kw, ch.local_dust_limit_satoshi, v.htlc_ids));
  const h = buildHtlcTransactions(c).find((x) => x.kind === 'htlc-success')!;
  assert.equal(hex(htlcTx.outputs[0]!.script), hex(p2wsh(h.outputWitnessScript)));
  const amount = htlcTx.outputs[0]!.amountSat;
  const delayed = spend(htlcTx, 0, ch.local_delay);
  checkSpend(withWitness(delayed, 0, toLocalDelayedWitness(signSegwitV0Input(delayed, 0, h.outputWitnessScript, amount, localDelayedPrivkey), h.outputWitnessScript)), htlcTx, 0);
  const penalty = spend(htlcTx, 0, 0);
  checkSpend(withWitness(penalty, 0, toLocalPenaltyWitness(signSegwitV0Input(penalty, 0, h.outputWitnessScript, amount, revocationPrivkey), h.outputWitnessScript)), htlcTx, 0);
});

// ---------------------------------------------------------------- construction rules without vectors

test('the non-opener\'s commitment charges the fee and anchors to to_remote', () => {
  const p = { ...paramsFor('anchors', 3_000_000_000, 7_000_000_000, 15000, 546, []), ownerIsOpener: false };
  const c = buildCommitment(p);
  const byKind = Object.fromEntries(c.outputs.map((o) => [o.kind, o.amountSat]));
  assert.equal(byKind['to_local'], 3_000_000n);
  assert.equal(byKind['to_remote'], 7_000_000n - 16860n - 660n);
  assert.equal(c.feeSat, 16860n);
});

test('outputs of equal amount and script are ordered by cltv_expiry', () => {
  const v = C.cases.find((k) => k.htlc_ids.includes(5))!;
  for (const channelType of ['static_remotekey', 'anchors'] as const) {
    const p = paramsFor(channelType, v.to_local_msat, v.to_remote_msat, v.local_feerate_per_kw, ch.local_dust_limit_satoshi, v.htlc_ids);
    const forward = buildCommitment(p).outputs.filter((o) => o.kind === 'htlc').map((o) => (o.kind === 'htlc' ? o.htlc.id : -1n));
    const reversed = buildCommitment({ ...p, htlcs: [...p.htlcs].reverse() }).outputs.filter((o) => o.kind === 'htlc').map((o) => (o.kind === 'htlc' ? o.htlc.id : -1n));
    assert.deepEqual(forward, [1n, 6n, 5n], `${channelType}: HTLC 6 (cltv 505) before HTLC 5 (cltv 506)`);
    assert.deepEqual(reversed, forward, `${channelType}: the input order does not matter`);
  }
});

test('bad commitment inputs are refused with the field and the limit', () => {
  const good = paramsFor('static_remotekey', 7_000_000_000, 3_000_000_000, 15000, 546, []);
  const refuses = (p: Partial<CommitmentParams>, message: RegExp) =>
    assert.throws(() => buildCommitment({ ...good, ...p }), (e: unknown) => e instanceof CommitmentError && message.test(e.message));
  refuses({ toRemoteMsat: 3_000_000_001n }, /balances and HTLCs add up to 10000000001 msat, but the funding output holds 10000000000 msat/);
  refuses({ commitmentNumber: 1n << 48n }, /commitment number 281474976710656 is outside 0\.\.2\^48-1/);
  refuses({ feeratePerKw: -1 }, /feerate_per_kw: -1 is not a u32/);
  refuses({ toSelfDelay: 70000 }, /to_self_delay: 70000 is not a u16/);
  const h = allHtlcs.get(0)!;
  refuses({ toLocalMsat: 7_000_000_000n - 2_000_000n, htlcs: [h, h] }, /HTLC received 0: listed twice/);
  refuses({ toLocalMsat: 7_000_000_000n - 1_000_000n, htlcs: [{ ...h, paymentHash: new Uint8Array(31) }] }, /HTLC received 0: payment_hash is 31 bytes, expected 32/);
});

test('an HTLC-success needs the right preimage; an HTLC-timeout takes none', () => {
  const v = C.cases[1]!;
  const c = buildCommitment(paramsFor('static_remotekey', v.to_local_msat, v.to_remote_msat, v.local_feerate_per_kw, ch.local_dust_limit_satoshi, v.htlc_ids));
  const htlcs = buildHtlcTransactions(c);
  const success = htlcs.find((h) => h.kind === 'htlc-success')!;
  const timeout = htlcs.find((h) => h.kind === 'htlc-timeout')!;
  const sig = new Uint8Array(72);
  assert.throws(() => finalizeHtlcTransaction(success, sig, sig), (e: unknown) => e instanceof HtlcTransactionError && /preimage is required/.test(e.message));
  assert.throws(() => finalizeHtlcTransaction(success, sig, sig, new Uint8Array(32).fill(9)), /does not hash to its payment_hash/);
  assert.throws(() => finalizeHtlcTransaction(timeout, sig, sig, new Uint8Array(32)), /takes no preimage/);
  assert.equal(timeout.tx.locktime, timeout.htlc.cltvExpiry);
  assert.equal(success.tx.locktime, 0);
});

test('the anchors counterparty signature commits only to its own input and output', () => {
  const { c } = anchorsSevenOutputs();
  const h = buildHtlcTransactions(c)[0]!;
  const sig = signHtlcTransaction(h, remoteHtlcPrivkey, SIGHASH_SINGLE | SIGHASH_ANYONECANPAY);
  const pub = secp.publicKey(remoteHtlcPrivkey);
  // Adding a fee-paying input and a change output keeps it valid, as BOLT 5 relies on.
  const bumped: Transaction = {
    ...h.tx,
    inputs: [...h.tx.inputs, { txid: new Uint8Array(32).fill(7), vout: 3, sequence: 0xffffffff, scriptSig: new Uint8Array(0), witness: [] }],
    outputs: [...h.tx.outputs, { amountSat: 1000n, script: p2wpkh(pub) }],
  };
  assert.ok(verifySegwitV0Input(bumped, 0, h.spent.witnessScript, h.spent.amountSat, pub, sig));
  const allSig = signHtlcTransaction(h, remoteHtlcPrivkey, SIGHASH_ALL);
  assert.ok(!verifySegwitV0Input(bumped, 0, h.spent.witnessScript, h.spent.amountSat, pub, allSig));
});

// ---------------------------------------------------------------- closing

const closingBase = { funding, localFundingPubkey: keys.localFundingPubkey, remoteFundingPubkey: keys.remoteFundingPubkey };
const localScript = p2wpkh(keys.localFundingPubkey);
const remoteScript = p2wsh(fundingScript(keys.localFundingPubkey, keys.remoteFundingPubkey));

test('legacy closing: the funder pays the fee, outputs sorted, both signatures valid', () => {
  const closing = buildLegacyClosing({
    ...closingBase, localScript, remoteScript, localBalanceMsat: 6_999_999_999n, remoteBalanceMsat: 3_000_000_001n, localIsFunder: true, feeSat: 1000n, dustLimitSat: 546n,
  });
  assert.equal(closing.tx.version, 2);
  assert.equal(closing.tx.locktime, 0);
  assert.equal(closing.tx.inputs[0]!.sequence, 0xffffffff);
  assert.deepEqual(closing.outputs.map((o) => [o.owner, o.amountSat]), [['remote', 3_000_000n], ['local', 6_998_999n]]);
  const signed = finalizeClosing(closing, signClosing(closing, localFundingPrivkey), signClosing(closing, remoteFundingPrivkey));
  assertInputsValid(txHex(signed), fundingSpent);
});

test('legacy closing: an output below the signer\'s dust limit is removed', () => {
  const closing = buildLegacyClosing({
    ...closingBase, localScript, remoteScript, localBalanceMsat: 9_999_500_000n, remoteBalanceMsat: 500_000n, localIsFunder: true, feeSat: 500n, dustLimitSat: 546n,
  });
  assert.deepEqual(closing.outputs.map((o) => [o.owner, o.amountSat]), [['local', 9_999_000n]]);
  assert.throws(
    () => buildLegacyClosing({ ...closingBase, localScript, remoteScript, localBalanceMsat: 400_000n, remoteBalanceMsat: 9_999_600_000n, localIsFunder: true, feeSat: 500n, dustLimitSat: 546n }),
    (e: unknown) => e instanceof ClosingError && /fee 500 sat exceeds the funder's balance of 400 sat/.test(e.message),
  );
});

test('closing (option_simple_close): the closer pays, OP_RETURN carries 0, locktime and RBF sequence', () => {
  const opReturn = Uint8Array.of(OP.OP_RETURN, 4, 1, 2, 3, 4);
  const closing = buildClosing({
    ...closingBase, closer: 'remote', closerScript: remoteScript, closeeScript: localScript, closerBalanceMsat: 3_000_000_000n, closeeBalanceMsat: 7_000_000_000n, feeSat: 700n, locktime: 800_000,
  });
  assert.equal(closing.tx.locktime, 800_000);
  assert.equal(closing.tx.inputs[0]!.sequence, 0xfffffffd);
  assert.deepEqual(closing.outputs.map((o) => [o.owner, o.amountSat]), [['remote', 2_999_300n], ['local', 7_000_000n]]);
  const signed = finalizeClosing(closing, signClosing(closing, localFundingPrivkey), signClosing(closing, remoteFundingPrivkey));
  assertInputsValid(txHex(signed), fundingSpent);

  const burn = buildClosing({
    ...closingBase, closer: 'local', closerScript: localScript, closeeScript: opReturn, closerBalanceMsat: 9_999_000_000n, closeeBalanceMsat: 1_000_000n, feeSat: 700n, locktime: 0,
  });
  assert.deepEqual(burn.outputs.map((o) => [o.owner, o.amountSat]), [['remote', 0n], ['local', 9_998_300n]]);
  const omitted = buildClosing({
    ...closingBase, closer: 'local', closerScript: localScript, closeeScript: null, closerBalanceMsat: 9_999_000_000n, closeeBalanceMsat: 1_000_000n, feeSat: 700n, locktime: 0,
  });
  assert.equal(omitted.outputs.length, 1);
});

test('the transaction codec refuses malformed data, naming the field and the place', () => {
  const bytes = fromHex(C.cases[0]!.commit_tx);
  assert.throws(() => parseTransaction(bytes.subarray(0, 60)), /transaction: short read of output 0 script at byte 58 \(60 bytes\)/);
  assert.throws(() => parseTransaction(Uint8Array.of(...bytes, 0)), /transaction: 1 trailing bytes/);
  const tx = parseTransaction(bytes);
  assert.throws(() => serializeTransaction({ ...tx, outputs: [{ amountSat: -1n, script: new Uint8Array(0) }] }), /output 0: amount -1 sat is outside/);
  assert.throws(() => serializeTransaction({ ...tx, inputs: [{ ...tx.inputs[0]!, txid: new Uint8Array(31) }] }), /input 0: txid must be 32 bytes, got 31/);
  const c = buildCommitment(paramsFor('static_remotekey', 6_988_000_000, 3_000_000_000, 0, 546, [0, 1, 2, 3, 4]));
  const other = buildCommitment({ ...c.params, commitmentNumber: 43n });
  const foreign = other.outputs.find((o) => o.kind === 'htlc')!;
  assert.throws(() => buildHtlcTransaction(c, foreign), /is not an output of this commitment/);
});
