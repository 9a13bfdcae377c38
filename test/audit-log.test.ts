// The signer's audit log: every line durable and hash-chained, and the verifier names the FIRST line
// that an edit, a drop, an insertion, a reordering or a crash broke. Secrets never get in.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, symlinkSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AuditEntryError,
  AuditLog,
  AuditLogCorruptError,
  AuditLogLockedError,
  AuditLogWriteError,
  AuditRedactionError,
  GENESIS_HASH,
  GroupCommit,
  SIGNER_OPERATIONS,
  verifyAuditBytes,
  verifyAuditFile,
  type AuditDecisionEntry,
  type AuditVerifyResult,
} from '../signer/audit/index.js';
import { HeldFsync, settle, tracked } from './helpers/held-fsync.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-audit-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const freshPath = (): string => join(dir, `audit-${++fileNo}.jsonl`);

const CHANNEL = 'c0ffee'.padEnd(64, '1');
const PAYMENT_HASH = 'ab'.repeat(32);

function entry(i: number): AuditDecisionEntry {
  switch (i % 3) {
    case 0:
      return {
        operation: 'SignCounterpartyCommitment',
        decision: 'allowed',
        reason: `commitment ${i} within bounds`,
        channelId: CHANNEL,
        commitmentNumber: i,
        amountsMsat: { to_holder: 700_000_000n + BigInt(i), to_counterparty: 300_000_000 },
      };
    case 1:
      return {
        operation: 'ApprovePayment',
        decision: 'refused',
        violations: ['policy-payment-velocity'],
        reason: 'daily limit reached',
        paymentHash: PAYMENT_HASH,
        amountsMsat: { amount: 18_446_744_073_709_551_615n, spent_in_window: 5n },
      };
    default:
      return {
        operation: 'SignMutualClose',
        decision: 'warned',
        warnings: ['policy-onchain-fee-range'],
        reason: 'fee above the warn bound',
        channelId: new Uint8Array(32).fill(7),
        amountsMsat: { fee: 1234n },
      };
  }
}

/** A closed log of n decision lines; returns its path. */
function logOf(n: number): string {
  const path = freshPath();
  const log = AuditLog.open(path, { now: () => 1_767_225_600_000 });
  for (let i = 0; i < n; i++) log.append(entry(i));
  log.close();
  return path;
}

const linesOf = (path: string): string[] => readFileSync(path, 'utf8').split('\n').slice(0, -1);
const textOf = (lines: readonly string[]): Buffer => Buffer.from(lines.map((l) => l + '\n').join(''), 'utf8');

/** The README's definition, written out independently of chain.ts. */
function readmeHash(line: string): string {
  const { hash } = JSON.parse(line) as { hash: string };
  const cut = line.replace(`,"hash":"${hash}"`, '');
  return createHash('sha256').update(Buffer.from(cut, 'utf8')).digest('hex');
}

function assertBad(result: AuditVerifyResult, problem: string, line: number | null, message: string): void {
  assert.equal(result.ok, false, 'expected the log to fail verification');
  if (result.ok) return;
  assert.equal(result.problem, problem);
  assert.equal(result.line, line);
  assert.equal(result.message, message);
}

test('a fresh log chains from the genesis value, hashes as the README defines, and verifies', () => {
  const path = logOf(3);
  const lines = linesOf(path);
  assert.equal(lines.length, 3);
  const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(parsed[0]!['prev_hash'], GENESIS_HASH);
  for (let i = 0; i < 3; i++) {
    const p = parsed[i]!;
    assert.equal(p['seq'], i + 1);
    assert.equal(p['hash'], readmeHash(lines[i]!));
    if (i > 0) assert.equal(p['prev_hash'], parsed[i - 1]!['hash']);
    assert.equal(p['pid'], process.pid);
    assert.equal(typeof p['hostname'], 'string');
    assert.equal(p['time'], 1_767_225_600_000);
  }
  assert.deepEqual(
    [parsed[0]!['level'], parsed[1]!['level'], parsed[2]!['level']],
    [30, 50, 40],
    'allowed=info, refused=error, warned=warn',
  );
  assert.equal(parsed[0]!['op'], 'SignCounterpartyCommitment');
  assert.equal(parsed[0]!['channel_id'], CHANNEL);
  assert.deepEqual(parsed[0]!['amounts_msat'], { to_holder: '700000000', to_counterparty: '300000000' });
  assert.deepEqual(parsed[1]!['amounts_msat'], { amount: '18446744073709551615', spent_in_window: '5' });
  assert.deepEqual(parsed[1]!['violations'], ['policy-payment-velocity']);
  assert.equal(parsed[1]!['decision'], 'refused');
  assert.equal(parsed[1]!['payment_hash'], PAYMENT_HASH);
  assert.equal(parsed[1]!['reason'], 'daily limit reached');
  assert.equal(parsed[1]!['msg'], 'ApprovePayment refused');
  assert.deepEqual(parsed[2]!['warnings'], ['policy-onchain-fee-range']);
  assert.equal(parsed[2]!['channel_id'], '07'.repeat(32));
  assert.deepEqual(verifyAuditFile(path), { ok: true, lines: 3, head: parsed[2]!['hash'] });
});

test('an empty file verifies with the genesis head', () => {
  const path = freshPath();
  writeFileSync(path, '');
  assert.deepEqual(verifyAuditFile(path), { ok: true, lines: 0, head: GENESIS_HASH });
});

test('each line is in the file when append returns, before close', () => {
  const path = freshPath();
  const log = AuditLog.open(path);
  const first = log.append(entry(0));
  assert.equal(linesOf(path).length, 1);
  const second = log.append(entry(1));
  assert.equal(linesOf(path).length, 2);
  assert.deepEqual([first.seq, second.seq], [1, 2]);
  assert.equal(log.head, second.hash);
  assert.equal(log.lastSeq, 2);
  assert.deepEqual(verifyAuditFile(path), { ok: true, lines: 2, head: second.hash });
  log.close();
});

test('editing one field of a line is named as a hash mismatch on that line', () => {
  const lines = linesOf(logOf(10));
  const edited = [...lines];
  edited[3] = edited[3]!.replace('"decision":"allowed"', '"decision":"refused"');
  assert.notEqual(edited[3], lines[3]);
  assertBad(verifyAuditBytes(textOf(edited)), 'hash-mismatch', 4, 'line 4: hash mismatch (edited?)');
  // Whitespace and a duplicate key leave the parsed object unchanged but still break the exact bytes.
  const spaced = [...lines];
  spaced[4] = spaced[4]!.replace('"seq":5,', '"seq": 5,');
  assertBad(verifyAuditBytes(textOf(spaced)), 'hash-mismatch', 5, 'line 5: hash mismatch (edited?)');
  const duplicated = [...lines];
  duplicated[5] = duplicated[5]!.replace('{"level":', '{"decision":"allowed","level":');
  assertBad(verifyAuditBytes(textOf(duplicated)), 'hash-mismatch', 6, 'line 6: hash mismatch (edited?)');
});

test('an edit that recomputes its own hash breaks the next line\'s prev_hash', () => {
  const lines = linesOf(logOf(10));
  const edited = [...lines];
  const oldHash = (JSON.parse(lines[6]!) as { hash: string }).hash;
  const body = lines[6]!.replace(`,"hash":"${oldHash}"`, '').replace('within bounds', 'within bounds!');
  const newHash = createHash('sha256').update(body).digest('hex');
  edited[6] = body.replace('"msg":', `"hash":"${newHash}","msg":`);
  assert.notEqual(edited[6], lines[6]);
  assert.equal(readmeHash(edited[6]!), newHash);
  assertBad(verifyAuditBytes(textOf(edited)), 'prev-hash-mismatch', 8, 'line 8: prev_hash does not match line 7');
});

test('a dropped line is named as a sequence gap at the line after it', () => {
  const lines = linesOf(logOf(14));
  const dropped = lines.filter((_, i) => i !== 12); // seq 13 goes
  assertBad(verifyAuditBytes(textOf(dropped)), 'sequence', 13, 'line 13: sequence 14 after 12 (dropped line?)');
  const droppedFirst = lines.slice(1);
  assertBad(
    verifyAuditBytes(textOf(droppedFirst)),
    'sequence',
    1,
    'line 1: sequence 2, but a log starts at 1 (leading lines dropped?)',
  );
});

test('two swapped lines are named at the first of them', () => {
  const lines = linesOf(logOf(8));
  const swapped = [...lines];
  [swapped[2], swapped[3]] = [swapped[3]!, swapped[2]!];
  assertBad(verifyAuditBytes(textOf(swapped)), 'sequence', 3, 'line 3: sequence 4 after 2 (dropped line?)');
});

test('an inserted line is named: a replayed copy, and a forged line with a valid hash', () => {
  const lines = linesOf(logOf(8));
  const replayed = [...lines.slice(0, 5), lines[1]!, ...lines.slice(5)];
  assertBad(
    verifyAuditBytes(textOf(replayed)),
    'sequence',
    6,
    'line 6: sequence 2 after 5 (reordered or inserted line?)',
  );
  // A forger who chains the new line correctly still collides with the next line's seq and prev_hash.
  const prev = JSON.parse(lines[4]!) as { hash: string };
  const body = lines[5]!
    .replace(/"prev_hash":"[0-9a-f]{64}"/, `"prev_hash":"${prev.hash}"`)
    .replace(/,"hash":"[0-9a-f]{64}"/, '')
    .replace('fee above the warn bound', 'forged');
  assert.ok(body.includes('forged'));
  const forged = body.replace('"msg":', `"hash":"${createHash('sha256').update(body).digest('hex')}","msg":`);
  const inserted = [...lines.slice(0, 5), forged, ...lines.slice(5)];
  assertBad(
    verifyAuditBytes(textOf(inserted)),
    'sequence',
    7,
    'line 7: sequence 6 after 6 (reordered or inserted line?)',
  );
});

test('a line that is not JSON, or not UTF-8, or lacks its chain fields is named', () => {
  const lines = linesOf(logOf(6));
  assertBad(verifyAuditBytes(textOf([...lines.slice(0, 4), 'hello', ...lines.slice(5)])), 'not-json', 5, 'line 5: not JSON');
  assertBad(
    verifyAuditBytes(textOf([...lines.slice(0, 2), '', ...lines.slice(2)])),
    'not-json',
    3,
    'line 3: not JSON (empty line)',
  );
  const withBadByte = Buffer.concat([textOf(lines.slice(0, 1)), Buffer.from([0xff, 0x0a]), textOf(lines.slice(1))]);
  assertBad(verifyAuditBytes(withBadByte), 'not-utf8', 2, 'line 2: not UTF-8 text');
  const noSeq = [...lines];
  noSeq[3] = noSeq[3]!.replace('"seq":4,', '');
  assertBad(verifyAuditBytes(textOf(noSeq)), 'bad-field', 4, 'line 4: field "seq" missing or not a positive integer');
  const badGenesis = [...lines];
  badGenesis[0] = badGenesis[0]!.replace(`"prev_hash":"${GENESIS_HASH}"`, `"prev_hash":"${'1'.repeat(64)}"`);
  // that is an edit of line 1 too, so its own hash fails first
  assertBad(verifyAuditBytes(textOf(badGenesis)), 'hash-mismatch', 1, 'line 1: hash mismatch (edited?)');
});

test('a torn final line is reported as a crash, not as tampering', () => {
  const path = logOf(10);
  const full = readFileSync(path);
  const lines = linesOf(path);
  const head9 = (JSON.parse(lines[8]!) as { hash: string }).hash;
  truncateSync(path, full.length - 40); // the crash left 40 bytes short of the last line
  const torn = verifyAuditFile(path);
  assertBad(
    torn,
    'torn-tail',
    10,
    `line 10: torn final line (${Buffer.byteLength(lines[9]!) + 1 - 40} bytes, no newline): a crash mid-write, ` +
      `not an edit; lines 1-9 verify, head ${head9}; reopening the log with the signer cuts it away and records that`,
  );
  if (!torn.ok) assert.deepEqual([torn.goodLines, torn.goodHead], [9, head9]);
  // The last line whole but its newline lost is still a torn write.
  truncateSync(path, full.length - 1);
  assert.equal(verifyAuditFile(path).ok ? 'ok' : (verifyAuditFile(path) as { problem: string }).problem, 'torn-tail');
  // A final fragment that is not the start of one of our lines is an edit, not a crash.
  writeFileSync(path, Buffer.concat([textOf(lines.slice(0, 9)), Buffer.from('garbage')]));
  assertBad(verifyAuditFile(path), 'not-json', 10, 'line 10: not JSON (final line, 7 bytes, no newline)');
});

test('lines cut from the end at a line boundary are caught against a recorded head', () => {
  const path = logOf(10);
  const lines = linesOf(path);
  const head = (JSON.parse(lines[9]!) as { hash: string }).hash;
  const head5 = (JSON.parse(lines[4]!) as { hash: string }).hash;
  const cut = textOf(lines.slice(0, 8));
  const plain = verifyAuditBytes(cut);
  assert.equal(plain.ok, true, 'without an anchor, a clean cut at a line boundary leaves a valid chain');
  assertBad(
    verifyAuditBytes(cut, { expectHead: head }),
    'head-not-found',
    null,
    `head ${head} is not the hash of any of the 8 lines (lines after it were dropped, or the log was rewritten)`,
  );
  assert.equal(verifyAuditBytes(cut, { expectHead: head5 }).ok, true, 'an older head is still in the chain');
  assert.equal(verifyAuditBytes(textOf(lines), { expectHead: head }).ok, true);
});

test('a reopened log continues the chain from its last line', () => {
  const path = freshPath();
  let log = AuditLog.open(path);
  for (let i = 0; i < 4; i++) log.append(entry(i));
  const headBefore = log.head;
  log.close();
  assert.throws(() => log.append(entry(0)), AuditLogWriteError, 'a closed log refuses to append');
  log = AuditLog.open(path);
  assert.equal(log.recoveredTornTail, null);
  assert.equal(log.lastSeq, 4);
  assert.equal(log.head, headBefore);
  const next = log.append(entry(4));
  log.close();
  assert.equal(next.seq, 5);
  assert.equal((JSON.parse(linesOf(path)[4]!) as { prev_hash: string }).prev_hash, headBefore);
  assert.deepEqual(verifyAuditFile(path), { ok: true, lines: 5, head: next.hash });
});

test('a torn tail is cut away on reopen and the cut is recorded in the chain', () => {
  const path = logOf(5);
  const lines = linesOf(path);
  const head5 = (JSON.parse(lines[4]!) as { hash: string }).hash;
  const fragment = lines[1]!.slice(0, 57); // what a crash mid-write leaves
  appendFileSync(path, fragment);
  assert.equal((verifyAuditFile(path) as { problem?: string }).problem, 'torn-tail');
  const log = AuditLog.open(path);
  assert.equal(log.recoveredTornTail, 57);
  const after = log.append(entry(5));
  log.close();
  const now = linesOf(path);
  assert.equal(now.length, 7);
  const record = JSON.parse(now[5]!) as Record<string, unknown>;
  assert.equal(record['event'], 'torn-tail-truncated');
  assert.equal(record['dropped_bytes'], 57);
  assert.equal(record['seq'], 6);
  assert.equal(record['prev_hash'], head5);
  assert.equal(record['level'], 40);
  assert.equal((JSON.parse(now[6]!) as { seq: number }).seq, 7);
  assert.deepEqual(verifyAuditFile(path), { ok: true, lines: 7, head: after.hash });
});

// ---- group commit: stage() writes, sync() makes durable, one fsync for many ----

test('group commit: a lone sync fsyncs at once; syncs arriving meanwhile share the next fsync, and none resolves before it', async () => {
  const path = freshPath();
  const disk = new HeldFsync();
  const log = AuditLog.open(path, { fsync: disk.fsync });
  disk.held = true;
  log.stage(entry(0));
  const first = tracked(log.sync());
  assert.equal(disk.calls, 1, 'the flush started inside sync(): no timer, no waiting for company');
  const later = [1, 2, 3, 4].map((i) => {
    log.stage(entry(i));
    return tracked(log.sync());
  });
  assert.equal(linesOf(path).length, 5, 'staged lines are in the file at once, in order');
  assert.equal(disk.calls, 1, 'lines staged while an fsync runs wait for the next one');
  await settle();
  assert.ok(!first.settled() && later.every((t) => !t.settled()), 'nothing resolves before its fsync');
  assert.equal(log.durableSeq, 0);

  disk.release();
  await first.promise;
  assert.equal(log.durableSeq, 1);
  assert.equal(disk.calls, 2, 'the next fsync starts the moment the first ends');
  await settle();
  assert.ok(later.every((t) => !t.settled()), 'lines 2-5 wait for the fsync that covers them');

  disk.release();
  await Promise.all(later.map((t) => t.promise));
  assert.equal(log.durableSeq, 5);
  assert.equal(disk.calls, 2, 'five lines, two fsyncs');
  assert.equal(log.syncFlushes, 2);
  await log.sync();
  assert.equal(disk.calls, 2, 'a sync with nothing new staged does not fsync');
  log.close();
  assert.deepEqual(verifyAuditFile(path), { ok: true, lines: 5, head: log.head });
});

test('group commit: a failed fsync rejects every waiter, the log takes no more lines, and a reopen continues the chain', async () => {
  const path = freshPath();
  const disk = new HeldFsync();
  const log = AuditLog.open(path, { fsync: disk.fsync });
  disk.held = true;
  log.stage(entry(0));
  log.stage(entry(1));
  const first = log.sync();
  log.stage(entry(2));
  const second = log.sync();
  disk.fail(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
  for (const waiter of [first, second]) {
    await assert.rejects(waiter, (e: unknown) => {
      assert.ok(e instanceof AuditLogWriteError);
      assert.match(e.message, /fsync failed, lines 1\.\.2 may not be on disk \(EIO: i\/o error, fsync\); the log takes no more lines until it is reopened/);
      return true;
    });
  }
  assert.equal(disk.calls, 1, 'no fsync is retried after a failure (its pages may be gone)');
  assert.throws(() => log.stage(entry(3)), /fsync failed/);
  assert.throws(() => log.append(entry(3)), /fsync failed/);
  assert.equal(log.durableSeq, 0);
  log.close();
  // The kernel still had the three lines: reopening finds them whole and continues after them.
  const reopened = AuditLog.open(path);
  assert.equal(reopened.lastSeq, 3);
  const next = reopened.append(entry(3));
  reopened.close();
  assert.deepEqual(verifyAuditFile(path), { ok: true, lines: 4, head: next.hash });
});

test('group commit: staged lines a machine crash tore or lost are cut on reopen, and the chain goes on from the last whole one', () => {
  const path = freshPath();
  const log = AuditLog.open(path, { fsync: () => Promise.reject(new Error('never called')) });
  for (let i = 0; i < 4; i++) log.stage(entry(i));
  log.close();
  // Power lost before the fsync: the disk kept line 1 and part of line 2, and nothing of lines 3-4.
  const lines = linesOf(path);
  const kept = lines[0]!.length + 1 + 40;
  truncateSync(path, kept);
  const head1 = (JSON.parse(lines[0]!) as { hash: string }).hash;
  const reopened = AuditLog.open(path);
  assert.equal(reopened.recoveredTornTail, 40);
  assert.equal(reopened.lastSeq, 2, 'line 1, then the torn-tail record');
  const next = reopened.append(entry(1));
  reopened.close();
  const now = linesOf(path);
  assert.equal((JSON.parse(now[1]!) as { prev_hash: string }).prev_hash, head1);
  assert.deepEqual(verifyAuditFile(path), { ok: true, lines: 3, head: next.hash });
});

test('group commit: close() while an fsync runs keeps the file open until it ends', async () => {
  const path = freshPath();
  const disk = new HeldFsync();
  const log = AuditLog.open(path, { fsync: disk.fsync });
  disk.held = true;
  log.stage(entry(0));
  const pending = log.sync();
  log.close();
  assert.throws(() => log.stage(entry(1)), /is closed/);
  disk.release(); // fsyncs the descriptor: it must still be open
  await pending;
  assert.equal(log.durableSeq, 1);
  assert.equal(verifyAuditFile(path).ok, true);
  const again = AuditLog.open(path); // the lock was released at close()
  again.close();
});

test('GroupCommit: one flush per burst of callers, each caller after a flush that began after it asked', async () => {
  const ends: (() => void)[] = [];
  const group = new GroupCommit(() => new Promise<void>((resolve) => ends.push(resolve)));
  const a = tracked(group.sync());
  assert.equal(group.flushes, 1, 'started at once');
  const burst = [group.sync(), group.sync(), group.sync()].map(tracked);
  assert.equal(group.flushes, 1, 'callers during a flush do not start one');
  ends.shift()!();
  await a.promise;
  assert.equal(group.flushes, 2, 'the burst shares the next flush');
  await settle();
  assert.ok(burst.every((t) => !t.settled()));
  ends.shift()!();
  await Promise.all(burst.map((t) => t.promise));
  assert.equal(group.flushes, 2);
  // A flush that fails rejects its waiters; the group keeps working for the next ones.
  const failing = new GroupCommit(async () => {
    throw new Error('disk gone');
  });
  await assert.rejects(failing.sync(), /disk gone/);
  await assert.rejects(failing.sync(), /disk gone/);
  assert.equal(failing.flushes, 2);
});

test('a file that is nothing but a torn first line restarts from the genesis value', () => {
  const path = freshPath();
  writeFileSync(path, '{"level":30,"pid":1,"hostn');
  const log = AuditLog.open(path);
  assert.equal(log.recoveredTornTail, 26);
  log.close();
  const [only] = linesOf(path);
  const record = JSON.parse(only!) as Record<string, unknown>;
  assert.deepEqual([record['seq'], record['prev_hash'], record['dropped_bytes']], [1, GENESIS_HASH, 26]);
  assert.equal(verifyAuditFile(path).ok, true);
});

test('reopen refuses a log whose last complete line does not verify, and writes nothing', () => {
  const path = logOf(4);
  const lines = linesOf(path);
  lines[3] = lines[3]!.replace('within bounds', 'within boundS');
  const tampered = textOf(lines);
  writeFileSync(path, tampered);
  assert.throws(() => AuditLog.open(path), (err: unknown) => {
    assert.ok(err instanceof AuditLogCorruptError);
    assert.match(err.message, /last complete line .* does not verify: hash mismatch \(edited\?\)/);
    return true;
  });
  assert.deepEqual(readFileSync(path), tampered);
  assert.equal(existsSync(`${path}.lock`), false, 'a failed open leaves no lock behind');
});

test('a second writer on the same log is refused until the first closes', () => {
  const path = freshPath();
  const first = AuditLog.open(path);
  assert.ok(existsSync(`${path}.lock`));
  assert.throws(() => AuditLog.open(path), AuditLogLockedError);
  first.append(entry(0));
  first.close();
  assert.equal(existsSync(`${path}.lock`), false);
  const second = AuditLog.open(path);
  assert.equal(second.lastSeq, 1);
  second.close();
  // A lock left behind by a crash of this very pid in an earlier life (container restart) is stale.
  writeFileSync(`${path}.lock`, `${process.pid}\n`);
  const third = AuditLog.open(path);
  third.close();
});

test('a line the disk refuses throws AuditLogWriteError, so the signer cannot reply as if it were logged', (t) => {
  if (!existsSync('/dev/full')) {
    t.skip('no /dev/full on this machine');
    return;
  }
  const path = freshPath();
  symlinkSync('/dev/full', path); // every write to it fails with ENOSPC
  const log = AuditLog.open(path);
  assert.throws(() => log.append(entry(0)), (err: unknown) => {
    assert.ok(err instanceof AuditLogWriteError);
    assert.match(err.message, /line 1 was not written: ENOSPC/);
    return true;
  });
  assert.equal(log.lastSeq, 0, 'the chain did not advance');
  assert.equal(log.head, GENESIS_HASH);
  log.close();
});

test('the redaction guard refuses secret-named fields and unlisted 32-byte hex, and nothing is written', () => {
  const path = freshPath();
  const log = AuditLog.open(path);
  const base = entry(0) as unknown as Record<string, unknown>;
  const key32 = 'e1'.repeat(32);
  const refusals: [string, Record<string, unknown>, RegExp][] = [
    ['secret', { ...base, secret: 'x' }, /field "secret": its name says it holds a secret/],
    ['privkey', { ...base, privkey: 'x' }, /field "privkey"/],
    ['private_key', { ...base, private_key: 'x' }, /field "private_key"/],
    ['funding seed', { ...base, fundingSeed: 'x' }, /field "fundingSeed"/],
    ['preimage', { ...base, paymentPreimage: key32 }, /field "paymentPreimage"/],
    ['passphrase', { ...base, passphrase: 'correct horse' }, /field "passphrase"/],
    ['mnemonic', { ...base, mnemonic: 'abandon abandon' }, /field "mnemonic"/],
    ['per-commitment secret nested', { ...base, amountsMsat: { per_commitment_secret: 1n } }, /field "amountsMsat.per_commitment_secret"/],
    ['32-byte hex under an unlisted key', { ...base, note: key32 }, /field "note": holds 32 or more bytes of hex/],
    ['32-byte hex inside the reason', { ...base, reason: `key ${key32} leaked` }, /field "reason": holds 32 or more bytes of hex/],
    ['32 raw bytes under an unlisted key', { ...base, blob: new Uint8Array(32) }, /field "blob": holds 32 raw bytes/],
    ['32-byte hex in an array', { ...base, warnings: [key32] }, /field "warnings.0": holds 32 or more bytes of hex/],
  ];
  for (const [what, bad, message] of refusals) {
    assert.throws(() => log.append(bad as unknown as AuditDecisionEntry), (err: unknown) => {
      assert.ok(err instanceof AuditRedactionError, `${what}: expected AuditRedactionError, got ${String(err)}`);
      assert.match(err.message, message, what);
      return true;
    });
  }
  assert.equal(readFileSync(path, 'utf8'), '', 'a refused entry writes nothing');
  // The allowlisted 32-byte fields go through.
  log.append({
    operation: 'SignJustice',
    decision: 'allowed',
    reason: 'justice for a revoked commitment',
    channelId: key32,
    paymentHash: key32,
    txid: key32,
    peerNodeId: '02' + key32,
  });
  log.close();
  const [line] = linesOf(path);
  assert.match(line!, new RegExp(`"txid":"${key32}"`));
  assert.equal(verifyAuditFile(path).ok, true);
});

test('malformed entries are refused with the field named, and nothing is written', () => {
  const path = freshPath();
  const log = AuditLog.open(path);
  const base = entry(0) as unknown as Record<string, unknown>;
  const refusals: [Record<string, unknown>, RegExp][] = [
    [{ ...base, extra: 1 }, /field "extra": unknown field/],
    [{ ...base, operation: 'SignAnything' }, /field "operation": "SignAnything" is not a signer operation/],
    [{ ...base, decision: 'maybe' }, /field "decision"/],
    [{ ...base, reason: '' }, /field "reason": expected 1 to 300 characters/],
    [{ ...base, reason: 'two\nlines' }, /field "reason": must be one line/],
    [{ ...base, decision: 'refused' }, /field "violations": a refusal names at least one rule/],
    [{ ...base, violations: ['policy-x'] }, /field "violations": must be empty when allowed/],
    [{ ...base, decision: 'warned' }, /field "warnings": a warned decision names at least one rule/],
    [{ ...base, decision: 'refused', violations: ['Fee too high'] }, /"Fee too high" is not a rule id/],
    [{ ...base, channelId: 'abcd' }, /field "channelId": expected 32 bytes of hex, got 4 hex digits/],
    [{ ...base, amountsMsat: { amount: -1n } }, /field "amountsMsat.amount": -1 msat is outside/],
    [{ ...base, amountsMsat: { amount: 1.5 } }, /field "amountsMsat.amount": expected a bigint or a safe integer/],
    [{ ...base, amountsMsat: { bribe: 1n } }, /field "amountsMsat.bribe": unknown amount/],
    [{ ...base, commitmentNumber: 2 ** 48 }, /field "commitmentNumber"/],
    [{ ...base, peerNodeId: '04' + '11'.repeat(32) }, /field "peerNodeId": expected a compressed public key/],
  ];
  for (const [bad, message] of refusals) {
    assert.throws(() => log.append(bad as unknown as AuditDecisionEntry), (err: unknown) => {
      assert.ok(err instanceof AuditEntryError, `expected AuditEntryError, got ${String(err)}`);
      assert.match(err.message, message);
      return true;
    });
  }
  log.close();
  assert.equal(readFileSync(path, 'utf8'), '');
});

test('the operation names are exactly the signer RPCs of proto/signer.proto', () => {
  // from test/ (tsx) the repo root is one folder up, from dist/test/ (compiled) two
  const candidates = ['../proto/signer.proto', '../../proto/signer.proto'].map((p) => new URL(p, import.meta.url));
  const protoUrl = candidates.find((u) => existsSync(u));
  assert.ok(protoUrl, 'proto/signer.proto not found');
  const proto = readFileSync(protoUrl, 'utf8');
  const rpcs = [...proto.matchAll(/^\s*rpc (\w+)\(/gm)].map((m) => m[1]).filter((name) => name !== 'Connect');
  assert.deepEqual([...SIGNER_OPERATIONS], rpcs);
});

test('a 10,000-line log verifies, and an edit near its end is still found', () => {
  const path = freshPath();
  const log = AuditLog.open(path);
  for (let i = 0; i < 10_000; i++) log.append(entry(i));
  const head = log.head;
  log.close();
  assert.deepEqual(verifyAuditFile(path), { ok: true, lines: 10_000, head });
  const lines = linesOf(path);
  const edited = lines[9_996]!.replace('"commitment_number":9996', '"commitment_number":9995');
  assert.notEqual(edited, lines[9_996]);
  lines[9_996] = edited;
  assertBad(verifyAuditBytes(textOf(lines)), 'hash-mismatch', 9_997, 'line 9997: hash mismatch (edited?)');
});
