// The BOLT vector suites in test/bolt/ run in this process on the default (native) backend;
// this test runs them all again in a child process on the pure-JS noble backend, so both
// implementations are proven on the same vectors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const boltTests = fileURLToPath(new URL('./bolt/', import.meta.url));

test('every BOLT vector suite passes on the noble secp256k1 backend too', { skip: process.env['VIGIL_SECP256K1'] === 'noble' }, () => {
  const files = readdirSync(boltTests).filter((f) => f.endsWith('.test.js'));
  assert.ok(files.length > 0, 'no BOLT vector suites found');
  // NODE_TEST_CONTEXT would make the child report to this runner instead of printing its own summary.
  const { NODE_TEST_CONTEXT: _ignored, ...env } = process.env;
  const child = spawnSync(process.execPath, ['--test', '--test-reporter=tap', ...files.map((f) => boltTests + f)], {
    env: { ...env, VIGIL_SECP256K1: 'noble' },
    encoding: 'utf8',
    timeout: 10 * 60 * 1000,
  });
  const out = child.stdout + child.stderr;
  const passed = /^# pass (\d+)$/m.exec(out)?.[1];
  const failed = /^# fail (\d+)$/m.exec(out)?.[1];
  assert.equal(child.status, 0, `noble run failed:\n${out.slice(-4000)}`);
  assert.equal(failed, '0');
  console.log(`BOLT vectors on noble: ${files.length} suites, ${passed} tests passed`);
});
