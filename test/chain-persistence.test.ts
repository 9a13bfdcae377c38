// The chain survives its process: a clean stop and restart keep blocks, UTXO set and mempool;
// a second process cannot open the same data directory; and `kill -9` in the middle of
// generatetoaddress leaves whole blocks only, with a UTXO set that matches them exactly.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { btcToSat, BitcoindTransportError, type BitcoindRpcClient } from '../node/chain/rpc-client.js';
import { blockSubsidy } from '../node/chain/server/params.js';
import { ChainSpawnError, type SpawnedChain } from '../node/chain/server/spawn.js';
import { address, BTC, buildTx, compiledCli, scriptOf, startChain, tempDataDir, testKey, type Spend } from './helpers/chain.js';

const cli = compiledCli(import.meta.url);
const skip = cli === undefined ? 'needs the compiled CLI: npx tsc -p . first' : false;

const miner: Spend = { kind: 'p2wpkh', key: testKey(11) };
const minerAddress = address(scriptOf(miner));
const payee: Spend = { kind: 'p2wpkh', key: testKey(12) };

describe('vigil chain: persistence', { skip }, () => {
  const data = tempDataDir('persist');
  let chain: SpawnedChain;
  let rpc: BitcoindRpcClient;

  before(async () => {
    chain = await startChain(cli!, data.dir);
    rpc = chain.client();
  });
  after(async () => {
    rpc?.close();
    await chain?.stop();
    data.remove();
  });

  let pending: ReturnType<typeof buildTx>;
  let minedSpend: ReturnType<typeof buildTx>;

  it('a clean stop and restart keep the chain, the UTXO set and the mempool', async () => {
    await rpc.generateToAddress(101, minerAddress);
    const cb = async (h: number) => {
      const txid = (await rpc.getBlock(await rpc.getBlockHash(h))).tx[0]!;
      return { txid, vout: 0, amountSat: 50n * BTC, spend: miner };
    };
    minedSpend = buildTx([await cb(1)], [{ script: scriptOf(payee), amountSat: 50n * BTC - 10_000n }]);
    await rpc.sendRawTransaction(minedSpend.hex);
    await rpc.generateToAddress(1, minerAddress);
    pending = buildTx([await cb(2)], [{ script: scriptOf(payee), amountSat: 50n * BTC - 20_000n }]);
    await rpc.sendRawTransaction(pending.hex);
    const before = {
      info: await rpc.getBlockchainInfo(),
      mempool: await rpc.getRawMempool(),
      scan: await rpc.scanTxOutSet([`addr(${minerAddress})`, `addr(${address(scriptOf(payee))})`]),
    };
    const cookie = chain.cookiePath!;
    assert.ok(existsSync(cookie));

    rpc.close();
    const exit = await chain.stop();
    assert.deepEqual(exit, { code: 0, signal: null }, chain.stderr());
    assert.equal(existsSync(cookie), false, 'the cookie file goes with the process, as bitcoind does');

    chain = await startChain(cli!, data.dir);
    rpc = chain.client();
    const info = await rpc.getBlockchainInfo();
    assert.equal(info.blocks, before.info.blocks);
    assert.equal(info.bestblockhash, before.info.bestblockhash);
    assert.equal(info.chainwork, before.info.chainwork);
    assert.deepEqual(await rpc.getRawMempool(), before.mempool);
    assert.deepEqual(before.mempool, [pending.txid]);
    assert.deepEqual(await rpc.scanTxOutSet([`addr(${minerAddress})`, `addr(${address(scriptOf(payee))})`]), before.scan);
    const mined = await rpc.getRawTransaction(minedSpend.txid);
    assert.equal(mined.confirmations, 1);
    assert.equal(btcToSat((await rpc.getTxOut(minedSpend.txid, 0))!.value), 50n * BTC - 10_000n);
    // And the restored mempool is mined by the next block.
    const [hash] = await rpc.generateToAddress(1, minerAddress);
    assert.deepEqual((await rpc.getBlock(hash!)).tx.slice(1), [pending.txid]);
  });

  it('refuses to open a data directory another vigil chain is using', async () => {
    await assert.rejects(startChain(cli!, data.dir), (e: unknown) => {
      assert.ok(e instanceof ChainSpawnError, String(e));
      assert.match(e.message, /exited \(code 1, signal null\) before listening/);
      assert.match(e.message, /vigil chain: data directory .* is in use by another process/);
      return true;
    });
    assert.equal(typeof (await rpc.getBlockCount()), 'number', 'the first one still serves');
  });

  it('kill -9 in the middle of generatetoaddress leaves whole blocks and a UTXO set matching them', async () => {
    const victim: Spend = { kind: 'p2wpkh', key: testKey(13) };
    const victimAddress = address(scriptOf(victim));
    const start = await rpc.getBlockCount();
    const utxosBefore = (await rpc.scanTxOutSet([`addr(${victimAddress})`])).txouts;
    const watcher = chain.client();
    // Mining yields between blocks, so the watcher's calls get answers while it runs.
    const mining = rpc.generateToAddress(5000, victimAddress).then(
      () => 'finished',
      (e: unknown) => e,
    );
    const deadline = Date.now() + 60_000;
    while ((await watcher.getBlockCount()) < start + 40) {
      assert.ok(Date.now() < deadline, 'mining did not reach 40 blocks within 60 s');
    }
    chain.child.kill('SIGKILL');
    const exit = await chain.exited;
    assert.equal(exit.signal, 'SIGKILL');
    const outcome = await mining;
    assert.ok(outcome instanceof BitcoindTransportError, `the interrupted call fails as a transport error, got ${String(outcome)}`);
    watcher.close();
    rpc.close();

    chain = await startChain(cli!, data.dir);
    rpc = chain.client();
    const height = await rpc.getBlockCount();
    assert.ok(height >= start + 40 && height < start + 5000, `height ${height} after the kill`);
    // Every block links to the one before it and its coinbase pays the subsidy to the victim address.
    let expectedTotal = 0n;
    let prev = await rpc.getBlockHash(start);
    for (let h = start + 1; h <= height; h++) {
      const block = await rpc.getBlockWithTransactions(await rpc.getBlockHash(h));
      assert.equal(block.previousblockhash, prev, `block ${h} links to block ${h - 1}`);
      assert.equal(block.tx.length, 1);
      assert.equal(btcToSat(block.tx[0]!.vout[0]!.value), blockSubsidy(h));
      expectedTotal += blockSubsidy(h);
      prev = block.hash;
    }
    const scan = await rpc.scanTxOutSet([`addr(${victimAddress})`]);
    assert.equal(scan.unspents.length, height - start, 'one coin per block, no more, no less');
    assert.equal(btcToSat(scan.total_amount), expectedTotal);
    assert.equal(scan.txouts, utxosBefore + (height - start));
    // And it goes on.
    const [next] = await rpc.generateToAddress(1, victimAddress);
    assert.equal((await rpc.getBlockHeader(next!)).height, height + 1);
  });
});
