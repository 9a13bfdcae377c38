// BOLT 9 feature table, BOLT 1 bitfields and negotiation, BOLT 11 invoice feature contexts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bigintFromBytesBE, hex } from '../../bolt/bytes.js';
import {
  FEATURES,
  FeatureError,
  type FeatureContext,
  type FeatureName,
  assertValidFeatures,
  clearFeature,
  featureByName,
  featureName,
  fromBits,
  hasFeature,
  isAssumed,
  isDefinedChannelType,
  listBits,
  minimalFeatures,
  negotiate,
  offersFeature,
  parseContexts,
  requiresFeature,
  setFeature,
  unknownRequiredBits,
  validateFeatures,
} from '../../bolt/features.js';
import json from '../vectors/bolt09-features.json' with { type: 'json' };

interface Vectors {
  source: string;
  features: { bits: string; even: number; odd: number; name: string; description: string; context: string; dependencies: string[] }[];
  bolt11Invoices: { example: string; bits: number[]; valid: boolean; unknownRequired?: number[] }[];
}

const vectors: Vectors = json;
const CONTEXTS: readonly FeatureContext[] = ['I', 'N', 'C', '9', 'B', 'T'];
const kinds = (bits: number[], context: FeatureContext, role: 'sender' | 'receiver' = 'sender') =>
  validateFeatures(fromBits(bits), context, role).map((p) => p.kind);
const tableContexts = (context: string) => [...parseContexts(context).keys()];
let cases = 0;

test('the feature table is the BOLT 9 table, row for row', () => {
  assert.equal(FEATURES.length, vectors.features.length);
  vectors.features.forEach((row, i) => {
    const ours = FEATURES[i]!;
    assert.deepEqual(
      { even: ours.even, name: ours.name, context: ours.context, dependencies: [...ours.dependencies], description: ours.description },
      { even: row.even, name: row.name, context: row.context, dependencies: row.dependencies, description: row.description },
      `row ${row.bits}`,
    );
    assert.equal(row.odd, row.even + 1);
    assert.equal(featureName(row.even), row.name);
    assert.equal(featureName(row.odd), row.name);
    assert.equal(featureByName(row.name)?.even, row.even);
    cases++;
  });
  assert.equal(featureName(20), undefined);
  assert.equal(featureName(101), undefined);
  assert.equal(featureName(12), 'option_static_remotekey');
});

test('every BOLT 9 dependency is enforced in every context of the dependent feature', () => {
  let checked = 0;
  for (const row of vectors.features) {
    for (const dep of row.dependencies) {
      const depRow = vectors.features.find((r) => r.name === dep)!;
      const assumed = depRow.description === 'ASSUMED';
      for (const context of tableContexts(row.context).filter((c) => c !== 'T')) {
        for (const bit of [row.even, row.odd]) {
          const problems = validateFeatures(fromBits([bit]), context);
          const receiver = validateFeatures(fromBits([bit]), context, 'receiver');
          if (assumed) {
            // BOLT 9: ASSUMED features are present on every node, so the dependency holds without its bits.
            assert.deepEqual(problems, [], `${row.name} on ${dep} (ASSUMED) in ${context}`);
          } else {
            const message = `${row.name} requires ${dep}, which is not set`;
            assert.ok(problems.some((p) => p.kind === 'dependency' && p.message.startsWith(message)), `${message} (sender, ${context})`);
            assert.ok(receiver.some((p) => p.kind === 'dependency' && p.message.startsWith(message)), `${message} (receiver, ${context})`);
            assert.throws(() => assertValidFeatures(fromBits([bit]), context), (e: unknown) => e instanceof FeatureError && e.message.includes(message));
          }
          // with either bit of the dependency the vector is valid
          for (const depBit of [depRow.even, depRow.odd]) {
            if (!tableContexts(depRow.context).includes(context) && depRow.context !== '') continue;
            assert.deepEqual(validateFeatures(fromBits([bit, depBit]), context), [], `${row.name} + ${dep} bit ${depBit} in ${context}`);
          }
          checked++;
        }
      }
      cases++;
    }
  }
  assert.ok(checked >= 3 * 2, 'every dependency checked in at least one context');
  // the table's three dependencies today
  assert.deepEqual(
    vectors.features.filter((r) => r.dependencies.length > 0).map((r) => `${r.name}->${r.dependencies.join(',')}`),
    ['basic_mpp->payment_secret', 'option_zeroconf->option_scid_alias', 'option_simple_close->option_shutdown_anysegwit'],
  );
});

test('dependencies are transitive through the chain of set features', () => {
  // option_zeroconf needs option_scid_alias; setting the compulsory bit of the dependency also satisfies it
  assert.deepEqual(kinds([50, 46], 'I'), []);
  assert.deepEqual(kinds([51, 47], 'N'), []);
  assert.deepEqual(kinds([61], 'I'), ['dependency']);
  assert.deepEqual(kinds([61, 26], 'I'), []);
});

test('the origin must not set both bits of a pair; a reader treats both bits as compulsory', () => {
  for (const row of vectors.features) {
    const both = [row.even, row.odd];
    for (const context of tableContexts(row.context).filter((c) => c !== 'T')) {
      const deps = row.dependencies.map((d) => vectors.features.find((r) => r.name === d)!.odd);
      const problems = validateFeatures(fromBits([...both, ...deps]), context);
      assert.deepEqual(problems.map((p) => p.kind), ['both-bits'], `${row.name} in ${context}`);
      assert.match(problems[0]!.message, new RegExp(`both bits of ${row.name} \\(${row.even}/${row.odd}\\)`));
      assert.deepEqual(validateFeatures(fromBits([...both, ...deps]), context, 'receiver'), []);
    }
    assert.ok(requiresFeature(fromBits(both), row.name as FeatureName));
    assert.ok(offersFeature(fromBits([row.odd]), row.name as FeatureName));
    assert.ok(!requiresFeature(fromBits([row.odd]), row.name as FeatureName));
    cases++;
  }
});

test('a feature set outside its contexts is refused by the origin, and fails a reader only when even', () => {
  for (const row of vectors.features) {
    if (row.context === '') continue; // no context listed: see the next test
    const allowed = tableContexts(row.context);
    for (const context of CONTEXTS.filter((c) => !allowed.includes(c))) {
      const sender = validateFeatures(fromBits([row.odd]), context);
      assert.ok(sender.some((p) => p.kind === 'context' && p.message === `${row.name} (bit ${row.odd}) is not allowed in ${contextName(context)}`), `${row.name} in ${context}`);
      assert.deepEqual(unknownRequiredBits(fromBits([row.even]), context), [row.even]);
      assert.deepEqual(
        validateFeatures(fromBits([row.even]), context, 'receiver').map((p) => p.kind),
        ['unknown-required'],
      );
      // odd bits of features foreign to the context are ignored by readers, except in blinded paths (BOLT 4)
      assert.deepEqual(validateFeatures(fromBits([row.odd]), context, 'receiver').map((p) => p.kind), context === 'B' ? ['unknown-required'] : []);
    }
    for (const context of allowed) {
      const deps = row.dependencies.map((d) => vectors.features.find((r) => r.name === d)!.even);
      const bit = context === 'T' ? row.even : row.odd;
      assert.deepEqual(validateFeatures(fromBits([bit, ...deps]), context), [], `${row.name} allowed in ${context}`);
    }
    cases++;
  }
});

function contextName(context: FeatureContext): string {
  const names = { I: 'init', N: 'node_announcement', C: 'channel_announcement', 9: 'BOLT 11 invoice', B: 'blinded path allowed_features', T: 'channel_type' };
  return `${names[context]} (context ${context})`;
}

test('features with no context in the table are tolerated in I, N, C and 9 but not in blinded paths', () => {
  for (const row of vectors.features.filter((r) => r.context === '')) {
    const name = row.name as FeatureName;
    assert.equal(isAssumed(name), row.description === 'ASSUMED');
    for (const context of ['I', 'N', 'C', '9'] as const) {
      assert.deepEqual(validateFeatures(fromBits([row.even]), context), []);
      assert.deepEqual(unknownRequiredBits(fromBits([row.even]), context), []);
    }
    assert.deepEqual(kinds([row.odd], 'B'), ['context']);
    assert.deepEqual(kinds([row.even], 'B', 'receiver'), ['unknown-required']);
    cases++;
  }
});

test('unknown even bits are required and fail; unknown odd bits are fine (BOLT 1)', () => {
  const unknownEven = [2, 20, 30, 32, 40, 52, 54, 56, 58, 64, 100, 256];
  for (const bit of unknownEven) {
    assert.deepEqual(unknownRequiredBits(fromBits([bit, 13])), [bit]);
    assert.deepEqual(unknownRequiredBits([bit + 1, 13]), []);
    assert.deepEqual(kinds([bit], 'I', 'receiver'), ['unknown-required']);
    assert.deepEqual(kinds([bit + 1], 'I', 'receiver'), []);
    assert.deepEqual(kinds([bit + 1], 'I'), ['unknown-bit']); // an origin must set undefined bits to 0
    cases++;
  }
  assert.deepEqual(unknownRequiredBits(fromBits([12, 22, 46])), []);
  assert.deepEqual(unknownRequiredBits(fromBits([48]), 'I'), [48]); // payment_metadata is invoice-only
  assert.deepEqual(unknownRequiredBits(fromBits([48]), '9'), []);
});

test('BOLT 11 example invoices: feature fields checked in context 9', () => {
  for (const v of vectors.bolt11Invoices) {
    const problems = validateFeatures(v.bits, '9', 'receiver');
    assert.equal(problems.length === 0, v.valid, v.example);
    assert.deepEqual(unknownRequiredBits(v.bits, '9'), v.unknownRequired ?? [], v.example);
    cases++;
  }
  // invoice contexts: basic_mpp, route blinding, attribution data and payment metadata belong in 9; anchors do not
  assert.deepEqual(kinds([17, 25, 37, 49], '9'), []);
  assert.deepEqual(kinds([17], '9'), []); // depends on payment_secret, which is ASSUMED
  assert.deepEqual(kinds([23], '9'), ['context']);
  assert.deepEqual(kinds([22], '9', 'receiver'), ['unknown-required']);
  assert.deepEqual(kinds([49], 'I'), ['context']);
});

test('channel_type: only even bits of T features (and static_remotekey); defined types per BOLT 2', () => {
  assert.deepEqual(kinds([12, 22], 'T'), []);
  assert.deepEqual(kinds([12, 50], 'T'), []); // zeroconf without scid_alias is a defined variation
  assert.deepEqual(kinds([12, 23], 'T'), ['parity']);
  assert.deepEqual(kinds([12, 16], 'T'), ['context']);
  assert.ok(isDefinedChannelType(fromBits([12])));
  assert.ok(isDefinedChannelType(fromBits([12, 22])));
  assert.ok(isDefinedChannelType(fromBits([12, 22, 46, 50])));
  assert.ok(!isDefinedChannelType(fromBits([22])));
  assert.ok(!isDefinedChannelType(fromBits([12, 23])));
  assert.ok(!isDefinedChannelType(fromBits([12, 28])));
  cases += 10;
});

test('context column parsing, including the C- and C+ parity codes', () => {
  assert.deepEqual([...parseContexts('IN9')], [['I', 'any'], ['N', 'any'], ['9', 'any']]);
  assert.deepEqual([...parseContexts('IC-9')], [['I', 'any'], ['C', 'odd'], ['9', 'any']]);
  assert.deepEqual([...parseContexts('NC+')], [['N', 'any'], ['C', 'even']]);
  assert.deepEqual([...parseContexts('')], []);
  assert.throws(() => parseContexts('IX'), /unknown code 'X'/);
});

test('bit order: bit 0 is the least significant bit of the last byte', () => {
  assert.equal(hex(fromBits([0])), '01');
  assert.equal(hex(fromBits([1])), '02');
  assert.equal(hex(fromBits([7])), '80');
  assert.equal(hex(fromBits([8])), '0100');
  assert.equal(hex(fromBits([15, 0])), '8001');
  assert.equal(hex(fromBits([12, 22])), '401000'); // BOLT 2 anchors channel_type
  assert.equal(hex(fromBits([])), '');
  assert.ok(hasFeature(Uint8Array.of(0x80, 0x00), 15));
  assert.ok(!hasFeature(Uint8Array.of(0x80, 0x00), 7));
  assert.ok(!hasFeature(Uint8Array.of(0xff), 8));
  assert.throws(() => fromBits([-1]), /feature bit -1/);
  assert.throws(() => hasFeature(new Uint8Array(1), 1.5), /feature bit 1.5/);
});

test('round trips: fromBits/listBits, setFeature/clearFeature, and agreement with the big-endian integer', () => {
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  for (let round = 0; round < 200; round++) {
    const bits = [...new Set(Array.from({ length: next() % 12 }, () => next() % 300))].sort((a, b) => a - b);
    const field = fromBits(bits);
    assert.deepEqual(listBits(field), bits);
    assert.equal(bigintFromBytesBE(field), bits.reduce((acc, b) => acc | (1n << BigInt(b)), 0n));
    let built: Uint8Array = new Uint8Array(0);
    for (const b of [...bits].reverse()) built = setFeature(built, b);
    assert.equal(hex(built), hex(field));
    for (const b of bits) assert.ok(hasFeature(field, b));
    if (bits.length > 0) {
      const cleared = clearFeature(field, bits[0]!);
      assert.deepEqual(listBits(cleared), bits.slice(1));
      assert.equal(hex(minimalFeatures(cleared)), hex(fromBits(bits.slice(1))));
    }
  }
  const input = Uint8Array.of(0x01);
  setFeature(input, 9);
  assert.equal(hex(input), '01', 'setFeature does not modify its input');
  cases += 200;
});

// BOLT 1 §The init Message: negotiation
const localInit = fromBits([13, 23, 27, 47, 51, 61, 7]); // static_remotekey, anchors, anysegwit, scid_alias, zeroconf, simple_close, gossip_queries (all optional)

test('negotiate: features offered by both, or required by us, are active; ASSUMED ones always', () => {
  const result = negotiate(localInit, fromBits([12, 22, 27, 35]));
  for (const name of ['option_anchors', 'option_shutdown_anysegwit', 'option_static_remotekey', 'var_onion_optin', 'payment_secret'] as const) {
    assert.ok(result.active.has(name), name);
  }
  assert.ok(!result.active.has('option_scid_alias'));
  assert.ok(!result.active.has('gossip_queries'));
  assert.deepEqual(result.remoteOnly, ['option_quiesce']);
  const weRequire = negotiate(fromBits([22, 13]), fromBits([]));
  assert.ok(weRequire.active.has('option_anchors'), 'local even bit: negotiated (the peer would have disconnected)');
  cases += 2;
});

test('negotiate fails on a remote compulsory feature we do not know or do not support', () => {
  assert.throws(() => negotiate(localInit, fromBits([100, 23])), { name: 'FeatureError', message: /peer requires unknown feature bit 100/ });
  assert.throws(() => negotiate(localInit, fromBits([28])), /peer requires option_dual_fund \(bit 28\), which we do not support/);
  assert.throws(() => negotiate(localInit, fromBits([28, 29])), /option_dual_fund/); // both bits: compulsory
  assert.throws(() => negotiate(localInit, fromBits([48])), /peer requires option_payment_metadata \(bit 48\)/);
  assert.doesNotThrow(() => negotiate(localInit, fromBits([101, 29, 12, 8, 14]))); // odd unknown, optional unsupported, ASSUMED even
  cases += 5;
});

test('negotiate fails when the peer leaves out a dependency, and when our own features are invalid', () => {
  assert.throws(() => negotiate(localInit, fromBits([51])), /option_zeroconf requires option_scid_alias/);
  assert.doesNotThrow(() => negotiate(localInit, fromBits([51, 47])));
  assert.throws(() => negotiate(fromBits([51]), fromBits([])), /our init features are invalid: option_zeroconf requires option_scid_alias/);
  assert.throws(() => negotiate(fromBits([22, 23]), fromBits([])), /both bits of option_anchors/);
  assert.throws(() => negotiate(fromBits([49]), fromBits([])), /option_payment_metadata \(bit 49\) is not allowed in init/);
  cases += 5;
});

test('features suite case count', () => {
  assert.ok(cases > 0);
  console.log(`BOLT 9 features: ${cases} cases`);
});
