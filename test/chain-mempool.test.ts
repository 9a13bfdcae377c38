// The embedded chain as the node will meet it: a real `vigil chain` process, spoken to over HTTP
// with our bitcoind RPC client. Mine 101 blocks to a P2WPKH key the test holds, spend, and check
// that each mempool rule refuses what bitcoind refuses, with bitcoind's code and message.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { btcToSat, type BitcoindRpcClient } from '../node/chain/rpc-client.js';
import type { SpawnedChain } from '../node/chain/server/spawn.js';
import { address, assertRpcError, BTC, buildTx, compiledCli, scriptOf, startChain, tempDataDir, testKey, withBadSignature, type Spend, type Utxo } from './helpers/chain.js';

const cli = compiledCli(import.meta.url);
const skip = cli === undefined ? 'needs the compiled CLI: npx tsc -p . first' : false;

const miner: Spend = { kind: 'p2wpkh', key: testKey(1) };
const minerAddress = address(scriptOf(miner));
const other: Spend = { kind: 'p2wpkh', key: testKey(2) };
/** A 50 BTC coinbase less a 10 000 sat fee (bitcoind's default maxfeerate refuses fees of whole bitcoins). */
const SPENDABLE = 50n * BTC - 10_000n;

describe('vigil chain: mempool acceptance and mining', { skip }, () => {
  const data = tempDataDir('mempool');
  let chain: SpawnedChain;
  let rpc: BitcoindRpcClient;
  /** Coinbase outputs by height, all paying `miner`. */
  const coinbase = async (height: number): Promise<Utxo> => {
    const block = await rpc.getBlock(await rpc.getBlockHash(height));
    const tx = await rpc.getRawTransaction(block.tx[0]!);
    return { txid: tx.txid, vout: 0, amountSat: btcToSat(tx.vout[0]!.value), spend: miner };
  };
  const mine = (n = 1): Promise<string[]> => rpc.generateToAddress(n, minerAddress);

  before(async () => {
    chain = await startChain(cli!, data.dir);
    rpc = chain.client();
  });
  after(async () => {
    rpc?.close();
    await chain?.stop();
    data.remove();
  });

  it('mines 101 blocks to a P2WPKH address: 50 BTC coinbases, found by scantxoutset', async () => {
    const hashes = await mine(101);
    assert.equal(hashes.length, 101);
    assert.equal(await rpc.getBlockCount(), 101);
    assert.equal(await rpc.getBestBlockHash(), hashes[100]);
    const scan = await rpc.scanTxOutSet([`addr(${minerAddress})`]);
    assert.equal(scan.unspents.length, 101);
    assert.equal(btcToSat(scan.total_amount), 101n * 50n * BTC);
    assert.ok(scan.unspents.every((u) => u.coinbase && u.scriptPubKey === Buffer.from(scriptOf(miner)).toString('hex')));
  });

  let firstSpend: ReturnType<typeof buildTx>;
  it('accepts a signed spend of a mature coinbase; gettxout, getrawmempool and getmempoolentry reflect it', async () => {
    const cb = await coinbase(1);
    firstSpend = buildTx([cb], [{ script: scriptOf(other), amountSat: 10n * BTC }, { script: scriptOf(miner), amountSat: 40n * BTC - 1_000n }]);
    assert.equal(await rpc.sendRawTransaction(firstSpend.hex), firstSpend.txid);
    assert.deepEqual(await rpc.getRawMempool(), [firstSpend.txid]);
    const entry = await rpc.getMempoolEntry(firstSpend.txid);
    assert.equal(btcToSat(entry.fees.base), 1_000n);
    assert.equal(entry.ancestorcount, 1);
    // The spent coinbase is gone as far as the mempool is concerned, still there for the chain alone.
    assert.equal(await rpc.getTxOut(cb.txid, 0, true), null);
    assert.equal(btcToSat((await rpc.getTxOut(cb.txid, 0, false))!.value), 50n * BTC);
    const out = await rpc.getTxOut(firstSpend.txid, 0, true);
    assert.equal(out!.confirmations, 0);
    assert.equal(out!.scriptPubKey.address, address(scriptOf(other)));
    assert.equal(await rpc.getTxOut(firstSpend.txid, 0, false), null);
  });

  it('refuses a double spend of a mempool input that does not pay more (-26 insufficient fee), accepts one that does (RBF)', async () => {
    const cb = await coinbase(1);
    // Same shape, lower fee: a lower feerate than the transaction it would replace.
    const cheaper = buildTx([cb], [{ script: scriptOf(other), amountSat: 10n * BTC }, { script: scriptOf(miner), amountSat: 40n * BTC - 500n }]);
    await assertRpcError(rpc.sendRawTransaction(cheaper.hex), -26, new RegExp(`^insufficient fee, rejecting replacement ${cheaper.txid}; new feerate 0\\.\\d{8} BTC/kvB <= old feerate 0\\.\\d{8} BTC/kvB$`));
    // The same fee in a smaller transaction: a higher feerate, but nothing paid for relaying it.
    const sameFee = buildTx([cb], [{ script: scriptOf(other), amountSat: 50n * BTC - 1_000n }]);
    await assertRpcError(rpc.sendRawTransaction(sameFee.hex), -26, new RegExp(`^insufficient fee, rejecting replacement ${sameFee.txid}, not enough additional fees to relay; 0\\.00 < 0\\.\\d+$`));
    // A replacement must pay for its own relay on top of what it replaces.
    const bumped = buildTx([cb], [{ script: scriptOf(other), amountSat: 10n * BTC }, { script: scriptOf(miner), amountSat: 40n * BTC - 5_000n }]);
    assert.equal(await rpc.sendRawTransaction(bumped.hex), bumped.txid);
    assert.deepEqual(await rpc.getRawMempool(), [bumped.txid]);
    // Put the first one back for what follows.
    const again = buildTx([cb], [{ script: scriptOf(other), amountSat: 10n * BTC }, { script: scriptOf(miner), amountSat: 40n * BTC - 9_000n }]);
    await rpc.sendRawTransaction(again.hex);
    firstSpend = again;
  });

  it('mines the mempool: the spend gets a block, confirmations, and scantxoutset sees its outputs', async () => {
    const [hash] = await mine(1);
    assert.deepEqual(await rpc.getRawMempool(), []);
    const block = await rpc.getBlock(hash!);
    assert.deepEqual(block.tx.slice(1), [firstSpend.txid]);
    const tx = await rpc.getRawTransaction(firstSpend.txid);
    assert.equal(tx.blockhash, hash);
    assert.equal(tx.confirmations, 1);
    assert.equal(tx.hex, firstSpend.hex);
    assert.equal((await rpc.getTxOut(firstSpend.txid, 0))!.confirmations, 1);
    const scan = await rpc.scanTxOutSet([`addr(${address(scriptOf(other))})`]);
    assert.deepEqual(
      scan.unspents.map((u) => [u.txid, u.vout, btcToSat(u.amount)]),
      [[firstSpend.txid, 0, 10n * BTC]],
    );
    // The coinbase pays the subsidy plus the fee.
    const cb = await rpc.getRawTransaction(block.tx[0]!);
    assert.equal(btcToSat(cb.vout[0]!.value), 50n * BTC + 9_000n);
  });

  it('refuses a double spend of a coin spent in the chain (-25 bad-txns-inputs-missingorspent) and a resent mined tx (-27)', async () => {
    const cb = await coinbase(1);
    const late = buildTx([cb], [{ script: scriptOf(other), amountSat: 49n * BTC }]);
    await assertRpcError(rpc.sendRawTransaction(late.hex), -25, /^bad-txns-inputs-missingorspent$/);
    await assertRpcError(rpc.sendRawTransaction(firstSpend.hex), -27, /^Transaction outputs already in utxo set$/);
    const [result] = await rpc.testMempoolAccept([late.hex]);
    assert.equal(result!.allowed, false);
    assert.equal(result!['reject-reason'], 'missing-inputs');
  });

  it('refuses an immature coinbase spend (-26 bad-txns-premature-spend-of-coinbase with the depth)', async () => {
    const tip = await rpc.getBlockCount();
    const young = await coinbase(tip - 9);
    const tx = buildTx([young], [{ script: scriptOf(other), amountSat: 49n * BTC }]);
    await assertRpcError(rpc.sendRawTransaction(tx.hex), -26, /^bad-txns-premature-spend-of-coinbase, tried to spend coinbase at depth 10$/);
  });

  it('refuses a bad signature (-26 mandatory-script-verify-flag-failed)', async () => {
    const tx = buildTx([await coinbase(2)], [{ script: scriptOf(other), amountSat: 49n * BTC }]);
    await assertRpcError(
      rpc.sendRawTransaction(withBadSignature(tx)),
      -26,
      /^mandatory-script-verify-flag-failed \(Script evaluated without error but finished with a false\/empty top stack element\), input 0 of /,
    );
    // Signed by another key: its hash is not the witness program's.
    const wrongKey = buildTx([{ ...(await coinbase(2)), spend: other }], [{ script: scriptOf(other), amountSat: 49n * BTC }]);
    await assertRpcError(rpc.sendRawTransaction(wrongKey.hex), -26, /^mandatory-script-verify-flag-failed \(Script failed an OP_EQUALVERIFY operation\)/);
  });

  it('refuses an overspend (-26 bad-txns-in-belowout with both values)', async () => {
    const tx = buildTx([await coinbase(2)], [{ script: scriptOf(other), amountSat: 50n * BTC + 1n }]);
    await assertRpcError(rpc.sendRawTransaction(tx.hex), -26, /^bad-txns-in-belowout, value in \(50\.00\) < value out \(50\.00000001\)$/);
  });

  it('refuses a transaction locked to the block after next (-26 non-final), accepts it one block later', async () => {
    const tip = await rpc.getBlockCount();
    const byHeight = buildTx([await coinbase(2)], [{ script: scriptOf(other), amountSat: SPENDABLE }], { locktime: tip + 1 });
    await assertRpcError(rpc.sendRawTransaction(byHeight.hex), -26, /^non-final$/);
    const now = (await rpc.getBlockchainInfo()).mediantime;
    const byTime = buildTx([await coinbase(3)], [{ script: scriptOf(other), amountSat: SPENDABLE }], { locktime: now + 3600 });
    await assertRpcError(rpc.sendRawTransaction(byTime.hex), -26, /^non-final$/);
    // With every input's sequence final, the lock time does not apply.
    const optedOut = buildTx([{ ...(await coinbase(3)), sequence: 0xffffffff }], [{ script: scriptOf(other), amountSat: SPENDABLE }], { locktime: now + 3600 });
    assert.equal((await rpc.testMempoolAccept([optedOut.hex]))[0]!.allowed, true);
    await mine(1);
    assert.equal(await rpc.sendRawTransaction(byHeight.hex), byHeight.txid);
    await mine(1);
  });

  it('enforces BIP 68: a relative lock of 3 blocks is refused (-26 non-BIP68-final) until the coin has 3 confirmations', async () => {
    const funding = buildTx([await coinbase(4)], [{ script: scriptOf(other), amountSat: SPENDABLE }]);
    await rpc.sendRawTransaction(funding.hex);
    const [fundingBlock] = await mine(1);
    const height = (await rpc.getBlockHeader(fundingBlock!)).height;
    const coin: Utxo = { txid: funding.txid, vout: 0, amountSat: SPENDABLE, spend: other };
    const spend = buildTx([{ ...coin, sequence: 3 }], [{ script: scriptOf(miner), amountSat: SPENDABLE - 1_000n }]);
    // In a block at height+1 and height+2 the coin has 1 and 2 confirmations: locked.
    await assertRpcError(rpc.sendRawTransaction(spend.hex), -26, /^non-BIP68-final$/);
    await mine(1);
    await assertRpcError(rpc.sendRawTransaction(spend.hex), -26, /^non-BIP68-final$/);
    await mine(1);
    assert.equal(await rpc.getBlockCount(), height + 2);
    assert.equal(await rpc.sendRawTransaction(spend.hex), spend.txid);
    // Version 1 transactions do not get BIP 68 semantics.
    const v1funding = buildTx([await coinbase(5)], [{ script: scriptOf(other), amountSat: SPENDABLE }]);
    await rpc.sendRawTransaction(v1funding.hex);
    await mine(1);
    const v1 = buildTx([{ txid: v1funding.txid, vout: 0, amountSat: SPENDABLE, spend: other, sequence: 100 }], [{ script: scriptOf(miner), amountSat: SPENDABLE - 1_000n }], { version: 1 });
    assert.equal(await rpc.sendRawTransaction(v1.hex), v1.txid);
    await mine(1);
  });

  it('spends a BOLT 3 to_local output (P2WSH with OP_CHECKSEQUENCEVERIFY) only after to_self_delay', async () => {
    const delay = 4;
    const toLocal: Spend = { kind: 'to_local', key: testKey(3), revocationPub: testKey(4).pub, delay };
    const funding = buildTx([await coinbase(6)], [{ script: scriptOf(toLocal), amountSat: SPENDABLE }]);
    await rpc.sendRawTransaction(funding.hex);
    await mine(1);
    const coin: Utxo = { txid: funding.txid, vout: 0, amountSat: SPENDABLE, spend: toLocal };
    const sweep = buildTx([{ ...coin, sequence: delay }], [{ script: scriptOf(miner), amountSat: SPENDABLE - 2_000n }]);
    await assertRpcError(rpc.sendRawTransaction(sweep.hex), -26, /^non-BIP68-final$/);
    // A sequence below the script's delay fails OP_CHECKSEQUENCEVERIFY itself, at any depth.
    const tooShort = buildTx([{ ...coin, sequence: delay - 1 }], [{ script: scriptOf(miner), amountSat: SPENDABLE - 2_000n }]);
    await mine(delay);
    await assertRpcError(rpc.sendRawTransaction(tooShort.hex), -26, /^mandatory-script-verify-flag-failed \(Locktime requirement not satisfied\)/);
    assert.equal(await rpc.sendRawTransaction(sweep.hex), sweep.txid);
    await mine(1);
    assert.equal((await rpc.getRawTransaction(sweep.txid)).confirmations, 1);
  });

  it('accepts P2PKH, P2SH-P2WPKH and P2WSH spends, a child of a mempool parent, and mines them parents first', async () => {
    const kinds: Spend[] = [
      { kind: 'p2pkh', key: testKey(5) },
      { kind: 'p2sh-p2wpkh', key: testKey(6) },
      { kind: 'to_local', key: testKey(7), revocationPub: testKey(8).pub, delay: 1 },
    ];
    const fanOut = buildTx(
      [await coinbase(7)],
      [...kinds.map((k) => ({ script: scriptOf(k), amountSat: 10n * BTC })), { script: scriptOf(miner), amountSat: 20n * BTC - 10_000n }],
    );
    await rpc.sendRawTransaction(fanOut.hex);
    await mine(1);
    const coins: Utxo[] = kinds.map((spend, vout) => ({ txid: fanOut.txid, vout, amountSat: 10n * BTC, spend }));
    const parent = buildTx(
      coins.map((c) => ({ ...c, sequence: 1 })),
      [{ script: scriptOf(other), amountSat: 30n * BTC - 10_000n }],
    );
    assert.equal(await rpc.sendRawTransaction(parent.hex), parent.txid);
    const child = buildTx([{ txid: parent.txid, vout: 0, amountSat: 30n * BTC - 10_000n, spend: other }], [{ script: scriptOf(miner), amountSat: 30n * BTC - 20_000n }]);
    assert.equal(await rpc.sendRawTransaction(child.hex), child.txid);
    const childEntry = await rpc.getMempoolEntry(child.txid);
    assert.deepEqual(childEntry.depends, [parent.txid]);
    assert.deepEqual((await rpc.getMempoolEntry(parent.txid)).spentby, [child.txid]);
    const [hash] = await mine(1);
    assert.deepEqual((await rpc.getBlock(hash!)).tx.slice(1), [parent.txid, child.txid]);
  });

  it('testmempoolaccept takes a parent and child package without touching the mempool', async () => {
    const parent = buildTx([await coinbase(8)], [{ script: scriptOf(other), amountSat: 49n * BTC }]);
    const child = buildTx([{ txid: parent.txid, vout: 0, amountSat: 49n * BTC, spend: other }], [{ script: scriptOf(other), amountSat: 48n * BTC }]);
    const results = await rpc.testMempoolAccept([parent.hex, child.hex], 0);
    assert.deepEqual(
      results.map((r) => [r.txid, r.allowed]),
      [
        [parent.txid, true],
        [child.txid, true],
      ],
    );
    assert.equal(btcToSat(results[1]!.fees!.base), 1n * BTC);
    assert.deepEqual(await rpc.getRawMempool(), []);
    // Alone, the child has no parent to spend.
    assert.equal((await rpc.testMempoolAccept([child.hex]))[0]!['reject-reason'], 'missing-inputs');
    // bitcoind's default maxfeerate (0.10 BTC/kvB) refuses a 1 BTC fee; 0 lifts the limit.
    await assertRpcError(rpc.sendRawTransaction(parent.hex), -25, /^Fee exceeds maximum configured by user \(e\.g\. -maxtxfee, maxfeerate\)$/);
    assert.equal((await rpc.testMempoolAccept([parent.hex]))[0]!['reject-reason'], 'max-fee-exceeded');
    assert.equal((await rpc.testMempoolAccept([parent.hex], 0))[0]!.allowed, true);
  });

  it('generateblock mines exactly the given transactions, from the mempool or raw', async () => {
    const a = buildTx([await coinbase(9)], [{ script: scriptOf(other), amountSat: 49n * BTC }]);
    const b = buildTx([await coinbase(10)], [{ script: scriptOf(other), amountSat: 49n * BTC }]);
    const c = buildTx([await coinbase(11)], [{ script: scriptOf(other), amountSat: 49n * BTC }]);
    await rpc.sendRawTransaction(a.hex, 0);
    await rpc.sendRawTransaction(b.hex, 0);
    const { hash } = await rpc.generateBlock(minerAddress, [b.txid, c.hex]);
    assert.deepEqual((await rpc.getBlock(hash)).tx.slice(1), [b.txid, c.txid]);
    assert.deepEqual(await rpc.getRawMempool(), [a.txid]);
    // A block spending a missing coin is refused as a whole.
    const orphan = buildTx([{ txid: '11'.repeat(32), vout: 0, amountSat: BTC, spend: other }], [{ script: scriptOf(other), amountSat: BTC / 2n }]);
    await assertRpcError(rpc.generateBlock(minerAddress, [orphan.hex]), -25, /^TestBlockValidity failed: bad-txns-inputs-missingorspent/);
    await mine(1);
  });
});
