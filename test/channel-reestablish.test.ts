// BOLT 2 §Message Retransmission: a disconnection in the middle of an update, then
// channel_reestablish and the retransmissions its numbers call for, in both directions of loss
// (a lost commitment_signed is sent again by its signer; a lost revoke_and_ack by its revoker);
// uncommitted updates reversed; a node restarting from its persisted snapshot; and the numbers that
// prove one side lost state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message } from '../bolt/messages/index.js';
import { process, type Normal, type RevokeAndAck } from '../node/channel/index.js';
import { ChannelDriver, type SideName } from './helpers/channel-driver.js';

/** Cuts the link when `from` sends its first message of `type`: that message and all after it are lost. */
function cutAt(d: ChannelDriver, from: SideName, type: Message['type']): void {
  d.intercept = (sender, m) => {
    if (sender === from && m.type === type) {
      d.disconnect();
      return 'drop';
    }
    return m;
  };
}

/** What `name` sent from its `index`-th message on. */
function sentFrom(d: ChannelDriver, name: SideName, index: number): Message['type'][] {
  return d.side(name).sent.slice(index).map((m) => m.type);
}

test('a lost commitment_signed: after reconnecting, the signer retransmits its updates and the same signature', async () => {
  const d = await ChannelDriver.create({ tag: 21 });
  try {
    await d.open();
    await d.pay('alice', 50_000_000n);
    const mark = d.alice.sent.length;
    cutAt(d, 'alice', 'update_add_htlc');
    d.sign('alice');
    await d.run();
    assert.deepEqual(sentFrom(d, 'alice', mark), ['update_add_htlc', 'commitment_signed'], 'both lost with the link');
    assert.equal(d.bob.state.connection, 'offline');
    const a = d.alice.state as Normal;
    assert.equal(a.commitments.remoteNext?.number, 1, 'Alice still waits for the revocation of her commitment_signed');

    d.intercept = null;
    d.reconnect();
    await d.run();
    const [aliceSync, bobSync] = [d.sentOf('alice', 'channel_reestablish')[0]!, d.sentOf('bob', 'channel_reestablish')[0]!];
    assert.equal(bobSync.nextCommitmentNumber, 1n, 'Bob still expects commitment_signed 1');
    assert.equal(aliceSync.nextRevocationNumber, 0n);
    const resent = d.sentOf('alice', 'commitment_signed');
    assert.equal(resent.length, 3, 'the lost one, its retransmission, and the one carrying the fulfill');
    assert.deepEqual(resent[1]!.signature, resent[0]!.signature, 'the retransmitted commitment_signed is the same signature');
    assert.equal(d.alice.signerCalls.get('SignCounterpartyCommitment'), 3, 'commitment 0, 1 and 2: the retransmission needed no signer call');
    await d.assertSettled('after retransmitting commitment_signed');
  } finally {
    await d.close();
  }
});

test('a lost revoke_and_ack (and the commitment_signed after it): the revoker retransmits both, in the original order', async () => {
  const d = await ChannelDriver.create({ tag: 22 });
  try {
    await d.open();
    await d.pay('alice', 50_000_000n);
    const mark = d.bob.sent.length;
    cutAt(d, 'bob', 'revoke_and_ack');
    d.sign('alice');
    await d.run();
    assert.deepEqual(sentFrom(d, 'bob', mark), ['revoke_and_ack', 'commitment_signed'], 'both lost with the link');
    d.intercept = null;
    d.reconnect();
    await d.run();
    const aliceSync = d.sentOf('alice', 'channel_reestablish')[0]!;
    assert.equal(aliceSync.nextRevocationNumber, 0n, 'Alice still expects the revocation of Bob\'s commitment 0');
    assert.equal(aliceSync.nextCommitmentNumber, 1n, 'and Bob\'s commitment_signed 1');
    const bobSent = d.bob.sent.map((m) => m.type);
    const after = bobSent.slice(bobSent.indexOf('channel_reestablish') + 1);
    assert.deepEqual(after.slice(0, 2), ['revoke_and_ack', 'commitment_signed'], 'same relative order as first sent');
    // Bob's revocations came with his validations (revoke_previous); the retransmission is the kept message.
    assert.equal(d.bob.signerCalls.get('RevokeHolderCommitment'), undefined, 'the revocation was not asked again');
    const sync = d.bob.sent.findIndex((m) => m.type === 'channel_reestablish');
    const lost = d.bob.sent.slice(0, sync).filter((m) => m.type === 'revoke_and_ack').at(-1) as RevokeAndAck | undefined;
    const again = d.bob.sent.slice(sync).find((m) => m.type === 'revoke_and_ack') as RevokeAndAck | undefined;
    assert.deepEqual(again!.perCommitmentSecret, lost!.perCommitmentSecret, 'the same secret');
    assert.deepEqual(again!.nextPerCommitmentPoint, lost!.nextPerCommitmentPoint, 'the same next point');
    await d.assertSettled('after retransmitting revoke_and_ack');
  } finally {
    await d.close();
  }
});

test('a commitment_signed sent before the revoke_and_ack is retransmitted before it', async () => {
  const d = await ChannelDriver.create({ tag: 23 });
  try {
    await d.open();
    await d.pay('alice', 40_000_000n);
    d.sign('alice');
    await d.run();
    // Both sides add at once; Bob's commitment_signed crosses Alice's, so Bob signs before he revokes.
    await d.pay('alice', 1_000_000n);
    await d.pay('bob', 2_000_000n);
    const lost: Message[] = [];
    d.intercept = (from, m) => {
      if (from === 'bob' && (lost.length > 0 || m.type === 'commitment_signed')) {
        lost.push(m);
        if (m.type === 'revoke_and_ack') d.disconnect();
        return 'drop';
      }
      return m;
    };
    d.sign('alice');
    d.sign('bob');
    await d.run();
    assert.deepEqual(lost.slice(0, 2).map((m) => m.type), ['commitment_signed', 'revoke_and_ack']);
    d.intercept = null;
    d.reconnect();
    await d.run();
    const bobSent = d.bob.sent.map((m) => m.type);
    const after = bobSent.slice(bobSent.lastIndexOf('channel_reestablish') + 1);
    assert.deepEqual(after.slice(0, 3), ['update_add_htlc', 'commitment_signed', 'revoke_and_ack'], 'commitment first, as originally sent');
    await d.assertSettled('crossed commitments after a reconnection');
  } finally {
    await d.close();
  }
});

test('uncommitted updates are reversed on disconnection: our offer is reported failed, the peer forgets it, ids are reused', async () => {
  const d = await ChannelDriver.create({ tag: 24 });
  try {
    await d.open();
    const p = await d.pay('alice', 7_000_000n);
    await d.run(); // update_add_htlc delivered, no commitment_signed
    const b = d.bob.state as Normal;
    assert.equal(b.commitments.remoteChanges.proposed.length, 1);
    d.disconnect();
    await d.run();
    const failed = d.notificationsOf('alice', 'payment-failed');
    assert.equal(failed.length, 1);
    assert.ok(failed[0]!.kind === 'payment-failed' && failed[0]!.failure.kind === 'local');
    assert.deepEqual(failed[0]!.kind === 'payment-failed' && failed[0]!.paymentHash, p.paymentHash);
    const a = d.alice.state as Normal;
    assert.equal(a.commitments.localNextHtlcId, 0n, 'the id is free again');
    assert.equal((d.bob.state as Normal).commitments.remoteChanges.proposed.length, 0);
    assert.equal((d.bob.state as Normal).commitments.remoteNextHtlcId, 0n);
    // Offline, a new HTLC is refused and changes nothing.
    const [same, effects] = process(d.alice.state, { kind: 'add-htlc', commandId: 'x', amountMsat: 1000n, paymentHash: new Uint8Array(32), cltvExpiry: 600, onion: new Uint8Array(1366) });
    assert.deepEqual(same, d.alice.state);
    assert.deepEqual(effects, [{ kind: 'reply', commandId: 'x', result: { ok: false, error: 'add-htlc: the peer is not connected' } }]);
    d.reconnect();
    await d.run();
    await d.assertSettled('after the reversal');
    const again = await d.pay('alice', 7_000_000n);
    d.sign('alice');
    await d.run();
    assert.equal(d.alice.replies.get(again.commandId)?.ok, true);
    await d.assertSettled('paid after reconnecting');
  } finally {
    await d.close();
  }
});

test('a fulfill proposed but not signed before the disconnection is sent again after channel_reestablish', async () => {
  const d = await ChannelDriver.create({ tag: 25 });
  try {
    await d.open();
    const p = await d.pay('alice', 9_000_000n);
    d.autoSettle = false;
    d.sign('alice');
    await d.run();
    // Bob fulfills; the link drops before he signs.
    const received = d.notificationsOf('bob', 'htlc-received')[0]!;
    assert.ok(received.kind === 'htlc-received');
    d.input('bob', { kind: 'fulfill-htlc', commandId: 'f', htlcId: received.htlc.id, preimage: p.preimage });
    await d.run();
    d.disconnect();
    await d.run();
    const bob = d.bob.state as Normal;
    assert.equal(bob.commitments.localChanges.proposed.length, 1, 'the fulfill stays proposed');
    assert.equal(d.notificationsOf('alice', 'payment-settled').length, 1, 'Alice had the preimage before the cut');
    d.intercept = null;
    d.reconnect();
    await d.run();
    const bobSent = d.bob.sent.map((m) => m.type);
    assert.ok(bobSent.slice(bobSent.indexOf('channel_reestablish')).includes('update_fulfill_htlc'), 'the fulfill went out again');
    await d.assertSettled('fulfill resent');
  } finally {
    await d.close();
  }
});

test('disconnections at every point of many update rounds, both ways: the channel always converges to the exact balances', async () => {
  const d = await ChannelDriver.create({ tag: 26 });
  try {
    await d.open({ fundingSat: 3_000_000n });
    await d.pay('alice', 500_000_000n);
    d.sign('alice');
    await d.run();
    let cuts = 0;
    for (let round = 0; round < 24; round++) {
      await d.pay('alice', BigInt(1_000_000 + round * 1_111), 'fulfill', 1000 + round);
      await d.pay('bob', BigInt(2_000_000 + round * 777), round % 5 === 0 ? 'fail' : 'fulfill', 2000 + round);
      let seen = 0;
      const cutAfter = round % 12; // the n-th message of the round is lost with the link
      d.intercept = (_from, m) => {
        if (seen++ === cutAfter) {
          cuts++;
          d.disconnect();
          return 'drop';
        }
        return m;
      };
      d.sign('alice');
      d.sign('bob');
      await d.run();
      d.intercept = null;
      if (!d.linkUp) d.reconnect();
      await d.run();
      await d.assertSettled(`round ${round}, link cut at message ${cutAfter}`);
    }
    assert.ok(cuts >= 20, `${cuts} cuts`);
    console.log(`channel reestablish: ${cuts} disconnections survived`);
  } finally {
    await d.close();
  }
});

test('a node restarting from its snapshot while its commitment_signed was being signed asks the signer again and retransmits', async () => {
  const d = await ChannelDriver.create({ tag: 27 });
  try {
    await d.open();
    await d.pay('alice', 20_000_000n);
    d.sign('alice');
    // Process until Alice asked her signer for Bob's next commitment; the answer never comes back.
    while (!(d.alice.state.pending?.method === 'SignCounterpartyCommitment')) assert.ok(await d.step(), 'the sign request went out');
    const snapshot = d.alice.persisted!;
    assert.ok('commitments' in snapshot && snapshot.commitments.remoteNext !== null && snapshot.commitments.remoteNext.signatures === null, 'persisted before the signer was asked');
    d.crash('alice');
    await d.run();
    const a = d.alice.state as Normal;
    assert.ok(a.commitments.remoteNext?.signatures !== null, 'signed again after the restart (same number, same content)');
    d.reconnect();
    await d.run();
    await d.assertSettled('after the restart');
  } finally {
    await d.close();
  }
});

test('a node restarting from an OLD snapshot learns from channel_reestablish that it lost state: no broadcast, it asks the peer to close', async () => {
  const d = await ChannelDriver.create({ tag: 28 });
  try {
    await d.open();
    const old = structuredClone(d.alice.persisted!);
    for (let i = 0; i < 3; i++) {
      await d.pay('alice', 5_000_000n);
      d.sign('alice');
      await d.run();
    }
    d.crash('alice', old);
    await d.run();
    d.reconnect();
    await d.run();
    assert.equal(d.alice.state.kind, 'wait-for-remote-publish');
    assert.equal(d.alice.broadcasts.length, 0, 'never broadcasts its (revoked) commitment');
    assert.ok(d.notificationsOf('alice', 'state-lost').length === 1);
    assert.match(new TextDecoder().decode(d.sentOf('alice', 'error')[0]!.data), /we lost channel state: the peer expects our revocation of commitment \d+, but our latest commitment is 0/);
    // Bob sees a peer that is behind: he fails the channel with his latest commitment.
    assert.equal(d.bob.state.kind, 'closing');
    assert.equal(d.bob.broadcasts.length, 1);
    assert.match(new TextDecoder().decode(d.sentOf('bob', 'error')[0]!.data), /the peer lost state/);
    // Bob's commitment confirms: Alice's channel is closed.
    d.input('alice', { kind: 'funding-spent', txid: d.bob.broadcasts[0]!.txid, height: d.height + 1 });
    await d.run();
    assert.equal(d.alice.state.kind, 'closed');
  } finally {
    await d.close();
  }
});

test('a disconnection before channel_ready arrived: both still expect commitment 1, so channel_ready is sent again', async () => {
  const d = await ChannelDriver.create({ tag: 29 });
  try {
    cutAt(d, 'bob', 'channel_ready');
    d.input('alice', { kind: 'open', commandId: 'o', temporaryChannelId: new Uint8Array(32).fill(29), fundingSat: 900_000n, pushMsat: 0n, feeratePerKw: 1000 });
    await d.run();
    d.fundingSat = 900_000n;
    d.expected.alice = 900_000_000n;
    await d.confirmFunding();
    assert.equal(d.alice.state.kind, 'wait-for-channel-ready', 'Bob\'s channel_ready was lost');
    d.intercept = null;
    d.reconnect();
    await d.run();
    const sync = d.sentOf('alice', 'channel_reestablish')[0]!;
    assert.equal(sync.nextCommitmentNumber, 1n);
    assert.equal(sync.nextRevocationNumber, 0n);
    assert.deepEqual(sync.yourLastPerCommitmentSecret, new Uint8Array(32), 'no secret received yet: all zeros');
    assert.equal(d.sentOf('bob', 'channel_ready').length, 2, 'Bob sent channel_ready again');
    assert.equal(d.alice.state.kind, 'normal');
    assert.equal(d.bob.state.kind, 'normal');
    await d.pay('alice', 1_000_000n);
    d.sign('alice');
    await d.run();
    await d.assertSettled('first payment after the reconnection');
  } finally {
    await d.close();
  }
});

test('a node restarting right after its revoke_and_ack left: its snapshot already holds the new commitment', async () => {
  const d = await ChannelDriver.create({ tag: 30 });
  try {
    await d.open();
    await d.pay('alice', 15_000_000n);
    d.sign('alice');
    while (!d.bob.sent.some((m) => m.type === 'revoke_and_ack')) assert.ok(await d.step());
    const snapshot = d.bob.persisted!;
    assert.ok('commitments' in snapshot && snapshot.commitments.localCommit.number === 1, 'persisted before the revocation was sent');
    d.crash('bob');
    await d.run();
    d.reconnect();
    await d.run();
    await d.assertSettled('after Bob restarted');
  } finally {
    await d.close();
  }
});
