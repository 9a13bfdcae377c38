// The channel shell end to end, in real processes on loopback: one embedded chain, and for alice and
// bob each an HSM emulator, a signer and a node. A channel opened through the CLI, 1,000 direct
// payments both ways from 1 sat to 10,000 sat (msat amounts included), ten in flight at a time
// (batched on shared commitments), bob's node restarted and alice's signer killed and restarted
// mid-way, a mutual close, and wallets that end up with exactly the channel balances. Every
// transaction reached the chain through its script interpreter (it rejects invalid ones).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeSnapshot, encodeSnapshot } from '../node/daemon/channel-shell/snapshot-codec.js';
import type { ChannelState } from '../node/channel/index.js';
import type { ApiMessage } from '../cli/node-api.js';
import { cliJson, eventually, tempDir } from './helpers/node-stack.js';
import { auditOps, channelOf, closeAndCheckWallets, fundAliceAndConnect, openAliceToBob, paymentLedger, startTwoNodeStack, type TwoNodeStack, type Who } from './helpers/two-node-stack.js';
import { prng } from './helpers/prng.js';

const work = tempDir('node-channels');
let stack: TwoNodeStack;

function auditCount(who: Who, op: string): number {
  return auditOps(stack, who).filter((o) => o === op).length;
}

before(async () => {
  // 1,000 payments of up to 10,000 sat each way exceed the default policy's 1,000,000 sat a day.
  stack = await startTwoNodeStack(work.dir, { dailyLimitSat: 20_000_000n });
});

after(async () => {
  await stack?.stop();
  work.remove();
});

const PAYMENTS = 1000;
const IN_FLIGHT = 10;
const CRASH_IN_FLIGHT_AT = 800;

test('1,000 payments both ways from 1 sat to 10,000 sat, ten in flight, a node restart and signer crashes (one with payments in flight), a mutual close paying each wallet its exact balance', { timeout: 900_000 }, async () => {
  await fundAliceAndConnect(stack);
  const unconnected = await cliJson(stack.nodeDir('alice'), 'listchannels');
  assert.deepEqual(unconnected['channels'] ?? [], [], 'no channel before the open');

  const capacitySat = 2_000_000n;
  const opened = await openAliceToBob(stack, capacitySat);
  assert.match(opened.channel_id, /^[0-9a-f]{64}$/);
  assert.match((await channelOf(stack, 'alice'))['short_channel_id'], /^\d+x\d+x\d+$/);
  const ledger = paymentLedger(stack, capacitySat * 1000n);
  await ledger.assertSettled('opened');

  // Amounts from 1 sat to 10,000 sat; every third one has an msat part; the extremes appear as such.
  const random = prng(0x5eed);
  const amount = (i: number): bigint => {
    if (i % 97 === 0) return 1000n;
    if (i % 89 === 0) return 10_000_000n;
    const sat = 1n + BigInt(Math.floor(random() * 10_000));
    return sat * 1000n - (i % 3 === 0 ? BigInt(Math.floor(random() * 1000)) : 0n);
  };
  // alice first gives bob room to pay back, then the directions alternate within each group.
  const payers: Who[] = Array.from({ length: PAYMENTS }, (_, i) => (i < 100 || i % 2 === 0 ? 'alice' : 'bob'));
  const restarts: Record<number, () => Promise<void>> = {
    300: async () => {
      await stack.restartNode('bob');
      await eventually('alice reconnects to bob', async () => stack.apis.alice.call('Connect', { address: stack.peerAddress('bob') }));
    },
    600: async () => {
      // A crash, not a shutdown: the signer's state is whatever its last commit left on disk.
      await stack.sides.alice.restartSigner('SIGKILL');
    },
  };
  let batchedSignatures = -1;
  for (let i = 0; i < PAYMENTS; i += IN_FLIGHT) {
    const restart = restarts[i];
    if (restart !== undefined) {
      await ledger.assertSettled(`before the restart at payment ${i}`);
      await restart();
      await ledger.assertSettled(`after the restart at payment ${i}`);
    }
    const signedBefore = auditCount('alice', 'SignCounterpartyCommitment');
    const paying = Promise.all(payers.slice(i, i + IN_FLIGHT).map((payer, k) => ledger.pay(payer, amount(i + k))));
    if (i === CRASH_IN_FLIGHT_AT) {
      // alice's signer dies with HTLCs of this batch half way through their commitment rounds: the
      // nodes wait for it (a payment whose approval was lost is asked again) and every payment completes.
      await eventually('the batch reached alice\'s signer', async () => (auditCount('alice', 'SignCounterpartyCommitment') > signedBefore ? true : undefined));
      await stack.sides.alice.restartSigner('SIGKILL');
    }
    await paying;
    if (i === 0) batchedSignatures = auditCount('alice', 'SignCounterpartyCommitment') - signedBefore;
  }
  // One by one, a payment takes two commitment_signed from the payer (the add, then the fulfil).
  assert.ok(batchedSignatures > 0 && batchedSignatures < 2 * IN_FLIGHT, `${IN_FLIGHT} payments in flight rode fewer commitments than one by one (${batchedSignatures} signed)`);
  await ledger.assertSettled(`after ${PAYMENTS} payments`);

  const sent = ((await stack.apis.alice.call('ListPayments'))['payments'] as ApiMessage[]).filter((p) => p['direction'] === 'sent');
  assert.equal(sent.length, payers.filter((p) => p === 'alice').length, 'alice\'s node lists every payment she made');
  assert.ok(sent.every((p) => p['status'] === 'succeeded'));

  await closeAndCheckWallets(stack, ledger, opened.channel_id, capacitySat);

  // A closed channel stays listed, with its final balances, across a restart.
  await stack.restartNode('bob');
  const closed = await channelOf(stack, 'bob');
  assert.equal(closed['state'], 'closed');
  assert.equal(BigInt(closed['local_balance_msat']), ledger.balances.bob);
});

test('a channel snapshot keeps bytes and bigints through the store JSON', () => {
  const state = { kind: 'closed', channelId: Uint8Array.of(1, 2, 3), reason: 'x', closingTxid: null, nested: [{ n: 5n, b: Buffer.from([9]) }] } as unknown as ChannelState;
  const back = decodeSnapshot(encodeSnapshot(state)) as unknown as Record<string, unknown>;
  assert.deepEqual(back['channelId'], Uint8Array.of(1, 2, 3));
  assert.deepEqual(back['nested'], [{ n: 5n, b: Uint8Array.of(9) }]);
  assert.equal(back['closingTxid'], null);
});
