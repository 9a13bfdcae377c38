// `vigil audit verify <file>` as a user runs it: the compiled CLI in a child process, its stdout,
// stderr and exit code. Build first (`npx tsc -p .`).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuditLog, type AuditDecisionEntry } from '../signer/audit/index.js';

// From dist/test/ the compiled CLI is ../bin/vigil.js; from test/ (run by tsx) it is ../dist/bin/vigil.js.
const cli = [new URL('../bin/vigil.js', import.meta.url), new URL('../dist/bin/vigil.js', import.meta.url)]
  .map((u) => fileURLToPath(u))
  .find((p) => existsSync(p));

const dir = mkdtempSync(join(tmpdir(), 'vigil-cli-audit-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;

function vigil(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  assert.ok(cli, 'the compiled CLI is missing: run `npx tsc -p .` first');
  const run = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

const decision: AuditDecisionEntry = {
  operation: 'SignInvoice',
  decision: 'allowed',
  reason: 'invoice within limits',
  paymentHash: '5a'.repeat(32),
  amountsMsat: { amount: 250_000n },
};

function logOf(n: number): { path: string; head: string } {
  const path = join(dir, `audit-${++fileNo}.jsonl`);
  const log = AuditLog.open(path);
  for (let i = 0; i < n; i++) log.append(decision);
  const head = log.head;
  log.close();
  return { path, head };
}

test('a good log: one JSON line on stdout with the line count and head, exit 0', () => {
  const { path, head } = logOf(12);
  const run = vigil('audit', 'verify', path);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, `{"ok":true,"lines":12,"head":"${head}"}\n`);
  assert.equal(run.stderr, '');
  assert.equal(vigil('audit', 'verify', path, '--head', head).code, 0);
});

test('an edited line: one stderr line naming it, exit 1', () => {
  const { path } = logOf(5);
  const lines = readFileSync(path, 'utf8').split('\n');
  lines[2] = lines[2]!.replace('"amount":"250000"', '"amount":"250001"');
  writeFileSync(path, lines.join('\n'));
  const run = vigil('audit', 'verify', path);
  assert.equal(run.code, 1);
  assert.equal(run.stdout, '');
  assert.equal(run.stderr, `vigil audit verify: ${path}: line 3: hash mismatch (edited?)\n`);
});

test('a dropped line: named as a sequence gap, exit 1', () => {
  const { path } = logOf(5);
  const lines = readFileSync(path, 'utf8').split('\n');
  lines.splice(1, 1);
  writeFileSync(path, lines.join('\n'));
  const run = vigil('audit', 'verify', path);
  assert.equal(run.code, 1);
  assert.equal(run.stderr, `vigil audit verify: ${path}: line 2: sequence 3 after 1 (dropped line?)\n`);
});

test('a torn final line: reported as a crash, not an edit, exit 1', () => {
  const { path } = logOf(4);
  truncateSync(path, readFileSync(path).length - 10);
  const run = vigil('audit', 'verify', path);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /^vigil audit verify: .*: line 4: torn final line \(\d+ bytes, no newline\): a crash mid-write, not an edit; lines 1-3 verify/);
  assert.equal(run.stderr.split('\n').length, 2, 'exactly one line');
});

test('a head recorded earlier that the log no longer holds: exit 1', () => {
  const { path, head } = logOf(3);
  const lines = readFileSync(path, 'utf8').split('\n');
  writeFileSync(path, lines.slice(0, 2).join('\n') + '\n');
  const run = vigil('audit', 'verify', path, '--head', head);
  assert.equal(run.code, 1);
  assert.match(run.stderr, new RegExp(`head ${head} is not the hash of any of the 2 lines`));
});

test('a missing file exits 1 naming it; usage mistakes exit 2', () => {
  const missing = join(dir, 'nope.jsonl');
  const run = vigil('audit', 'verify', missing);
  assert.equal(run.code, 1);
  assert.match(run.stderr, new RegExp(`^vigil audit verify: cannot read ${missing}: ENOENT`));
  for (const args of [['audit'], ['audit', 'verify'], ['audit', 'check', 'x'], ['audit', 'verify', 'x', '--head', 'zz']]) {
    const bad = vigil(...args);
    assert.equal(bad.code, 2, args.join(' '));
    assert.match(bad.stderr, /^vigil audit: .*\(usage: vigil audit verify <file> \[--head <hash>\]\)\n$/);
  }
});

test('vigil help lists the audit command', () => {
  const run = vigil('help');
  assert.equal(run.code, 0);
  assert.match(run.stdout, /^ {2}audit +verify the signer audit log hash chain/m);
});
