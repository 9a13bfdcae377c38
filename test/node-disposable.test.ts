// The node is a cache (DESIGN): kill it, delete its data directory, start a fresh node against the
// same signer, and its channel comes back from the signer's state, is re-established with the peer,
// and payments continue with every msat accounted for. Both sides in turn (the payee, then the
// opener, whose wallet is also rebuilt from the signer's addresses), then a mutual close that pays
// each wallet its exact balance. All processes real, on loopback.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiMessage } from '../cli/node-api.js';
import { BitcoindRpcClient } from '../node/chain/rpc-client.js';
import { cliJson, eventually, tempDir } from './helpers/node-stack.js';
import {
  channelOf,
  closeAndCheckWallets,
  fundAliceAndConnect,
  mineOutside,
  openAliceToBob,
  paymentLedger,
  startTwoNodeStack,
  type TwoNodeStack,
  type Who,
} from './helpers/two-node-stack.js';

const work = tempDir('node-disposable');
let stack: TwoNodeStack;

before(async () => {
  stack = await startTwoNodeStack(work.dir);
});

after(async () => {
  await stack?.stop();
  work.remove();
});

async function wipeAndRestart(who: Who): Promise<void> {
  await stack.restartNode(who, { kill: true, wipe: true });
  const payments = await stack.apis[who].call('ListPayments');
  assert.equal((payments['payments'] as unknown[] | undefined ?? []).length, 0, `${who}'s node starts from an empty store (its payment history is gone)`);
  const list = await stack.apis[who].call('ListChannels');
  assert.equal((list['channels'] as unknown[]).length, 1, `${who}'s fresh node lists the channel the signer holds`);
  // The fresh node forgot its peers: alice dials bob again (bob's new address if he was the one wiped).
  await eventually('alice reconnects to bob', async () => stack.apis.alice.call('Connect', { address: stack.peerAddress('bob') }));
  await eventually(`${who}'s channel is open again`, async () => ((await channelOf(stack, who))['state'] === 'open' ? true : undefined));
}

test('a node killed and started on an empty data directory gets its channel back from the signer, and payments continue', { timeout: 600_000 }, async () => {
  await fundAliceAndConnect(stack);
  const capacitySat = 500_000n;
  const opened = await openAliceToBob(stack, capacitySat);
  const ledger = paymentLedger(stack, capacitySat * 1000n);

  // Whole satoshis, single msat and odd msat amounts, both ways.
  const amounts = [1n, 1_000n, 123_457n, 9_999_999n, 10_000_000n, 42n];
  for (const a of amounts) await ledger.pay('alice', a + 2_000_000n);
  for (const a of amounts) await ledger.pay('bob', a);
  await ledger.assertSettled('before any wipe');

  // An invoice bob issued before the wipe: its preimage lived in the wiped store (a cache).
  const forgotten = await stack.apis.bob.call('CreateInvoice', { amount_msat: '5000000', description: 'issued before the wipe' });
  await wipeAndRestart('bob');
  await ledger.assertSettled('bob rebuilt from his signer');
  const refused = await stack.apis.alice.call('Pay', { invoice: forgotten['invoice'], timeout_seconds: 60 });
  assert.equal(refused['payment']['status'], 'failed');
  assert.match(refused['payment']['failure_reason'], /hop 0 .*incorrect_or_unknown_payment_details/, 'the payee\'s onion-encrypted failure is read by the payer');
  await ledger.assertSettled('the failed payment moved nothing');
  for (const a of amounts) await ledger.pay('alice', a + 1_000_000n);
  await Promise.all(amounts.map((a) => ledger.pay('bob', a + 7n)));
  await ledger.assertSettled('payments after bob was rebuilt');

  await wipeAndRestart('alice');
  await ledger.assertSettled('alice rebuilt from her signer');
  const balance = await cliJson<{ total_sat: string }>(stack.nodeDir('alice'), 'balance');
  assert.ok(BigInt(balance.total_sat) > 0n, 'alice\'s fresh node found her on-chain coins through the signer\'s addresses');
  await Promise.all(amounts.map((a) => ledger.pay('alice', a + 3_000n)));
  for (const a of amounts) await ledger.pay('bob', a + 11n);
  await ledger.assertSettled('payments after alice was rebuilt');

  await closeAndCheckWallets(stack, ledger, opened.channel_id, capacitySat);

  // Wiped once more: the closed channel is listed from the signer's record, with its final balances.
  await stack.restartNode('bob', { kill: true, wipe: true });
  const closed = await channelOf(stack, 'bob');
  assert.equal(closed['state'], 'closed');
  assert.equal(BigInt(closed['local_balance_msat']), ledger.balances.bob);
});

test('a node that dies between funding_signed and the funding broadcast publishes the funding transaction when it starts again', { timeout: 300_000 }, async () => {
  // alice has her closing output from the test above: enough for a smaller channel.
  await stack.restartNode('alice', { env: { VIGIL_DEV_EXIT_BEFORE: 'publish-funding' } });
  await eventually('alice reconnects to bob', async () => stack.apis.alice.call('Connect', { address: stack.peerAddress('bob') }));
  const opening = stack.apis.alice.call('OpenChannel', { node_id: stack.nodes.bob.ready.node_id, amount_sat: '200000' }).then(
    () => 'answered',
    () => 'no answer',
  );
  const [code] = await stack.nodes.alice.exited;
  assert.equal(code, 70, 'alice\'s node died at the injected point, right before broadcasting');
  assert.equal(await opening, 'no answer');

  await stack.restartNode('alice');
  await eventually('alice reconnects to bob', async () => stack.apis.alice.call('Connect', { address: stack.peerAddress('bob') }));
  const pending = ((await stack.apis.alice.call('ListChannels'))['channels'] as ApiMessage[]).find((c) => c['capacity_sat'] === '200000');
  assert.ok(pending !== undefined, 'alice\'s restarted node still has the channel being opened');
  const rpc = new BitcoindRpcClient({ url: `http://127.0.0.1:${stack.chain.ready.listening.port}`, cookieFile: stack.chain.ready.cookie! });
  try {
    await eventually('the funding transaction reached the chain\'s mempool', async () => rpc.getRawTransaction(pending['funding_txid']));
  } finally {
    rpc.close();
  }
  await mineOutside(stack, 6);
  for (const who of ['alice', 'bob'] as const) {
    await eventually(`${who} sees the new channel open`, async () => {
      const list = (await stack.apis[who].call('ListChannels'))['channels'] as ApiMessage[];
      return list.some((c) => c['state'] === 'open' && c['capacity_sat'] === '200000') ? true : undefined;
    }, 60_000);
  }
});
