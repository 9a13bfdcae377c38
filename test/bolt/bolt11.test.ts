// BOLT 11 invoices against every example of 11-payment-encoding.md, plus the reader and writer
// rules the examples do not reach.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bech32 } from '@scure/base';
import { concat, fromHex, hex } from '../../bolt/bytes.js';
import { sha256 } from '../../bolt/crypto/hash.js';
import { secp } from '../../bolt/crypto/secp256k1.js';
import {
  type Invoice,
  InvoiceError,
  type InvoiceErrorCode,
  type Network,
  NETWORKS,
  type TaggedField,
  type UnsignedInvoice,
  buildInvoice,
  decodeInvoice,
  descriptionHashMatches,
  encodeInvoice,
  fallbackFromAddress,
  fallbackToAddress,
  formatAmount,
  invoiceDigest,
  invoiceSummary,
  parseAmount,
  unsignedWords,
} from '../../bolt/bolt11/index.js';
import { FIELDS } from '../../bolt/bolt11/fields.js';
import { wordsToBytesPadded } from '../../bolt/bolt11/words.js';
import examples from '../vectors/bolt11-examples.json' with { type: 'json' };

interface ValidCase {
  name: string;
  invoice: string;
  field_order: string[];
  expected: Record<string, unknown>;
  encode_uppercase?: boolean;
  reencoded?: string;
  legacy_skip_wrong_length?: boolean;
  current_rules?: { code: InvoiceErrorCode };
  skipped_fields?: { type: number; letter: string; data_length: number }[];
  signature_breakdown?: { signature: string; recovery: number; signed_data: string; digest: string };
  description_preimage?: string;
}
interface InvalidCase {
  name: string;
  invoice: string;
  code: InvoiceErrorCode;
  message_contains: string;
}
const vectors = examples as unknown as {
  private_key: string;
  payee: string;
  valid: ValidCase[];
  invalid: InvalidCase[];
};
const privateKey = fromHex(vectors.private_key);
const decodeCase = (c: ValidCase): Invoice => decodeInvoice(c.invoice, { skipWrongLength: c.legacy_skip_wrong_length === true });

/** Asserts that `fn` throws an InvoiceError with `code` and a one-line message containing `contains`. */
function assertRejects(fn: () => unknown, code: InvoiceErrorCode, contains?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InvoiceError, `expected InvoiceError, got ${String(e)}`);
    assert.equal(e.code, code, `code for "${e.message}"`);
    assert.ok(!e.message.includes('\n'), 'message is one line');
    if (contains !== undefined) assert.ok(e.message.includes(contains), `"${e.message}" should name "${contains}"`);
    return true;
  });
}

test('the spec private key is the payee node id the examples name', () => {
  assert.equal(hex(secp.publicKey(privateKey)), vectors.payee);
});

test('every valid spec example decodes to exactly its listed fields, in invoice order', () => {
  for (const c of vectors.valid) {
    const invoice = decodeCase(c);
    assert.deepEqual(invoiceSummary(invoice), c.expected, c.name);
    assert.deepEqual(invoice.fields.map((f) => f.tag), c.field_order, c.name);
    assert.equal(invoice.payeeFromField, false, `${c.name}: no example carries n, so the payee is recovered`);
  }
});

test('re-encoding every valid example with the spec key reproduces it byte for byte', () => {
  for (const c of vectors.valid) {
    const invoice = decodeCase(c);
    const again = encodeInvoice(invoice, privateKey, { uppercase: c.encode_uppercase === true });
    assert.equal(again, c.reencoded ?? c.invoice, c.name);
  }
});

test('the signature breakdowns of the spec: signed data, digest, r||s and recovery id', () => {
  let checked = 0;
  for (const c of vectors.valid) {
    const b = c.signature_breakdown;
    if (!b) continue;
    const invoice = decodeCase(c);
    const { hrp, dataWords } = unsignedWords(invoice);
    const signed = concat(new TextEncoder().encode(hrp), wordsToBytesPadded(dataWords));
    assert.equal(hex(signed), b.signed_data, `${c.name}: signed data`);
    assert.equal(hex(invoiceDigest(hrp, dataWords)), b.digest, `${c.name}: digest`);
    assert.equal(hex(sha256(fromHex(b.signed_data))), b.digest, `${c.name}: spec's own digest`);
    assert.equal(hex(invoice.signature), b.signature, `${c.name}: r||s`);
    assert.equal(invoice.recovery, b.recovery, `${c.name}: recovery id`);
    checked++;
  }
  assert.equal(checked, 11);
});

test('every invalid spec example is rejected with an error naming its reason', () => {
  for (const c of vectors.invalid) assertRejects(() => decodeInvoice(c.invoice), c.code, c.message_contains);
  const { valid, invalid } = vectors;
  console.log(`BOLT 11 examples: ${valid.length + invalid.length} cases (${valid.length} valid, ${invalid.length} invalid)`);
});

test('the "fields which must be ignored" example: skipped only under the pre-#1243 rule, refused under the current one', () => {
  const c = vectors.valid.find((v) => v.legacy_skip_wrong_length)!;
  assert.ok(c.current_rules && c.skipped_fields);
  // Current rule: the first wrong-length fixed field (the p of data_length 51) fails the invoice.
  assertRejects(() => decodeInvoice(c.invoice), c.current_rules.code, 'field p (payment_hash): data_length 51, expected 52');
  const skipped = decodeCase(c).fields.filter((f) => f.tag === 'skipped');
  assert.deepEqual(
    skipped.map((f) => ({ type: f.type, data_length: f.words.length })),
    c.skipped_fields.map((f) => ({ type: f.type, data_length: f.data_length })),
  );
  for (const f of c.skipped_fields) assert.equal('qpzry9x8gf2tvdw0s3jn54khce6mua7l'[f.type], f.letter);
});

test('high-S example: recovery accepts it and agrees with recovery id 0 of the low-S twin', () => {
  const high = decodeCase(vectors.valid.find((v) => v.name.includes('high-S'))!);
  const low = decodeCase(vectors.valid[0]!);
  const { hrp, dataWords } = unsignedWords(low);
  const digest = invoiceDigest(hrp, dataWords);
  // (r, n - s) with recovery id v recovers what (r, s) recovers with v ^ 1.
  assert.equal(hex(high.signature.subarray(0, 32)), hex(low.signature.subarray(0, 32)));
  assert.equal(hex(high.payee), hex(secp.recover(low.signature, low.recovery ^ 1, digest)));
  assert.equal(hex(low.payee), vectors.payee);
});

test('the hashed-description example commits to the long description the spec prints', () => {
  const c = vectors.valid.find((v) => v.description_preimage !== undefined)!;
  const invoice = decodeCase(c);
  assert.ok(descriptionHashMatches(invoice, c.description_preimage!));
  assert.ok(!descriptionHashMatches(invoice, c.description_preimage! + '.'));
});

test('field type numbers are the bech32 characters of their letters', () => {
  for (const [letter, spec] of Object.entries(FIELDS)) assert.equal('qpzry9x8gf2tvdw0s3jn54khce6mua7l'[spec.type], letter);
});

test('amounts: every multiplier, the p rule, and the shortest writer form', () => {
  assert.equal(parseAmount('1'), 100_000_000_000n);
  assert.equal(parseAmount('20m'), 2_000_000_000n);
  assert.equal(parseAmount('2500u'), 250_000_000n);
  assert.equal(parseAmount('10n'), 1_000n);
  assert.equal(parseAmount('9678785340p'), 967_878_534n);
  assert.equal(parseAmount('10p'), 1n);
  assertRejects(() => parseAmount('1p'), 'sub-millisatoshi');
  assertRejects(() => parseAmount('25x'), 'invalid-multiplier', '"x"');
  assertRejects(() => parseAmount('2.5m'), 'invalid-amount');
  assertRejects(() => parseAmount('025m'), 'invalid-amount', 'leading zero');
  assertRejects(() => parseAmount('0'), 'invalid-amount');
  assertRejects(() => parseAmount('m'), 'invalid-amount');
  const shortest: [bigint, string][] = [
    [100_000_000_000n, '1'],
    [2_500_000_000n, '25m'],
    [250_000_000n, '2500u'],
    [967_878_534n, '9678785340p'],
    [1_000n, '10n'],
    [1n, '10p'],
  ];
  for (const [msat, text] of shortest) {
    assert.equal(formatAmount(msat), text);
    assert.equal(parseAmount(text), msat);
  }
});

test('fallback addresses: the spec addresses round-trip, and each network writes its own form', () => {
  const spec: [Network, string, number][] = [
    ['testnet', 'mk2QpYatsKicvFVuTAQLBryyccRXMUaGHP', 17],
    ['bitcoin', '1RustyRX2oai4EYYDpQGWvEL62BBGqN9T', 17],
    ['bitcoin', '3EktnHQD7RiAE6uzMj2ZifT9YgRrkSgzQX', 18],
    ['bitcoin', 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', 0],
    ['bitcoin', 'bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3', 0],
    ['bitcoin', 'bc1pptdvg0d2nj99568qn6ssdy4cygnwuxgw2ukmnwgwz7jpqjz2kszse2s3lm', 1],
  ];
  for (const [network, address, version] of spec) {
    const fb = fallbackFromAddress(network, address);
    assert.equal(fb.version, version, address);
    assert.equal(fallbackToAddress(network, fb), address);
  }
  const hash = fromHex('3172b5654f6683c8fb146959d347ce303cae4ca7');
  const program32 = sha256(hash);
  for (const network of Object.keys(NETWORKS) as Network[]) {
    for (const fb of [
      { version: 17, program: hash },
      { version: 18, program: hash },
      { version: 0, program: hash },
      { version: 0, program: program32 },
      { version: 1, program: program32 },
    ]) {
      const address = fallbackToAddress(network, fb);
      assert.deepEqual(fallbackFromAddress(network, address), fb, `${network} ${address}`);
      if (fb.version <= 16) assert.ok(address.startsWith(NETWORKS[network].segwitHrp + '1'));
    }
  }
  assert.ok(fallbackToAddress('regtest', { version: 0, program: hash }).startsWith('bcrt1q'));
  assert.ok(fallbackToAddress('simnet', { version: 0, program: hash }).startsWith('sb1q'));
  assert.equal(fallbackToAddress('signet', { version: 17, program: hash }), 'mk2QpYatsKicvFVuTAQLBryyccRXMUaGHP');
  assert.throws(() => fallbackFromAddress('bitcoin', 'mk2QpYatsKicvFVuTAQLBryyccRXMUaGHP'), /neither bitcoin P2PKH nor P2SH/);
  assert.throws(() => fallbackToAddress('bitcoin', { version: 0, program: new Uint8Array(21) }), /v0 program of 21 bytes/);
});

// Invoices built here (not spec vectors) for the rules the examples do not reach.
const baseParams = {
  network: 'bitcoin' as Network,
  timestamp: 1496314658,
  paymentHash: fromHex('0001020304050607080900010203040506070809000102030405060708090102'),
  paymentSecret: fromHex('11'.repeat(32)),
  description: 'test',
  features: [8, 14],
};
const withFields = (fields: TaggedField[], network: Network = 'bitcoin'): UnsignedInvoice => ({ network, timestamp: 1, fields });
const p: TaggedField = { tag: 'p', value: baseParams.paymentHash };
const s: TaggedField = { tag: 's', value: baseParams.paymentSecret };
const d: TaggedField = { tag: 'd', value: 'x' };
/** Raw bech32 text, for malformed invoices encodeInvoice refuses to write. */
const encodeRaw = (hrp: string, words: number[]): string => bech32.encode(hrp, words, false);

test('every network prefix encodes and decodes, with and without an amount', () => {
  for (const network of Object.keys(NETWORKS) as Network[]) {
    for (const amountMsat of [undefined, 1n, 123_456_789n]) {
      const text = encodeInvoice(buildInvoice({ ...baseParams, network, ...(amountMsat === undefined ? {} : { amountMsat }) }), privateKey);
      assert.ok(text.startsWith(NETWORKS[network].invoicePrefix + (amountMsat === undefined ? '1' : '')), text);
      const back = decodeInvoice(text);
      assert.equal(back.network, network);
      assert.equal(back.amountMsat, amountMsat);
    }
  }
  assertRejects(() => decodeInvoice(encodeInvoice(buildInvoice(baseParams), privateKey).replace(/^lnbc/, 'lnxy')), 'bech32-checksum');
});

test('unknown network prefixes are refused by name', () => {
  // Valid bech32 with a prefix no network uses.
  const words = unsignedWords(buildInvoice(baseParams)).dataWords;
  const sig = new Array<number>(104).fill(0);
  for (const hrp of ['lnxy', 'lnbcx', 'bc', 'lntbx20m']) {
    const text = encodeRaw(hrp, [...words, ...sig]);
    assertRejects(() => decodeInvoice(text), 'unknown-network');
  }
});

test('a full invoice round-trips: every field kind, n present, several f and r', () => {
  const other = secp.publicKey(fromHex('22'.repeat(32)));
  const params = {
    ...baseParams,
    network: 'regtest' as Network,
    amountMsat: 42_000n,
    payee: secp.publicKey(privateKey),
    expiry: 86_400,
    minFinalCltvExpiryDelta: 144,
    metadata: fromHex('01fafaf0'),
    fallbacks: [fallbackFromAddress('regtest', fallbackToAddress('regtest', { version: 1, program: fromHex('aa'.repeat(32)) })), { version: 18, program: fromHex('bb'.repeat(20)) }],
    routeHints: [
      [{ pubkey: other, shortChannelId: (700_000n << 40n) | (12n << 16n) | 1n, feeBaseMsat: 1000, feeProportionalMillionths: 1, cltvExpiryDelta: 40 }],
      [
        { pubkey: other, shortChannelId: 1n, feeBaseMsat: 0, feeProportionalMillionths: 0, cltvExpiryDelta: 0 },
        { pubkey: secp.publicKey(privateKey), shortChannelId: 2n ** 64n - 1n, feeBaseMsat: 2 ** 32 - 1, feeProportionalMillionths: 2 ** 32 - 1, cltvExpiryDelta: 65535 },
      ],
    ],
    features: [8, 14, 16, 49],
  };
  const text = encodeInvoice(buildInvoice(params), privateKey);
  const back = decodeInvoice(text);
  assert.equal(back.payeeFromField, true);
  assert.equal(hex(back.payee), vectors.payee);
  assert.equal(back.expiry, 86_400);
  assert.equal(back.minFinalCltvExpiryDelta, 144);
  assert.deepEqual(back.fallbacks, params.fallbacks);
  assert.deepEqual(back.routeHints, params.routeHints);
  assert.deepEqual(back.features, [8, 14, 16, 49]);
  assert.equal(hex(back.metadata!), '01fafaf0');
  assert.equal(invoiceSummary(back).route_hints[0]![0]!.short_channel_id, '700000x12x1');
  assert.equal(encodeInvoice(back, privateKey), text);
  assert.equal(decodeInvoice(text.toUpperCase()).timestamp, baseParams.timestamp);
  assert.equal(decodeInvoice('lightning:' + text).timestamp, baseParams.timestamp);
});

test('with n present the signature is verified against it, and a different n is refused', () => {
  const wrong = secp.publicKey(fromHex('33'.repeat(32)));
  const text = encodeInvoice(buildInvoice({ ...baseParams, payee: wrong }), privateKey);
  assertRejects(() => decodeInvoice(text), 'bad-signature', hex(wrong));
  const notAPoint: TaggedField = { tag: 'skipped', type: 19, words: new Array<number>(53).fill(0), reason: 'test' };
  assertRejects(() => decodeInvoice(encodeInvoice(withFields([p, s, d, notAPoint]), privateKey)), 'field-value', 'field n');
});

test('missing or doubled mandatory fields are refused, naming the field', () => {
  const h: TaggedField = { tag: 'h', value: sha256(new Uint8Array(1)) };
  const enc = (fields: TaggedField[]): string => encodeInvoice(withFields(fields), privateKey);
  assertRejects(() => decodeInvoice(enc([s, d])), 'missing-field', 'missing p field');
  assertRejects(() => decodeInvoice(enc([p, d])), 'missing-field', 'missing s field');
  assertRejects(() => decodeInvoice(enc([p, s])), 'missing-field', 'neither d nor h');
  assertRejects(() => decodeInvoice(enc([p, s, d, h])), 'conflicting-fields', 'both d');
  // Preference order: the first p is the payment hash.
  const second: TaggedField = { tag: 'p', value: sha256(new Uint8Array(2)) };
  assert.equal(hex(decodeInvoice(enc([p, second, s, d])).paymentHash), hex(baseParams.paymentHash));
});

test('x, c and 9 with leading zero words are refused as non-minimal; minimal ones decode', () => {
  const raw = (type: number, words: number[]): TaggedField => ({ tag: 'skipped', type, words, reason: 'test' });
  const enc = (extra: TaggedField): string => encodeInvoice(withFields([p, s, d, extra]), privateKey);
  assertRejects(() => decodeInvoice(enc(raw(6, [0, 1, 28]))), 'non-minimal', 'field x');
  assertRejects(() => decodeInvoice(enc(raw(24, [0, 18]))), 'non-minimal', 'field c');
  assertRejects(() => decodeInvoice(enc(raw(5, [0, 16, 8, 0]))), 'non-minimal', 'field 9');
  assert.equal(decodeInvoice(enc(raw(6, [1, 28]))).expiry, 60);
  assert.equal(decodeInvoice(enc(raw(24, [18]))).minFinalCltvExpiryDelta, 18);
});

test('wrong data_length of p, h, s, n is refused under the current rule, each by name', () => {
  const raw = (type: number, n: number): TaggedField => ({ tag: 'skipped', type, words: new Array<number>(n).fill(0), reason: 'test' });
  const cases: [number, number, string][] = [
    [1, 51, 'field p'],
    [23, 53, 'field h'],
    [16, 0, 'field s'],
    [19, 52, 'field n'],
  ];
  for (const [type, len, name] of cases) {
    assertRejects(() => decodeInvoice(encodeInvoice(withFields([p, s, d, raw(type, len)]), privateKey)), 'field-length', name);
  }
});

test('unknown fields and f of unknown version are skipped and kept for re-encoding', () => {
  const unknown: TaggedField = { tag: 'skipped', type: 10, words: [1, 2, 3], reason: 'test' };
  const futureFallback: TaggedField = { tag: 'skipped', type: 9, words: [19, 1, 2, 3, 4], reason: 'test' };
  const text = encodeInvoice(withFields([p, unknown, s, futureFallback, d]), privateKey);
  const back = decodeInvoice(text);
  assert.deepEqual(back.fields.map((f) => f.tag), ['p', 'skipped', 's', 'skipped', 'd']);
  assert.deepEqual(back.fallbacks, []);
  assert.equal(encodeInvoice(back, privateKey), text);
});

test('features: unknown odd bits are ignored, unknown even bits refused, known even bits accepted', () => {
  const enc = (bits: number[]): string => encodeInvoice(withFields([p, s, d, { tag: '9', value: bits }]), privateKey);
  assert.deepEqual(decodeInvoice(enc([9, 15, 255])).features, [9, 15, 255]);
  assertRejects(() => decodeInvoice(enc([8, 14, 254])), 'unknown-required-feature', 'bit 254');
  assert.deepEqual(decodeInvoice(enc([8, 14])).features, [8, 14]);
});

test('route hints and descriptions that cannot be read are refused', () => {
  const raw = (type: number, words: number[]): TaggedField => ({ tag: 'skipped', type, words, reason: 'test' });
  const enc = (extra: TaggedField): string => encodeInvoice(withFields([p, s, d, extra]), privateKey);
  assertRejects(() => decodeInvoice(enc(raw(3, new Array<number>(80).fill(0)))), 'field-value', 'field r');
  // 0xff is never valid UTF-8.
  const bad: TaggedField = { tag: 'skipped', type: 13, words: [31, 31], reason: 'test' };
  assertRejects(() => decodeInvoice(encodeInvoice(withFields([p, s, bad]), privateKey)), 'field-value', 'UTF-8');
});

test('truncated and malformed data parts are refused', () => {
  const text = encodeInvoice(buildInvoice(baseParams), privateKey);
  const { hrp, dataWords } = unsignedWords(buildInvoice(baseParams));
  const signature = bech32.decode(text, false).words.slice(-104);
  // A field whose data_length runs into the signature.
  assertRejects(() => decodeInvoice(encodeRaw(hrp, [...dataWords, 1, 1, 0, ...signature])), 'field-overflow');
  assertRejects(() => decodeInvoice(encodeRaw(hrp, [...dataWords, 1, ...signature])), 'field-overflow', 'header truncated');
  // Recovery id 4..31 in the last byte.
  const badRecovery = [...signature.slice(0, 102), 0, 28];
  assertRejects(() => decodeInvoice(encodeRaw(hrp, [...dataWords, ...badRecovery])), 'bad-recovery-id');
  assertRejects(() => decodeInvoice(text.slice(0, -1) + (text.endsWith('q') ? 'p' : 'q')), 'bech32-checksum');
  assertRejects(() => decodeInvoice(text.replace('1', 'b')), 'bech32-no-separator');
  assertRejects(() => decodeInvoice('lnbc1' + 'q'.repeat(4)), 'bech32-invalid');
  assertRejects(() => decodeInvoice(text.slice(0, 10) + 'b' + text.slice(11)), 'bech32-invalid');
});

test('the writer rules of buildInvoice: one of d or h, no empty 9, positive amount', () => {
  assert.throws(() => buildInvoice({ ...baseParams, descriptionHash: new Uint8Array(32) }), /exactly one of description/);
  const { description: _omit, ...noDescription } = baseParams;
  assert.throws(() => buildInvoice(noDescription), /exactly one of description/);
  assert.equal(buildInvoice({ ...baseParams, features: [] }).fields.some((f) => f.tag === '9'), false);
  assert.throws(() => buildInvoice({ ...baseParams, amountMsat: 0n }), /positive/);
  assert.throws(() => encodeInvoice({ ...buildInvoice(baseParams), timestamp: 2 ** 35 }, privateKey), /35 bits/);
  assert.throws(() => encodeInvoice(withFields([{ tag: 'p', value: new Uint8Array(31) }]), privateKey), /expected 32 bytes/);
  assert.throws(() => encodeInvoice(withFields([{ tag: 'd', value: 'x'.repeat(640) }]), privateKey), /exceed data_length limit 1023/);
});
