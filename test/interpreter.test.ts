// The independent script check (test/helpers/interpreter.ts, bitcore-lib's interpreter) accepts
// the BOLT 3 vector transactions and rejects tampered ones, naming the input and the
// interpreter's error: a changed output amount, a changed signature byte, a wrong spent amount
// or script, a high-S signature, a non-minimal IF argument, a non-null CHECKMULTISIG dummy and
// an unmet relative timelock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fundingVector from './vectors/bolt03-funding.json' with { type: 'json' };
import C from './vectors/bolt03-commitments.json' with { type: 'json' };
import F from './vectors/bolt03-anchors.json' with { type: 'json' };
import { fromHex, hex } from '../bolt/bytes.js';
import { derToCompact } from '../bolt/crypto/der.js';
import { deriveRevocationPrivkey } from '../bolt/bolt3/keys.js';
import { p2wsh, toLocalPenaltyWitness } from '../bolt/bolt3/scripts.js';
import { encodeScriptSignature, parseTransaction, serializeTransaction, signSegwitV0Input, transactionId, withWitness, type Transaction } from '../bolt/bolt3/tx.js';
import { assertInputsValid, InterpreterRejection, STANDARD_FLAGS, type SpentOutput } from './helpers/interpreter.js';

const fundingSpent: SpentOutput[] = [{ scriptPubKeyHex: '0020c015c4a6be010e21657068fc2e6a9d02b27ebe4d490a25846f7237f104d1a3cd', amountSat: 10_000_000 }];
const coinbaseSpent: SpentOutput[] = [{ scriptPubKeyHex: '76a9143ca33c2e4446f4a305f23c80df8ad1afdcf652f988ac', amountSat: 5_000_000_000 }];
const commitHex = C.cases[1]!.commit_tx;
const commit = parseTransaction(fromHex(commitHex));
const toHex = (tx: Transaction): string => hex(serializeTransaction(tx));

function rejects(txHex: string, spent: readonly SpentOutput[], input: number, error: RegExp): void {
  assert.throws(
    () => assertInputsValid(txHex, spent),
    (e: unknown) => {
      assert.ok(e instanceof InterpreterRejection, `expected an InterpreterRejection, got ${String(e)}`);
      assert.equal(e.inputIndex, input);
      assert.match(e.message, new RegExp(`^input ${input}: `));
      assert.match(e.scriptError, error);
      return true;
    },
  );
}

/** The commitment with one witness item replaced. */
function withWitnessItem(tx: Transaction, item: number, value: Uint8Array): Transaction {
  const witness = [...tx.inputs[0]!.witness];
  witness[item] = value;
  return withWitness(tx, 0, witness);
}

test('the standard flags include every policy check the brief names', () => {
  const I = (createRequire(import.meta.url)('bitcore-lib') as { Script: { Interpreter: Record<string, number> } }).Script.Interpreter;
  for (const name of ['P2SH', 'WITNESS', 'CHECKLOCKTIMEVERIFY', 'CHECKSEQUENCEVERIFY', 'STRICTENC', 'DERSIG', 'LOW_S', 'NULLDUMMY', 'MINIMALIF', 'NULLFAIL', 'MINIMALDATA', 'WITNESS_PUBKEYTYPE']) {
    const bit = I[`SCRIPT_VERIFY_${name}`];
    assert.ok(bit && (STANDARD_FLAGS & bit) === bit, `SCRIPT_VERIFY_${name} is not on`);
  }
});

test('accepts the vectors: a legacy P2PKH spend, a 2-of-2 commitment, HTLC transactions', () => {
  assertInputsValid(fundingVector.funding_tx, coinbaseSpent);
  assertInputsValid(commitHex, fundingSpent);
  const e = C.cases[1]!.htlc_txs[0]!;
  const spent = commit.outputs[e.output_index]!;
  assertInputsValid(e.tx, [{ scriptPubKeyHex: hex(spent.script), amountSat: spent.amountSat }]);
});

test('rejects a changed output amount: the signatures no longer match', () => {
  const outputs = commit.outputs.map((o, i) => (i === 0 ? { ...o, amountSat: o.amountSat - 1n } : o));
  rejects(toHex({ ...commit, outputs }), fundingSpent, 0, /^SCRIPT_ERR_(SIG_)?NULLFAIL$/);
  const legacy = parseTransaction(fromHex(fundingVector.funding_tx));
  const changed = { ...legacy, outputs: legacy.outputs.map((o, i) => (i === 1 ? { ...o, amountSat: o.amountSat + 1n } : o)) };
  rejects(toHex(changed), coinbaseSpent, 0, /^SCRIPT_ERR_(SIG_)?NULLFAIL$|^SCRIPT_ERR_EVAL_FALSE/);
});

test('rejects a changed signature byte, in the value or in the DER framing', () => {
  const sig = Uint8Array.from(commit.inputs[0]!.witness[1]!);
  sig[10] ^= 0x01; // inside r
  rejects(toHex(withWitnessItem(commit, 1, sig)), fundingSpent, 0, /^SCRIPT_ERR_(SIG_)?NULLFAIL$/);
  const framing = Uint8Array.from(commit.inputs[0]!.witness[1]!);
  framing[0] = 0x31; // not a DER sequence
  rejects(toHex(withWitnessItem(commit, 1, framing)), fundingSpent, 0, /^SCRIPT_ERR_SIG_DER_INVALID_FORMAT$/);
  const hashType = Uint8Array.from(commit.inputs[0]!.witness[2]!);
  hashType[hashType.length - 1] = 0x05; // undefined sighash type
  // Core would say SCRIPT_ERR_SIG_HASHTYPE; bitcore-lib skips that STRICTENC check when LOW_S is on,
  // so the changed byte is caught as a signature over a different digest.
  rejects(toHex(withWitnessItem(commit, 2, hashType)), fundingSpent, 0, /^SCRIPT_ERR_(SIG_HASHTYPE|NULLFAIL)$/);
});

test('rejects a wrong spent amount or a wrong spent script', () => {
  rejects(commitHex, [{ ...fundingSpent[0]!, amountSat: 10_000_001 }], 0, /^SCRIPT_ERR_(SIG_)?NULLFAIL$/);
  rejects(commitHex, [{ ...fundingSpent[0]!, scriptPubKeyHex: '0020' + '11'.repeat(32) }], 0, /^SCRIPT_ERR_WITNESS_PROGRAM_MISMATCH$/);
  assert.throws(() => assertInputsValid(commitHex, []), /transaction has 1 inputs but 0 spent outputs were given/);
});

test('rejects a high-S signature and a non-null CHECKMULTISIG dummy', () => {
  const der = commit.inputs[0]!.witness[1]!;
  const compact = derToCompact(der.subarray(0, der.length - 1));
  const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
  const s = BigInt('0x' + hex(compact.subarray(32)));
  compact.set(fromHex((n - s).toString(16).padStart(64, '0')), 32);
  rejects(toHex(withWitnessItem(commit, 1, encodeScriptSignature(compact, 0x01))), fundingSpent, 0, /^SCRIPT_ERR_SIG_DER_HIGH_S$/);
  rejects(toHex(withWitnessItem(commit, 0, Uint8Array.of(1))), fundingSpent, 0, /^SCRIPT_ERR_SIG_NULLDUMMY$/);
});

test('rejects a non-minimal IF argument (MINIMALIF) on the to_local penalty path', () => {
  const v = C.cases[1]!;
  const toLocal = v.described_outputs.find((d) => d.output === 'to_local')!;
  const script = fromHex(toLocal.wscript!);
  const index = commit.outputs.findIndex((o) => hex(o.script) === hex(p2wsh(script)));
  const amountSat = commit.outputs[index]!.amountSat;
  const key = deriveRevocationPrivkey(fromHex(C.internal.remote_revocation_basepoint_secret).subarray(0, 32), fromHex(C.internal.x_local_per_commitment_secret).subarray(0, 32));
  const tx: Transaction = {
    version: 2,
    locktime: 0,
    inputs: [{ txid: transactionId(commit), vout: index, sequence: 0xffffffff, scriptSig: new Uint8Array(0), witness: [] }],
    outputs: [{ amountSat: amountSat - 500n, script: p2wsh(script) }],
  };
  const spent = [{ scriptPubKeyHex: hex(p2wsh(script)), amountSat }];
  const witness = toLocalPenaltyWitness(signSegwitV0Input(tx, 0, script, amountSat, key), script);
  assertInputsValid(toHex(withWitness(tx, 0, witness)), spent);
  rejects(toHex(withWitness(tx, 0, [witness[0]!, Uint8Array.of(2), script])), spent, 0, /^SCRIPT_ERR_MINIMALIF$/);
});

test('names the failing input: a relative timelock unmet on input 1 of 2', () => {
  // Anyone may sweep both anchors of an anchors commitment after 16 blocks, with an empty signature.
  const v = F.cases[0]!;
  const parent = parseTransaction(fromHex(v.ExpectedCommitmentTxHex));
  const anchors = parent.outputs.map((o, i) => ({ o, i })).filter(({ o }) => o.amountSat === 330n);
  assert.equal(anchors.length, 2);
  // The anchor witness script is the funding key's: recover it from the vector keys.
  const scripts = [C.channel.local_funding_pubkey, C.channel.remote_funding_pubkey].map((k) => fromHex(`21${k}ac736460b268`));
  const scriptFor = (spk: Uint8Array) => scripts.find((s) => hex(p2wsh(s)) === hex(spk))!;
  const sweep = (sequences: number[]): string =>
    toHex({
      version: 2,
      locktime: 0,
      inputs: anchors.map(({ o, i }, k) => ({ txid: transactionId(parent), vout: i, sequence: sequences[k]!, scriptSig: new Uint8Array(0), witness: [new Uint8Array(0), scriptFor(o.script)] })),
      outputs: [{ amountSat: 0n, script: Uint8Array.of(0x6a) }],
    });
  const spent = anchors.map(({ o }) => ({ scriptPubKeyHex: hex(o.script), amountSat: o.amountSat }));
  assertInputsValid(sweep([16, 16]), spent);
  rejects(sweep([16, 15]), spent, 1, /^SCRIPT_ERR_UNSATISFIED_LOCKTIME$/);
});
