// BOLT 2 §Normal Operation between two machines and their real signers: payments both ways from
// 1 msat to 10,000 sat, several HTLCs riding one commitment_signed, fulfills and fails, balances
// exact to the msat on both sides (and in both signers) after every round, and update_fee.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { process, type Normal } from '../node/channel/index.js';
import { ChannelDriver, other, type SideName } from './helpers/channel-driver.js';
import { prng } from './helpers/prng.js';

/** A small deterministic generator (xorshift32), so failures reproduce. */
/** Amounts spread over 1 msat .. 10,000 sat on a log scale, with the two ends included. */
function amountFor(r: number): bigint {
  return BigInt(Math.max(1, Math.round(10 ** (r * 7))));
}

test('100+ payments both ways, batched, 1 msat .. 10,000 sat, fulfilled and failed: balances exact after every round', async () => {
  const d = await ChannelDriver.create({ tag: 11 });
  try {
    await d.open({ fundingSat: 2_000_000n });
    await d.assertSettled('opened');
    const random = prng(2024);
    // First, give Bob something to pay with (his reserve is 1% of the capacity: 20,000 sat).
    for (const amount of [10_000_000n, 10_000_000n, 10_000_000n, 9_999_999n, 1n]) await d.pay('alice', amount);
    d.sign('alice');
    await d.run();
    await d.assertSettled('round 0');
    const commitsBefore = d.sentOf('alice', 'commitment_signed').length;
    assert.equal(commitsBefore, 2, 'the five HTLCs rode one commitment_signed (and their removal another)');
    assert.equal(d.sentOf('alice', 'commitment_signed')[0]!.htlcSignature.length, 4, 'one HTLC signature per untrimmed HTLC (1 msat is trimmed)');

    let count = 5;
    const payers: Record<SideName, number> = { alice: 5, bob: 0 };
    let failed = 0;
    for (let round = 1; round <= 16; round++) {
      // Each round, both sides queue several payments at once, then each says "sign now" once.
      for (const payer of ['alice', 'bob'] as const) {
        const n = 2 + Math.floor(random() * 4);
        for (let i = 0; i < n; i++) {
          const amount = round === 1 && i === 0 ? 1n : round === 2 && i === 0 ? 10_000_000n : amountFor(random());
          const settle = random() < 0.15 ? 'fail' : 'fulfill';
          if (settle === 'fail') failed++;
          await d.pay(payer, amount, settle, count++);
          payers[payer]++;
        }
      }
      const before = { alice: d.sentOf('alice', 'commitment_signed').length, bob: d.sentOf('bob', 'commitment_signed').length };
      d.sign('alice');
      d.sign('bob');
      await d.run();
      await d.assertSettled(`round ${round}`);
      for (const side of ['alice', 'bob'] as const) {
        const commits = d.sentOf(side, 'commitment_signed').length - before[side];
        assert.ok(commits <= 4, `${side} sent ${commits} commitment_signed in round ${round}: HTLCs are batched`);
      }
    }
    assert.ok(count >= 100, `${count} payments`);
    assert.ok(payers.alice >= 40 && payers.bob >= 40, `both ways: ${payers.alice} from Alice, ${payers.bob} from Bob`);
    assert.ok(failed >= 5, `${failed} payments failed by the payee`);
    const settledAlice = d.notificationsOf('alice', 'payment-settled').length;
    const failedAlice = d.notificationsOf('alice', 'payment-failed').length;
    assert.equal(settledAlice + failedAlice, payers.alice, 'every payment Alice made ended settled or failed');
    for (const n of d.notificationsOf('bob', 'payment-failed')) {
      assert.ok(n.kind === 'payment-failed' && n.failure.kind === 'remote' && n.failure.reason.length === 5, 'the failure reason reached the payer');
    }
    const a = d.alice.state as Normal;
    assert.equal(a.commitments.localNextHtlcId, BigInt(payers.alice));
    console.log(`channel payments: ${count} payments, ${failed} failed, ${a.commitments.localCommit.number} commitments of Alice`);
  } finally {
    await d.close();
  }
});

test('update_fee from the opener moves both commitments to the new feerate; the non-opener may not send one', async () => {
  const d = await ChannelDriver.create({ tag: 12 });
  try {
    await d.open();
    await d.pay('alice', 300_000_000n);
    d.sign('alice');
    await d.run();
    d.input('alice', { kind: 'update-fee', commandId: 'fee-1', feeratePerKw: 7500 });
    d.sign('alice');
    await d.run();
    assert.deepEqual(d.alice.replies.get('fee-1'), { ok: true });
    for (const side of ['alice', 'bob'] as const) {
      const s = d.side(side).state as Normal;
      assert.equal(s.commitments.localCommit.spec.feeratePerKw, 7500, `${side}'s commitment`);
      assert.equal(s.commitments.remoteCommit.spec.feeratePerKw, 7500, `${side}'s view of the peer's commitment`);
    }
    await d.assertSettled('after update_fee');
    // An HTLC after the fee change is signed at the new feerate.
    await d.pay('bob', 2_000_000n);
    d.sign('bob');
    await d.run();
    await d.assertSettled('a payment at the new feerate');

    // Bob did not open the channel: his update-fee is refused and changes nothing.
    const before = d.bob.state;
    const [after, effects] = process(before, { kind: 'update-fee', commandId: 'fee-2', feeratePerKw: 9000 });
    assert.deepEqual(after, before);
    assert.deepEqual(effects, [{ kind: 'reply', commandId: 'fee-2', result: { ok: false, error: 'update_fee: only the opener pays the commitment fee and may change it' } }]);
    // A feerate outside the configured bounds is refused too.
    const aliceBefore = d.alice.state;
    const [aliceAfter, refused] = process(aliceBefore, { kind: 'update-fee', commandId: 'fee-3', feeratePerKw: 60_000 });
    assert.deepEqual(aliceAfter, aliceBefore);
    assert.deepEqual(refused, [{ kind: 'reply', commandId: 'fee-3', result: { ok: false, error: 'update_fee: feerate_per_kw 60000 is outside 253..50000' } }]);
  } finally {
    await d.close();
  }
});

test('an update_fee from the non-opener fails the channel (BOLT 2: MUST NOT send)', async () => {
  const d = await ChannelDriver.create({ tag: 13 });
  try {
    await d.open();
    const channelId = d.channelId();
    d.input('alice', { kind: 'message', message: { type: 'update_fee', channelId, feeratePerKw: 3000, tlvs: {} } });
    await d.run();
    assert.equal(d.alice.state.kind, 'closing');
    const error = d.sentOf('alice', 'error')[0]!;
    assert.equal(new TextDecoder().decode(error.data), 'update_fee: sent by the non-opener (BOLT 2: MUST NOT)');
    assert.equal(d.alice.broadcasts.length, 1);
    assert.equal(d.alice.broadcasts[0]!.what, 'commitment');
  } finally {
    await d.close();
  }
});

test('sign while a commitment_signed is unacknowledged waits for the revoke_and_ack, then signs once', async () => {
  const d = await ChannelDriver.create({ tag: 14 });
  try {
    await d.open();
    // Hold everything Bob sends (an ordered transport that is slow one way), so Alice's first
    // commitment_signed stays unacknowledged.
    const held: import('../bolt/messages/index.js').Message[] = [];
    d.intercept = (from, m) => {
      if (from !== 'bob') return m;
      held.push(m);
      return 'drop';
    };
    d.autoSettle = false;
    await d.pay('alice', 1_000_000n);
    d.sign('alice');
    await d.run();
    const a1 = d.alice.state as Normal;
    assert.notEqual(a1.commitments.remoteNext, null, 'waiting for revoke_and_ack');
    assert.deepEqual(held.map((m) => m.type), ['revoke_and_ack', 'commitment_signed']);
    await d.pay('alice', 2_000_000n);
    await d.pay('alice', 3_000_000n);
    d.sign('alice');
    await d.run();
    const a2 = d.alice.state as Normal;
    assert.equal(d.sentOf('alice', 'commitment_signed').length, 1, 'no second commitment_signed while the first is unacknowledged');
    assert.equal(a2.commitments.signAfterRevoke, true);
    assert.equal(a2.commitments.localChanges.proposed.length, 2);
    d.intercept = null;
    for (const m of held.splice(0)) d.input('alice', { kind: 'message', message: m });
    await d.run();
    assert.equal(d.sentOf('alice', 'commitment_signed').length, 2, 'signed once the revoke_and_ack came');
    assert.equal(d.sentOf('alice', 'commitment_signed')[1]!.htlcSignature.length, 3, 'the second commitment carries all three HTLCs');
    // Bob settles all three now.
    for (const n of d.notificationsOf('bob', 'htlc-received')) {
      assert.ok(n.kind === 'htlc-received');
      const p = d.payments.find((x) => x.paymentHash.every((b, i) => b === n.htlc.paymentHash[i]))!;
      d.input('bob', { kind: 'fulfill-htlc', commandId: `f-${n.htlc.id}`, htlcId: n.htlc.id, preimage: p.preimage });
    }
    d.sign('bob');
    await d.run();
    await d.assertSettled('three HTLCs settled');
    assert.equal(other('alice'), 'bob');
  } finally {
    await d.close();
  }
});
