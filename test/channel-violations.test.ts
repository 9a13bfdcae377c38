// Protocol violations fail the channel: the machine sends `error` and asks its signer for our latest
// commitment, signed for broadcast (checked against the funding output by bitcore-lib's interpreter).
// The signer's refusals are the judge where the machine holds no key: a bad commitment signature
// (ValidateHolderCommitment) and a wrong revocation secret (ValidateCounterpartyRevocation). User
// commands the channel cannot carry out are refused with the reason and leave the state deep-equal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hex } from '../bolt/bytes.js';
import { sha256 } from '../bolt/crypto/hash.js';
import type { Message } from '../bolt/messages/index.js';
import { process, type ChannelCommand, type ChannelState, type Closing, type Normal } from '../node/channel/index.js';
import { assertInputsValid } from './helpers/interpreter.js';
import { ChannelDriver, onionFor, type SideName } from './helpers/channel-driver.js';

/** The side failed the channel: error sent (with this text), commitment broadcast and valid. */
function assertFailed(d: ChannelDriver, side: SideName, reason: RegExp): void {
  const s = d.side(side).state as Closing;
  assert.equal(s.kind, 'closing', `${side} is closing`);
  assert.equal(s.closeType, 'local');
  const errors = d.sentOf(side, 'error');
  assert.equal(errors.length, 1, `${side} sent one error`);
  assert.match(new TextDecoder().decode(errors[0]!.data), reason);
  assert.equal(d.side(side).broadcasts.length, 1, `${side} broadcast its commitment`);
  const b = d.side(side).broadcasts[0]!;
  assert.equal(b.what, 'commitment');
  assertInputsValid(hex(b.tx), [{ scriptPubKeyHex: hex(d.fundingScript!), amountSat: d.fundingSat }]);
}

function add(channelId: Uint8Array, id: bigint, amountMsat: bigint, cltvExpiry: number): Message {
  return { type: 'update_add_htlc', channelId, id, amountMsat, paymentHash: sha256(Uint8Array.of(Number(id))), cltvExpiry, onionRoutingPacket: onionFor(Number(id)), tlvs: {} };
}

test('a bad signature in commitment_signed: the signer refuses it, the receiver sends error and force-closes', async () => {
  const d = await ChannelDriver.create({ tag: 41 });
  try {
    await d.open();
    await d.pay('alice', 10_000_000n);
    d.intercept = (from, m) => {
      if (from === 'alice' && m.type === 'commitment_signed') {
        const signature = Uint8Array.from(m.signature);
        signature[40]! ^= 0x01;
        return { ...m, signature };
      }
      return m;
    };
    d.sign('alice');
    await d.run();
    assertFailed(d, 'bob', /commitment_signed for our commitment 1 refused by the signer: counterparty_signature: does not verify/);
    assert.equal(d.bob.signerCalls.get('RevokeHolderCommitment') ?? 0, 0, 'nothing was revoked');
    // Alice, told by the error, fails the channel with her own commitment.
    assert.equal(d.alice.state.kind, 'closing');
  } finally {
    await d.close();
  }
});

test('an HTLC below htlc_minimum_msat fails the channel', async () => {
  const d = await ChannelDriver.create({ tag: 42, bob: { htlcMinimumMsat: 1000n } });
  try {
    await d.open();
    d.input('bob', { kind: 'message', message: add(d.channelId(), 0n, 999n, d.height + 40) });
    await d.run();
    assertFailed(d, 'bob', /^update_add_htlc: amount_msat 999 is below our htlc_minimum_msat 1000$/);
    // Alice's own machine would not have sent it: the command is refused with the peer's minimum.
    const [, effects] = process(d.alice.state, { kind: 'add-htlc', commandId: 'x', amountMsat: 999n, paymentHash: new Uint8Array(32), cltvExpiry: 600, onion: onionFor(1) });
    assert.ok(effects.some((e) => e.kind === 'reply'));
  } finally {
    await d.close();
  }
});

test('more HTLCs than max_accepted_htlcs fails the channel', async () => {
  const d = await ChannelDriver.create({ tag: 43, bob: { maxAcceptedHtlcs: 5 } });
  try {
    await d.open();
    for (let i = 0n; i < 6n; i++) d.input('bob', { kind: 'message', message: add(d.channelId(), i, 2_000_000n, d.height + 40) });
    await d.run();
    assertFailed(d, 'bob', /^update_add_htlc: 6 HTLCs exceed our max_accepted_htlcs 5$/);
  } finally {
    await d.close();
  }
});

test('a wrong revocation secret: the signer refuses it, the receiver sends error and force-closes', async () => {
  const d = await ChannelDriver.create({ tag: 44 });
  try {
    await d.open();
    await d.pay('alice', 10_000_000n);
    d.intercept = (from, m) => (from === 'bob' && m.type === 'revoke_and_ack' ? { ...m, perCommitmentSecret: sha256(Uint8Array.of(1, 2, 3)) } : m);
    d.sign('alice');
    await d.run();
    assertFailed(d, 'alice', /revoke_and_ack for their commitment 0 refused by the signer: per_commitment_secret: does not match the per-commitment point of counterparty commitment 0/);
  } finally {
    await d.close();
  }
});

test('other violations: a wrong preimage, an unknown HTLC, a wrong HTLC id, commitment_signed without updates, an expired offered HTLC', async () => {
  const cases: { name: string; run: (d: ChannelDriver) => Promise<void>; side: SideName; reason: RegExp }[] = [
    {
      name: 'fulfill with a wrong preimage',
      side: 'alice',
      reason: /^update_fulfill_htlc: the preimage of HTLC 0 does not hash to its payment_hash$/,
      run: async (d) => {
        d.autoSettle = false;
        await d.pay('alice', 5_000_000n);
        d.sign('alice');
        await d.run();
        d.input('alice', { kind: 'message', message: { type: 'update_fulfill_htlc', channelId: d.channelId(), id: 0n, paymentPreimage: new Uint8Array(32), tlvs: {} } });
      },
    },
    {
      name: 'fail of an HTLC that does not exist',
      side: 'alice',
      reason: /^update_fail_htlc: id 7 is not an HTLC we offered that is committed in both commitments$/,
      run: async (d) => {
        d.input('alice', { kind: 'message', message: { type: 'update_fail_htlc', channelId: d.channelId(), id: 7n, reason: new Uint8Array(10), tlvs: {} } });
      },
    },
    {
      name: 'HTLC id out of sequence',
      side: 'bob',
      reason: /^update_add_htlc: id 3, expected 0$/,
      run: async (d) => {
        d.input('bob', { kind: 'message', message: add(d.channelId(), 3n, 5_000_000n, d.height + 40) });
      },
    },
    {
      name: 'commitment_signed without updates',
      side: 'bob',
      reason: /^commitment_signed without any update to commit$/,
      run: async (d) => {
        d.input('bob', { kind: 'message', message: { type: 'commitment_signed', channelId: d.channelId(), signature: new Uint8Array(64), htlcSignature: [], tlvs: {} } });
      },
    },
    {
      name: 'an offered HTLC expires',
      side: 'alice',
      reason: /^offered HTLC 0 expired at \d+, height is \d+$/,
      run: async (d) => {
        d.autoSettle = false;
        await d.pay('alice', 5_000_000n);
        d.sign('alice');
        await d.run();
        d.input('alice', { kind: 'block', height: d.height + 41 });
      },
    },
  ];
  let tag = 45;
  for (const c of cases) {
    const d = await ChannelDriver.create({ tag: tag++ });
    try {
      await d.open();
      await c.run(d);
      await d.run();
      assertFailed(d, c.side, c.reason);
    } finally {
      await d.close();
    }
  }
  console.log(`channel violations: ${cases.length + 4} violations fail the channel`);
});

test('refused commands leave the state deep-equal to before and reply with the reason', async () => {
  const d = await ChannelDriver.create({ tag: 51 });
  try {
    await d.open();
    const p = await d.pay('alice', 20_000_000n);
    d.autoSettle = false;
    d.sign('alice');
    await d.run();
    const onion = onionFor(9);
    const cases: [SideName, ChannelCommand, string][] = [
      // (1124 + 2 x 172) weight x 2500 sat/kw = 3670 sat, plus two 330-sat anchors (BOLT 3 §Fee Calculation).
      ['alice', { kind: 'add-htlc', commandId: 'a1', amountMsat: 990_000_000n, paymentHash: new Uint8Array(32), cltvExpiry: d.height + 40, onion }, 'insufficient funds: 990000000 msat would leave -10000000 msat, below the 10000 sat reserve plus 4330 sat of commitment fees'],
      ['alice', { kind: 'add-htlc', commandId: 'a2', amountMsat: 0n, paymentHash: new Uint8Array(32), cltvExpiry: d.height + 40, onion }, 'amount_msat must be greater than 0, got 0'],
      ['alice', { kind: 'add-htlc', commandId: 'a3', amountMsat: 5000n, paymentHash: new Uint8Array(32), cltvExpiry: d.height, onion }, `cltv_expiry ${d.height} is not above the current height ${d.height}`],
      ['alice', { kind: 'add-htlc', commandId: 'a4', amountMsat: 5000n, paymentHash: new Uint8Array(32), cltvExpiry: 500_000_000, onion }, 'cltv_expiry 500000000 must be a block height below 500000000'],
      ['alice', { kind: 'add-htlc', commandId: 'a5', amountMsat: 5000n, paymentHash: new Uint8Array(32), cltvExpiry: d.height + 40, onion: new Uint8Array(10) }, 'onion_routing_packet must be 1366 bytes, got 10'],
      ['bob', { kind: 'add-htlc', commandId: 'b1', amountMsat: 15_000_000n, paymentHash: new Uint8Array(32), cltvExpiry: d.height + 40, onion }, 'insufficient funds: 15000000 msat would leave -15000000 msat, below the 10000 sat reserve'],
      ['bob', { kind: 'fulfill-htlc', commandId: 'b2', htlcId: 0n, preimage: new Uint8Array(32) }, 'fulfill: the preimage does not hash to the payment_hash of HTLC 0'],
      ['bob', { kind: 'fulfill-htlc', commandId: 'b3', htlcId: 5n, preimage: p.preimage }, 'fulfill: no incoming HTLC 5 irrevocably committed in both commitments'],
      ['bob', { kind: 'fail-malformed-htlc', commandId: 'b4', htlcId: 0n, sha256OfOnion: new Uint8Array(32), failureCode: 0x4000 }, 'fail-malformed: failure_code 0x4000 does not have the BADONION bit'],
      ['alice', { kind: 'fulfill-htlc', commandId: 'a6', htlcId: 0n, preimage: p.preimage }, 'fulfill: no incoming HTLC 0 irrevocably committed in both commitments'],
      ['alice', { kind: 'open', commandId: 'a7', temporaryChannelId: new Uint8Array(32), fundingSat: 100_000n, pushMsat: 0n, feeratePerKw: 1000 }, 'open: this channel is already normal'],
      ['alice', { kind: 'funding-built', commandId: 'a8', fundingTxid: new Uint8Array(32), fundingVout: 0 }, 'funding-built: the channel is normal, not waiting for its funding transaction'],
    ];
    for (const [side, cmd, error] of cases) {
      const before: ChannelState = d.side(side).state;
      const [after, effects] = process(before, cmd);
      assert.deepEqual(after, before, `${cmd.kind} ${'commandId' in cmd ? cmd.commandId : ''}: state unchanged`);
      assert.deepEqual(effects, [{ kind: 'reply', commandId: (cmd as { commandId: string }).commandId, result: { ok: false, error } }]);
    }
    // The fulfill Bob can make is accepted; a second one for the same HTLC is refused.
    const [bob1] = process(d.bob.state, { kind: 'fulfill-htlc', commandId: 'ok', htlcId: 0n, preimage: p.preimage });
    const [bob2, effects] = process(bob1, { kind: 'fulfill-htlc', commandId: 'again', htlcId: 0n, preimage: p.preimage });
    assert.deepEqual(bob2, bob1);
    assert.deepEqual(effects, [{ kind: 'reply', commandId: 'again', result: { ok: false, error: 'fulfill: HTLC 0 is already being removed' } }]);
    assert.equal((bob1 as Normal).commitments.localChanges.proposed.length, 1);
    console.log(`channel refusals: ${cases.length + 1} refused commands`);
  } finally {
    await d.close();
  }
});

test('an HTLC the signer never approved: it refuses to sign; the machine takes the commitment back, drops the connection, reports the payment failed, and the channel goes on', async () => {
  const d = await ChannelDriver.create({ tag: 52 });
  try {
    await d.open();
    const preimage = sha256(Uint8Array.of(0xee));
    d.input('alice', { kind: 'add-htlc', commandId: 'rogue', amountMsat: 50_000_000n, paymentHash: sha256(preimage), cltvExpiry: d.height + 40, onion: onionFor(77) });
    d.sign('alice');
    await d.run();
    assert.deepEqual(d.alice.replies.get('rogue'), { ok: true, htlcId: 0n }, 'the machine itself had no reason to refuse');
    const refused = d.notificationsOf('alice', 'signer-refused')[0];
    assert.ok(refused && refused.kind === 'signer-refused');
    assert.equal(refused.method, 'SignCounterpartyCommitment');
    assert.match(refused.message, /^policy-commitment-htlc-routing-balance: /);
    assert.ok(d.alice.effects.some((e) => e.kind === 'disconnect'));
    const failed = d.notificationsOf('alice', 'payment-failed')[0];
    assert.ok(failed && failed.kind === 'payment-failed' && failed.failure.kind === 'local' && failed.htlcId === 0n);
    assert.equal(d.alice.state.kind, 'normal', 'no force close: nothing was signed');
    assert.equal(d.sentOf('alice', 'commitment_signed').length, 0);
    d.reconnect();
    await d.run();
    await d.pay('alice', 50_000_000n);
    d.sign('alice');
    await d.run();
    await d.assertSettled('an approved payment after the refusal');
  } finally {
    await d.close();
  }
});

test('a node restarting while its force close was being signed asks the signer again', async () => {
  const d = await ChannelDriver.create({ tag: 53 });
  try {
    await d.open();
    d.input('alice', { kind: 'force-close', commandId: 'fc' });
    while (d.alice.state.pending?.method !== 'SignHolderCommitmentForBroadcast') assert.ok(await d.step());
    d.crash('alice');
    await d.run();
    const s = d.alice.state as Closing;
    assert.equal(s.kind, 'closing');
    assert.notEqual(s.published, null);
    assert.equal(d.alice.broadcasts.length, 1);
    assertInputsValid(hex(d.alice.broadcasts[0]!.tx), [{ scriptPubKeyHex: hex(d.fundingScript!), amountSat: d.fundingSat }]);
  } finally {
    await d.close();
  }
});
