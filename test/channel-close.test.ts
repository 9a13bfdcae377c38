// BOLT 2 §Channel Close: shutdown, HTLCs settled while shutting down, the legacy closing_signed fee
// negotiation converging from two different feerates, and the closing transaction's outputs holding
// exactly the final balances (checked by bitcore-lib's script interpreter against the funding
// output); force close broadcasting our commitment as the signer signed it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { equal, hex } from '../bolt/bytes.js';
import { parseTransaction } from '../bolt/bolt3/index.js';
import { process, type Closing, type Negotiating } from '../node/channel/index.js';
import { assertInputsValid } from './helpers/interpreter.js';
import { ChannelDriver } from './helpers/channel-driver.js';

test('mutual close after payments: fees negotiated from 1000 and 300 sat/kw converge; outputs hold the final balances', async () => {
  const d = await ChannelDriver.create({ tag: 31, bob: { closingFeeratePerKw: 300 } });
  try {
    await d.open({ fundingSat: 1_500_000n });
    await d.pay('alice', 123_456_789n);
    await d.pay('alice', 1n);
    d.sign('alice');
    await d.run();
    await d.pay('bob', 23_456_001n);
    d.sign('bob');
    await d.run();
    await d.assertSettled('before closing');
    const aliceMsat = d.expected.alice;
    const bobMsat = d.expected.bob;

    d.input('alice', { kind: 'close', commandId: 'close-1', feeratePerKw: 1000 });
    await d.run();
    assert.deepEqual(d.alice.replies.get('close-1'), { ok: true, channelId: d.channelId() });
    const proposals = d.sentOf('alice', 'closing_signed').map((m) => m.feeSatoshis);
    const answers = d.sentOf('bob', 'closing_signed').map((m) => m.feeSatoshis);
    assert.ok(proposals.length >= 3, `Alice proposed ${proposals.join(', ')}`);
    assert.ok(answers.length >= 3, `Bob answered ${answers.join(', ')}`);
    assert.ok(proposals[0]! > answers[0]!, 'the opener starts high, the other side low');
    for (let i = 1; i < proposals.length; i++) assert.ok(proposals[i]! < proposals[i - 1]! || proposals[i] === answers[i - 1], 'each proposal moves toward the other');
    const fee = proposals[proposals.length - 1]!;
    assert.equal(answers[answers.length - 1], fee, 'both named the same fee last');

    for (const side of ['alice', 'bob'] as const) {
      const s = d.side(side).state as Closing;
      assert.equal(s.kind, 'closing');
      assert.equal(s.closeType, 'mutual');
      assert.equal(d.side(side).broadcasts.length, 1);
    }
    const [a, b] = [d.alice.broadcasts[0]!, d.bob.broadcasts[0]!];
    assert.deepEqual(a.tx, b.tx, 'both broadcast the same closing transaction');
    const tx = parseTransaction(a.tx);
    const outputs = new Map(tx.outputs.map((o) => [hex(o.script), o.amountSat]));
    assert.equal(outputs.get(hex(d.alice.config.shutdownScript)), aliceMsat / 1000n - fee, 'the opener pays the fee from its rounded-down balance');
    assert.equal(outputs.get(hex(d.bob.config.shutdownScript)), bobMsat / 1000n, 'the other side gets its rounded-down balance');
    assert.equal(tx.outputs.length, 2);
    assertInputsValid(hex(a.tx), [{ scriptPubKeyHex: hex(d.fundingScript!), amountSat: d.fundingSat }]);

    d.input('alice', { kind: 'funding-spent', txid: a.txid, height: d.height + 1 });
    d.input('bob', { kind: 'funding-spent', txid: b.txid, height: d.height + 1 });
    await d.run();
    assert.equal(d.alice.state.kind, 'closed');
    assert.equal(d.bob.state.kind, 'closed');
    assert.equal(d.alice.signerCalls.get('ChannelClosed'), 1, 'the signer learns the channel is closed');
    console.log(`channel close: fee converged to ${fee} sat after ${proposals.length + answers.length} closing_signed`);
  } finally {
    await d.close();
  }
});

test('close with an HTLC in flight: no new HTLC after shutdown, the pending one settles, then negotiation', async () => {
  const d = await ChannelDriver.create({ tag: 32 });
  try {
    await d.open();
    d.autoSettle = false;
    const p = await d.pay('alice', 30_000_000n);
    d.sign('alice');
    await d.run();
    d.input('bob', { kind: 'close', commandId: 'close-b' });
    await d.run();
    assert.equal(d.alice.state.kind, 'shutting-down');
    assert.equal(d.bob.state.kind, 'shutting-down');
    // No new HTLC either way now.
    const before = d.alice.state;
    const [after, effects] = process(before, { kind: 'add-htlc', commandId: 'late', amountMsat: 5000n, paymentHash: new Uint8Array(32), cltvExpiry: d.height + 40, onion: new Uint8Array(1366) });
    assert.deepEqual(after, before);
    assert.deepEqual(effects, [{ kind: 'reply', commandId: 'late', result: { ok: false, error: 'add-htlc: the channel is shutting down (BOLT 2: no update_add_htlc after shutdown)' } }]);
    // Bob settles the HTLC; once nothing is pending, Alice (the opener) proposes a fee.
    const received = d.notificationsOf('bob', 'htlc-received')[0]!;
    assert.ok(received.kind === 'htlc-received');
    d.input('bob', { kind: 'fulfill-htlc', commandId: 'f', htlcId: received.htlc.id, preimage: p.preimage });
    d.sign('bob');
    await d.run();
    assert.equal(d.alice.state.kind, 'closing');
    assert.equal(d.bob.state.kind, 'closing');
    const tx = parseTransaction(d.bob.broadcasts[0]!.tx);
    const bobOut = tx.outputs.find((o) => equal(o.script, d.bob.config.shutdownScript));
    assert.equal(bobOut?.amountSat, 30_000n, 'Bob leaves with the HTLC he was paid');
    assertInputsValid(hex(d.bob.broadcasts[0]!.tx), [{ scriptPubKeyHex: hex(d.fundingScript!), amountSat: d.fundingSat }]);
  } finally {
    await d.close();
  }
});

test('a close command with unsigned updates, a bad script, offline, or twice is refused and changes nothing', async () => {
  const d = await ChannelDriver.create({ tag: 33 });
  try {
    await d.open();
    await d.pay('alice', 10_000_000n);
    await d.run(); // the add is sent, not signed
    const refused = (commandId: string, cmd: Omit<import('../node/channel/index.js').CloseCommand, 'kind' | 'commandId'>, expected: string): void => {
      const before = d.alice.state;
      const [after, effects] = process(before, { kind: 'close', commandId, ...cmd });
      assert.deepEqual(after, before, commandId);
      assert.deepEqual(effects, [{ kind: 'reply', commandId, result: { ok: false, error: expected } }]);
    };
    refused('c1', {}, 'close: updates are not signed yet; sign them first');
    d.sign('alice');
    await d.run();
    refused('c2', { scriptPubkey: Uint8Array.of(0x6a, 1, 2) }, 'close: the script is not a P2WPKH, P2WSH or witness v1+ program (BOLT 2 §shutdown)');
    refused('c3', { feeratePerKw: 100 }, 'close: feerate_per_kw 100 is outside 253..50000');
    d.disconnect();
    await d.run();
    refused('c4', {}, 'close: the peer is not connected');
    d.reconnect();
    await d.run();
    d.input('alice', { kind: 'close', commandId: 'c5' });
    await d.run();
    assert.equal(d.alice.state.kind, 'closing');
    refused('c6', {}, 'close: the channel is closing, not in normal operation');
  } finally {
    await d.close();
  }
});

test('force close: the signer signs our latest commitment; it spends the funding output; the channel closes when it confirms', async () => {
  const d = await ChannelDriver.create({ tag: 34 });
  try {
    await d.open({ channelType: 'static_remotekey' });
    await d.pay('alice', 77_000_000n);
    d.sign('alice');
    await d.run();
    d.input('alice', { kind: 'force-close', commandId: 'fc' });
    await d.run();
    assert.deepEqual(d.alice.replies.get('fc'), { ok: true });
    const s = d.alice.state as Closing;
    assert.equal(s.kind, 'closing');
    assert.equal(s.closeType, 'local');
    const published = d.alice.broadcasts[0]!;
    assert.equal(published.what, 'commitment');
    assertInputsValid(hex(published.tx), [{ scriptPubKeyHex: hex(d.fundingScript!), amountSat: d.fundingSat }]);
    assert.equal(new TextDecoder().decode(d.sentOf('alice', 'error')[0]!.data), 'force close requested by the user');
    // Bob, told by the error, fails the channel too (his own commitment).
    assert.equal(d.bob.state.kind, 'closing');
    assert.equal(d.bob.broadcasts.length, 1);
    d.input('alice', { kind: 'funding-spent', txid: published.txid, height: d.height + 1 });
    await d.run();
    assert.equal(d.alice.state.kind, 'closed');
    assert.match((d.alice.state as { reason: string }).reason, /local close confirmed/);
    // A refused second force close leaves the closed state as it is.
    const closed = d.alice.state;
    const [same, effects] = process(closed, { kind: 'force-close', commandId: 'fc2' });
    assert.deepEqual(same, closed);
    assert.equal(effects[0]!.kind, 'reply');
  } finally {
    await d.close();
  }
});

test('negotiating state: the opener restarts the fee negotiation after a reconnection', async () => {
  const d = await ChannelDriver.create({ tag: 35, bob: { closingFeeratePerKw: 400 } });
  try {
    await d.open();
    // Let the first closing_signed through, then cut the link.
    let closings = 0;
    d.intercept = (_from, m) => {
      if (m.type === 'closing_signed' && ++closings === 2) {
        d.disconnect();
        return 'drop';
      }
      return m;
    };
    d.input('alice', { kind: 'close', commandId: 'c', feeratePerKw: 2000 });
    await d.run();
    assert.equal(d.alice.state.kind, 'negotiating');
    assert.equal((d.alice.state as Negotiating).lastSent, null, 'negotiation restarts on reconnection');
    d.intercept = null;
    d.reconnect();
    await d.run();
    assert.equal(d.alice.state.kind, 'closing');
    assert.equal(d.bob.state.kind, 'closing');
    assert.deepEqual(d.alice.broadcasts[0]!.tx, d.bob.broadcasts[0]!.tx);
  } finally {
    await d.close();
  }
});
