// The runtime script check of the embedded chain (node/chain/script-validator.ts, bitcore-lib's
// interpreter): valid spends of every output type the node meets pass; each kind of failure comes
// back with Bitcoin Core's error name and text, and the mempool tells policy failures
// ("non-mandatory") from consensus ones ("mandatory") as bitcoind does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Transaction as ScureTransaction, p2tr, utils as scureUtils } from '@scure/btc-signer';
import { fromHex, hex } from '../bolt/bytes.js';
import { compactToDer, derToCompact } from '../bolt/crypto/der.js';
import { bigintFromBytesBE, bigintToBytesBE } from '../bolt/bytes.js';
import { serializeTransaction, type Transaction } from '../bolt/bolt3/tx.js';
import { CONSENSUS_FLAGS, SCRIPT_VERIFY, ScriptCheck, scriptErrorMessage, STANDARD_FLAGS, verifyInputScripts, assertInputScripts, ScriptValidationError, type SpentOutput } from '../node/chain/script-validator.js';
import { checkInputScripts, TxRejection, type Coin } from '../node/chain/server/validation.js';
import { decodeTransaction } from '../node/chain/server/tx.js';
import { STANDARD_FLAGS as HELPER_STANDARD_FLAGS } from './helpers/interpreter.js';
import { BTC, buildTx, scriptOf, testKey, withBadSignature, type Spend, type TxInputSpec } from './helpers/chain.js';

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const payTo = scriptOf({ kind: 'p2wpkh', key: testKey(40) });

function spending(spend: Spend, amountSat = BTC, sequence?: number): { input: TxInputSpec; spent: SpentOutput } {
  return { input: { txid: 'ab'.repeat(32), vout: 1, amountSat, spend, sequence }, spent: { script: scriptOf(spend), amountSat } };
}

function failure(txHex: string, spent: SpentOutput[], flags: number) {
  return verifyInputScripts(fromHex(txHex), spent, flags);
}

test('the flag sets: consensus within standard, standard a superset of the test helper\'s', () => {
  assert.equal(STANDARD_FLAGS & CONSENSUS_FLAGS, CONSENSUS_FLAGS);
  assert.equal(STANDARD_FLAGS & HELPER_STANDARD_FLAGS, HELPER_STANDARD_FLAGS);
  for (const f of ['P2SH', 'DERSIG', 'NULLDUMMY', 'CHECKLOCKTIMEVERIFY', 'CHECKSEQUENCEVERIFY', 'WITNESS', 'TAPROOT'] as const) {
    assert.ok(CONSENSUS_FLAGS & SCRIPT_VERIFY[f], f);
  }
  for (const f of ['LOW_S', 'NULLFAIL', 'MINIMALIF', 'STRICTENC', 'WITNESS_PUBKEYTYPE'] as const) {
    assert.equal(CONSENSUS_FLAGS & SCRIPT_VERIFY[f], 0, `${f} is policy, not consensus`);
    assert.ok(STANDARD_FLAGS & SCRIPT_VERIFY[f], f);
  }
});

test('valid P2WPKH, P2PKH, P2SH-P2WPKH and P2WSH (BOLT 3 to_local) spends pass under standard flags', () => {
  const kinds: Spend[] = [
    { kind: 'p2wpkh', key: testKey(41) },
    { kind: 'p2pkh', key: testKey(42) },
    { kind: 'p2sh-p2wpkh', key: testKey(43) },
    { kind: 'to_local', key: testKey(44), revocationPub: testKey(45).pub, delay: 144 },
  ];
  const parts = kinds.map((k, i) => spending(k, BTC + BigInt(i), k.kind === 'to_local' ? 144 : undefined));
  const tx = buildTx(parts.map((p) => p.input), [{ script: payTo, amountSat: BTC }]);
  assert.equal(failure(tx.hex, parts.map((p) => p.spent), STANDARD_FLAGS), undefined);
  assertInputScripts(fromHex(tx.hex), parts.map((p) => p.spent));
});

test('a bad signature: NULLFAIL under policy, a false stack under consensus; the mempool calls it mandatory', () => {
  const p = spending({ kind: 'p2wpkh', key: testKey(46) });
  const tx = buildTx([p.input], [{ script: payTo, amountSat: BTC / 2n }]);
  const bad = withBadSignature(tx);
  assert.deepEqual(failure(bad, [p.spent], STANDARD_FLAGS), {
    inputIndex: 0,
    error: 'SCRIPT_ERR_SIG_NULLFAIL',
    message: 'Signature must be zero for failed CHECK(MULTI)SIG operation',
    detail: '',
  });
  assert.equal(failure(bad, [p.spent], CONSENSUS_FLAGS)!.error, 'SCRIPT_ERR_EVAL_FALSE');
  const coin: Coin = { amount: BTC, script: p.spent.script, height: 1, coinbase: false };
  assert.throws(
    () => checkInputScripts(decodeTransaction(fromHex(bad)), [coin], 'mempool'),
    (e: unknown) => e instanceof TxRejection && e.reason === 'mandatory-script-verify-flag-failed (Script evaluated without error but finished with a false/empty top stack element)' && /^input 0 of [0-9a-f]{64} \(wtxid [0-9a-f]{64}\), spending (ab){32}:1$/.test(e.debug),
  );
  assert.throws(() => assertInputScripts(fromHex(bad), [p.spent]), ScriptValidationError);
});

test('the spent amount is signed (BIP 143): a wrong amount fails', () => {
  const p = spending({ kind: 'p2wpkh', key: testKey(47) });
  const tx = buildTx([p.input], [{ script: payTo, amountSat: BTC / 2n }]);
  assert.equal(failure(tx.hex, [{ ...p.spent, amountSat: BTC + 1n }], CONSENSUS_FLAGS)!.error, 'SCRIPT_ERR_EVAL_FALSE');
});

test('a high-S signature is valid by consensus but not policy: "non-mandatory-script-verify-flag"', () => {
  const p = spending({ kind: 'p2wpkh', key: testKey(48) });
  const built = buildTx([p.input], [{ script: payTo, amountSat: BTC / 2n }]);
  const [sig, pub] = built.tx.inputs[0]!.witness;
  const compact = derToCompact(sig!.subarray(0, sig!.length - 1));
  const highS = bigintToBytesBE(N - bigintFromBytesBE(compact.subarray(32)), 32);
  const der = compactToDer(Uint8Array.of(...compact.subarray(0, 32), ...highS));
  const tx: Transaction = { ...built.tx, inputs: [{ ...built.tx.inputs[0]!, witness: [Uint8Array.of(...der, sig![sig!.length - 1]!), pub!] }] };
  const txHex = hex(serializeTransaction(tx));
  assert.equal(failure(txHex, [p.spent], STANDARD_FLAGS)!.error, 'SCRIPT_ERR_SIG_HIGH_S');
  assert.equal(failure(txHex, [p.spent], CONSENSUS_FLAGS), undefined);
  const coin: Coin = { amount: BTC, script: p.spent.script, height: 1, coinbase: false };
  assert.throws(
    () => checkInputScripts(decodeTransaction(fromHex(txHex)), [coin], 'mempool'),
    (e: unknown) => e instanceof TxRejection && e.reason === 'non-mandatory-script-verify-flag (Non-canonical signature: S value is unnecessarily high)',
  );
  checkInputScripts(decodeTransaction(fromHex(txHex)), [coin], 'block');
});

test('OP_CHECKSEQUENCEVERIFY in a to_local script: a sequence below to_self_delay fails, a disabled one too', () => {
  const toLocal: Spend = { kind: 'to_local', key: testKey(49), revocationPub: testKey(50).pub, delay: 10 };
  for (const sequence of [9, 0x8000000a]) {
    const p = spending(toLocal, BTC, sequence);
    const tx = buildTx([p.input], [{ script: payTo, amountSat: BTC / 2n }]);
    const f = failure(tx.hex, [p.spent], CONSENSUS_FLAGS);
    assert.equal(f?.error, 'SCRIPT_ERR_UNSATISFIED_LOCKTIME', `sequence ${sequence.toString(16)}`);
    assert.equal(f?.message, 'Locktime requirement not satisfied');
  }
  // In a version 1 transaction OP_CHECKSEQUENCEVERIFY fails whatever the sequence.
  const p = spending(toLocal, BTC, 10);
  const v1 = buildTx([p.input], [{ script: payTo, amountSat: BTC / 2n }], { version: 1 });
  assert.equal(failure(v1.hex, [p.spent], CONSENSUS_FLAGS)?.error, 'SCRIPT_ERR_UNSATISFIED_LOCKTIME');
});

test('taproot key-path spends (signed by @scure/btc-signer) pass; the signature commits to every spent amount', () => {
  const keys = [Uint8Array.from({ length: 32 }, (_, i) => i + 7), Uint8Array.from({ length: 32 }, (_, i) => 200 - i)];
  const net = { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef };
  const outs = keys.map((k) => p2tr(scureUtils.pubSchnorr(k), undefined, net));
  const amounts = [70_000n, 30_000n];
  const tx = new ScureTransaction();
  outs.forEach((o, i) => tx.addInput({ txid: hex(Uint8Array.from({ length: 32 }, () => 0x10 + i)), index: i, witnessUtxo: { script: o.script, amount: amounts[i]! }, tapInternalKey: scureUtils.pubSchnorr(keys[i]!) }));
  tx.addOutput({ script: payTo, amount: 90_000n });
  keys.forEach((k) => tx.sign(k));
  tx.finalize();
  const raw = tx.extract();
  const spent = outs.map((o, i) => ({ script: o.script, amountSat: amounts[i]! }));
  assert.equal(verifyInputScripts(raw, spent, STANDARD_FLAGS), undefined);
  // Input 0 signs input 1's amount too (BIP 341 sha_amounts).
  const f = verifyInputScripts(raw, [spent[0]!, { ...spent[1]!, amountSat: 30_001n }], CONSENSUS_FLAGS);
  assert.equal(f?.inputIndex, 0);
  assert.equal(f?.error, 'SCRIPT_ERR_SCHNORR_SIG');
  assert.equal(f?.message, 'Invalid Schnorr signature');
});

test('witness where none belongs, and a witness program mismatch, come back with Core\'s names', () => {
  const legacy = spending({ kind: 'p2pkh', key: testKey(51) });
  const built = buildTx([legacy.input], [{ script: payTo, amountSat: BTC / 2n }]);
  const withWitness: Transaction = { ...built.tx, inputs: [{ ...built.tx.inputs[0]!, witness: [Uint8Array.of(1)] }] };
  assert.equal(failure(hex(serializeTransaction(withWitness)), [legacy.spent], CONSENSUS_FLAGS)?.error, 'SCRIPT_ERR_WITNESS_UNEXPECTED');
  // P2WSH: the witness script does not hash to the program. P2WPKH: the key does not (EQUALVERIFY, as in Core).
  const toLocal = spending({ kind: 'to_local', key: testKey(52), revocationPub: testKey(54).pub, delay: 1 }, BTC, 1);
  const otherScript = buildTx([{ ...toLocal.input, spend: { kind: 'to_local', key: testKey(52), revocationPub: testKey(55).pub, delay: 1 } }], [{ script: payTo, amountSat: BTC / 2n }]);
  assert.equal(failure(otherScript.hex, [toLocal.spent], CONSENSUS_FLAGS)?.message, 'Witness program hash mismatch');
  const p = spending({ kind: 'p2wpkh', key: testKey(52) });
  const tx = buildTx([{ ...p.input, spend: { kind: 'p2wpkh', key: testKey(53) } }], [{ script: payTo, amountSat: BTC / 2n }]);
  assert.equal(failure(tx.hex, [p.spent], CONSENSUS_FLAGS)?.message, 'Script failed an OP_EQUALVERIFY operation');
  // The same check object run twice gives the same answer (bitcore-lib must not eat the witness).
  const check = new ScriptCheck(fromHex(tx.hex), [p.spent]);
  assert.equal(check.firstFailure(STANDARD_FLAGS)?.error, 'SCRIPT_ERR_EQUALVERIFY');
  assert.equal(check.firstFailure(CONSENSUS_FLAGS)?.error, 'SCRIPT_ERR_EQUALVERIFY');
  assert.throws(() => verifyInputScripts(fromHex(tx.hex), []), /1 inputs but 0 spent outputs/);
});

test('every bitcore-lib error name maps to a Core message', () => {
  assert.equal(scriptErrorMessage('SCRIPT_ERR_EVAL_FALSE_IN_STACK'), 'Script evaluated without error but finished with a false/empty top stack element');
  assert.equal(scriptErrorMessage('SCRIPT_ERR_SIG_DER_INVALID_FORMAT'), 'Non-canonical DER signature');
  assert.equal(scriptErrorMessage('SCRIPT_ERR_WITNESS_MALLEATED_P2SH'), 'Witness requires only-redeemscript scriptSig');
  assert.equal(scriptErrorMessage('SOMETHING_ELSE'), 'unknown error');
});
