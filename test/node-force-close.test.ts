// After a force close, each node sweeps its own outputs of the commitment back to its wallet (BOLT 5),
// every signature from its signer, in real processes on loopback. Alice (the opener) force-closes an
// option_anchors channel with balance on both sides while bob's node is down; bob's node, started
// again, finds the close and sweeps his to_remote (1-block CSV) to his wallet at once. Alice's
// to_local cannot be spent before to_self_delay (the chain refuses a sweep her signer signed one block
// early) and reaches her wallet once the delay is over. Each wallet grows by its channel balance
// rounded down to the satoshi, less exactly the fees the transactions on chain paid. Then a revoked
// commitment (bob restores an old signer backup and force-closes): alice takes all of it. Every
// transaction went through the embedded chain's script interpreter, which rejects bad signatures.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex } from '../bolt/bytes.js';
import { ANCHOR_OUTPUT_SAT } from '../bolt/bolt3/index.js';
import { btcToSat, BitcoindRpcClient, type RawTransactionInfo } from '../node/chain/rpc-client.js';
import { readRecoveredChannels } from '../node/channel/index.js';
import { connectSigner } from '../node/daemon/signer.js';
import { cliJson, eventually, tempDir } from './helpers/node-stack.js';
import { channelOf, fundAliceAndConnect, mineOutside, openAliceToBob, paymentLedger, PEOPLE, startTwoNodeStack, type TwoNodeStack, type Who } from './helpers/two-node-stack.js';

const work = tempDir('node-force-close');
let stack: TwoNodeStack;
let rpc: BitcoindRpcClient;

before(async () => {
  stack = await startTwoNodeStack(work.dir);
  rpc = new BitcoindRpcClient({ url: `http://127.0.0.1:${stack.chain.ready.listening.port}`, cookieFile: stack.chain.ready.cookie! });
});

after(async () => {
  rpc?.close();
  await stack?.stop();
  work.remove();
});

const walletTotal = async (who: Who): Promise<bigint> => BigInt((await stack.apis[who].call('Balance'))['total_sat'] as string);

/** The transaction spending txid:vout, in the mempool or in a block from `fromHeight` up; undefined when none. */
async function spenderOf(txid: string, vout: number, fromHeight: number): Promise<RawTransactionInfo | undefined> {
  const spends = (tx: RawTransactionInfo): boolean => tx.vin.some((i) => i.txid === txid && i.vout === vout);
  for (const id of await rpc.getRawMempool()) {
    const tx = await rpc.getRawTransaction(id);
    if (spends(tx)) return tx;
  }
  const tip = await rpc.getBlockCount();
  for (let h = fromHeight; h <= tip; h++) {
    const tx = (await rpc.getBlockWithTransactions(await rpc.getBlockHash(h))).tx.find(spends);
    if (tx !== undefined) return tx;
  }
  return undefined;
}

const valueSat = (tx: RawTransactionInfo, vout: number): bigint => btcToSat(tx.vout[vout]!.value);

/** A one-input, one-output sweep pays as fee its input less its output. */
function sweepFee(spent: RawTransactionInfo, vout: number, sweep: RawTransactionInfo): bigint {
  assert.equal(sweep.vin.length, 1, 'a sweep spends one output');
  assert.equal(sweep.vout.length, 1, 'a sweep pays one wallet output');
  return valueSat(spent, vout) - valueSat(sweep, 0);
}

test('after alice force-closes, bob sweeps his to_remote at once and alice her to_local after to_self_delay; each wallet gets its balance less the fees on chain', { timeout: 120_000 }, async () => {
  await fundAliceAndConnect(stack);
  const capacitySat = 400_000n;
  const opened = await openAliceToBob(stack, capacitySat);
  const fundingVout = Number((await channelOf(stack, 'alice'))['funding_output_index']);
  assert.equal((await channelOf(stack, 'alice'))['channel_type'], 'anchors');
  const ledger = paymentLedger(stack, capacitySat * 1000n);
  // msat parts on both sides: the outputs round each balance down to the satoshi.
  for (const a of [120_000_123n, 7_654_321n, 999n]) await ledger.pay('alice', a);
  await ledger.pay('bob', 3_210_777n);
  await ledger.assertSettled('before the force close');
  const aliceSat = ledger.balances.alice / 1000n;
  const bobSat = ledger.balances.bob / 1000n;
  const before = { alice: await walletTotal('alice'), bob: await walletTotal('bob') };

  // Bob is offline while alice force-closes: told of it (BOLT 1 `error`), he would fail the channel and
  // publish his own commitment, racing hers. He comes back once hers confirmed, and finds it at start.
  await stack.nodes.bob.stop();
  const forced = await cliJson<{ closing_txid: string }>(stack.nodeDir('alice'), 'closechannel', opened.channel_id, '--force');
  assert.match(forced.closing_txid, /^[0-9a-f]{64}$/, 'closechannel --force answers with the commitment it broadcast');
  const fundingHeight = (await rpc.getBlockHeader((await rpc.getRawTransaction(opened.funding_txid)).blockhash!)).height;
  const published = await eventually('alice\'s commitment spends the funding output', async () => spenderOf(opened.funding_txid, fundingVout, fundingHeight));
  assert.equal(forced.closing_txid, published.txid);
  const closed = { closing_txid: published.txid };
  await mineOutside(stack, 1);
  const closeHeight = await rpc.getBlockCount();
  await stack.restartNode('bob');
  for (const who of PEOPLE) await eventually(`${who} sees the channel closed`, async () => ((await channelOf(stack, who))['state'] === 'closed' ? true : undefined));

  // Alice's commitment (option_anchors): two anchors, bob's to_remote, alice's to_local.
  const commitment = await rpc.getRawTransaction(closed.closing_txid);
  assert.equal(commitment.vout.length, 4, 'anchors, to_remote and to_local');
  const anchors = commitment.vout.filter((o) => btcToSat(o.value) === ANCHOR_OUTPUT_SAT);
  assert.equal(anchors.length, 2, 'two 330-sat anchors');
  const toRemote = commitment.vout.find((o) => btcToSat(o.value) === bobSat);
  assert.ok(toRemote !== undefined, `bob's to_remote is his balance rounded down, ${bobSat} sat (the opener pays the fee)`);
  const toLocal = commitment.vout.find((o) => o !== toRemote && !anchors.includes(o))!;
  const fundingSat = capacitySat;
  const commitmentFee = fundingSat - commitment.vout.reduce((a, o) => a + btcToSat(o.value), 0n);
  // The msat parts both sides lost to rounding go to the fee; the rest of the fee and the anchors are alice's.
  const roundingSat = fundingSat - aliceSat - bobSat;
  assert.ok(roundingSat === 0n || roundingSat === 1n);
  assert.equal(btcToSat(toLocal.value), aliceSat - (commitmentFee - roundingSat) - 2n * ANCHOR_OUTPUT_SAT, 'alice\'s to_local is her balance less the commitment fee and the anchors');

  // bob: to_remote has a 1-block CSV; the closing block is that block. His sweep confirms in the next.
  const bobFee = await confirmedSweepFee('bob', commitment, toRemote.n, closeHeight, 1);
  await eventually('bob\'s wallet sees his sweep', async () => ((await walletTotal('bob')) === before.bob + bobSat - bobFee ? true : undefined));

  // alice: nothing before to_self_delay. One block short of it, her signer signs a sweep (it checks no
  // height), and the chain refuses it: BIP 68.
  const aliceSigner = await connectSigner(stack.sides.alice.signerAddress(), join(stack.sides.alice.signerDir, 'tls'));
  try {
    const channels = readRecoveredChannels(await aliceSigner.client.call('ListChannels', {}));
    const channel = channels.find((c) => Buffer.from(c.channelId).toString('hex') === opened.channel_id)!;
    const delay = channel.localOutputsDelay;
    assert.equal(delay, 144, 'bob asked alice for a 144-block to_self_delay');
    const confirmations = (await rpc.getRawTransaction(closed.closing_txid)).confirmations!;
    await mineOutside(stack, delay - 1 - confirmations);
    assert.equal((await rpc.getRawTransaction(closed.closing_txid)).confirmations, delay - 1);
    assert.notEqual(await rpc.getTxOut(closed.closing_txid, toLocal.n, true), null, 'alice\'s to_local is unspent one block before the delay ends');
    const address = await aliceSigner.client.call<{ script_pubkey: Buffer }>('NewAddress', {});
    const early = await aliceSigner.client.call<{ transaction: Buffer }>('SignSweep', {
      channel: { channel_id: Buffer.from(channel.channelId) },
      kind: 'SWEEP_KIND_TO_LOCAL',
      outpoint: { txid: Buffer.from(fromHex(closed.closing_txid).reverse()), vout: toLocal.n },
      amount_sat: btcToSat(toLocal.value).toString(),
      commitment_number: String(channel.localCommit.number),
      destination_script: address.script_pubkey,
      fee_sat: '500',
    });
    await assert.rejects(rpc.sendRawTransaction(Buffer.from(early.transaction).toString('hex')), /non-BIP68-final/, 'the chain refuses a to_local sweep before to_self_delay');
  } finally {
    aliceSigner.client.close();
  }

  // The delay is over at the next block: alice's node sweeps; it confirms in the one after.
  await mineOutside(stack, 1);
  const aliceFee = await confirmedSweepFee('alice', commitment, toLocal.n, closeHeight, 144);
  const aliceExpected = aliceSat - (commitmentFee - roundingSat) - 2n * ANCHOR_OUTPUT_SAT - aliceFee;
  await eventually('alice\'s wallet sees her sweep', async () => ((await walletTotal('alice')) === before.alice + aliceExpected ? true : undefined));

  // Done means done: more blocks sweep nothing more (the anchors stay; they are not ours to take back).
  await mineOutside(stack, 1);
  assert.equal(await walletTotal('alice'), before.alice + aliceExpected);
  assert.equal(await walletTotal('bob'), before.bob + bobSat - bobFee);
});

/** `who`'s channel `id` as ListChannels shows it. */
/** Waits for `who`'s sweep of output `vout` of `closing` (with relative lock `sequence`), confirms it, and returns its fee. */
async function confirmedSweepFee(who: Who, closing: RawTransactionInfo, vout: number, closeHeight: number, sequence: number): Promise<bigint> {
  const seen = await eventually(`${who} sweeps output ${vout}`, async () => spenderOf(closing.txid, vout, closeHeight), 60_000);
  assert.equal(seen.vin[0]!.sequence, sequence, `${who}'s sweep carries the relative lock of ${sequence} blocks`);
  await mineOutside(stack, 1);
  const sweep = await rpc.getRawTransaction(seen.txid);
  assert.ok((sweep.confirmations ?? 0) >= 1, `${who}'s sweep confirmed`);
  const fee = sweepFee(closing, vout, sweep);
  assert.ok(fee > 0n && fee < 1_000n, `${who}'s sweep fee ${fee} sat`);
  return fee;
}

async function channelById(who: Who, id: string): Promise<Record<string, string>> {
  const list = (await stack.apis[who].call('ListChannels'))['channels'] as Record<string, string>[];
  const c = list.find((x) => x['channel_id'] === id);
  if (c === undefined) throw new Error(`${who} has no channel ${id}`);
  return c;
}

test('bob restores an old signer backup and force-closes a revoked commitment: alice takes all of it (justice on his to_local, a sweep of her to_remote)', { timeout: 120_000 }, async () => {
  const capacitySat = 300_000n;
  // Bob's node restarted in the first test, on another port.
  await eventually('alice connects to bob', async () => stack.apis.alice.call('Connect', { address: stack.peerAddress('bob') }));
  const opened = await cliJson<{ channel_id: string; funding_txid: string; funding_output_index: number }>(stack.nodeDir('alice'), 'openchannel', stack.nodes.bob.ready.node_id, capacitySat.toString(), '--channel-type', 'static_remotekey');
  await mineOutside(stack, 6);
  for (const who of PEOPLE) await eventually(`${who}'s static_remotekey channel is open`, async () => ((await channelById(who, opened.channel_id))['state'] === 'open' ? true : undefined));
  const ledger = paymentLedger(stack, capacitySat * 1000n);
  const settled = async (label: string): Promise<void> => {
    for (const who of PEOPLE) {
      await eventually(`${who} settled (${label})`, async () => {
        const c = await channelById(who, opened.channel_id);
        return BigInt(c['local_balance_msat']!) === ledger.balances[who] && Number(c['pending_htlcs']) === 0 ? true : undefined;
      });
    }
  };
  await ledger.pay('alice', 150_000_000n);
  await settled('bob has a balance');

  // Bob backs up his signer's data directory (stopped, so the copy is consistent) and goes on.
  const backup = join(work.dir, 'bob-signer-backup');
  await stack.sides.bob.signer.stop();
  cpSync(stack.sides.bob.signerDir, backup, { recursive: true });
  await stack.sides.bob.restartSigner();
  await ledger.pay('bob', 40_000_123n);
  await ledger.pay('alice', 1_000n);
  await settled('after the backup');

  // Bob restores the backup (his signer now believes in a commitment he revoked since) and, on a fresh
  // node rebuilt from it, force-closes: the old signer signs the revoked commitment for broadcast.
  await stack.sides.bob.signer.stop();
  rmSync(stack.sides.bob.signerDir, { recursive: true, force: true });
  cpSync(backup, stack.sides.bob.signerDir, { recursive: true });
  await stack.sides.bob.restartSigner();
  await stack.restartNode('bob', { kill: true, wipe: true });
  const before = { alice: await walletTotal('alice'), bob: await walletTotal('bob') };
  const fundingHeight = (await rpc.getBlockHeader((await rpc.getRawTransaction(opened.funding_txid)).blockhash!)).height;
  await cliJson(stack.nodeDir('bob'), 'closechannel', opened.channel_id, '--force');
  const revoked = await eventually('bob\'s revoked commitment spends the funding output', async () => spenderOf(opened.funding_txid, opened.funding_output_index, fundingHeight));
  await mineOutside(stack, 1);
  const closeHeight = await rpc.getBlockCount();
  await eventually('alice sees the channel closed', async () => ((await channelById('alice', opened.channel_id))['state'] === 'closed' ? true : undefined));

  // Bob's old commitment (static_remotekey, no HTLC): his to_local (CSV 144) and alice's to_remote.
  assert.equal(revoked.vout.length, 2);
  const commitmentFee = capacitySat - revoked.vout.reduce((a, o) => a + btcToSat(o.value), 0n);
  const spends = await eventually('alice claims both outputs', async () => {
    const s = await Promise.all(revoked.vout.map((o) => spenderOf(revoked.txid, o.n, closeHeight)));
    return s.every((t) => t !== undefined) ? (s as RawTransactionInfo[]) : undefined;
  }, 60_000);
  await mineOutside(stack, 1);
  let fees = 0n;
  for (const [vout, seen] of spends.entries()) {
    const tx = await rpc.getRawTransaction(seen.txid);
    assert.ok((tx.confirmations ?? 0) >= 1, `the claim of output ${vout} confirmed`);
    fees += sweepFee(revoked, vout, tx);
  }
  // The penalty path of to_local: <revocation_sig> 1 <script>, no relative lock (BOLT 3).
  const justice = spends.find((t) => t.vin[0]!.txinwitness?.length === 3);
  assert.ok(justice !== undefined, 'one claim is the justice transaction spending bob\'s to_local');
  assert.equal(justice.vin[0]!.txinwitness![1], '01');
  assert.notEqual(justice.vin[0]!.sequence, 144);
  await eventually('alice\'s wallet gets the whole channel', async () => ((await walletTotal('alice')) === before.alice + capacitySat - commitmentFee - fees ? true : undefined));
  assert.equal(await walletTotal('bob'), before.bob, 'bob gets nothing from the channel he cheated on');
});
