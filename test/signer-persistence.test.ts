// The signer's state survives: a clean close and reopen resumes the channel where it was, and a
// `kill -9` at any moment leaves a database in which every request happened whole or not at all, an
// audit log that verifies, and a channel a node can resume from ListChannels alone.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { verifyAuditFile } from '../signer/audit/index.js';
import { openDatabase } from '../signer/store/sqlite.js';
import { AUDIT_FILE, DATABASE_FILE, SignerService } from '../signer/service/index.js';
import { MemoryDevice } from './helpers/memory-device.js';
import { call, openChannel, openSigner, other, regtestPolicy, tempDir, type Msg, type Side } from './helpers/signer-pair.js';
import { exited, spawnEntry, waitForLine } from './helpers/spawn.js';
import { defaultPolicyConfig } from '../policy/index.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function newDirs(tag: string): Record<Side, string> {
  const d = { alice: tempDir(`${tag}-a`), bob: tempDir(`${tag}-b`) };
  dirs.push(d.alice, d.bob);
  return d;
}

test('close and reopen: the channel resumes where it was, the audit chain continues', async () => {
  const d = newDirs('reopen');
  const bytes = { alice: 71, bob: 72 };
  const signers = { alice: await openSigner(d.alice, MemoryDevice.fromByte(bytes.alice)), bob: await openSigner(d.bob, MemoryDevice.fromByte(bytes.bob)) };
  const pair = await openChannel(signers, 'anchors');
  const h1 = await pair.pay('alice', 40_000_000n, 1);
  await pair.update();
  const h2 = await pair.pay('alice', 2_000_000n, 2);
  await pair.round('bob'); // Bob's side moved on, Alice's not yet
  const dumps = { alice: signers.alice.dumpState(), bob: signers.bob.dumpState() };
  const heads = { alice: signers.alice.auditHead, bob: signers.bob.auditHead };
  await signers.alice.close();
  await signers.bob.close();
  await assert.rejects(signers.alice.call('GetNodeInfo', {}), /signer is closed/);

  for (const side of ['alice', 'bob'] as const) {
    pair.signers[side] = await openSigner(d[side], MemoryDevice.fromByte(bytes[side]));
    assert.equal(pair.signers[side].dumpState(), dumps[side], 'reopening changes nothing');
    assert.equal(pair.signers[side].auditHead, heads[side]);
  }
  await pair.round('alice');
  pair.fulfill(h1);
  pair.fail(h2);
  await pair.update();
  const listed = await pair.call('alice', 'ListChannels', {});
  const c = listed['channels'][0] as Msg;
  assert.equal(c['state'], 'open');
  assert.equal(c['channel_type'], 'CHANNEL_TYPE_ANCHORS');
  assert.equal(c['next_holder_commitment_number'], String(pair.nextHolder.alice));
  assert.equal(c['next_counterparty_commitment_number'], String(pair.nextHolder.bob));
  assert.equal(c['holder_commitment']['to_holder_msat'], pair.balance.alice.toString());
  assert.equal(c['counterparty_commitment']['to_holder_msat'], pair.balance.bob.toString());
  assert.deepEqual(c['holder_commitment']['htlcs'], []);
  for (const side of ['alice', 'bob'] as const) {
    await pair.signers[side].close();
    const v = verifyAuditFile(join(d[side], AUDIT_FILE));
    assert.ok(v.ok, JSON.stringify(v));
  }
});

test('a data directory opens only with its own device and network', async () => {
  const d = newDirs('identity');
  const s = await openSigner(d.alice, MemoryDevice.fromByte(73));
  await s.close();
  await assert.rejects(openSigner(d.alice, MemoryDevice.fromByte(74)), /was created with the device of fingerprint/);
  await assert.rejects(SignerService.open({ dataDir: d.alice, device: MemoryDevice.fromByte(73), policy: defaultPolicyConfig('bitcoin'), network: 'regtest' }), /policy is written for bitcoin/);
  await assert.rejects(SignerService.open({ dataDir: d.alice, device: MemoryDevice.fromByte(73), policy: defaultPolicyConfig('testnet'), network: 'testnet' }), /holds a regtest signer/);
  const again = await openSigner(d.alice, MemoryDevice.fromByte(73), regtestPolicy());
  await again.close();
});

function summary(list: Msg): Msg {
  assert.equal(list['channels'].length, 1);
  return list['channels'][0];
}

/** What a fresh node does after a crash: retransmit from ListChannels until both sides agree again. */
async function resume(signers: Record<Side, SignerService>, owner: Side): Promise<void> {
  const signerSide = other(owner);
  const ours = summary(await call(signers[signerSide], 'ListChannels', {}));
  let theirs = summary(await call(signers[owner], 'ListChannels', {}));
  const channel = { channel_id: ours['channel_id'] };
  const signedNext = Number(ours['next_counterparty_commitment_number']);
  const validatedNext = Number(theirs['next_holder_commitment_number']);
  assert.ok(signedNext === validatedNext || signedNext === validatedNext + 1, `${signerSide} signed through ${signedNext - 1}, ${owner} validated through ${validatedNext - 1}`);
  if (signedNext === validatedNext + 1) {
    // Signed but never validated: the signer signs the same commitment again (a retry), the owner validates it.
    const info = ours['counterparty_commitment'];
    const n = info['commitment_number'];
    const point = await call(signers[owner], 'GetPerCommitmentPoint', { channel, commitment_number: n });
    const signed = await call(signers[signerSide], 'SignCounterpartyCommitment', { channel, commitment: info, per_commitment_point: point['per_commitment_point'] });
    await call(signers[owner], 'ValidateHolderCommitment', { channel, commitment: info, counterparty_signature: signed['signature'], htlc_signatures: signed['htlc_signatures'] });
  }
  theirs = summary(await call(signers[owner], 'ListChannels', {}));
  const n = Number(theirs['next_holder_commitment_number']) - 1;
  if (n >= 1) {
    // Revoke the previous one: fresh, or the retransmission of the last revoke_and_ack; then its check (fresh or retry).
    const r = await call(signers[owner], 'RevokeHolderCommitment', { channel, commitment_number: String(n - 1) });
    await call(signers[signerSide], 'ValidateCounterpartyRevocation', { channel, commitment_number: String(n - 1), per_commitment_secret: r['per_commitment_secret'] });
  }
}

for (const delayMs of [0, 2, 5, 11]) {
  test(`kill -9 ${delayMs} ms into a round: consistent database, verifiable audit log, resumable channel`, async () => {
    const d = newDirs(`crash${delayMs}`);
    const child = spawnEntry('test/helpers/signer-crash-child', [d.alice, d.bob]);
    await waitForLine(child, /^round 2$/);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    child.kill('SIGKILL');
    assert.equal(await exited(child), 'SIGKILL');

    const signers = { alice: await openSigner(d.alice, MemoryDevice.fromByte(61)), bob: await openSigner(d.bob, MemoryDevice.fromByte(62)) };
    for (const side of ['alice', 'bob'] as const) {
      const c = summary(await call(signers[side], 'ListChannels', {}));
      // One transaction per request: the stored latest commitments match the stored counters exactly.
      assert.equal(c['holder_commitment']['commitment_number'], String(Number(c['next_holder_commitment_number']) - 1));
      assert.equal(c['counterparty_commitment']['commitment_number'], String(Number(c['next_counterparty_commitment_number']) - 1));
    }
    await resume(signers, 'bob');
    await resume(signers, 'alice');
    const a = summary(await call(signers.alice, 'ListChannels', {}));
    const b = summary(await call(signers.bob, 'ListChannels', {}));
    assert.equal(a['next_counterparty_commitment_number'], b['next_holder_commitment_number']);
    assert.equal(b['next_counterparty_commitment_number'], a['next_holder_commitment_number']);
    for (const side of ['alice', 'bob'] as const) {
      await signers[side].close();
      const v = verifyAuditFile(join(d[side], AUDIT_FILE));
      assert.ok(v.ok, JSON.stringify(v));
      const db = openDatabase(join(d[side], DATABASE_FILE));
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      db.close();
    }
  });
}
