// The channel shell end to end, in real processes on loopback: one embedded chain, and for alice and
// bob each an HSM emulator, a signer and a node. A channel opened through the CLI, direct payments
// both ways through invoice + pay (some concurrent, batched on one commitment), bob's node restarted
// mid-way, a mutual close, and wallets that end up with exactly the channel balances minus the
// closing fee. Every transaction reached the chain through its script interpreter (it rejects invalid ones).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256 } from '../bolt/crypto/hash.js';
import { directPaymentPacket, ONION_PACKET_SIZE, readDirectPayment } from '../node/daemon/channel-shell/direct-payment-packet.js';
import { decodeSnapshot, encodeSnapshot } from '../node/daemon/channel-shell/snapshot-codec.js';
import type { ChannelState } from '../node/channel/index.js';
import type { ApiMessage, NodeApiClient } from '../cli/node-api.js';
import { BitcoindRpcClient } from '../node/chain/rpc-client.js';
import { cliJson, eventually, tempDir, type NodeReady, type Proc } from './helpers/node-stack.js';
import { auditOps, channelOf as channelIn, fundAliceAndConnect, mineOutside as mineOutsideIn, openAliceToBob, startTwoNodeStack, type TwoNodeStack, type Who } from './helpers/two-node-stack.js';

const work = tempDir('node-channels');
let stack: TwoNodeStack;
let rpc: BitcoindRpcClient;
let nodes: Record<Who, Proc<NodeReady>>;
let apis: Record<Who, NodeApiClient>;
const nodeDir = (who: Who): string => stack.nodeDir(who);

function auditCount(who: Who, op: string): number {
  return auditOps(stack, who).filter((o) => o === op).length;
}

async function channelOf(who: Who): Promise<ApiMessage> {
  return channelIn(stack, who);
}

async function walletTotal(who: Who): Promise<bigint> {
  return BigInt((await apis[who].call('Balance'))['total_sat'] as string);
}

async function mineOutside(blocks: number): Promise<void> {
  await mineOutsideIn(stack, blocks);
}

const balances: Record<Who, bigint> = { alice: 0n, bob: 0n };

async function pay(payer: Who, amountMsat: bigint): Promise<void> {
  const payee: Who = payer === 'alice' ? 'bob' : 'alice';
  const inv = await apis[payee].call('CreateInvoice', { amount_msat: amountMsat.toString(), description: `pay ${amountMsat}` });
  const r = await eventually(`${payer} pays ${amountMsat} msat`, async () => apis[payer].call('Pay', { invoice: inv['invoice'], timeout_seconds: 60 }), 60_000);
  assert.equal(r['payment']['status'], 'succeeded', `payment of ${amountMsat} msat: ${r['payment']['failure_reason']}`);
  balances[payer] -= amountMsat;
  balances[payee] += amountMsat;
}

async function assertChannelBalances(label: string): Promise<void> {
  for (const who of ['alice', 'bob'] as const) {
    const other: Who = who === 'alice' ? 'bob' : 'alice';
    const c = await eventually(`${who} settled (${label})`, async () => {
      const ch = await channelOf(who);
      return BigInt(ch['local_balance_msat']) === balances[who] && Number(ch['pending_htlcs']) === 0 ? ch : undefined;
    });
    assert.equal(BigInt(c['local_balance_msat']), balances[who], `${who} own balance (${label})`);
    assert.equal(BigInt(c['remote_balance_msat']), balances[other], `${who} peer balance (${label})`);
  }
}

before(async () => {
  stack = await startTwoNodeStack(work.dir);
  ({ nodes, apis } = stack);
  rpc = new BitcoindRpcClient({ url: `http://127.0.0.1:${stack.chain.ready.listening.port}`, cookieFile: stack.chain.ready.cookie! });
});

after(async () => {
  rpc?.close();
  await stack?.stop();
  work.remove();
});

test('a channel through the CLI: 70 direct payments both ways, a restart of the payee, a mutual close that pays each wallet its balance', { timeout: 900_000 }, async () => {
  // Fund alice: one coinbase, matured.
  await fundAliceAndConnect(stack);
  const unconnected = await cliJson(nodeDir('alice'), 'listchannels');
  assert.deepEqual(unconnected['channels'] ?? [], [], 'no channel before the open');

  const capacitySat = 1_000_000n;
  const opened = await openAliceToBob(stack, capacitySat);
  assert.match(opened.channel_id, /^[0-9a-f]{64}$/);
  balances.alice = capacitySat * 1000n;
  assert.match((await channelOf('alice'))['short_channel_id'], /^\d+x\d+x\d+$/);
  await assertChannelBalances('opened');

  const amount = (i: number): bigint => 1000n * BigInt(1 + ((i * 7919) % 10_000)); // 1 sat .. 10,000 sat
  // 25 alice->bob one by one, then 10 concurrently.
  for (let i = 0; i < 25; i++) await pay('alice', i === 0 ? 1000n : i === 1 ? 10_000_000n : amount(i));
  const signedBefore = auditCount('alice', 'SignCounterpartyCommitment');
  await Promise.all(Array.from({ length: 10 }, (_, i) => pay('alice', amount(100 + i))));
  // Sequential payments take two commitment_signed each from the payer (the add, then the fulfil).
  const signedForBatch = auditCount('alice', 'SignCounterpartyCommitment') - signedBefore;
  assert.ok(signedForBatch > 0 && signedForBatch < 20, `10 concurrent payments rode fewer commitments than one by one (${signedForBatch} signed)`);
  for (let i = 0; i < 10; i++) await pay('bob', amount(200 + i));
  await assertChannelBalances('before the restart');

  // Bob's node restarts: snapshots from its store, channel_reestablish when alice redials.
  await stack.restartNode('bob');
  // Its new peer port (listen port 0): alice dials it.
  await eventually('alice reconnects to bob', async () => apis.alice.call('Connect', { address: stack.peerAddress('bob') }));
  await assertChannelBalances('after the restart');

  for (let i = 0; i < 10; i++) await pay('alice', amount(300 + i));
  await Promise.all(Array.from({ length: 5 }, (_, i) => pay('alice', amount(400 + i))));
  await Promise.all(Array.from({ length: 10 }, (_, i) => pay('bob', amount(500 + i))));
  await assertChannelBalances('after 70 payments');
  const sent = ((await apis.alice.call('ListPayments'))['payments'] as ApiMessage[]).filter((p) => p['direction'] === 'sent');
  assert.equal(sent.length, 50);
  assert.ok(sent.every((p) => p['status'] === 'succeeded'));

  // Mutual close: each side's funds to a fresh address of its signer's wallet.
  const before = { alice: await walletTotal('alice'), bob: await walletTotal('bob') };
  const closed = await cliJson<{ closing_txid: string }>(nodeDir('alice'), 'closechannel', opened.channel_id);
  assert.match(closed.closing_txid, /^[0-9a-f]{64}$/);
  await mineOutside(1);
  const closingTx = await rpc.getRawTransaction(closed.closing_txid);
  assert.ok((closingTx.confirmations ?? 0) >= 1, 'the closing transaction confirmed');
  const outSat = closingTx.vout.reduce((a, o) => a + BigInt(Math.round(o.value * 1e8)), 0n);
  const feeSat = capacitySat - outSat;
  assert.ok(feeSat > 0n);
  await eventually('the wallets see the closing outputs', async () => ((await walletTotal('bob')) > before.bob ? true : undefined));
  assert.equal((await walletTotal('alice')) - before.alice, balances.alice / 1000n - feeSat, 'alice (the opener) gets her balance minus the closing fee');
  assert.equal((await walletTotal('bob')) - before.bob, balances.bob / 1000n, 'bob gets his balance');
  for (const who of ['alice', 'bob'] as const) await eventually(`${who} sees the channel closed`, async () => ((await channelOf(who))['state'] === 'closed' ? true : undefined));
});

test('a direct payment packet is 1366 bytes and gives back the final hop payload it was built with', () => {
  const secret = sha256(Uint8Array.of(7));
  const packet = directPaymentPacket(new Uint8Array(33).fill(2), { amountMsat: 10_000_000n, cltvExpiry: 840, paymentSecret: secret, totalMsat: 10_000_000n });
  assert.equal(packet.length, ONION_PACKET_SIZE);
  assert.deepEqual(readDirectPayment(packet), { amountMsat: 10_000_000n, cltvExpiry: 840, paymentSecret: secret, totalMsat: 10_000_000n });
  assert.equal(readDirectPayment(new Uint8Array(ONION_PACKET_SIZE)), null, 'an all-zero packet is no payment');
});

test('a channel snapshot keeps bytes and bigints through the store JSON', () => {
  const state = { kind: 'closed', channelId: Uint8Array.of(1, 2, 3), reason: 'x', closingTxid: null, nested: [{ n: 5n, b: Buffer.from([9]) }] } as unknown as ChannelState;
  const back = decodeSnapshot(encodeSnapshot(state)) as unknown as Record<string, unknown>;
  assert.deepEqual(back['channelId'], Uint8Array.of(1, 2, 3));
  assert.deepEqual(back['nested'], [{ n: 5n, b: Uint8Array.of(9) }]);
  assert.equal(back['closingTxid'], null);
});
