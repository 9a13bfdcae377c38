// classifyClosing (node/channel/closing-outputs.ts, BOLT 5): given the channel as each side's signer
// keeps it, the transaction that spent the funding output is told apart as a mutual close, our
// commitment, the peer's current commitment, a revoked one, or one we cannot place; and each output
// is claimed (with its BIP 68 delay) or left with a reason. Alice's commitments are built from alice's
// view (bolt3 buildCommitment) and classified from both views, so the two views must agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256 } from '../bolt/crypto/hash.js';
import { secp } from '../bolt/crypto/secp256k1.js';
import { buildLegacyClosing, p2wpkh, perCommitmentPoint, type ChannelBasepoints, type ChannelType, type Htlc } from '../bolt/bolt3/index.js';
import { classifyClosing, counterpartyCommitment, holderCommitment, PLACEHOLDER_SIGNATURE } from '../node/channel/closing-outputs.js';
import type { RecoveredChannel, RecoveredCommitment } from '../node/channel/index.js';

const key = (tag: string): Uint8Array => secp.publicKey(sha256(new TextEncoder().encode(tag)));
const basepoints = (who: string): ChannelBasepoints => ({
  fundingPubkey: key(`${who} funding`),
  revocationBasepoint: key(`${who} revocation`),
  paymentBasepoint: key(`${who} payment`),
  delayedPaymentBasepoint: key(`${who} delayed`),
  htlcBasepoint: key(`${who} htlc`),
});
/** Commitment n's per-commitment point of `who` (any valid point does: the signer's are unknown here). */
const pointOf = (who: string, n: number): Uint8Array => perCommitmentPoint(sha256(new TextEncoder().encode(`${who} secret ${n}`)));

const FUNDING_SAT = 1_000_000n;
const FUNDING_TXID = sha256(new TextEncoder().encode('funding'));
const ALICE_DELAY = 144; // asked of alice by bob
const BOB_DELAY = 200; // asked of bob by alice

const htlcs: Htlc[] = [
  { id: 0n, direction: 'offered', amountMsat: 50_000_000n, paymentHash: sha256(Uint8Array.of(1)), cltvExpiry: 500 },
  { id: 0n, direction: 'received', amountMsat: 30_000_000n, paymentHash: sha256(Uint8Array.of(2)), cltvExpiry: 510 },
];

/** Alice's commitment n, from alice's view: she holds 600,000,123 msat, bob the rest less the HTLCs. */
function aliceCommit(n: number, withHtlcs: boolean): RecoveredCommitment & { point: Uint8Array } {
  const h = withHtlcs ? htlcs : [];
  const inHtlcs = h.reduce((a, x) => a + x.amountMsat, 0n);
  const toLocalMsat = 600_000_123n;
  return { number: n, spec: { feeratePerKw: 2500, toLocalMsat, toRemoteMsat: FUNDING_SAT * 1000n - toLocalMsat - inHtlcs, htlcs: h }, point: pointOf('alice', n) };
}

/** The same commitment as bob sees it: owner's view, so the same spec. */
function views(channelType: ChannelType, aliceNumber: number, bobRemote: { number: number; withHtlcs: boolean }, bobRevokedThrough: number, bobLocalNumber = 3) {
  const common = {
    temporaryChannelId: new Uint8Array(32),
    channelType,
    fundingTxid: FUNDING_TXID,
    fundingVout: 1,
    fundingSat: FUNDING_SAT,
    pushMsat: 0n,
    localReserveSat: 10_000n,
    remoteReserveSat: 10_000n,
    maxAcceptedHtlcs: 483,
    htlcMinimumMsat: 1n,
    localUpfrontScript: new Uint8Array(0),
    remoteUpfrontScript: new Uint8Array(0),
    localNextHtlcId: 1n,
    remoteNextHtlcId: 1n,
    fundingHeight: 101,
    channelId: sha256(Uint8Array.of(9)),
  };
  const alice: RecoveredChannel = {
    ...common,
    remoteNodeId: key('bob node'),
    lifecycle: 'closed',
    isOpener: true,
    localBasepoints: basepoints('alice'),
    remoteBasepoints: basepoints('bob'),
    remoteFirstPoint: pointOf('bob', 0),
    localOutputsDelay: ALICE_DELAY,
    remoteOutputsDelay: BOB_DELAY,
    localDustLimitSat: 546n,
    remoteDustLimitSat: 600n,
    localCommit: aliceCommit(aliceNumber, true),
    remoteCommit: { number: 1, spec: aliceCommit(1, false).spec, point: pointOf('bob', 1) },
    previousRemoteCommit: null,
    remoteSecrets: new Map(),
  };
  const secrets = new Map<number, Uint8Array>();
  if (bobRevokedThrough >= 0) secrets.set(bobRevokedThrough, new Uint8Array(32));
  const bob: RecoveredChannel = {
    ...common,
    remoteNodeId: key('alice node'),
    lifecycle: 'closed',
    isOpener: false,
    localBasepoints: basepoints('bob'),
    remoteBasepoints: basepoints('alice'),
    remoteFirstPoint: pointOf('alice', 0),
    localOutputsDelay: BOB_DELAY,
    remoteOutputsDelay: ALICE_DELAY,
    localDustLimitSat: 600n,
    remoteDustLimitSat: 546n,
    localCommit: { number: bobLocalNumber, spec: aliceCommit(0, false).spec },
    remoteCommit: aliceCommit(bobRemote.number, bobRemote.withHtlcs),
    previousRemoteCommit: bobRemote.number > 0 ? aliceCommit(bobRemote.number - 1, false) : null,
    remoteSecrets: secrets,
  };
  return { alice, bob };
}

/** Alice's commitment `n` as she would broadcast it (the witness does not change the txid). */
function aliceBroadcast(v: { alice: RecoveredChannel }, n: number, withHtlcs: boolean) {
  const c = aliceCommit(n, withHtlcs);
  return holderCommitment({ ...v.alice, localCommit: c }, c, c.point);
}

test('our own commitment: to_local claimed after our to_self_delay; anchors, HTLCs and the peer\'s output left', () => {
  const v = views('anchors', 7, { number: 7, withHtlcs: true }, 5);
  const commitment = aliceBroadcast(v, 7, true);
  const r = classifyClosing(v.alice, pointOf('alice', 7), commitment.tx);
  assert.equal(r.kind, 'local');
  if (r.kind !== 'local') return;
  assert.equal(r.commitmentNumber, 7);
  const toLocal = commitment.outputs.find((o) => o.kind === 'to_local')!;
  assert.deepEqual(r.claims.map((c) => [c.kind, c.vout, c.amountSat, c.csvDelay]), [['to-local', toLocal.index, toLocal.amountSat, ALICE_DELAY]]);
  assert.deepEqual(r.claims[0]!.placeholderWitness, [PLACEHOLDER_SIGNATURE, new Uint8Array(0), toLocal.witnessScript]);
  assert.equal(r.left.length, commitment.outputs.length - 1);
  assert.equal(r.left.filter((o) => /anchor/.test(o.why)).length, 2);
  assert.equal(r.left.filter((o) => /HTLC/.test(o.why)).length, 2);
  // Another point (not our commitment 7's): the rebuild differs, and nothing claims it as ours.
  assert.notEqual(classifyClosing(v.alice, pointOf('alice', 8), commitment.tx).kind, 'local');
});

test('the peer\'s current commitment: our to_remote, after 1 block with option_anchors, at once with static_remotekey', () => {
  for (const [type, csv] of [['anchors', 1], ['static_remotekey', 0]] as const) {
    const v = views(type, 7, { number: 7, withHtlcs: true }, 5);
    const commitment = aliceBroadcast(v, 7, true);
    // Bob's view rebuilds the same transaction as alice's.
    assert.deepEqual(counterpartyCommitment(v.bob, v.bob.remoteCommit, v.bob.remoteCommit.point).txid, commitment.txid, `${type}: both views build one transaction`);
    const r = classifyClosing(v.bob, pointOf('bob', 3), commitment.tx);
    assert.equal(r.kind, 'remote', type);
    if (r.kind !== 'remote') continue;
    const toRemote = commitment.outputs.find((o) => o.kind === 'to_remote')!;
    assert.deepEqual(r.claims.map((c) => [c.kind, c.vout, c.amountSat, c.csvDelay]), [['to-remote', toRemote.index, toRemote.amountSat, csv]], type);
    if (type === 'static_remotekey') {
      assert.deepEqual(toRemote.script, p2wpkh(v.bob.localBasepoints.paymentBasepoint), 'static_remotekey pays bob\'s payment_basepoint untweaked');
      assert.deepEqual(r.claims[0]!.placeholderWitness, [PLACEHOLDER_SIGNATURE, v.bob.localBasepoints.paymentBasepoint]);
    }
    assert.equal(r.left.filter((o) => /HTLC/.test(o.why)).length, 2, `${type}: HTLC outputs are left, and say so`);
  }
});

test('the peer\'s previous commitment, not revoked yet, is theirs too; once revoked it is taken with justice', () => {
  const v = views('anchors', 6, { number: 7, withHtlcs: false }, 5);
  const six = aliceBroadcast(v, 6, false);
  assert.equal(classifyClosing(v.bob, pointOf('bob', 3), six.tx).kind, 'remote');
  const revoked = views('anchors', 6, { number: 7, withHtlcs: false }, 6);
  const r = classifyClosing(revoked.bob, pointOf('bob', 3), six.tx);
  assert.equal(r.kind, 'revoked');
  if (r.kind !== 'revoked') return;
  const toLocal = six.outputs.find((o) => o.kind === 'to_local')!;
  const justice = r.claims.find((c) => c.kind === 'justice')!;
  assert.equal(justice.vout, toLocal.index);
  // Rebuilt (bob holds commitment 6): the exact penalty witness <sig> 1 <to_local script>.
  assert.deepEqual(justice.placeholderWitness, [PLACEHOLDER_SIGNATURE, Uint8Array.of(1), toLocal.witnessScript]);
});

test('a revoked commitment older than any the signer lists: to_local and every HTLC to justice, our to_remote swept, anchors left', () => {
  const v = views('anchors', 2, { number: 9, withHtlcs: false }, 8);
  const old = aliceBroadcast(v, 2, true);
  const r = classifyClosing(v.bob, pointOf('bob', 3), old.tx);
  assert.equal(r.kind, 'revoked');
  if (r.kind !== 'revoked') return;
  assert.equal(r.commitmentNumber, 2);
  const byKind = (k: string): number[] => r.claims.filter((c) => c.kind === k).map((c) => c.vout).sort();
  assert.deepEqual(byKind('justice'), old.outputs.filter((o) => o.kind === 'to_local' || o.kind === 'htlc').map((o) => o.index).sort());
  assert.deepEqual(byKind('to-remote'), old.outputs.filter((o) => o.kind === 'to_remote').map((o) => o.index));
  assert.deepEqual(r.left.map((o) => o.vout).sort(), old.outputs.filter((o) => o.kind.endsWith('anchor')).map((o) => o.index).sort());
  for (const c of r.claims) assert.equal(c.csvDelay, c.kind === 'to-remote' ? 1 : 0);
});

test('bob\'s own commitment number equal to the one on chain does not make alice\'s commitment his', () => {
  const v = views('static_remotekey', 7, { number: 7, withHtlcs: true }, 5, 7);
  const r = classifyClosing(v.bob, pointOf('bob', 7), aliceBroadcast(v, 7, true).tx);
  assert.equal(r.kind, 'remote');
});

test('a mutual close claims nothing; a commitment beyond what the signer holds is reported, not swept', () => {
  const v = views('anchors', 7, { number: 7, withHtlcs: false }, 5);
  const mutual = buildLegacyClosing({
    funding: { txid: Uint8Array.from(FUNDING_TXID).reverse(), vout: 1, amountSat: FUNDING_SAT },
    localFundingPubkey: v.alice.localBasepoints.fundingPubkey,
    remoteFundingPubkey: v.alice.remoteBasepoints.fundingPubkey,
    localScript: p2wpkh(key('alice wallet')),
    remoteScript: p2wpkh(key('bob wallet')),
    localBalanceMsat: 600_000_000n,
    remoteBalanceMsat: 400_000_000n,
    localIsFunder: true,
    feeSat: 500n,
    dustLimitSat: 546n,
  });
  assert.deepEqual(classifyClosing(v.alice, pointOf('alice', 7), mutual.tx), { kind: 'mutual' });
  assert.deepEqual(classifyClosing(v.bob, pointOf('bob', 3), mutual.tx), { kind: 'mutual' });
  const future = classifyClosing(v.bob, pointOf('bob', 3), aliceBroadcast(v, 12, false).tx);
  assert.equal(future.kind, 'unknown');
  if (future.kind === 'unknown') assert.match(future.reason, /commitment number 12 .*latest 7, revoked through 5/);
});
