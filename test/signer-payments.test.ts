// Money leaving through payments and forwards (DESIGN invariants 6 and 7), invoices, and the on-chain
// wallet's destinations (invariant 4).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { HDKey } from '@scure/bip32';
import { hex } from '../bolt/bytes.js';
import { buildInvoice, encodeInvoice, unsignedWords } from '../bolt/bolt11/index.js';
import { p2wpkh } from '../bolt/bolt3/index.js';
import { sha256 } from '../bolt/crypto/hash.js';
import { secp } from '../bolt/crypto/secp256k1.js';
import { loadPolicyConfig } from '../policy/index.js';
import { scriptToAddress } from '../signer/service/address.js';
import type { SignerService } from '../signer/service/index.js';
import { assertInputsValid } from './helpers/interpreter.js';
import { MemoryDevice } from './helpers/memory-device.js';
import { assertRefused, auditLines, field, rule } from './helpers/signer-audit.js';
import { call, CLTV, openChannel, openSigner, tempDir, type Msg } from './helpers/signer-pair.js';

const dirs: string[] = [];
const open: SignerService[] = [];
after(async () => {
  for (const s of open) await s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function signer(byte: number, options: { now?: () => number; policyYaml?: string } = {}): Promise<{ signer: SignerService; device: MemoryDevice }> {
  const dir = tempDir(`pay-${byte}`);
  dirs.push(dir);
  const device = MemoryDevice.fromByte(byte);
  const policy = options.policyYaml === undefined ? undefined : loadPolicyConfig(options.policyYaml);
  const s = await openSigner(dir, device, policy, options.now);
  open.push(s);
  return { signer: s, device };
}

/** An invoice from a payee whose key is `payeeKey` (not a signer of ours). */
function foreignInvoice(payeeKey: Uint8Array, amountMsat: bigint, tag: number, timestampMs: number): string {
  const preimage = sha256(Uint8Array.of(0xf0, tag & 0xff, tag >> 8));
  return encodeInvoice(
    buildInvoice({
      network: 'regtest',
      amountMsat,
      timestamp: Math.floor(timestampMs / 1000),
      paymentHash: sha256(preimage),
      paymentSecret: sha256(preimage),
      description: 'coffee',
      expiry: 3600,
    }),
    payeeKey,
  );
}

const PAYEE = sha256(Uint8Array.of(0x99));

test('velocity: approvals within 24 hours add up to the daily limit; the window rolls', async () => {
  let clock = Date.UTC(2030, 0, 1);
  const { signer: s } = await signer(41, { now: () => clock });
  // 99,000 sat + 1,000 sat fee budget = 100,000 sat each: at the approval threshold, not above it.
  for (let i = 0; i < 10; i++) {
    const r = await call(s, 'ApprovePayment', { invoice: foreignInvoice(PAYEE, 99_000_000n, i, clock), amount_msat: '99000000', max_fee_msat: '1000000' });
    assert.equal(r['approved'], true);
    clock += 60_000;
  }
  await assertRefused(s, 'ApprovePayment', { invoice: foreignInvoice(PAYEE, 1_000_000n, 100, clock), amount_msat: '1000000', max_fee_msat: '0' }, rule('policy-commitment-payment-velocity'));
  clock += 24 * 3600 * 1000 - 9 * 60_000; // the first approval has left the window
  const r = await call(s, 'ApprovePayment', { invoice: foreignInvoice(PAYEE, 1_000_000n, 101, clock), amount_msat: '1000000', max_fee_msat: '0' });
  assert.equal(r['approved'], true);
});

test('approval: above the threshold the device screen decides; a denial refuses with the rule id', async () => {
  const { signer: s, device } = await signer(42);
  const invoice = foreignInvoice(PAYEE, 150_000_000n, 1, Date.now());
  device.answer = () => 'denied';
  await assertRefused(s, 'ApprovePayment', { invoice, amount_msat: '150000000', max_fee_msat: '1000000' }, rule('policy-commitment-payment-approved'));
  assert.equal(device.shown.length, 1);
  assert.match(device.shown[0]!, /^Pay 150000 sat/);
  device.answer = () => 'approved';
  const r = await call(s, 'ApprovePayment', { invoice, amount_msat: '150000000', max_fee_msat: '1000000' });
  assert.deepEqual(r, { approved: true, reason: 'approved on the device' });
  assert.equal(device.shown.length, 2);
  // Other refusals: more than the invoice asks, a fee budget above the cap, an expired invoice.
  await assertRefused(s, 'ApprovePayment', { invoice: foreignInvoice(PAYEE, 1_000_000n, 2, Date.now()), amount_msat: '2000000', max_fee_msat: '0' }, rule('policy-commitment-payment-invoiced'));
  await assertRefused(s, 'ApprovePayment', { invoice: foreignInvoice(PAYEE, 1_000_000n, 3, Date.now()), amount_msat: '1000000', max_fee_msat: '500000' }, rule('policy-commitment-payment-fee-range'));
  await assertRefused(s, 'ApprovePayment', { invoice: foreignInvoice(PAYEE, 1_000_000n, 4, Date.now() - 2 * 3600_000), amount_msat: '1000000', max_fee_msat: '0' }, field('invoice'));
  await assertRefused(s, 'ApprovePayment', { invoice: 'lnbcrt1nonsense', amount_msat: '1000000', max_fee_msat: '0' }, field('invoice'));
});

test('invoices: signed by the node key, recorded, and refused outside the invoice rules', async () => {
  const { signer: s } = await signer(43);
  const nodeId = s.nodeId;
  const preimage = sha256(Uint8Array.of(1));
  const unsigned = buildInvoice({ network: 'regtest', amountMsat: 5_000_000n, timestamp: Math.floor(Date.now() / 1000), paymentHash: sha256(preimage), paymentSecret: preimage, description: 'ok', payee: nodeId });
  const { hrp, dataWords } = unsignedWords(unsigned);
  const r = await call(s, 'SignInvoice', { hrp, data_words: Buffer.from(dataWords) });
  const text = encodeInvoice(unsigned, () => ({ signature: r['signature'], recovery: r['recovery_id'] }));
  assert.ok(text.startsWith('lnbcrt50u1'));
  assert.match(s.dumpState(), new RegExp(`payment_hash=${hex(sha256(preimage))}`));

  const tooLong = buildInvoice({ ...unsigned, network: 'regtest', amountMsat: 5_000_000n, timestamp: unsigned.timestamp, paymentHash: sha256(preimage), paymentSecret: preimage, description: 'x', expiry: 30 * 24 * 3600 });
  const w1 = unsignedWords(tooLong);
  await assertRefused(s, 'SignInvoice', { hrp: w1.hrp, data_words: Buffer.from(w1.dataWords) }, rule('policy-invoice-expiry-range'));
  const mainnet = unsignedWords({ ...unsigned, network: 'bitcoin' });
  await assertRefused(s, 'SignInvoice', { hrp: mainnet.hrp, data_words: Buffer.from(mainnet.dataWords) }, field('hrp'));
  const someoneElse = unsignedWords(buildInvoice({ network: 'regtest', timestamp: unsigned.timestamp, paymentHash: sha256(preimage), paymentSecret: preimage, description: 'x', payee: secp.publicKey(PAYEE) }));
  await assertRefused(s, 'SignInvoice', { hrp: someoneElse.hrp, data_words: Buffer.from(someoneElse.dataWords) }, field('data_words', 'policy-signer-own-identity'));
});

test('forwarding: an outgoing HTLC is covered by an irrevocably committed incoming one of the same hash and at least its amount', async () => {
  const alice = await signer(44);
  const bob = await signer(45);
  const carol = await signer(46);
  const ab = await openChannel({ alice: alice.signer, bob: bob.signer }, 'static_remotekey', 1);
  const bc = await openChannel({ alice: bob.signer, bob: carol.signer }, 'anchors', 2); // Bob funds Bob -> Carol
  // Carol's invoice; Alice approves and pays it through Bob with a 1,000 msat fee.
  const preimage = sha256(Uint8Array.of(0xc0));
  const invoice = await bc.invoice('bob', 30_000_000n, preimage);
  assert.equal((await call(alice.signer, 'ApprovePayment', { invoice, amount_msat: '30000000', max_fee_msat: '1000' }))['approved'], true);
  ab.addHtlc('alice', 30_001_000n, preimage, CLTV + 40);
  // Not yet irrevocably committed at Bob: the HTLC is only in Bob's new commitment, his old one is unrevoked.
  const nb = ab.nextHolder.bob;
  const infoB = ab.info('bob', nb);
  await ab.validate('bob', infoB, await ab.signCommitmentOf('bob', nb, infoB));
  const early = bc.addHtlc('alice', 30_000_000n, preimage);
  const n = bc.nextHolder.bob;
  await assertRefused(bob.signer, 'SignCounterpartyCommitment', { channel: bc.ref, commitment: bc.info('bob', n), per_commitment_point: Buffer.from(bc.points.bob.get(n)!) }, rule('policy-commitment-htlc-routing-balance'));
  await ab.revoke('bob', nb - 1);
  await ab.validateRevocation('bob', nb - 1);
  await ab.round('alice');
  // Now committed both ways: forwarding more than came in is refused, the same amount or less is signed.
  bc.fail(early);
  const tooMuch = bc.addHtlc('alice', 30_001_001n, preimage);
  await assertRefused(bob.signer, 'SignCounterpartyCommitment', { channel: bc.ref, commitment: bc.info('bob', n), per_commitment_point: Buffer.from(bc.points.bob.get(n)!) }, rule('policy-commitment-htlc-routing-balance'));
  bc.fail(tooMuch);
  const forwarded = bc.addHtlc('alice', 30_000_000n, preimage);
  await bc.update();
  bc.fulfill(forwarded);
  await bc.update();
  assert.equal(auditLines(bob.signer).filter((l) => l.violations.includes('policy-commitment-htlc-routing-balance')).length, 2);
});

test('wallet: outputs pay our wallet, the allowlist (addresses and xpub addresses) or a channel; anything else is refused', async () => {
  const allowedKey = secp.publicKey(sha256(Uint8Array.of(0xab)));
  const allowedAddress = scriptToAddress(p2wpkh(allowedKey), 'regtest');
  const account = HDKey.fromMasterSeed(sha256(Uint8Array.of(0xcd)), { private: 0x04358394, public: 0x043587cf }).derive("m/84'/1'/0'");
  const yaml = `network: regtest\nallowlist:\n  addresses:\n    - ${allowedAddress}\n  xpubs:\n    - ${account.publicExtendedKey}\n`;
  const { signer: s } = await signer(47, { policyYaml: yaml });
  const address = await call(s, 'NewAddress', {});
  assert.match(address['address'], /^bcrt1q/);
  const utxo = { outpoint: { txid: Buffer.alloc(32, 7), vout: 0 }, amount_sat: '100000', script_pubkey: address['script_pubkey'], sequence: 0xffffffff };
  const pay = (script: Uint8Array, amountSat = 99_000n): Msg => ({ version: 2, locktime: 0, inputs: [utxo], outputs: [{ amount_sat: amountSat.toString(), script_pubkey: Buffer.from(script), funds_channel: null }] });

  for (const script of [p2wpkh(allowedKey), p2wpkh(account.deriveChild(0).deriveChild(7).publicKey!), address['script_pubkey']]) {
    const r = await call(s, 'SignWalletTransaction', pay(script));
    assertInputsValid(hex(r['transaction']), [{ scriptPubKeyHex: hex(address['script_pubkey']), amountSat: 100_000n }]);
  }
  await assertRefused(s, 'SignWalletTransaction', pay(p2wpkh(secp.publicKey(sha256(Uint8Array.of(0xef))))), rule('policy-onchain-no-unknown-outputs'));
  await assertRefused(s, 'SignWalletTransaction', pay(address['script_pubkey'], 10_000n), rule('policy-onchain-fee-range'));
  await assertRefused(
    s,
    'SignWalletTransaction',
    { ...pay(address['script_pubkey']), inputs: [{ ...utxo, script_pubkey: Buffer.from(p2wpkh(allowedKey)) }] },
    field('inputs[0].script_pubkey'),
  );
});

test('a rule in warn mode lets the request through and the audit line says "warned" with the rule id', async () => {
  const alice = await signer(48, { policyYaml: 'network: regtest\nrules:\n  commitment-fee-range:\n    mode: warn\n' });
  const bob = await signer(49);
  const pair = await openChannel({ alice: alice.signer, bob: bob.signer }, 'static_remotekey', 3);
  pair.feeratePerKw = 100;
  const n = pair.nextHolder.bob;
  const info = pair.info('bob', n);
  const signed = await pair.signCommitmentOf('bob', n, info);
  assert.equal(signed['signature'].length, 64);
  const line = auditLines(alice.signer).at(-1)!;
  assert.equal(line.op, 'SignCounterpartyCommitment');
  assert.equal(line.decision, 'warned');
  assert.deepEqual(line.warnings, ['policy-commitment-fee-range']);
  // Bob's policy enforces the rule: his signer refuses the same commitment.
  await assertRefused(bob.signer, 'ValidateHolderCommitment', { channel: pair.ref, commitment: info, counterparty_signature: signed['signature'], htlc_signatures: [] }, rule('policy-commitment-fee-range'));
});
