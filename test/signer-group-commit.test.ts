// The signer's group commit (signer/service/index.ts, signer/audit/group-commit.ts): requests that
// arrive together share one fsync of the audit log and one sync of the database, and still no answer
// leaves before its audit line and its state are on disk. The disk is a HeldFsync the test controls.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { concat } from '../bolt/bytes.js';
import { buildInvoice, unsignedWords } from '../bolt/bolt11/index.js';
import { sha256 } from '../bolt/crypto/hash.js';
import { verifyAuditFile, type AuditDecisionLine } from '../signer/audit/index.js';
import { AUDIT_FILE, SignerError, SignerService } from '../signer/service/index.js';
import { SignerStore } from '../signer/store/store.js';
import { HeldFsync, settle, tracked } from './helpers/held-fsync.js';
import { MemoryDevice } from './helpers/memory-device.js';
import { regtestPolicy, tempDir, type Msg } from './helpers/signer-pair.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function openWith(disk: HeldFsync, byte: number): Promise<{ signer: SignerService; dir: string }> {
  const dir = tempDir('group-commit');
  dirs.push(dir);
  const signer = await SignerService.open({ dataDir: dir, device: MemoryDevice.fromByte(byte), policy: regtestPolicy(), network: 'regtest', auditFsync: disk.fsync });
  return { signer, dir };
}

const auditLines = (dir: string): AuditDecisionLine[] =>
  readFileSync(join(dir, AUDIT_FILE), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as AuditDecisionLine);

/** Polls `ready` until it holds, failing after `ms` (no sleeps: each check waits for the event loop's next turn). */
async function until(what: string, ready: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await settle();
  }
}

/** A SignInvoice request: a signature granted and a row stored (the invoice). */
function invoiceRequest(tag: number): Msg {
  const preimage = sha256(Uint8Array.of(0x9c, tag));
  const unsigned = buildInvoice({
    network: 'regtest',
    amountMsat: 1_000_000n + BigInt(tag),
    timestamp: Math.floor(Date.now() / 1000),
    paymentHash: sha256(preimage),
    paymentSecret: sha256(concat(preimage, Uint8Array.of(1))),
    description: `group commit ${tag}`,
    expiry: 3600,
    minFinalCltvExpiryDelta: 18,
  });
  const { hrp, dataWords } = unsignedWords(unsigned);
  return { hrp, data_words: Buffer.from(dataWords) };
}

test('8 concurrent requests: 8 audit lines in a valid chain, no answer before its fsync, and 2 fsyncs in all', async () => {
  const N = 8;
  const disk = new HeldFsync();
  const { signer, dir } = await openWith(disk, 0x31);
  await signer.call('GetNodeInfo', {});
  const base = auditLines(dir).length;
  const fsyncsBefore = disk.calls;

  disk.held = true;
  const answers = Array.from({ length: N }, (_, i) => tracked(signer.call('SignInvoice', invoiceRequest(i)) as Promise<Msg>));
  // Every request is decided and its line written while the first fsync is still held.
  await until(`${N} audit lines`, () => auditLines(dir).length === base + N);
  assert.equal(disk.calls, fsyncsBefore + 1, 'only the first request found no flush running and started one; the rest wait for the next');
  await settle();
  assert.ok(answers.every((a) => !a.settled()), 'no answer leaves while the fsync covering it is held');

  disk.release();
  await answers[0]!.promise;
  assert.equal(disk.calls, fsyncsBefore + 2, 'the 7 others share one fsync, started as the first ended');
  await settle();
  assert.ok(answers.slice(1).every((a) => !a.settled()), 'answers 2-8 still wait for their fsync');

  disk.release();
  const results = await Promise.all(answers.map((a) => a.promise));
  for (const r of results) assert.equal((r['signature'] as Uint8Array).length, 64);
  assert.equal(disk.calls, fsyncsBefore + 2, `${N} answers, 2 fsyncs`);

  const lines = auditLines(dir).slice(base);
  assert.equal(lines.length, N);
  assert.ok(lines.every((l) => l.op === 'SignInvoice' && l.decision === 'allowed'));
  assert.deepEqual(
    lines.map((l) => l.seq),
    Array.from({ length: N }, (_, i) => base + 1 + i),
  );
  const verified = verifyAuditFile(join(dir, AUDIT_FILE));
  assert.deepEqual(verified, { ok: true, lines: base + N, head: signer.auditHead });
  assert.equal((signer.dumpState().match(/payment_hash=/g) ?? []).length, N, 'every invoice is stored');
  disk.held = false;
  await signer.close();
});

test('a lone request starts its flush at once, and is answered once that one fsync ends', async () => {
  const disk = new HeldFsync();
  const { signer } = await openWith(disk, 0x32);
  await signer.call('GetNodeInfo', {});
  const before = disk.calls;
  disk.held = true;
  const answer = tracked(signer.call('SignMessage', { message: Buffer.from('alone') }));
  await until('its fsync', () => disk.waiting === 1);
  assert.equal(disk.calls, before + 1);
  await settle();
  assert.ok(!answer.settled());
  disk.release();
  await answer.promise;
  assert.equal(disk.calls, before + 1, 'one request, one fsync');
  disk.held = false;
  await signer.close();
});

test('a failed fsync: the requests waiting on it get an internal error, not their signature, and the signer answers nothing more until reopened', async () => {
  const disk = new HeldFsync();
  const { signer, dir } = await openWith(disk, 0x33);
  await signer.call('GetNodeInfo', {});
  const base = auditLines(dir).length;
  disk.held = true;
  const answers = [0, 1, 2].map((i) => tracked(signer.call('SignInvoice', invoiceRequest(100 + i))));
  await until('3 audit lines', () => auditLines(dir).length === base + 3);
  disk.fail(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
  for (const a of answers) {
    await assert.rejects(a.promise, (e: unknown) => {
      assert.ok(e instanceof SignerError);
      assert.equal(e.code, 'internal');
      assert.match(e.message, /storage: .*fsync failed.*the signer answers nothing more until it is restarted/);
      return true;
    });
  }
  await assert.rejects(signer.call('GetNodeInfo', {}), /answers nothing more until it is restarted/);
  assert.equal(auditLines(dir).length, base + 3, 'a stopped signer writes no more lines');
  disk.held = false;
  await signer.close();

  // Reopened: the log still verifies and the signer answers again.
  const reopened = await SignerService.open({ dataDir: dir, device: MemoryDevice.fromByte(0x33), policy: regtestPolicy(), network: 'regtest' });
  await reopened.call('GetNodeInfo', {});
  assert.equal(verifyAuditFile(join(dir, AUDIT_FILE)).ok, true);
  await reopened.close();
});

test('the database side: unsynced commits are tracked, a commit made during a WAL fsync waits for the next one, and a commit that changes nothing needs none', async () => {
  const dir = tempDir('store-sync');
  dirs.push(dir);
  const store = SignerStore.open(join(dir, 'signer.sqlite'));
  store.transactionUnsynced(() => undefined);
  assert.equal(store.unsynced, false, 'an empty transaction (a retry, a read) leaves nothing to sync');
  store.transactionUnsynced(() => store.setMeta('group-commit-test', '1'));
  assert.equal(store.unsynced, true);
  const first = store.sync();
  assert.equal(store.unsynced, false, 'the fsync under way covers that commit');
  store.transactionUnsynced(() => store.setMeta('group-commit-test', '2'));
  assert.equal(store.unsynced, true, 'a commit made while it runs is not covered by it');
  await first;
  assert.equal(store.unsynced, true);
  await store.sync();
  assert.equal(store.unsynced, false);
  assert.throws(() => store.transaction(() => store.transactionUnsynced(() => undefined)), /cannot run inside another transaction/);
  assert.equal(store.getMeta('group-commit-test'), '2');
  store.close();
  // What was committed unsynced is there for the next reader (another connection, after close).
  const reopened = SignerStore.open(join(dir, 'signer.sqlite'));
  assert.equal(reopened.getMeta('group-commit-test'), '2');
  reopened.close();
});
