// The commitment content the signer is asked to sign or validate, derived from the update log:
// which updates each commitment includes (BOLT 2 §Normal Operation), HTLC directions from each
// owner's point of view, the proto CommitmentInfo shape, and the opener's cost agreeing with what
// bolt/bolt3 actually builds (fee and trimming are BOLT 3's, not re-implemented here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCommitment, commitmentObscuringFactor, deriveCommitmentKeys, type ChannelType, type Htlc } from '../bolt/bolt3/index.js';
import { secp } from '../bolt/crypto/secp256k1.js';
import { sha256 } from '../bolt/crypto/hash.js';
import {
  commitmentInfoOf,
  commitmentOf,
  defaultLocalConfig,
  initialCommitments,
  openerCostSat,
  reduce,
  SpecError,
  untrimmedHtlcCount,
  type ChannelParams,
  type CommitmentSpec,
  type Commitments,
  type UpdateMessage,
} from '../node/channel/index.js';

const key = (n: number): Uint8Array => secp.publicKey(sha256(Uint8Array.of(n)));
const basepoints = (n: number) => ({ fundingPubkey: key(n), revocationBasepoint: key(n + 1), paymentBasepoint: key(n + 2), delayedPaymentBasepoint: key(n + 3), htlcBasepoint: key(n + 4) });
const CHANNEL_ID = new Uint8Array(32).fill(1);

function params(channelType: ChannelType = 'anchors'): ChannelParams {
  const side = { dustLimitSat: 546n, maxHtlcValueInFlightMsat: 10n ** 12n, channelReserveSat: 10_000n, htlcMinimumMsat: 1n, toSelfDelay: 144, maxAcceptedHtlcs: 30 };
  return {
    channelId: CHANNEL_ID,
    temporaryChannelId: new Uint8Array(32),
    remoteNodeId: key(99),
    channelType,
    isOpener: true,
    fundingTxid: new Uint8Array(32).fill(2),
    fundingVout: 0,
    fundingSat: 1_000_000n,
    pushMsat: 0n,
    local: side,
    remote: { ...side, dustLimitSat: 600n },
    localBasepoints: basepoints(10),
    remoteBasepoints: basepoints(20),
    remoteFirstPoint: key(30),
    localUpfrontScript: new Uint8Array(0),
    remoteUpfrontScript: new Uint8Array(0),
    minimumDepth: 3,
    config: defaultLocalConfig(new Uint8Array(32), new Uint8Array(22)),
  };
}

function addMsg(id: bigint, amountMsat: bigint): UpdateMessage {
  return { type: 'update_add_htlc', channelId: CHANNEL_ID, id, amountMsat, paymentHash: sha256(Uint8Array.of(Number(id), 7)), cltvExpiry: 700 + Number(id), onionRoutingPacket: new Uint8Array(1366), tlvs: {} };
}

test('reduce: adds, then removals by the side that did not offer, then update_fee; nothing to apply returns the same object', () => {
  const spec: CommitmentSpec = { feeratePerKw: 253, toLocalMsat: 700_000n, toRemoteMsat: 300_000n, htlcs: [] };
  assert.equal(reduce(spec, [], []), spec, 'structural sharing');
  const s1 = reduce(spec, [addMsg(0n, 1000n)], [addMsg(0n, 2000n), addMsg(1n, 3000n)]);
  assert.equal(s1.toLocalMsat, 699_000n);
  assert.equal(s1.toRemoteMsat, 295_000n);
  assert.deepEqual(s1.htlcs.map((h) => `${h.direction}:${h.id}`), ['offered:0', 'received:0', 'received:1']);
  const fulfill: UpdateMessage = { type: 'update_fulfill_htlc', channelId: CHANNEL_ID, id: 0n, paymentPreimage: new Uint8Array(32), tlvs: {} };
  const fail: UpdateMessage = { type: 'update_fail_htlc', channelId: CHANNEL_ID, id: 1n, reason: new Uint8Array(1), tlvs: {} };
  // The owner fulfills received HTLC 0 (paid to the owner) and fails received 1 (back to the other side);
  // the other side fulfills the owner's offered HTLC 0 (paid to the other side).
  const s2 = reduce(s1, [fulfill, fail, { type: 'update_fee', channelId: CHANNEL_ID, feeratePerKw: 5000, tlvs: {} }], [fulfill]);
  assert.equal(s2.toLocalMsat, 699_000n + 2000n);
  assert.equal(s2.toRemoteMsat, 295_000n + 3000n + 1000n);
  assert.equal(s2.htlcs.length, 0);
  assert.equal(s2.feeratePerKw, 5000);
  assert.equal(s2.toLocalMsat + s2.toRemoteMsat, 1_000_000n, 'nothing created or lost');
  assert.throws(() => reduce(s1, [], [{ ...fulfill, id: 9n }]), (e: unknown) => e instanceof SpecError && /removal of HTLCs that are not in the commitment: offered:9/.test(e.message));
  assert.throws(() => reduce(s1, [fail, fail], []), SpecError);
});

test('each commitment includes exactly the updates BOLT 2 puts in it, with directions from its owner', () => {
  const c0 = initialCommitments(params(), 2500, key(40));
  const ours = [addMsg(0n, 10_000_000n), addMsg(1n, 20_000_000n)];
  const theirs = [addMsg(0n, 0n)];
  // Our 2 adds: one already acknowledged (due in our next commitment), one only proposed.
  const c: Commitments = {
    ...c0,
    localCommit: { number: 4, spec: { ...c0.localCommit.spec, toLocalMsat: 600_000_000n, toRemoteMsat: 400_000_000n } },
    remoteCommit: { number: 5, spec: { ...c0.remoteCommit.spec, toLocalMsat: 400_000_000n, toRemoteMsat: 600_000_000n }, point: key(41) },
    localChanges: { proposed: [ours[1]!], signed: [], acked: [ours[0]!] },
    remoteChanges: { proposed: [{ ...theirs[0]!, amountMsat: 5_000_000n } as UpdateMessage], acked: [], signed: [] },
    remoteNextPoint: key(42),
  };
  const localNext = commitmentOf(c, 'local', 'next')!;
  assert.equal(localNext.number, 5);
  assert.deepEqual(localNext.spec.htlcs.map((h) => `${h.direction}:${h.id}:${h.amountMsat}`), ['offered:0:10000000', 'received:0:5000000'], 'our acknowledged add and their proposed one');
  const remoteNext = commitmentOf(c, 'remote', 'next')!;
  assert.equal(remoteNext.number, 6);
  assert.deepEqual(remoteNext.spec.htlcs.map((h) => `${h.direction}:${h.id}:${h.amountMsat}`), ['received:1:20000000'], 'only our proposed add: their add is not acknowledged yet');
  assert.equal(remoteNext.spec.toRemoteMsat, 580_000_000n);
  assert.equal(commitmentOf(c, 'local', 'pending'), null);
  assert.equal(commitmentOf(c, 'remote', 'current'), c.remoteCommit);

  const info = commitmentInfoOf(c, 'remote', 'next')!;
  assert.deepEqual(info, {
    commitment_number: '6',
    feerate_per_kw: 2500,
    to_holder_msat: '400000000',
    to_counterparty_msat: '580000000',
    htlcs: [{ direction: 'HTLC_DIRECTION_RECEIVED', id: '1', amount_msat: '20000000', payment_hash: ours[1]!.type === 'update_add_htlc' ? ours[1]!.paymentHash : new Uint8Array(), cltv_expiry: 701 }],
  });
});

test('openerCostSat and the trimming count agree with the commitment bolt3 builds, both channel types, 200 random specs', () => {
  let seed = 7;
  const next = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  let cases = 0;
  for (const channelType of ['anchors', 'static_remotekey'] as const) {
    const p = params(channelType);
    const keys = deriveCommitmentKeys(p.localBasepoints, p.remoteBasepoints, key(50));
    for (let i = 0; i < 100; i++) {
      const feeratePerKw = 253 + Math.floor(next() * 20_000);
      const htlcs: Htlc[] = [];
      let inHtlcs = 0n;
      const n = Math.floor(next() * 12);
      for (let j = 0; j < n; j++) {
        const amountMsat = BigInt(Math.floor(10 ** (next() * 7.5)) + 1);
        inHtlcs += amountMsat;
        htlcs.push({ id: BigInt(j), direction: next() < 0.5 ? 'offered' : 'received', amountMsat, paymentHash: sha256(Uint8Array.of(j, i)), cltvExpiry: 600 + j });
      }
      const toLocalMsat = 700_000_000n - inHtlcs;
      const spec: CommitmentSpec = { feeratePerKw, toLocalMsat, toRemoteMsat: 300_000_000n, htlcs };
      const built = buildCommitment({
        channelType,
        funding: { txid: p.fundingTxid, vout: 0, amountSat: p.fundingSat },
        obscuringFactor: commitmentObscuringFactor(p.localBasepoints.paymentBasepoint, p.remoteBasepoints.paymentBasepoint),
        commitmentNumber: BigInt(i),
        ownerIsOpener: true,
        toSelfDelay: 144,
        dustLimitSat: 546n,
        feeratePerKw,
        toLocalMsat,
        toRemoteMsat: 300_000_000n,
        htlcs,
        keys,
      });
      assert.equal(untrimmedHtlcCount(channelType, spec, 546n), built.outputs.filter((o) => o.kind === 'htlc').length);
      assert.equal(openerCostSat(channelType, spec, 546n), built.baseFeeSat + (channelType === 'anchors' ? 660n : 0n));
      cases++;
    }
  }
  console.log(`channel spec: ${cases} cases against bolt3`);
});
