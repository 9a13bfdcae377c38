// What the signer refuses, and how: every refusal names its rule (or the malformed field) in the error,
// writes exactly one audit line naming it, and leaves the stored state byte-identical.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { equal } from '../bolt/bytes.js';
import { p2wpkh } from '../bolt/bolt3/index.js';
import { sha256 } from '../bolt/crypto/hash.js';
import { secp } from '../bolt/crypto/secp256k1.js';
import { SignerError } from '../signer/errors.js';
import { RPC_NAMES, type SignerService } from '../signer/service/index.js';
import { MemoryDevice } from './helpers/memory-device.js';
import { assertRefused, auditLines, field, rule } from './helpers/signer-audit.js';
import { openChannel, openSigner, tempDir, type ChannelPair, type Msg, type Side } from './helpers/signer-pair.js';

const dirs: string[] = [];
let signers: Record<Side, SignerService>;
let pair: ChannelPair;

before(async () => {
  const a = tempDir('refuse-a');
  const b = tempDir('refuse-b');
  dirs.push(a, b);
  signers = { alice: await openSigner(a, MemoryDevice.fromByte(31)), bob: await openSigner(b, MemoryDevice.fromByte(32)) };
  pair = await openChannel(signers, 'static_remotekey');
  const h = await pair.pay('alice', 50_000_000n, 1);
  await pair.update();
  pair.fulfill(h);
  await pair.update();
});

after(async () => {
  await signers.alice.close();
  await signers.bob.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function withPoint(owner: Side, n: number, info: Msg): Msg {
  return { channel: pair.ref, commitment: info, per_commitment_point: Buffer.from(pair.points[owner].get(n) ?? pair.points[owner].get(n - 1)!) };
}

test('signing an old counterparty commitment, or one two ahead, is refused (policy-commitment-number-sequence)', async () => {
  const next = pair.nextHolder.bob;
  await assertRefused(signers.alice, 'SignCounterpartyCommitment', withPoint('bob', next - 2, pair.info('bob', next - 2)), rule('policy-commitment-number-sequence'));
  await assertRefused(signers.alice, 'SignCounterpartyCommitment', withPoint('bob', next + 1, pair.info('bob', next + 1)), rule('policy-commitment-number-sequence'));
});

test('re-signing the current number with other content is refused; with the same content it is a retry (policy-commitment-retry-same)', async () => {
  const current = pair.nextHolder.bob - 1;
  const changed = pair.info('bob', current, { feerate_per_kw: 400 });
  await assertRefused(signers.alice, 'SignCounterpartyCommitment', withPoint('bob', current, changed), rule('policy-commitment-retry-same'));
  const dump = signers.alice.dumpState();
  const again = await pair.signCommitmentOf('bob', current, pair.history.bob.get(current)!);
  assert.ok(equal(again['signature'], pair.lastSigned.bob!['signature']), 'a retransmission gets the same signature');
  assert.equal(signers.alice.dumpState(), dump);
});

test('commitment N+1 is not signed before N-1 is revoked (policy-commitment-previous-revoked); revocation discipline', async () => {
  // Alice signs Bob's next commitment; Bob validates it but does not revoke his previous one yet.
  const n = pair.nextHolder.bob;
  const info = pair.info('bob', n);
  const signed = await pair.signCommitmentOf('bob', n, info);
  await pair.validate('bob', info, signed);
  const pointAfter = await pair.call('bob', 'GetPerCommitmentPoint', { channel: pair.ref, commitment_number: String(n + 1) });
  pair.points.bob.set(n + 1, pointAfter['per_commitment_point']);
  await assertRefused(signers.alice, 'SignCounterpartyCommitment', withPoint('bob', n + 1, pair.info('bob', n + 1)), rule('policy-commitment-previous-revoked'));

  // Bob may not revoke commitment n (his newest) before n+1 is validated.
  await assertRefused(signers.bob, 'RevokeHolderCommitment', { channel: pair.ref, commitment_number: String(n) }, rule('policy-revoke-new-commitment-signed'));

  // He revokes n-1; a retransmission of that last revocation returns the same secret and point.
  const first = await pair.revoke('bob', n - 1);
  const dump = signers.bob.dumpState();
  const again = await pair.call('bob', 'RevokeHolderCommitment', { channel: pair.ref, commitment_number: String(n - 1) });
  assert.ok(equal(again['per_commitment_secret'], first['per_commitment_secret']));
  assert.ok(equal(again['next_per_commitment_point'], first['next_per_commitment_point']));
  assert.equal(signers.bob.dumpState(), dump, 'a retransmitted revocation changes nothing');
  assert.equal(auditLines(signers.bob).at(-1)!.decision, 'allowed');
  // Revoking an older one again is not a retransmission: refused.
  await assertRefused(signers.bob, 'RevokeHolderCommitment', { channel: pair.ref, commitment_number: String(n - 2) }, rule('policy-revoke-not-twice'));

  // A wrong revocation secret, then the right one.
  await assertRefused(
    signers.alice,
    'ValidateCounterpartyRevocation',
    { channel: pair.ref, commitment_number: String(n - 1), per_commitment_secret: Buffer.from(sha256(Uint8Array.of(9))) },
    field('per_commitment_secret', 'policy-signer-revocation-secret'),
  );
  await pair.validateRevocation('bob', n - 1);
  // Revoking a commitment whose successor Alice never signed makes no sense.
  await assertRefused(
    signers.alice,
    'ValidateCounterpartyRevocation',
    { channel: pair.ref, commitment_number: String(n), per_commitment_secret: Buffer.from(sha256(Uint8Array.of(9))) },
    field('commitment_number', 'policy-signer-revocation-secret'),
  );
  await pair.round('alice');
});

test('a wrong counterparty signature on a holder commitment is refused and nothing is stored', async () => {
  const n = pair.nextHolder.bob;
  const info = pair.info('bob', n);
  const signed = await pair.signCommitmentOf('bob', n, info);
  const bad = Buffer.from(signed['signature']);
  bad[10]! ^= 1;
  await assertRefused(
    signers.bob,
    'ValidateHolderCommitment',
    { channel: pair.ref, commitment: info, counterparty_signature: bad, htlc_signatures: signed['htlc_signatures'] },
    field('counterparty_signature', 'policy-signer-counterparty-signature'),
  );
  // A signature for another commitment (Alice's) does not pass either.
  const other = await pair.call('alice', 'SignMessage', { message: Buffer.from('not a commitment') });
  await assertRefused(
    signers.bob,
    'ValidateHolderCommitment',
    { channel: pair.ref, commitment: info, counterparty_signature: other['signature'], htlc_signatures: [] },
    field('counterparty_signature', 'policy-signer-counterparty-signature'),
  );
  await pair.validate('bob', info, signed);
  await pair.revoke('bob', n - 1);
  await pair.validateRevocation('bob', n - 1);
});

test('fees, HTLC expiries and unapproved HTLCs out of policy are refused', async () => {
  const n = pair.nextHolder.bob;
  await assertRefused(signers.alice, 'SignCounterpartyCommitment', withPoint('bob', n, pair.info('bob', n, { feerate_per_kw: 100 })), rule('policy-commitment-fee-range'));
  await assertRefused(signers.alice, 'SignCounterpartyCommitment', withPoint('bob', n, pair.info('bob', n, { feerate_per_kw: 60_000 })), rule('policy-commitment-fee-range'));

  // An HTLC Alice offers without an approved payment or a forward covering its hash.
  const unapproved = pair.addHtlc('alice', 10_000_000n, sha256(Uint8Array.of(0xee)));
  await assertRefused(signers.alice, 'SignCounterpartyCommitment', withPoint('bob', n, pair.info('bob', n)), rule('policy-commitment-htlc-routing-balance'));
  pair.fail(unapproved);
  // An approved payment whose HTLC expires too far ahead.
  const far = await pair.pay('alice', 1_000_000n, 77);
  pair.fail(far);
  pair.addHtlc('alice', 1_000_000n, sha256(Uint8Array.of(0xa1, 77, 0)), 500 + 5000);
  await assertRefused(signers.alice, 'SignCounterpartyCommitment', withPoint('bob', n, pair.info('bob', n)), rule('policy-commitment-htlc-cltv-range'));
  pair.fail(pair.htlcs[pair.htlcs.length - 1]!);
});

test('a holder HTLC transaction of a revoked commitment is refused (policy-commitment-holder-not-revoked)', async () => {
  const revoked = pair.nextHolder.alice - 2;
  await assertRefused(
    signers.alice,
    'SignHolderHtlcTransaction',
    { channel: pair.ref, commitment_number: String(revoked), htlc_id: '0', payment_preimage: Buffer.alloc(0) },
    rule('policy-commitment-holder-not-revoked'),
  );
});

test('requests naming an unknown channel are NOT_FOUND', async () => {
  const unknown = { channel_id: Buffer.alloc(32, 0x42) };
  await assertRefused(signers.alice, 'GetPerCommitmentPoint', { channel: unknown, commitment_number: '1' }, { code: 'not-found', message: 'channel.channel_id:', violation: 'policy-signer-channel-known' });
  await assertRefused(signers.alice, 'SignHolderCommitmentForBroadcast', { channel: unknown }, { code: 'not-found', message: 'channel.channel_id:', violation: 'policy-signer-channel-known' });
});

test('malformed requests are INVALID_ARGUMENT naming the field', async () => {
  const n = pair.nextHolder.bob;
  const good = withPoint('bob', n, pair.info('bob', n));
  const cases: [string, Msg, string][] = [
    ['channel id of 3 bytes', { ...good, channel: { channel_id: Buffer.alloc(3) } }, 'channel.channel_id'],
    ['no commitment', { ...good, commitment: null }, 'commitment'],
    ['point off the curve', { ...good, per_commitment_point: Buffer.concat([Buffer.of(2), Buffer.alloc(32, 0xff)]) }, 'per_commitment_point'],
    ['number not a decimal', { ...good, commitment: { ...good['commitment'], commitment_number: '-1' } }, 'commitment.commitment_number'],
    ['number beyond 48 bits', { ...good, commitment: { ...good['commitment'], commitment_number: String(2 ** 48) } }, 'commitment.commitment_number'],
    ['feerate not a number', { ...good, commitment: { ...good['commitment'], feerate_per_kw: '253' } }, 'commitment.feerate_per_kw'],
    [
      'HTLC direction unspecified',
      { ...good, commitment: { ...good['commitment'], htlcs: [{ direction: 'HTLC_DIRECTION_UNSPECIFIED', id: '0', amount_msat: '1000', payment_hash: Buffer.alloc(32), cltv_expiry: 600 }] } },
      'commitment.htlcs[0].direction',
    ],
    [
      'HTLC hash of 31 bytes',
      { ...good, commitment: { ...good['commitment'], htlcs: [{ direction: 'HTLC_DIRECTION_OFFERED', id: '0', amount_msat: '1000', payment_hash: Buffer.alloc(31), cltv_expiry: 600 }] } },
      'commitment.htlcs[0].payment_hash',
    ],
  ];
  for (const [, request, name] of cases) await assertRefused(signers.alice, 'SignCounterpartyCommitment', request, field(name));
  // Balances that do not add up to the capacity: the policy names it.
  await assertRefused(signers.alice, 'SignCounterpartyCommitment', { ...good, commitment: { ...good['commitment'], to_holder_msat: '1' } }, rule('policy-commitment-balance-sum'));
  await assertRefused(signers.alice, 'SetupChannel', { channel: pair.ref, channel_type: 'CHANNEL_TYPE_UNSPECIFIED' }, field('channel_id'));
  await assertRefused(signers.alice, 'Ecdh', { point: Buffer.alloc(33) }, field('point'));
  await assertRefused(signers.alice, 'SignSweep', { channel: pair.ref, kind: 'SWEEP_KIND_UNSPECIFIED' }, field('kind'));
});

test('a mutual close paying us to an unknown address, or at too high a fee, is refused', async () => {
  const fee = 1000n;
  const aliceSat = pair.balance.alice / 1000n - fee;
  const bobSat = pair.balance.bob / 1000n;
  const bobScript = (await pair.call('bob', 'NewAddress', {}))['script_pubkey'];
  const stranger = Buffer.from(p2wpkh(secp.publicKey(sha256(Uint8Array.of(1, 2, 3)))));
  const base = { channel: pair.ref, counterparty_script: bobScript, counterparty_sat: bobSat.toString(), locktime: 0 };
  await assertRefused(signers.alice, 'SignMutualClose', { ...base, holder_script: stranger, holder_sat: aliceSat.toString(), fee_sat: fee.toString() }, rule('policy-mutual-destination-allowlisted'));
  const own = (await pair.call('alice', 'NewAddress', {}))['script_pubkey'];
  const bigFee = 300_000n;
  await assertRefused(
    signers.alice,
    'SignMutualClose',
    { ...base, holder_script: own, holder_sat: (pair.balance.alice / 1000n - bigFee).toString(), fee_sat: bigFee.toString() },
    rule('policy-mutual-fee-range'),
  );
  // Our output short of what we hold: the difference would go to the counterparty.
  await assertRefused(
    signers.alice,
    'SignMutualClose',
    { ...base, holder_script: own, holder_sat: (aliceSat - 5000n).toString(), counterparty_sat: (bobSat + 5000n).toString(), fee_sat: fee.toString() },
    rule('policy-mutual-value-matches-commitment'),
  );
  await assertRefused(signers.alice, 'SignMutualClose', { ...base, holder_script: own, holder_sat: aliceSat.toString(), fee_sat: '1' }, field('fee_sat'));
});

test('channel setup: a retried NewChannel or SetupChannel is answered again; conflicting ones are refused', async () => {
  const temp = Buffer.from(sha256(Uint8Array.of(0x5e)));
  const request = { temporary_channel_id: temp, peer_node_id: Buffer.from(signers.bob.nodeId), holder_is_opener: true };
  const first = await pair.call('alice', 'NewChannel', request);
  const dump = signers.alice.dumpState();
  const again = await pair.call('alice', 'NewChannel', request);
  assert.ok(equal(again['basepoints']['funding_pubkey'], first['basepoints']['funding_pubkey']));
  assert.equal(signers.alice.dumpState(), dump);
  assert.ok(!equal(first['basepoints']['funding_pubkey'], pair.basepoints.alice.fundingPubkey), 'a new channel gets new keys');
  await assertRefused(signers.alice, 'NewChannel', { ...request, peer_node_id: Buffer.from(secp.publicKey(sha256(Uint8Array.of(4)))) }, field('temporary_channel_id'));

  // The existing channel: the same setup again is a retry, another one is refused.
  const temporaryChannelId = sha256(Uint8Array.of(0x7e, 1));
  await pair.call('alice', 'SetupChannel', pair.setupRequest('alice', temporaryChannelId));
  await assertRefused(signers.alice, 'SetupChannel', { ...pair.setupRequest('alice', temporaryChannelId), holder_to_self_delay: 145 }, {
    code: 'failed-precondition',
    message: 'policy-signer-channel-state',
    violation: 'policy-signer-channel-state',
  });
  // A channel id that is not the funding outpoint's.
  await assertRefused(signers.alice, 'SetupChannel', { ...pair.setupRequest('alice', first['basepoints']['funding_pubkey'].subarray(1)), channel_id: Buffer.alloc(32, 3) }, field('channel_id'));
});

test('no request shape crashes the signer: every RPC answers or refuses with a SignerError', async () => {
  const junk: unknown[] = [
    {},
    { channel: 'x' },
    { channel: { channel_id: 5 } },
    { channel: pair.ref, commitment: { htlcs: 'nope' }, commitment_number: 'abc', message: [1, 2], point: {}, invoice: 7, inputs: [null], outputs: [{}] },
    { channel: pair.ref, outpoints: [{ txid: Buffer.alloc(32), vout: -1 }], amounts_sat: ['1'], kind: 99, hrp: 5, data_words: Buffer.from([40]) },
  ];
  for (const method of RPC_NAMES) {
    for (const request of junk) {
      try {
        await signers.bob.call(method, request as object);
      } catch (e) {
        assert.ok(e instanceof SignerError, `${method} threw ${String(e)}`);
        assert.notEqual(e.code, 'internal', `${method} ${JSON.stringify(request)}: ${e.message}`);
      }
    }
  }
});
