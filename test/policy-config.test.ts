// The policy file: every key known, typed and ranged; errors name the key path; safe
// defaults when keys are absent; the shipped example states exactly the defaults.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { bech32 } from '@scure/base';
import {
  LIMITS,
  PolicyConfigError,
  RULES,
  RULE_IDS,
  addressToScriptHex,
  checkXpub,
  defaultPolicyConfig,
  formatMsat,
  loadPolicyConfig,
  parseAmount,
  parsePolicyConfig,
  ruleKey,
  type ConfigError,
} from '../policy/index.js';

/** The repository root, whether this runs from test/ (tsx) or dist/test/ (compiled). */
const ROOT = new URL(import.meta.url.includes('/dist/') ? '../../' : '../', import.meta.url);

function errorsOf(text: string): ConfigError[] {
  const r = parsePolicyConfig(text);
  assert.equal(r.ok, false, 'expected the file to be refused');
  return r.ok ? [] : [...r.errors];
}

function lines(text: string): string[] {
  return errorsOf(text).map((e) => `${e.path}: ${e.message}`);
}

test('a bad integer names its key path and the value', () => {
  assert.deepEqual(lines('rules:\n  commitment-fee-range:\n    max_feerate_per_kw: abc\n'), [
    'rules.commitment-fee-range.max_feerate_per_kw: expected a positive integer, got "abc"',
  ]);
  assert.deepEqual(lines('rules:\n  commitment-fee-range:\n    max_feerate_per_kw: 1.5\n'), [
    'rules.commitment-fee-range.max_feerate_per_kw: expected a positive integer, got 1.5',
  ]);
  assert.deepEqual(lines('rules:\n  commitment-fee-range:\n    min_feerate_per_kw: 0\n'), [
    'rules.commitment-fee-range.min_feerate_per_kw: must be at least 1, got 0',
  ]);
  assert.deepEqual(lines('rules:\n  commitment-htlc-count:\n    max_per_direction: 484\n'), [
    'rules.commitment-htlc-count.max_per_direction: must be at most 483, got 484',
  ]);
  assert.deepEqual(lines('rules:\n  commitment-fee-range:\n    max_feerate_per_kw:\n'), [
    'rules.commitment-fee-range.max_feerate_per_kw: expected a positive integer, got nothing',
  ]);
});

test('an unknown key suggests the nearest known one', () => {
  assert.deepEqual(lines('limits:\n  dayly: 5000 sat\n'), ['limits.dayly: unknown key, did you mean limits.daily?']);
  assert.deepEqual(lines('rules:\n  commitment-fee-rnage:\n    mode: warn\n'), [
    'rules.commitment-fee-rnage: unknown key, did you mean rules.commitment-fee-range?',
  ]);
  assert.deepEqual(lines('rules:\n  policy-commitment-fee-range:\n    mode: warn\n'), [
    'rules.policy-commitment-fee-range: unknown key, did you mean rules.commitment-fee-range?',
  ]);
  assert.deepEqual(lines('rules:\n  commitment-fee-range:\n    max_feerate: 5\n'), [
    'rules.commitment-fee-range.max_feerate: unknown key, did you mean rules.commitment-fee-range.max_feerate_per_kw?',
  ]);
  assert.deepEqual(lines('alowlist:\n  addresses: []\n'), ['alowlist: unknown key, did you mean allowlist?']);
  const [far] = lines('limits:\n  something_else: 1 sat\n');
  assert.equal(far, 'limits.something_else: unknown key (known keys here: daily, approval_threshold)');
});

test('amounts need a unit; bad amounts say why', () => {
  assert.deepEqual(lines('limits:\n  daily: 5000\n'), [
    'limits.daily: expected an amount with a unit, like "50000 sat", "0.001 btc" or "2500 msat", got 5000',
  ]);
  assert.deepEqual(lines('limits:\n  daily: 0.0001 sat\n'), [
    'limits.daily: 0.0001 sat is finer than a millisatoshi (sat takes at most 3 decimals), got "0.0001 sat"',
  ]);
  assert.deepEqual(lines('limits:\n  daily: 22000000 btc\n'), ['limits.daily: 22000000 btc is more than 21 million BTC, got "22000000 btc"']);
  assert.deepEqual(lines('limits:\n  daily: five sat\n'), [
    'limits.daily: expected an amount with a unit, like "50000 sat", "0.001 btc" or "2500 msat", got "five sat"',
  ]);
});

test('amount parsing: units, decimals and digit grouping', () => {
  assert.equal(parseAmount('50000 sat'), 50_000_000n);
  assert.equal(parseAmount('1_000_000 sat'), 1_000_000_000n);
  assert.equal(parseAmount('1,000 sat'), 1_000_000n);
  assert.equal(parseAmount('0.001 btc'), 100_000_000n);
  assert.equal(parseAmount('0.00000000001 BTC'), 1n);
  assert.equal(parseAmount('2500 msat'), 2500n);
  assert.equal(parseAmount('1.5 sat'), 1500n);
  assert.equal(parseAmount('21000000 btc'), 2_100_000_000_000_000_000n); // beyond 2^53, exact
  assert.equal(typeof parseAmount('1.5 msat'), 'string');
  assert.equal(formatMsat(1_234_567n), '1234.567 sat');
  assert.equal(formatMsat(1_234_000n), '1234 sat');
  assert.equal(formatMsat(1_234_500n), '1234.5 sat');
});

test('mode, network, percent and boolean values are checked', () => {
  assert.deepEqual(lines('rules:\n  commitment-fee-range:\n    mode: off\n'), [
    'rules.commitment-fee-range.mode: expected "enforce" or "warn", got "off"',
  ]);
  assert.deepEqual(lines('network: mainnet\n'), ['network: expected one of bitcoin, testnet, signet, regtest, got "mainnet"']);
  assert.deepEqual(lines('version: 2\n'), ['version: expected 1, got 2']);
  assert.deepEqual(lines('rules:\n  commitment-reserve-range:\n    max_percent: 101\n'), [
    'rules.commitment-reserve-range.max_percent: expected a percentage from 0 to 100 (at most 4 decimals), got 101',
  ]);
  assert.deepEqual(lines('rules:\n  invoice-amount-range:\n    allow_any_amount: "yes"\n'), [
    'rules.invoice-amount-range.allow_any_amount: expected true or false, got "yes"',
  ]);
  assert.deepEqual(lines('rules:\n  commitment-fee-range: warn\n'), ['rules.commitment-fee-range: expected a mapping of keys, got "warn"']);
  const ok = loadPolicyConfig('rules:\n  commitment-reserve-range:\n    min_percent: 1.1\n');
  assert.equal(ok.rules['policy-commitment-reserve-range'].params.min_percent, 1.1);
});

test('a minimum above its maximum is refused at the key that was set', () => {
  assert.deepEqual(lines('rules:\n  commitment-fee-range:\n    min_feerate_per_kw: 60000\n'), [
    'rules.commitment-fee-range.min_feerate_per_kw: min_feerate_per_kw (60000 sat/kw) is above max_feerate_per_kw (50000 sat/kw)',
  ]);
  assert.deepEqual(lines('rules:\n  commitment-dust-limit-range:\n    max: 300 sat\n'), [
    'rules.commitment-dust-limit-range.max: min (354 sat) is above max (300 sat)',
  ]);
});

test('every error in a file is reported, each with its path', () => {
  const errors = errorsOf([
    'network: regtest',
    'limits:',
    '  dayly: 5 sat',
    '  approval_threshold: 10',
    'rules:',
    '  commitment-fee-range:',
    '    max_feerate_per_kw: abc',
    '  sweep-fee-range:',
    '    mode: sometimes',
    'allowlist:',
    '  addresses: [bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4]',
  ].join('\n'));
  assert.deepEqual(errors.map((e) => e.path).sort(), [
    'allowlist.addresses[0]',
    'limits.approval_threshold',
    'limits.dayly',
    'rules.commitment-fee-range.max_feerate_per_kw',
    'rules.sweep-fee-range.mode',
  ]);
  assert.throws(() => loadPolicyConfig('limits:\n  dayly: 5 sat\n'), (e: unknown) =>
    e instanceof PolicyConfigError && e.errors.length === 1 && /limits\.dayly: unknown key, did you mean limits\.daily\?/.test(e.message));
});

test('YAML syntax errors and duplicate keys are reported against the file', () => {
  const [dup] = errorsOf('network: regtest\nnetwork: bitcoin\n');
  assert.equal(dup!.path, '(file)');
  assert.match(dup!.message, /^YAML: Map keys must be unique at line 2, column 1$/);
  const [syntax] = errorsOf('rules: [\n');
  assert.equal(syntax!.path, '(file)');
  assert.deepEqual(lines('- 1\n- 2\n'), ['(file): expected a mapping of keys at the top, got a list']);
});

test('absent keys take the safe defaults, and the file records which keys it set', () => {
  const empty = loadPolicyConfig('');
  const defaults = defaultPolicyConfig();
  assert.equal(empty.network, 'bitcoin');
  assert.deepEqual(empty.limits, { daily: 1_000_000_000n, approval_threshold: 100_000_000n });
  assert.deepEqual(empty.rules, defaults.rules);
  assert.deepEqual(empty.allowlist, { addresses: [], xpubs: [] });
  assert.equal(empty.explicit.size, 0);
  for (const id of RULE_IDS) assert.equal(empty.rules[id].mode, 'enforce', `${id} must default to enforce`);

  const some = loadPolicyConfig('network: regtest\nrules:\n  commitment-fee-range:\n    max_feerate_per_kw: 20000\n');
  assert.equal(some.rules['policy-commitment-fee-range'].params.max_feerate_per_kw, 20_000);
  assert.equal(some.rules['policy-commitment-fee-range'].params.min_feerate_per_kw, 253);
  assert.deepEqual([...some.explicit].sort(), ['network', 'rules.commitment-fee-range.max_feerate_per_kw']);
});

test('every parameter default has a reason, fits its own range and is written in the schema', () => {
  let n = 0;
  for (const rule of RULES) {
    for (const [key, spec] of Object.entries(rule.params)) {
      n++;
      assert.ok(spec.reason.length > 10, `${rule.id}.${key} default has no reason`);
      assert.ok(spec.summary.length > 5, `${rule.id}.${key} has no summary`);
      if (spec.type === 'integer') assert.ok(spec.default >= spec.min && spec.default <= spec.max, `${rule.id}.${key} default out of range`);
      if (spec.notAbove !== undefined) assert.ok(spec.notAbove in rule.params, `${rule.id}.${key} notAbove names a missing key`);
    }
  }
  for (const spec of Object.values(LIMITS)) assert.ok(spec.reason.length > 10);
  assert.ok(n >= 20);
});

test('default-policy.yaml parses and states exactly the built-in defaults', () => {
  const text = readFileSync(new URL('policy/default-policy.yaml', ROOT), 'utf8');
  const config = loadPolicyConfig(text);
  const defaults = defaultPolicyConfig('regtest');
  assert.equal(config.network, 'regtest');
  assert.deepEqual(config.limits, defaults.limits);
  assert.deepEqual(config.rules, defaults.rules);
  // Every parameterised rule appears in the example so an operator sees what can be tuned.
  for (const rule of RULES) {
    for (const key of Object.keys(rule.params)) {
      assert.ok(config.explicit.has(`rules.${ruleKey(rule.id)}.${key}`), `example omits rules.${ruleKey(rule.id)}.${key}`);
    }
  }
});

// BIP 173 / BIP 350 example addresses and their scriptPubKeys; BIP 32 test vector 1 master keys.
test('allowlist addresses decode to the scriptPubKey for the configured network', () => {
  const vectors: [string, 'bitcoin' | 'testnet', string][] = [
    ['BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4', 'bitcoin', '0014751e76e8199196d454941c45d1b3a323f1433bd6'],
    ['tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx', 'testnet', '0014751e76e8199196d454941c45d1b3a323f1433bd6'],
    ['bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0', 'bitcoin', '512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798'],
    ['1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2', 'bitcoin', '76a91477bff20c60e522dfaa3350c39b030a5d004e839a88ac'],
    ['3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy', 'bitcoin', 'a914b472a266d0bd89c13706a4132ccfb16f7c3b9fcb87'],
  ];
  for (const [address, network, script] of vectors) assert.equal(addressToScriptHex(address, network), script, address);
  const regtest = bech32.encode('bcrt', [0, ...bech32.toWords(new Uint8Array(20).fill(7))]);
  assert.equal(addressToScriptHex(regtest, 'regtest'), '0014' + '07'.repeat(20));
  // A bech32 (not bech32m) checksum on a v1 program is invalid (BIP 350).
  assert.throws(() => addressToScriptHex('bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7grplx', 'bitcoin'));

  const config = loadPolicyConfig(`network: regtest\nallowlist:\n  addresses:\n    - ${regtest}\n`);
  assert.deepEqual(config.allowlist.addresses, [{ address: regtest, scriptPubKeyHex: '0014' + '07'.repeat(20) }]);
  assert.deepEqual(lines('network: regtest\nallowlist:\n  addresses:\n    - bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4\n'), [
    'allowlist.addresses[0]: bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4 is a bitcoin address, but network is regtest',
  ]);
  assert.deepEqual(lines(`network: regtest\nallowlist:\n  addresses:\n    - ${regtest}\n    - ${regtest}\n`), [
    'allowlist.addresses[1]: duplicate of allowlist.addresses[0]',
  ]);
  assert.deepEqual(lines('allowlist:\n  addresses: bc1q\n'), ['allowlist.addresses: expected a list, got "bc1q"']);
});

test('allowlist xpubs: public keys of the right network only; a private key is refused without echoing it', () => {
  const xpub = 'xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8';
  const xprv = 'xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi';
  assert.equal(checkXpub(xpub, 'bitcoin'), '0339a36013301597daef41fbe593a02cc513d0b55527ec2df1050e2e8ff49c85c2');
  const config = loadPolicyConfig(`allowlist:\n  xpubs: [${xpub}]\n`);
  assert.equal(config.allowlist.xpubs[0]!.xpub, xpub);

  const [priv] = lines(`allowlist:\n  xpubs: [${xprv}]\n`);
  assert.match(priv!, /^allowlist\.xpubs\[0\]: is a private extended key/);
  assert.ok(!priv!.includes(xprv.slice(4, 20)), 'the error must not echo the private key');
  assert.deepEqual(lines(`network: regtest\nallowlist:\n  xpubs: [${xpub}]\n`), [
    `allowlist.xpubs[0]: ${xpub} is not a regtest extended public key (expected one starting with tpub)`,
  ]);
  const [corrupt] = lines(`allowlist:\n  xpubs: [${xpub.slice(0, -1)}9]\n`);
  assert.match(corrupt!, /is not a valid extended public key \(bad base58 or checksum\)/);
});
