// `vigil decode` as a user runs it: the compiled CLI in a child process, JSON on stdout or one line on stderr.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import examples from './vectors/bolt11-examples.json' with { type: 'json' };

// The CLI finds its commands as compiled .js modules, so this test runs from dist/test/ only.
const compiled = import.meta.url.endsWith('.js');
const skip = compiled ? false : 'runs the compiled CLI: build, then node --test dist/test/cli-decode.test.js';
const cli = fileURLToPath(new URL('../bin/vigil.js', import.meta.url));
const vectors = examples as unknown as {
  valid: { name: string; invoice: string; expected: unknown }[];
  invalid: { name: string; invoice: string; message_contains: string }[];
};

function vigil(...args: string[]): { status: number | null; stdout: string; stderr: string; ms: number } {
  const started = Date.now();
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

test('vigil decode prints the spec example with routing hints and a fallback as one JSON object, exit 0', { skip }, () => {
  const example = vectors.valid.find((v) => v.name.includes('1RustyRX2oai4EYYDpQGWvEL62BBGqN9T'))!;
  const r = vigil('decode', example.invoice);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 1, 'one JSON object on one line');
  assert.deepEqual(JSON.parse(lines[0]!), example.expected);
  // One process start, module load and decode: well under a second.
  assert.ok(r.ms < 1000, `took ${r.ms} ms`);
});

test('vigil decode of an example with neither amount nor expiry prints the defaults and no amount_msat', { skip }, () => {
  const r = vigil('decode', vectors.valid[0]!.invoice);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.equal('amount_msat' in out, false);
  assert.equal(out['expiry'], 3600);
  assert.equal(out['min_final_cltv_expiry_delta'], 18);
  assert.equal(typeof out['payee'], 'string');
});

test('vigil decode of each invalid spec example exits 1 with one line naming the problem', { skip }, () => {
  for (const bad of vectors.invalid) {
    const r = vigil('decode', bad.invoice);
    assert.equal(r.status, 1, bad.name);
    assert.equal(r.stdout, '', bad.name);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `${bad.name}: ${r.stderr}`);
    assert.match(lines[0]!, /^vigil decode: invalid invoice: /);
    assert.ok(lines[0]!.includes(bad.message_contains), `${bad.name}: ${lines[0]}`);
  }
});

test('vigil decode without an argument exits 1 with a usage line', { skip }, () => {
  const r = vigil('decode');
  assert.equal(r.status, 1);
  assert.match(r.stderr.trim(), /^vigil decode: expected one invoice argument, got 0$/);
});
