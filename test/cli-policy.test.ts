// `vigil policy check` and `vigil policy explain`, run as the compiled CLI in a child
// process (build first: `npx tsc -p .`).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RULE_IDS } from '../policy/index.js';

// From dist/test/ the CLI sits at dist/bin/; from test/ (under tsx) use the build output too.
const compiled = import.meta.url.includes('/dist/');
const CLI = fileURLToPath(new URL(compiled ? '../bin/vigil.js' : '../dist/bin/vigil.js', import.meta.url));
const ROOT = new URL(compiled ? '../../' : '../', import.meta.url);
const EXAMPLE = fileURLToPath(new URL('policy/default-policy.yaml', ROOT));

function vigil(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  assert.ok(existsSync(CLI), `${CLI} is missing: build first with npx tsc -p .`);
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'vigil-policy-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

test('policy check: a good file prints ok and a summary, exit 0', () => {
  const r = vigil('policy', 'check', EXAMPLE);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^ok: .*default-policy\.yaml\n/);
  assert.match(r.stdout, new RegExp(`network regtest; ${RULE_IDS.length} rules: ${RULE_IDS.length} enforce, 0 warn`));
  assert.match(r.stdout, /daily limit 1000000 sat, approval above 100000 sat/);
});

test('policy check: a bad file lists every error with its key path, exit 1', () => {
  const bad = file('bad.yaml', [
    'network: regtest',
    'limits:',
    '  dayly: 5000 sat',
    'rules:',
    '  commitment-fee-range:',
    '    max_feerate_per_kw: abc',
    '  sweep-fee-range:',
    '    mode: off',
  ].join('\n'));
  const r = vigil('policy', 'check', bad);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trim().split('\n');
  assert.deepEqual(lines, [
    `${bad}: limits.dayly: unknown key, did you mean limits.daily?`,
    `${bad}: rules.commitment-fee-range.max_feerate_per_kw: expected a positive integer, got "abc"`,
    `${bad}: rules.sweep-fee-range.mode: expected "enforce" or "warn", got "off"`,
    `vigil policy check: ${bad}: 3 errors, policy not valid`,
  ]);
});

test('policy check: a missing file or a missing argument fails with one line', () => {
  const missing = vigil('policy', 'check', join(dir, 'nope.yaml'));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^vigil policy check: cannot read .*nope\.yaml: no such file\n$/);
  const noArg = vigil('policy', 'check');
  assert.equal(noArg.code, 1);
  assert.match(noArg.stderr, /missing FILE/);
  const unknown = vigil('policy', 'verify', EXAMPLE);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /unknown subcommand "verify"/);
});

test('policy explain: every rule in plain words with its mode and values, grouped by area', () => {
  const tuned = file('tuned.yaml', 'network: regtest\nrules:\n  onchain-fee-range:\n    mode: warn\n    max_fee: 1000 sat\n');
  const r = vigil('policy', 'explain', tuned);
  assert.equal(r.code, 0, r.stderr);
  for (const id of RULE_IDS) assert.ok(r.stdout.includes(id), `${id} missing`);
  assert.match(r.stdout, /== Outgoing payments ==/);
  assert.match(r.stdout, /policy-onchain-fee-range {2}\[WARN ONLY \(reported, not refused\), set in the file\]/);
  assert.match(r.stdout, /rules\.onchain-fee-range\.max_fee = 1000 sat {2}\(set in the file; default 250000 sat\)/);
  assert.match(r.stdout, /why the default: /);
});

test('policy explain: without a file it explains the built-in defaults; a bad file is refused', () => {
  const r = vigil('policy', 'explain');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /file: \(none: built-in defaults\)/);
  assert.match(r.stdout, /network: bitcoin \(default\)/);
  const bad = vigil('policy', 'explain', file('bad2.yaml', 'limits:\n  daily: 5\n'));
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /limits\.daily: expected an amount with a unit/);
});

test('vigil help lists the policy command', () => {
  const r = vigil('help');
  assert.equal(r.code, 0);
  assert.match(r.stdout, /policy\s+check a signer policy file, or explain its rules in plain words/);
});
