// BOLT 2 §Channel Establishment v1 as a conversation between two channel machines, each backed by its
// real signer: channel_type negotiation (option_anchors with zero-fee HTLCs, option_static_remotekey),
// the funding flow (the shell builds the funding transaction; it is published only after a valid
// funding_signed), channel_ready after minimum_depth, and the peer parameters an acceptor refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { equal, hex } from '../bolt/bytes.js';
import { fundingScript, p2wsh } from '../bolt/bolt3/index.js';
import { listBits } from '../bolt/features.js';
import { process, type Effect, type OpenCommand } from '../node/channel/index.js';
import { ChannelDriver, wire } from './helpers/channel-driver.js';

function only<K extends Effect['kind']>(effects: readonly Effect[], kind: K): Extract<Effect, { kind: K }> {
  const found = effects.filter((e): e is Extract<Effect, { kind: K }> => e.kind === kind);
  assert.equal(found.length, 1, `expected one ${kind} effect, got ${found.length}: ${effects.map((e) => e.kind).join(', ')}`);
  return found[0]!;
}

function sent(effects: readonly Effect[], type: string) {
  const e = effects.find((x) => x.kind === 'send' && x.message.type === type);
  assert.ok(e && e.kind === 'send', `no ${type} in ${effects.map((x) => (x.kind === 'send' ? x.message.type : x.kind)).join(', ')}`);
  return wire(e.message);
}

test('open with option_anchors: the whole v1 conversation, one message and one signer answer at a time', async () => {
  const d = await ChannelDriver.create({ tag: 1 });
  try {
    const open: OpenCommand = { kind: 'open', commandId: 'open-1', temporaryChannelId: new Uint8Array(32).fill(7), fundingSat: 1_000_000n, pushMsat: 0n, feeratePerKw: 2500 };
    const alice0 = d.alice.state;
    const bob0 = d.bob.state;

    // Alice asks her signer for the channel's basepoints, then sends open_channel.
    const [alice1, a1] = process(alice0, open);
    const newChannel = only(a1, 'signer');
    assert.equal(newChannel.call.method, 'NewChannel');
    assert.deepEqual(newChannel.call.request, { temporary_channel_id: open.temporaryChannelId, peer_node_id: d.bob.signer.nodeId, holder_is_opener: true });
    const [alice2, a2] = process(alice1, await d.answer('alice', newChannel));
    assert.equal(alice2.kind, 'wait-for-accept-channel');
    const openChannel = sent(a2, 'open_channel');
    assert.ok(openChannel.type === 'open_channel');
    assert.deepEqual(listBits(openChannel.tlvs.channelType!), [12, 22], 'channel_type: option_static_remotekey + option_anchors');
    assert.equal(openChannel.fundingSatoshis, 1_000_000n);
    assert.equal(openChannel.channelReserveSatoshis, 10_000n, '1% reserve asked of Bob');
    assert.deepEqual(openChannel.tlvs.upfrontShutdownScript, new Uint8Array(0));

    // Bob checks the parameters, asks his signer, accepts.
    const [bob1, b1] = process(bob0, { kind: 'message', message: openChannel });
    const [bob2, b2] = process(bob1, await d.answer('bob', only(b1, 'signer')));
    assert.equal(bob2.kind, 'wait-for-funding-created');
    const accept = sent(b2, 'accept_channel');
    assert.ok(accept.type === 'accept_channel');
    assert.deepEqual(listBits(accept.tlvs.channelType!), [12, 22]);
    assert.equal(accept.minimumDepth, 3);

    // Alice asks the shell for a funding transaction paying the 2-of-2.
    const [alice3, a3] = process(alice2, { kind: 'message', message: accept });
    const create = only(a3, 'create-funding');
    assert.equal(alice3.kind, 'wait-for-funding-tx');
    assert.ok(equal(create.scriptPubkey, p2wsh(fundingScript(openChannel.fundingPubkey, accept.fundingPubkey))));
    assert.equal(create.amountSat, 1_000_000n);
    const fundingTxid = new Uint8Array(32).fill(0xab);
    const [alice4, a4] = process(alice3, { kind: 'funding-built', commandId: 'fund-1', fundingTxid, fundingVout: 1 });
    assert.equal(alice4.kind, 'wait-for-funding-signed');
    const setup = only(a4, 'signer');
    assert.equal(setup.call.method, 'SetupChannel');
    assert.ok(setup.call.method === 'SetupChannel' && setup.call.request.channel_type === 'CHANNEL_TYPE_ANCHORS');
    const channelId = Uint8Array.from(fundingTxid);
    channelId[31]! ^= 1;
    assert.deepEqual(only(a4, 'reply').result, { ok: true, channelId });
    const [alice5, a5] = process(alice4, await d.answer('alice', setup));
    const signBob0 = only(a5, 'signer');
    assert.equal(signBob0.call.method, 'SignCounterpartyCommitment');
    const [alice6, a6] = process(alice5, await d.answer('alice', signBob0));
    const fundingCreated = sent(a6, 'funding_created');
    assert.ok(fundingCreated.type === 'funding_created' && fundingCreated.fundingOutputIndex === 1);
    assert.ok(!a6.some((e) => e.kind === 'publish-funding'), 'the funding transaction waits for funding_signed');

    // Bob: SetupChannel, validate Alice's signature on his commitment 0, sign hers, funding_signed.
    const [bob3, b3] = process(bob2, { kind: 'message', message: fundingCreated });
    assert.equal(only(b3, 'signer').call.method, 'SetupChannel');
    const [bob4, b4] = process(bob3, await d.answer('bob', only(b3, 'signer')));
    assert.equal(only(b4, 'signer').call.method, 'ValidateHolderCommitment');
    const [bob5, b5] = process(bob4, await d.answer('bob', only(b4, 'signer')));
    assert.equal(only(b5, 'signer').call.method, 'SignCounterpartyCommitment');
    const [bob6, b6] = process(bob5, await d.answer('bob', only(b5, 'signer')));
    assert.equal(bob6.kind, 'wait-for-funding-confirmed');
    assert.deepEqual(b6.map((e) => e.kind).slice(0, 3), ['persist', 'send', 'watch-funding'], 'persisted before funding_signed leaves');
    const fundingSigned = sent(b6, 'funding_signed');

    // Alice validates Bob's signature on her commitment 0: only now is the funding transaction published.
    const [alice7, a7] = process(alice6, { kind: 'message', message: fundingSigned });
    const [alice8, a8] = process(alice7, await d.answer('alice', only(a7, 'signer')));
    assert.equal(alice8.kind, 'wait-for-funding-confirmed');
    assert.ok(equal(only(a8, 'publish-funding').fundingTxid, fundingTxid));
    assert.equal(only(a8, 'watch-funding').minDepth, 3);
    assert.deepEqual(only(a8, 'reply').result, { ok: true, channelId });

    // Depth reached: FundingConfirmed to the signer, the point of commitment 1, channel_ready.
    const ready = async (side: 'alice' | 'bob', s: typeof alice8) => {
      let [state, effects] = process(s, { kind: 'funding-depth', depth: 2, height: 600 });
      assert.equal(effects.length, 0, 'below minimum_depth nothing happens');
      [state, effects] = process(state, { kind: 'funding-depth', depth: 3, height: 601 });
      assert.equal(only(effects, 'signer').call.method, 'FundingConfirmed');
      [state, effects] = process(state, await d.answer(side, only(effects, 'signer')));
      assert.equal(only(effects, 'signer').call.method, 'GetPerCommitmentPoint');
      [state, effects] = process(state, await d.answer(side, only(effects, 'signer')));
      return [state, sent(effects, 'channel_ready')] as const;
    };
    const [alice9, aliceReady] = await ready('alice', alice8);
    const [bob7, bobReady] = await ready('bob', bob6);
    assert.equal(alice9.kind, 'wait-for-channel-ready');
    const [alice10] = process(alice9, { kind: 'message', message: bobReady });
    const [bob8] = process(bob7, { kind: 'message', message: aliceReady });
    assert.equal(alice10.kind, 'normal');
    assert.equal(bob8.kind, 'normal');
    assert.ok('commitments' in alice10 && 'commitments' in bob8);
    assert.equal(alice10.commitments.localCommit.spec.toLocalMsat, 1_000_000_000n);
    assert.equal(bob8.commitments.localCommit.spec.toRemoteMsat, 1_000_000_000n);
    assert.equal(alice10.commitments.params.channelType, 'anchors');
  } finally {
    await d.close();
  }
});

test('open with option_static_remotekey; payments flow both ways afterwards', async () => {
  const d = await ChannelDriver.create({ tag: 2 });
  try {
    await d.open({ channelType: 'static_remotekey' });
    const open = d.sentOf('alice', 'open_channel')[0]!;
    assert.deepEqual(listBits(open.tlvs.channelType!), [12]);
    assert.deepEqual(listBits(d.sentOf('bob', 'accept_channel')[0]!.tlvs.channelType!), [12]);
    const s = d.bob.state;
    assert.ok('commitments' in s && s.commitments.params.channelType === 'static_remotekey');
    await d.assertSettled('opened');
    await d.pay('alice', 50_000_000n);
    d.sign('alice');
    await d.run();
    await d.pay('bob', 1_000_000n);
    d.sign('bob');
    await d.run();
    await d.assertSettled('after a payment back');
    assert.ok(d.signedFundingTx !== null, 'the opener signed the funding transaction with its wallet');
  } finally {
    await d.close();
  }
});

test('an acceptor that builds only static_remotekey refuses option_anchors with a clear error, and the opener gives up', async () => {
  const d = await ChannelDriver.create({ tag: 3, bob: { channelTypes: ['static_remotekey'] } });
  try {
    d.input('alice', { kind: 'open', commandId: 'open-x', temporaryChannelId: new Uint8Array(32).fill(3), fundingSat: 500_000n, pushMsat: 0n, feeratePerKw: 1000 });
    await d.run();
    const error = d.sentOf('bob', 'error')[0];
    assert.ok(error, 'Bob sent an error');
    assert.match(new TextDecoder().decode(error.data), /open_channel: channel_type bits 12\+22 is not suitable/);
    assert.equal(d.bob.state.kind, 'closed');
    assert.equal(d.alice.state.kind, 'closed');
    assert.deepEqual(d.alice.replies.get('open-x'), { ok: false, error: 'the peer sent an error: open_channel: channel_type bits 12+22 is not suitable (we build 1000)' });
    assert.equal(d.alice.signerCalls.get('SetupChannel') ?? 0, 0, 'nothing was set up');
  } finally {
    await d.close();
  }
});

test('open_channel parameters a receiver must refuse, each named with its value and limit', async () => {
  const d = await ChannelDriver.create({ tag: 4 });
  try {
    // A valid open_channel from Alice's machine, then variations fed to fresh copies of Bob.
    const [alice1, a1] = process(d.alice.state, { kind: 'open', commandId: 'o', temporaryChannelId: new Uint8Array(32).fill(9), fundingSat: 1_000_000n, pushMsat: 0n, feeratePerKw: 2500 });
    const [, a2] = process(alice1, await d.answer('alice', a1[0]));
    const good = sent(a2, 'open_channel');
    assert.ok(good.type === 'open_channel');
    const cases: [string, Partial<typeof good>, RegExp][] = [
      ['dust below 354', { dustLimitSatoshis: 353n }, /dust_limit_satoshis 353 is below 354/],
      ['dust above reserve', { dustLimitSatoshis: 900n, channelReserveSatoshis: 800n }, /dust_limit_satoshis 900 is greater than channel_reserve_satoshis 800/],
      ['to_self_delay too large', { toSelfDelay: 5000 }, /to_self_delay 5000 is above our maximum 2016/],
      ['too many HTLCs', { maxAcceptedHtlcs: 484 }, /max_accepted_htlcs 484 is above 483/],
      ['push above funding', { pushMsat: 1_000_000_001n }, /push_msat 1000000001 is greater than funding_satoshis \* 1000/],
      ['feerate too low', { feeratePerKw: 100 }, /feerate_per_kw 100 is outside 253\.\.50000/],
      ['wrong chain', { chainHash: new Uint8Array(32) }, /chain_hash 0{64} is not our chain/],
      ['reserve asked of us too large', { channelReserveSatoshis: 60_000n }, /channel_reserve_satoshis 60000 is above 5% of 1000000 sat/],
      ['large channel', { fundingSatoshis: 1n << 24n }, /funding_satoshis 16777216 is not below 2\^24/],
      ['no channel_type', { tlvs: { upfrontShutdownScript: new Uint8Array(0) } }, /open_channel: no channel_type/],
      ['unknown channel_type', { tlvs: { channelType: Uint8Array.of(0x10, 0x00, 0x00, 0x10, 0x00) } }, /channel_type bits 12\+36 is not suitable/],
      ['opener cannot pay the fee', { fundingSatoshis: 25_000n, pushMsat: 24_000_000n, channelReserveSatoshis: 1000n }, /cannot pay the \d+ sat fee of commitment 0/],
    ];
    for (const [what, change, expected] of cases) {
      const bad = wire({ ...good, ...change });
      const [bob1, effects] = process(d.bob.state, { kind: 'message', message: bad });
      assert.equal(bob1.kind, 'closed', what);
      const error = sent(effects, 'error');
      assert.ok(error.type === 'error');
      assert.match(new TextDecoder().decode(error.data), expected, what);
      assert.ok(!effects.some((e) => e.kind === 'signer'), `${what}: the signer is not asked`);
    }
  } finally {
    await d.close();
  }
});

test('accept_channel that changes the channel type or undercuts the reserves is refused by the opener', async () => {
  const d = await ChannelDriver.create({ tag: 5 });
  try {
    const [alice1, a1] = process(d.alice.state, { kind: 'open', commandId: 'o', temporaryChannelId: new Uint8Array(32).fill(5), fundingSat: 1_000_000n, pushMsat: 0n, feeratePerKw: 2500 });
    const [alice2, a2] = process(alice1, await d.answer('alice', a1[0]));
    const [bob1, b1] = process(d.bob.state, { kind: 'message', message: sent(a2, 'open_channel') });
    const [, b2] = process(bob1, await d.answer('bob', b1[0]));
    const accept = sent(b2, 'accept_channel');
    assert.ok(accept.type === 'accept_channel');
    const cases: [Partial<typeof accept>, RegExp][] = [
      [{ tlvs: { channelType: Uint8Array.of(0x10, 0x00) } }, /accept_channel: channel_type bits 12 does not match the bits 12\+22 of open_channel/],
      [{ tlvs: {} }, /accept_channel: no channel_type/],
      [{ channelReserveSatoshis: 500n, dustLimitSatoshis: 400n }, /channel_reserve_satoshis 500 is below our dust_limit_satoshis 546/],
      [{ minimumDepth: 1000 }, /minimum_depth 1000 is above our maximum 144/],
      [{ temporaryChannelId: new Uint8Array(32) }, /temporary_channel_id does not match/],
    ];
    for (const [change, expected] of cases) {
      const [alice3, effects] = process(alice2, { kind: 'message', message: wire({ ...accept, ...change }) });
      assert.equal(alice3.kind, 'closed');
      assert.match(new TextDecoder().decode((sent(effects, 'error') as { data: Uint8Array }).data), expected);
      assert.equal(only(effects, 'reply').result.ok, false);
    }
    assert.ok(hex(accept.temporaryChannelId).length === 64);
  } finally {
    await d.close();
  }
});

test('a disconnection before funding_signed forgets the channel on both sides', async () => {
  const d = await ChannelDriver.create({ tag: 6 });
  try {
    d.intercept = (_from, m) => {
      if (m.type === 'funding_created') {
        d.disconnect();
        return 'drop';
      }
      return m;
    };
    d.input('alice', { kind: 'open', commandId: 'o', temporaryChannelId: new Uint8Array(32).fill(6), fundingSat: 800_000n, pushMsat: 0n, feeratePerKw: 1000 });
    await d.run();
    assert.equal(d.alice.state.kind, 'closed');
    assert.equal(d.bob.state.kind, 'closed');
    assert.deepEqual(d.alice.replies.get('o'), { ok: false, error: 'disconnected before the channel was funded' });
    assert.equal(d.alice.effects.filter((e) => e.kind === 'publish-funding').length, 0, 'never published');
  } finally {
    await d.close();
  }
});
