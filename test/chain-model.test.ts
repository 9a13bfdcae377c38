// The embedded chain's data model, in process: regtest genesis and the BOLT 3 Appendix B block 1
// (a real regtest block) parsed and checked, merkle roots, targets, amounts, addresses (against
// @scure/btc-signer's encoder), descriptors (BIP 380 vector), script asm and types, lock times.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Address, OutScript, p2tr, p2wsh, p2sh, p2pkh, p2wpkh as scureP2wpkh } from '@scure/btc-signer';
import funding from './vectors/bolt03-funding.json' with { type: 'json' };
import { concat, fromHex, hex } from '../bolt/bytes.js';
import { sha256d } from '../bolt/crypto/hash.js';
import { secp } from '../bolt/crypto/secp256k1.js';
import { amountFromJson, btc, formatFeeRate, formatMoney } from '../node/chain/server/amount.js';
import { addressToScript, scriptToAddress } from '../node/chain/server/address.js';
import { assembleBlock, blockWork, checkProofOfWork, compactToTarget, decodeBlock, difficulty, merkleRoot, witnessCommitmentScript } from '../node/chain/server/block.js';
import { descriptorChecksum, inferDescriptor, parseDescriptor } from '../node/chain/server/descriptor.js';
import { toJson } from '../node/chain/server/json.js';
import { isFinalTx, sequenceLocks, sequenceLocksSatisfied } from '../node/chain/server/locks.js';
import { blockSubsidy, genesisCoinbase, REGTEST } from '../node/chain/server/params.js';
import { outputType, pushNumber, scriptToAsm } from '../node/chain/server/script.js';
import { buildTransaction, decodeTransaction, displayHash, NULL_TXID, transactionLength, type TxParts } from '../node/chain/server/tx.js';
import { verifyInputScripts } from '../node/chain/script-validator.js';

const SCURE_REGTEST = { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef };

// Vectors used below: BOLT 3 Appendix B's regtest genesis block, block 1 and funding transaction
// (test/vectors/bolt03-funding.json), and BIP 380's checksum example.
console.log('chain model vectors: 4 cases');

test('the genesis block built from the regtest parameters is byte for byte bitcoind regtest block 0', () => {
  const coinbase = decodeTransaction(genesisCoinbase());
  assert.equal(coinbase.txid, '4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b');
  const g = REGTEST.genesis;
  const block = assembleBlock({ version: g.version, prevHash: NULL_TXID, merkleRoot: coinbase.txid, time: g.time, bits: g.bits, nonce: g.nonce }, [coinbase]);
  assert.equal(block.hash, '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206');
  // BOLT 3 Appendix B prints the regtest genesis block it builds on.
  assert.equal(hex(block.raw), funding.block0_genesis);
  assert.ok(checkProofOfWork(block.hash, g.bits));
});

test('BOLT 3 Appendix B block 1 parses: links to genesis, merkle root, proof of work, BIP 34 height, P2PKH coinbase', () => {
  const block = decodeBlock(fromHex(funding.block1));
  assert.equal(block.header.prevHash, REGTEST.genesis.hash);
  assert.equal(block.header.bits, 0x207fffff);
  assert.ok(checkProofOfWork(block.hash, block.header.bits));
  assert.equal(block.txs.length, 1);
  const coinbase = block.txs[0]!;
  assert.equal(hex(coinbase.raw), funding.block1_coinbase_tx);
  assert.equal(coinbase.txid, funding.input_txid);
  assert.equal(block.header.merkleRoot, coinbase.txid);
  assert.equal(hex(coinbase.inputs[0]!.scriptSig.subarray(0, 1)), hex(pushNumber(1)));
  assert.equal(scriptToAddress(coinbase.outputs[0]!.script, REGTEST), funding.block1_coinbase_address);
  // And the funding transaction spending it: parsed, and its P2PKH input valid under the interpreter.
  const tx = decodeTransaction(fromHex(funding.funding_tx));
  assert.equal(tx.txid, funding.funding_txid);
  assert.equal(verifyInputScripts(tx.raw, [{ script: coinbase.outputs[0]!.script, amountSat: coinbase.outputs[0]!.amount }]), undefined);
});

test('decodeBlock refuses trailing bytes, a wrong merkle root and a truncated transaction', () => {
  const raw = fromHex(funding.block1);
  assert.throws(() => decodeBlock(concat(raw, Uint8Array.of(0))), /1 bytes after the last transaction/);
  const badRoot = Uint8Array.from(raw);
  badRoot[40]! ^= 1;
  assert.throws(() => decodeBlock(badRoot), /merkle root .* does not match its transactions/);
  assert.throws(() => decodeBlock(raw.subarray(0, raw.length - 10)), /truncated/);
  assert.equal(transactionLength(raw, 81), raw.length - 81);
});

test('merkle root: odd levels pair the last hash with itself; the witness commitment of an empty block is the known constant', () => {
  const leaves = ['01', '02', '03'].map((b) => b.repeat(32));
  const h = (a: string, b: string) => displayHash(sha256d(concat(fromHex(a).reverse(), fromHex(b).reverse())));
  assert.equal(merkleRoot(leaves), h(h(leaves[0]!, leaves[1]!), h(leaves[2]!, leaves[2]!)));
  assert.equal(merkleRoot([leaves[0]!]), leaves[0]);
  // Every bitcoind regtest block with only a coinbase carries this commitment.
  assert.equal(hex(witnessCommitmentScript([])), '6a24aa21a9ede2f61c3f71d1defd3fa999dfa36953755c690689799962b48bebd836974e8cf9');
});

test('regtest target, work and difficulty are those bitcoind reports', () => {
  assert.equal(compactToTarget(0x207fffff), 0x7fffffn << 232n);
  assert.equal(blockWork(0x207fffff), 2n);
  assert.equal(Number(difficulty(0x207fffff).toPrecision(16)), 4.656542373906925e-10, 'as bitcoind prints it (16 digits)');
  assert.equal(compactToTarget(0x1d00ffff), 0xffffn << 208n, 'mainnet minimum difficulty');
  assert.throws(() => compactToTarget(0x04923456), /negative target/);
});

test('subsidy halves every 150 blocks on regtest', () => {
  assert.equal(blockSubsidy(1), 5_000_000_000n);
  assert.equal(blockSubsidy(149), 5_000_000_000n);
  assert.equal(blockSubsidy(150), 2_500_000_000n);
  assert.equal(blockSubsidy(300), 1_250_000_000n);
  assert.equal(blockSubsidy(150 * 33), 0n);
  assert.equal(blockSubsidy(150 * 64), 0n);
});

test('amounts: bitcoind JSON numbers, FormatMoney, exact parsing of BTC values', () => {
  assert.equal(toJson({ a: btc(5_000_000_000n), b: [btc(1n), btc(-10_000n)], c: undefined, d: 3n }), '{"a":50.00000000,"b":[0.00000001,-0.00010000],"d":3}');
  assert.equal(formatMoney(5_000_000_000n), '50.00');
  assert.equal(formatMoney(1n), '0.00000001');
  assert.equal(formatMoney(110n), '0.0000011');
  assert.equal(formatFeeRate(1000n), '0.00001000 BTC/kvB');
  assert.equal(amountFromJson(0.1, 'x'), 10_000_000n);
  assert.equal(amountFromJson(0.00000001, 'x'), 1n);
  assert.equal(amountFromJson('21000000', 'x'), 2_100_000_000_000_000n);
  assert.equal(amountFromJson(0.29, 'x'), 29_000_000n);
  assert.throws(() => amountFromJson(21_000_000.00000001, 'x'), /out of range/);
  assert.throws(() => amountFromJson('0.000000001', 'x'), /more than 8 decimals/);
  assert.throws(() => amountFromJson('1e3', 'x'), /Invalid amount/);
  assert.throws(() => amountFromJson(true, 'x'), /not a number or string/);
});

test('regtest addresses round-trip and agree with @scure/btc-signer for every output type', () => {
  const pub = secp.publicKey(Uint8Array.from({ length: 32 }, (_, i) => i + 1));
  const xonly = pub.subarray(1);
  const payments = [
    scureP2wpkh(pub, SCURE_REGTEST),
    p2pkh(pub, SCURE_REGTEST),
    p2sh(scureP2wpkh(pub, SCURE_REGTEST), SCURE_REGTEST),
    p2wsh({ type: 'wsh', script: Uint8Array.of(0x51) } as never, SCURE_REGTEST),
    p2tr(xonly, undefined, SCURE_REGTEST),
  ];
  for (const pay of payments) {
    const ours = scriptToAddress(pay.script, REGTEST);
    assert.equal(ours, pay.address, hex(pay.script));
    assert.equal(hex(addressToScript(ours!, REGTEST)), hex(pay.script));
    assert.equal(ours, Address(SCURE_REGTEST).encode(OutScript.decode(pay.script)));
  }
  assert.equal(scriptToAddress(fromHex('51024e73'), REGTEST), 'bcrt1pfeesnyr2tx', 'pay-to-anchor');
  assert.equal(scriptToAddress(fromHex('6a0401020304'), REGTEST), undefined);
  assert.throws(() => addressToScript('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', REGTEST), /neither a bcrt1 segwit address nor valid base58check/);
  assert.throws(() => addressToScript('bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt081', REGTEST), /invalid bech32/);
  assert.throws(() => addressToScript('1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2', REGTEST), /version byte 0x0 is not regtest/);
  // A version 0 program written with bech32m is invalid (BIP 350).
  const v0m = Address({ ...SCURE_REGTEST }).encode({ type: 'tr', pubkey: xonly }).replace(/^bcrt1p/, 'bcrt1q');
  assert.throws(() => addressToScript(v0m, REGTEST));
});

test('descriptors: the BIP 380 checksum vector, addr/raw/wpkh/pkh/sh(wpkh)/tr, inferred descriptors', () => {
  assert.equal(descriptorChecksum('raw(deadbeef)'), '89f8spxm');
  assert.equal(hex(parseDescriptor('raw(deadbeef)#89f8spxm', REGTEST).script), 'deadbeef');
  assert.throws(() => parseDescriptor('raw(deadbeef)#89f8spxn', REGTEST), /does not match computed checksum '89f8spxm'/);
  assert.throws(() => parseDescriptor('raw(deadbeef)#89f8spx', REGTEST), /Expected 8 character checksum, not 7 characters/);
  const pub = secp.publicKey(Uint8Array.from({ length: 32 }, (_, i) => 32 - i));
  const pubHex = hex(pub);
  const wpkh = scureP2wpkh(pub, SCURE_REGTEST);
  assert.equal(hex(parseDescriptor(`wpkh(${pubHex})`, REGTEST).script), hex(wpkh.script));
  assert.equal(hex(parseDescriptor(`addr(${wpkh.address})`, REGTEST).script), hex(wpkh.script));
  assert.equal(hex(parseDescriptor(`pkh(${pubHex})`, REGTEST).script), hex(p2pkh(pub, SCURE_REGTEST).script));
  assert.equal(hex(parseDescriptor(`sh(wpkh(${pubHex}))`, REGTEST).script), hex(p2sh(wpkh, SCURE_REGTEST).script));
  // BIP 341 key-path tweak through our secp, checked against scure's.
  assert.equal(hex(parseDescriptor(`tr(${hex(pub.subarray(1))})`, REGTEST).script), hex(p2tr(pub.subarray(1), undefined, SCURE_REGTEST).script));
  assert.match(inferDescriptor(wpkh.script, REGTEST), new RegExp(`^addr\\(${wpkh.address}\\)#[a-z0-9]{8}$`));
  assert.equal(inferDescriptor(fromHex('deadbeef'), REGTEST), 'raw(deadbeef)#89f8spxm');
  assert.throws(() => parseDescriptor('multi(1,02aa)', REGTEST), /not a supported descriptor/);
});

test('script asm and output types as bitcoind prints them', () => {
  const p2pkhScript = fromHex('76a9143ca33c2e4446f4a305f23c80df8ad1afdcf652f988ac');
  assert.equal(scriptToAsm(p2pkhScript), 'OP_DUP OP_HASH160 3ca33c2e4446f4a305f23c80df8ad1afdcf652f9 OP_EQUALVERIFY OP_CHECKSIG');
  assert.equal(outputType(p2pkhScript), 'pubkeyhash');
  assert.equal(outputType(fromHex('0014751e76e8199196d454941c45d1b3a323f1433bd6')), 'witness_v0_keyhash');
  assert.equal(outputType(fromHex('0020' + '11'.repeat(32))), 'witness_v0_scripthash');
  assert.equal(outputType(fromHex('5120' + '11'.repeat(32))), 'witness_v1_taproot');
  assert.equal(outputType(fromHex('a914' + '11'.repeat(20) + '87')), 'scripthash');
  assert.equal(outputType(fromHex('6a0401020304')), 'nulldata');
  assert.equal(outputType(fromHex('51024e73')), 'anchor');
  assert.equal(outputType(fromHex('5221' + '02' + '11'.repeat(32) + '21' + '03' + '22'.repeat(32) + '52ae')), 'multisig');
  assert.equal(outputType(fromHex('ac')), 'nonstandard');
  assert.equal(scriptToAsm(fromHex('6a0401020304')), 'OP_RETURN 67305985');
  assert.equal(scriptToAsm(fromHex('0051604f4c')), '0 1 16 -1 [error]');
  // A scriptSig: the signature's sighash byte is shown as [ALL].
  const tx = decodeTransaction(fromHex(funding.funding_tx));
  const asm = scriptToAsm(tx.inputs[0]!.scriptSig, true);
  assert.match(asm, /^30[0-9a-f]+\[ALL\] 0[23][0-9a-f]{64}$/);
  // BIP 34 height pushes, as `CScript() << nHeight`.
  assert.equal(hex(pushNumber(1)), '51');
  assert.equal(hex(pushNumber(16)), '60');
  assert.equal(hex(pushNumber(17)), '0111');
  assert.equal(hex(pushNumber(128)), '028000');
  assert.equal(hex(pushNumber(300)), '022c01');
});

test('lock times: IsFinalTx by height and by time, BIP 68 relative locks by blocks and by 512 s units', () => {
  const input = (sequence: number) => ({ prevTxid: '11'.repeat(32), prevVout: 0, scriptSig: new Uint8Array(0), sequence, witness: [] });
  const tx = (lockTime: number, sequences: number[], version = 2): TxParts => ({ version, lockTime, inputs: sequences.map(input), outputs: [{ amount: 1n, script: fromHex('51') }] });
  assert.ok(isFinalTx(tx(0, [0]), 1, 0));
  assert.ok(isFinalTx(tx(100, [0]), 101, 0), 'locktime below the block height');
  assert.ok(!isFinalTx(tx(101, [0]), 101, 0), 'locktime equal to the block height is not final');
  assert.ok(isFinalTx(tx(101, [0xffffffff]), 101, 0), 'all sequences final disable the lock');
  assert.ok(!isFinalTx(tx(600_000_000, [0]), 1_000_000, 600_000_000));
  assert.ok(isFinalTx(tx(600_000_000, [0]), 1, 600_000_001));

  const mtp = (h: number) => 1_000_000 + h * 600;
  const byBlocks = sequenceLocks(tx(0, [5]), [100], mtp);
  assert.deepEqual(byBlocks, { minHeight: 104, minTime: -1 });
  assert.ok(!sequenceLocksSatisfied(byBlocks, 104, 0));
  assert.ok(sequenceLocksSatisfied(byBlocks, 105, 0));
  const byTime = sequenceLocks(tx(0, [0x00400000 | 2]), [100], mtp);
  assert.deepEqual(byTime, { minHeight: -1, minTime: mtp(99) + 1024 - 1 });
  assert.ok(!sequenceLocksSatisfied(byTime, 200, mtp(99) + 1023));
  assert.ok(sequenceLocksSatisfied(byTime, 200, mtp(99) + 1024));
  assert.deepEqual(sequenceLocks(tx(0, [0x80000005]), [100], mtp), { minHeight: -1, minTime: -1 }, 'disable flag');
  assert.deepEqual(sequenceLocks(tx(0, [5], 1), [100], mtp), { minHeight: -1, minTime: -1 }, 'version 1');
});

test('transactions: txid and wtxid, sizes and weight, witness stripped for the txid', () => {
  const tx = buildTransaction({
    version: 2,
    lockTime: 0,
    inputs: [{ prevTxid: '11'.repeat(32), prevVout: 1, scriptSig: new Uint8Array(0), sequence: 0xfffffffd, witness: [new Uint8Array(71), new Uint8Array(33)] }],
    outputs: [{ amount: 1000n, script: fromHex('0014' + '22'.repeat(20)) }],
  });
  assert.equal(tx.strippedSize, 4 + 1 + 41 + 1 + 31 + 4);
  assert.equal(tx.size, tx.strippedSize + 2 + 1 + 1 + 71 + 1 + 33);
  assert.equal(tx.weight, tx.strippedSize * 3 + tx.size);
  assert.equal(tx.vsize, Math.ceil(tx.weight / 4));
  assert.notEqual(tx.txid, tx.wtxid);
  assert.equal(decodeTransaction(tx.raw).txid, tx.txid);
  assert.throws(() => decodeTransaction(concat(tx.raw, Uint8Array.of(0))), /does not parse/);
  assert.throws(() => decodeTransaction(tx.raw.subarray(0, 20)), /does not parse/);
});
