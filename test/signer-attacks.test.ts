// The attack suite: a hostile node holding the node's certificate talks to a real `vigil signer run`
// process (backed by a real `vigil hsm-emulator` process whose screen rejects every confirmation) over
// gRPC with mutual TLS, and tries to steal or misuse the channel funds. The counterparty is an
// in-process signer whose policy only warns (a colluding peer): it signs whatever the attack needs, so
// the hostile node can show VALID counterparty signatures.
//
// Each attempt must be refused with FAILED_PRECONDITION or INVALID_ARGUMENT (UNAVAILABLE for TLS), the
// message starting with the rule id or the field; the signer's audit.jsonl must get exactly one new line
// naming the rule with decision refused (no line for a TLS refusal); and the signer's state must be
// unchanged: ListChannels answers the same, and a dump of every table of its SQLite file, opened
// read-only beside the running signer, is byte-identical.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { compare, hex } from '../bolt/bytes.js';
import { buildInvoice, invoiceDigest, unsignedWords } from '../bolt/bolt11/index.js';
import { fundingScript, p2wpkh, p2wsh, transactionId, type Transaction } from '../bolt/bolt3/index.js';
import { sha256 } from '../bolt/crypto/hash.js';
import { secp } from '../bolt/crypto/secp256k1.js';
import { shortChannelIdFromParts } from '../bolt/codec/short-channel-id.js';
import { encodeMessage } from '../bolt/messages/index.js';
import { SignerRefusal } from '../node/signer-client/client.js';
import type { PolicyConfig } from '../policy/index.js';
import { paths } from '../signer/config.js';
import { chainHash } from '../signer/service/identity.js';
import type { RpcName, SignerService } from '../signer/service/index.js';
import { createMutualTls } from '../signer/tls.js';
import { assertInputsValid } from './helpers/interpreter.js';
import { MemoryDevice } from './helpers/memory-device.js';
import { CLTV, FUNDING_SAT, openChannel, openSigner, regtestPolicy, tempDir, TIP_HEIGHT, WALLET_UTXO_SAT, type ChannelPair, type Msg, type PairSigner } from './helpers/signer-pair.js';
import { dumpDatabase, GrpcSigner, readAudit, SignerStack, verifyAuditCli } from './helpers/signer-process.js';

const DAILY_LIMIT_SAT = 300_000n;
const FP = grpc.status.FAILED_PRECONDITION;
const IA = grpc.status.INVALID_ARGUMENT;

let stack: SignerStack;
let alice: GrpcSigner;
let bob: SignerService;
let bobDir: string;
let pair: ChannelPair<PairSigner>;
/** A second channel between the same two, where the forwarded HTLC comes in. */
let pair2: ChannelPair<PairSigner>;
const cases: { name: string; rule: string }[] = [];

/** A peer that signs anything: every rule in warn mode. */
function colludingPolicy(): PolicyConfig {
  const base = regtestPolicy();
  const rules = Object.fromEntries(Object.entries(base.rules).map(([id, s]) => [id, { ...s, mode: 'warn' }])) as unknown as PolicyConfig['rules'];
  return { ...base, rules };
}

const stranger = Buffer.from(p2wpkh(secp.publicKey(sha256(new TextEncoder().encode('a thief\'s key')))));

before(async () => {
  stack = await SignerStack.start({
    label: 'attacks',
    screen: 'reject-all',
    policy: (yaml) => yaml.replace(/^(\s*daily:) .*$/m, `$1 ${DAILY_LIMIT_SAT} sat`),
  });
  alice = await GrpcSigner.connect(stack);
  bobDir = tempDir('attacks-peer');
  bob = await openSigner(bobDir, MemoryDevice.fromByte(43), colludingPolicy());
  const signers = { alice: alice as PairSigner, bob: bob as PairSigner };
  pair = await openChannel<PairSigner>(signers, 'static_remotekey', 1);
  assertInputsValid(hex(pair.signedFunding!), [{ scriptPubKeyHex: hex(pair.walletUtxo!.script), amountSat: pair.walletUtxo!.amountSat }]);
  // Honest traffic first: a payment each way, every commitment signed, validated and revoked.
  const h1 = await pair.pay('alice', 50_000_000n, 1);
  await pair.update();
  pair.fulfill(h1);
  await pair.update();
  const h2 = await pair.pay('bob', 20_000_000n, 2);
  await pair.update();
  pair.fulfill(h2);
  await pair.update();
  // The second channel, and a payment over it so the peer has something to forward with.
  pair2 = await openChannel<PairSigner>(signers, 'static_remotekey', 2);
  const h3 = await pair2.pay('alice', 30_000_000n, 3);
  await pair2.update();
  pair2.fulfill(h3);
  await pair2.update();
});

after(async () => {
  alice?.close();
  await bob?.close();
  await stack?.stop();
});

interface Expect {
  readonly code: grpc.status;
  /** The id the audit line lists among its violations. */
  readonly rule: string;
  /** What the message starts with: the rule id (default) or the field. */
  readonly prefix?: string;
}

const rule = (id: string): Expect => ({ code: FP, rule: id });
const field = (name: string, id = 'policy-signer-request-valid'): Expect => ({ code: IA, rule: id, prefix: name });

/** One attack: refused as expected, one audit line naming the rule, nothing stored changed. */
async function attempt(name: string, method: RpcName, request: object, expect: Expect): Promise<void> {
  const listBefore = await alice.call('ListChannels', {});
  const dumpBefore = dumpDatabase(stack.databasePath);
  const linesBefore = readAudit(stack.auditPath).lines.length;
  let caught: unknown;
  try {
    await alice.call(method, request);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof SignerRefusal, `${name}: ${method} should be refused, got ${caught === undefined ? 'success' : String(caught)}`);
  assert.equal(caught.code, expect.code, `${name}: ${caught.details}`);
  const prefix = expect.prefix ?? expect.rule;
  assert.ok(caught.details.startsWith(`${prefix}:`), `${name}: message "${caught.details}" should start with ${prefix}`);

  const { lines } = readAudit(stack.auditPath);
  assert.equal(lines.length, linesBefore + 1, `${name}: exactly one audit line per refusal`);
  const line = lines.at(-1)!;
  assert.equal(line.op, method, name);
  assert.equal(line.decision, 'refused', name);
  assert.ok(line.violations.includes(expect.rule), `${name}: audit violations ${JSON.stringify(line.violations)} should include ${expect.rule}`);

  assert.equal(dumpDatabase(stack.databasePath), dumpBefore, `${name}: the stored state must be unchanged`);
  assert.deepEqual(await alice.call('ListChannels', {}), listBefore, `${name}: ListChannels must answer the same`);
  cases.push({ name, rule: expect.rule });
}

/** A TLS refusal: UNAVAILABLE before any rpc runs, so no audit line and no state change. */
async function attemptTls(name: string, run: () => Promise<unknown>): Promise<void> {
  const dumpBefore = dumpDatabase(stack.databasePath);
  const linesBefore = readAudit(stack.auditPath).lines.length;
  await assert.rejects(run(), (err: { code?: number }) => err.code === grpc.status.UNAVAILABLE, name);
  assert.equal(readAudit(stack.auditPath).lines.length, linesBefore, `${name}: a TLS refusal never reaches the audit log`);
  assert.equal(dumpDatabase(stack.databasePath), dumpBefore, name);
  cases.push({ name, rule: 'mutual TLS (UNAVAILABLE)' });
}

function signRequest(owner: 'bob', n: number, info: Msg, point = pair.points[owner].get(n) ?? pair.points[owner].get(n - 1)!): Msg {
  return { channel: pair.ref, commitment: info, per_commitment_point: Buffer.from(point) };
}

function htlcMsg(direction: 'HTLC_DIRECTION_OFFERED' | 'HTLC_DIRECTION_RECEIVED', id: bigint, amountMsat: bigint, paymentHash: Uint8Array, cltvExpiry: number): Msg {
  return { direction, id: id.toString(), amount_msat: amountMsat.toString(), payment_hash: Buffer.from(paymentHash), cltv_expiry: cltvExpiry };
}

/** Bob's commitment `n` from the model, plus one HTLC Alice offers (RECEIVED from Bob's side), its amount taken from Alice. */
function bobWithOffered(n: number, amountMsat: bigint, paymentHash: Uint8Array, cltvExpiry = CLTV): Msg {
  const info = pair.info('bob', n);
  return {
    ...info,
    to_counterparty_msat: (BigInt(info['to_counterparty_msat']) - amountMsat).toString(),
    htlcs: [...info['htlcs'], htlcMsg('HTLC_DIRECTION_RECEIVED', pair.nextHtlcId.alice, amountMsat, paymentHash, cltvExpiry)],
  };
}

async function bobInvoice(amountMsat: bigint, tag: number): Promise<string> {
  return pair.invoice('bob', amountMsat, sha256(Uint8Array.of(0xbb, tag)));
}

test('commitment numbers, content and channel parameters of counterparty commitments', async () => {
  // The read-only dump sees the running signer's latest commits (so an unchanged dump means something).
  const dump = dumpDatabase(stack.databasePath);
  await pair.call('alice', 'NewAddress', {});
  assert.notEqual(dumpDatabase(stack.databasePath), dump);
  const b = pair.nextHolder.bob;
  await attempt('sign an old counterparty commitment', 'SignCounterpartyCommitment', signRequest('bob', b - 2, pair.history.bob.get(b - 2)!), rule('policy-commitment-number-sequence'));
  await attempt('sign counterparty commitment N+2 (skipping one)', 'SignCounterpartyCommitment', signRequest('bob', b + 1, pair.info('bob', b + 1)), rule('policy-commitment-number-sequence'));
  const current = pair.history.bob.get(b - 1)!;
  const resigned = { ...current, to_holder_msat: (BigInt(current['to_holder_msat']) - 1000n).toString(), to_counterparty_msat: (BigInt(current['to_counterparty_msat']) + 1000n).toString() };
  await attempt('re-sign the current number N with other balances', 'SignCounterpartyCommitment', signRequest('bob', b - 1, resigned), rule('policy-commitment-retry-same'));
  const info = pair.info('bob', b);
  const gift = { ...info, to_holder_msat: (BigInt(info['to_holder_msat']) + 5_000_000n).toString(), to_counterparty_msat: (BigInt(info['to_counterparty_msat']) - 5_000_000n).toString() };
  await attempt('a counterparty commitment paying them more than their balance', 'SignCounterpartyCommitment', signRequest('bob', b, gift), rule('policy-commitment-deltas-only-htlc'));
  const inflated = { ...info, to_holder_msat: (BigInt(info['to_holder_msat']) + 1_000_000_000n).toString() };
  await attempt('a counterparty commitment worth more than the channel', 'SignCounterpartyCommitment', signRequest('bob', b, inflated), rule('policy-commitment-balance-sum'));
  await attempt('a feerate far above the range', 'SignCounterpartyCommitment', signRequest('bob', b, { ...info, feerate_per_kw: 1_000_000 }), rule('policy-commitment-fee-range'));
  await attempt('a feerate below the relay floor', 'SignCounterpartyCommitment', signRequest('bob', b, { ...info, feerate_per_kw: 10 }), rule('policy-commitment-fee-range'));
});

test('HTLCs we would offer: unapproved, absurd expiry', async () => {
  const b = pair.nextHolder.bob;
  await attempt('an HTLC we offer with no approved payment or incoming match', 'SignCounterpartyCommitment', signRequest('bob', b, bobWithOffered(b, 10_000_000n, sha256(Uint8Array.of(0xee)))), rule('policy-commitment-htlc-routing-balance'));
  // A real, approved payment, but its HTLC would lock our money for a month.
  const invoice = await bobInvoice(1_000_000n, 1);
  await pair.call('alice', 'ApprovePayment', { invoice, amount_msat: '1000000', max_fee_msat: '1000' });
  await attempt('an approved HTLC with an absurd cltv_expiry', 'SignCounterpartyCommitment', signRequest('bob', b, bobWithOffered(b, 1_000_000n, sha256(Uint8Array.of(0xbb, 1)), TIP_HEIGHT + 5000)), rule('policy-commitment-htlc-cltv-range'));
});

test('revocation discipline on our own commitments', async () => {
  const a = pair.nextHolder.alice;
  await attempt('revoke our current commitment before the next is validated', 'RevokeHolderCommitment', { channel: pair.ref, commitment_number: String(a - 1) }, rule('policy-revoke-new-commitment-signed'));
  // The last revocation again is BOLT 2's retransmission: the same secret, nothing changes.
  const dump = dumpDatabase(stack.databasePath);
  const again = await pair.call('alice', 'RevokeHolderCommitment', { channel: pair.ref, commitment_number: String(a - 2) });
  assert.equal(hex(again['per_commitment_secret']), hex(pair.secrets.alice.get(a - 2)!));
  assert.equal(dumpDatabase(stack.databasePath), dump);
  await attempt('revoke an older commitment a second time', 'RevokeHolderCommitment', { channel: pair.ref, commitment_number: String(a - 3) }, rule('policy-revoke-not-twice'));
  await attempt('an HTLC transaction of a revoked holder commitment', 'SignHolderHtlcTransaction', { channel: pair.ref, commitment_number: String(a - 2), htlc_id: '0', payment_preimage: Buffer.alloc(0) }, rule('policy-commitment-holder-not-revoked'));

  // Re-validating a revoked commitment, with the peer's valid signature on it.
  const old = pair.history.alice.get(a - 2)!;
  const oldSigned = await pair.signCommitmentOf('alice', a - 2, old);
  await attempt(
    'accept a revoked holder commitment again',
    'ValidateHolderCommitment',
    { channel: pair.ref, commitment: old, counterparty_signature: oldSigned['signature'], htlc_signatures: oldSigned['htlc_signatures'] },
    rule('policy-commitment-number-sequence'),
  );
  // Our next commitment giving the peer 5000 sat of ours, validly signed by the colluding peer.
  const info = pair.info('alice', a);
  const robbed = { ...info, to_holder_msat: (BigInt(info['to_holder_msat']) - 5_000_000n).toString(), to_counterparty_msat: (BigInt(info['to_counterparty_msat']) + 5_000_000n).toString() };
  const robbedSigned = await pair.signCommitmentOf('alice', a, robbed);
  await attempt(
    'accept a holder commitment moving our balance to the peer',
    'ValidateHolderCommitment',
    { channel: pair.ref, commitment: robbed, counterparty_signature: robbedSigned['signature'], htlc_signatures: robbedSigned['htlc_signatures'] },
    rule('policy-commitment-deltas-only-htlc'),
  );
  const signed = await pair.signCommitmentOf('alice', a, info);
  const bad = Buffer.from(signed['signature']);
  bad[20]! ^= 0x01;
  await attempt(
    'a bad counterparty signature on our commitment',
    'ValidateHolderCommitment',
    { channel: pair.ref, commitment: info, counterparty_signature: bad, htlc_signatures: signed['htlc_signatures'] },
    field('counterparty_signature', 'policy-signer-counterparty-signature'),
  );

  // Out of order: validate a and a+1 (the colluding peer signs a+1 before a-1 is revoked), then revoke a, skipping a-1.
  await pair.validate('alice', info, signed);
  const next = await pair.call('alice', 'GetPerCommitmentPoint', { channel: pair.ref, commitment_number: String(a + 1) });
  pair.points.alice.set(a + 1, next['per_commitment_point']);
  const info2 = pair.info('alice', a + 1);
  await pair.validate('alice', info2, await pair.signCommitmentOf('alice', a + 1, info2));
  await attempt('revoke out of order (skipping the previous one)', 'RevokeHolderCommitment', { channel: pair.ref, commitment_number: String(a) }, rule('policy-revoke-in-order'));
  await pair.revoke('alice', a - 1);
  await pair.revoke('alice', a);
  await pair.validateRevocation('alice', a - 1);
  await pair.validateRevocation('alice', a);
});

test('revocation discipline on their commitments', async () => {
  const b = pair.nextHolder.bob;
  const info = pair.info('bob', b);
  await pair.validate('bob', info, await pair.signCommitmentOf('bob', b, info));
  // Bob's b-1 is now due for revocation.
  await attempt(
    'a wrong counterparty revocation secret',
    'ValidateCounterpartyRevocation',
    { channel: pair.ref, commitment_number: String(b - 1), per_commitment_secret: Buffer.from(sha256(Uint8Array.of(9))) },
    field('per_commitment_secret', 'policy-signer-revocation-secret'),
  );
  const point = await pair.call('bob', 'GetPerCommitmentPoint', { channel: pair.ref, commitment_number: String(b + 1) });
  await attempt('sign their N+1 before N-1 is revoked', 'SignCounterpartyCommitment', signRequest('bob', b + 1, pair.info('bob', b + 1), point['per_commitment_point']), rule('policy-commitment-previous-revoked'));
  await pair.revoke('bob', b - 1);
  await pair.validateRevocation('bob', b - 1);
  await pair.round('alice');
});

test('payments: velocity, approval on the device, invoice amount, fee budget', async () => {
  const big = await bobInvoice(250_000_000n, 2);
  await attempt('a payment beyond the daily velocity limit', 'ApprovePayment', { invoice: big, amount_msat: '250000000', max_fee_msat: '1000' }, rule('policy-commitment-payment-velocity'));
  const large = await bobInvoice(120_000_000n, 3);
  await attempt('a payment above the approval threshold, rejected on the device screen', 'ApprovePayment', { invoice: large, amount_msat: '120000000', max_fee_msat: '1000' }, rule('policy-commitment-payment-approved'));
  const small = await bobInvoice(10_000_000n, 4);
  await attempt('pay more than the invoice asks', 'ApprovePayment', { invoice: small, amount_msat: '20000000', max_fee_msat: '1000' }, rule('policy-commitment-payment-invoiced'));
  await attempt('a routing fee budget far above the amount', 'ApprovePayment', { invoice: small, amount_msat: '10000000', max_fee_msat: '5000000' }, rule('policy-commitment-payment-fee-range'));
});

test('forwarding: outgoing above incoming, expiry after the incoming one; HTLC signatures', async () => {
  // The peer offers an HTLC on the second channel, irrevocably committed there.
  const preimage = sha256(Uint8Array.of(0xf0));
  const incoming = pair2.addHtlc('bob', 20_000_000n, preimage, CLTV);
  await pair2.update();
  const b = pair.nextHolder.bob;
  await attempt('a forward whose outgoing amount exceeds the incoming one', 'SignCounterpartyCommitment', signRequest('bob', b, bobWithOffered(b, 25_000_000n, incoming.paymentHash, CLTV - 40)), rule('policy-commitment-htlc-routing-balance'));
  await attempt('a forward expiring after the incoming HTLC', 'SignCounterpartyCommitment', signRequest('bob', b, bobWithOffered(b, 19_000_000n, incoming.paymentHash, CLTV + 10)), rule('policy-forward-cltv-delta'));
  // The honest forward: less than came in, expiring 40 blocks earlier.
  const outgoing = pair.addHtlc('alice', 19_000_000n, preimage, CLTV - 40);
  await pair.update();

  // A new commitment for us with the HTLC, the peer's HTLC signature corrupted.
  pair.feeratePerKw = 300;
  const a = pair.nextHolder.alice;
  const info = pair.info('alice', a);
  const signed = await pair.signCommitmentOf('alice', a, info);
  assert.equal(signed['htlc_signatures'].length, 1);
  const badHtlc = Buffer.from(signed['htlc_signatures'][0]);
  badHtlc[30]! ^= 0x01;
  await attempt(
    'a bad counterparty HTLC signature on our commitment',
    'ValidateHolderCommitment',
    { channel: pair.ref, commitment: info, counterparty_signature: signed['signature'], htlc_signatures: [badHtlc] },
    field('htlc_signatures[0]', 'policy-signer-counterparty-signature'),
  );
  await pair.validate('alice', info, signed);
  await pair.revoke('alice', a - 1);
  await pair.validateRevocation('alice', a - 1);
  await pair.round('bob');

  // With the HTLC pending, a cooperative close is refused.
  const own = (await pair.call('alice', 'NewAddress', {}))['script_pubkey'];
  const fee = 1000n;
  const holderSat = pair.balance.alice / 1000n - fee;
  await attempt(
    'a mutual close while an HTLC is pending',
    'SignMutualClose',
    { channel: pair.ref, holder_script: own, holder_sat: holderSat.toString(), counterparty_script: stranger, counterparty_sat: (FUNDING_SAT - holderSat - fee).toString(), fee_sat: fee.toString(), locktime: 0 },
    rule('policy-mutual-no-pending-htlcs'),
  );

  pair.fulfill(outgoing);
  await pair.update();
  pair2.fulfill(incoming);
  await pair2.update();
  pair.feeratePerKw = 253;
  await pair.update();
});

test('sweeps and justice pay only our wallet, at a sane fee', async () => {
  // Our to_remote output on Bob's latest commitment.
  const n = pair.nextHolder.bob - 1;
  const theirs = pair.rebuild('bob', n);
  const toRemote = theirs.outputs.find((o) => o.kind === 'to_remote')!;
  const own = (await pair.call('alice', 'NewAddress', {}))['script_pubkey'];
  const sweep = {
    channel: pair.ref,
    kind: 'SWEEP_KIND_TO_REMOTE',
    outpoint: { txid: Buffer.from(Uint8Array.from(theirs.txid).reverse()), vout: toRemote.index },
    amount_sat: toRemote.amountSat.toString(),
    commitment_number: String(n),
    destination_script: stranger,
    fee_sat: '1000',
  };
  await attempt('a sweep to a foreign key', 'SignSweep', sweep, rule('policy-sweep-destination-allowlisted'));
  await attempt('a sweep burning most of the output in fees', 'SignSweep', { ...sweep, destination_script: own, fee_sat: (toRemote.amountSat - 1000n).toString() }, rule('policy-sweep-fee-range'));

  // Justice against Bob's revoked commitment, paid to someone else.
  const revoked = n - 2;
  const old = pair.rebuild('bob', revoked);
  const toLocal = old.outputs.find((o) => o.kind === 'to_local')!;
  const justice = {
    channel: pair.ref,
    revoked_commitment_number: String(revoked),
    outpoints: [{ txid: Buffer.from(Uint8Array.from(old.txid).reverse()), vout: toLocal.index }],
    amounts_sat: [toLocal.amountSat.toString()],
    destination_script: stranger,
    fee_sat: '1000',
  };
  await attempt('a justice transaction to a foreign key', 'SignJustice', justice, rule('policy-sweep-destination-allowlisted'));
  await attempt('a justice transaction against a commitment that is not revoked', 'SignJustice', { ...justice, revoked_commitment_number: String(n), destination_script: own }, field('revoked_commitment_number'));
});

test('cooperative close: unknown address, burning fee, short-changing us', async () => {
  const fee = 1000n;
  const aliceSat = pair.balance.alice / 1000n - fee;
  const bobSat = pair.balance.bob / 1000n;
  const own = (await pair.call('alice', 'NewAddress', {}))['script_pubkey'];
  const bobScript = (await pair.call('bob', 'NewAddress', {}))['script_pubkey'];
  const base = { channel: pair.ref, counterparty_script: bobScript, counterparty_sat: bobSat.toString(), locktime: 0 };
  await attempt('a mutual close paying us to an unknown address', 'SignMutualClose', { ...base, holder_script: stranger, holder_sat: aliceSat.toString(), fee_sat: fee.toString() }, rule('policy-mutual-destination-allowlisted'));
  const burn = 400_000n;
  await attempt('a mutual close with a fee that burns the channel', 'SignMutualClose', { ...base, holder_script: own, holder_sat: (aliceSat + fee - burn).toString(), fee_sat: burn.toString() }, rule('policy-mutual-fee-range'));
  await attempt(
    'a mutual close paying us less than our balance',
    'SignMutualClose',
    { ...base, holder_script: own, holder_sat: (aliceSat - 50_000n).toString(), counterparty_sat: (bobSat + 50_000n).toString(), fee_sat: fee.toString() },
    rule('policy-mutual-value-matches-commitment'),
  );
});

test('wallet transactions: unknown output, absurd fee, a coin that is not ours', async () => {
  const utxo = { outpoint: { txid: Buffer.from(sha256(Uint8Array.of(0x57))), vout: 0 }, amount_sat: WALLET_UTXO_SAT.toString(), script_pubkey: Buffer.from(pair.walletUtxo!.script), sequence: 0xfffffffd };
  const own = (await pair.call('alice', 'NewAddress', {}))['script_pubkey'];
  const spend = (script: Uint8Array, amountSat: bigint): Msg => ({ version: 2, locktime: 0, inputs: [utxo], outputs: [{ amount_sat: amountSat.toString(), script_pubkey: Buffer.from(script), funds_channel: null }] });
  await attempt('a wallet transaction with an unknown output', 'SignWalletTransaction', spend(stranger, WALLET_UTXO_SAT - 1000n), rule('policy-onchain-no-unknown-outputs'));
  await attempt('a wallet transaction spending most of the coin in fees', 'SignWalletTransaction', spend(own, WALLET_UTXO_SAT - 1_500_000n), rule('policy-onchain-fee-range'));
  await attempt('a wallet transaction spending a coin that is not ours', 'SignWalletTransaction', { ...spend(own, WALLET_UTXO_SAT - 1000n), inputs: [{ ...utxo, script_pubkey: stranger }] }, field('inputs[0].script_pubkey'));
});

/**
 * A channel opened with one parameter out of policy: NewChannel and SetupChannel take it (the
 * parameters are checked on every commitment), and the funding transaction is built for it.
 */
async function channelWith(tag: number, changes: Msg): Promise<{ ref: Msg; funding: Msg; first: Msg }> {
  const temp = sha256(Uint8Array.of(0x7f, tag));
  const ours = await pair.call('alice', 'NewChannel', { temporary_channel_id: Buffer.from(temp), peer_node_id: Buffer.from(bob.nodeId), holder_is_opener: true });
  const theirs = await pair.call('bob', 'NewChannel', { temporary_channel_id: Buffer.from(temp), peer_node_id: Buffer.from(alice.nodeId), holder_is_opener: false });
  const script = p2wsh(fundingScript(ours['basepoints']['funding_pubkey'], theirs['basepoints']['funding_pubkey']));
  const change = (await pair.call('alice', 'NewAddress', {}))['script_pubkey'];
  const utxoTxid = sha256(Uint8Array.of(0x56, tag)); // display order
  const tx: Transaction = {
    version: 2,
    locktime: 0,
    inputs: [{ txid: utxoTxid, vout: 0, sequence: 0xfffffffd, scriptSig: new Uint8Array(0), witness: [] }],
    outputs: [
      { amountSat: FUNDING_SAT, script },
      { amountSat: WALLET_UTXO_SAT - FUNDING_SAT - 1000n, script: change },
    ],
  };
  const txid = Buffer.from(transactionId(tx)).reverse(); // internal order
  const ref = { channel_id: txid }; // vout 0: channel_id = funding txid
  await pair.call('alice', 'SetupChannel', {
    ...pair.setupRequest('alice', temp),
    channel_id: txid,
    funding_outpoint: { txid, vout: 0 },
    counterparty_basepoints: theirs['basepoints'],
    counterparty_first_per_commitment_point: theirs['first_per_commitment_point'],
    ...changes,
  });
  const funding = {
    version: 2,
    locktime: 0,
    inputs: [{ outpoint: { txid: Buffer.from(Uint8Array.from(utxoTxid).reverse()), vout: 0 }, amount_sat: WALLET_UTXO_SAT.toString(), script_pubkey: Buffer.from(pair.walletUtxo!.script), sequence: 0xfffffffd }],
    outputs: [
      { amount_sat: FUNDING_SAT.toString(), script_pubkey: Buffer.from(script), funds_channel: ref },
      { amount_sat: (WALLET_UTXO_SAT - FUNDING_SAT - 1000n).toString(), script_pubkey: change, funds_channel: null },
    ],
  };
  return { ref, funding, first: theirs };
}

function firstCommitment(ref: Msg, first: Msg): Msg {
  return {
    channel: ref,
    commitment: { commitment_number: '0', feerate_per_kw: 253, to_holder_msat: '0', to_counterparty_msat: (FUNDING_SAT * 1000n).toString(), htlcs: [] },
    per_commitment_point: first['first_per_commitment_point'],
  };
}

test('channel parameters out of bounds: no commitment is signed and the channel is never funded', async () => {
  const dust = await channelWith(11, { holder_dust_limit_sat: '5000' });
  await attempt('a dust limit out of bounds', 'SignCounterpartyCommitment', firstCommitment(dust.ref, dust.first), rule('policy-commitment-dust-limit-range'));
  await attempt('fund a channel whose first commitment was never validated', 'SignWalletTransaction', dust.funding, rule('policy-signer-channel-state'));
  const reserve = await channelWith(12, { holder_channel_reserve_sat: '200000' });
  await attempt('a channel reserve required of us out of bounds', 'SignCounterpartyCommitment', firstCommitment(reserve.ref, reserve.first), rule('policy-commitment-reserve-range'));
  const delay = await channelWith(13, { holder_to_self_delay: 10_000 });
  await attempt('a to_self_delay on our outputs out of bounds', 'SignCounterpartyCommitment', firstCommitment(delay.ref, delay.first), rule('policy-commitment-to-self-delay-range'));
});

test('invoices and gossip: out-of-range invoices, another node\'s identity', async () => {
  const unsigned = (amountMsat: bigint, expiry: number, payee?: Uint8Array) =>
    unsignedWords(
      buildInvoice({
        network: 'regtest',
        amountMsat,
        timestamp: Math.floor(Date.now() / 1000),
        paymentHash: sha256(Uint8Array.of(0x1e, expiry & 0xff)),
        paymentSecret: sha256(Uint8Array.of(0x5e)),
        description: 'attack',
        expiry,
        minFinalCltvExpiryDelta: 18,
        ...(payee ? { payee } : {}),
      }),
    );
  const req = (w: ReturnType<typeof unsigned>): Msg => ({ hrp: w.hrp, data_words: Buffer.from(w.dataWords) });
  await attempt('an invoice expiring in 10 seconds', 'SignInvoice', req(unsigned(1_000_000n, 10)), rule('policy-invoice-expiry-range'));
  await attempt('an invoice for 2 BTC', 'SignInvoice', req(unsigned(200_000_000_000n, 3600)), rule('policy-invoice-amount-range'));
  await attempt('an invoice naming another node as payee', 'SignInvoice', req(unsigned(1_000_000n, 3600, bob.nodeId)), field('data_words', 'policy-signer-own-identity'));
  // Sanity: the signer does sign a good invoice, and it decodes with our node as payee.
  const good = unsigned(1_000_000n, 3600);
  const r = await pair.call('alice', 'SignInvoice', req(good));
  assert.equal(hex(secp.recover(r['signature'], r['recovery_id'], invoiceDigest(good.hrp, Array.from(good.dataWords)))), hex(alice.nodeId));

  const Z64 = new Uint8Array(64);
  const announcement = encodeMessage({ type: 'node_announcement', signature: Z64, features: new Uint8Array(0), timestamp: 1_700_000_000, nodeId: bob.nodeId, rgbColor: new Uint8Array(3), alias: new Uint8Array(32), addresses: new Uint8Array(0) });
  await attempt('a node_announcement naming another node id', 'SignNodeAnnouncement', { message: Buffer.from(announcement) }, field('message', 'policy-signer-own-identity'));
  const aliceFirst = compare(alice.nodeId, bob.nodeId) < 0;
  const update = encodeMessage({
    type: 'channel_update',
    signature: Z64,
    chainHash: chainHash('regtest'),
    shortChannelId: shortChannelIdFromParts(TIP_HEIGHT - 6, 1, pair.fundingVout),
    timestamp: 1_700_000_000,
    messageFlags: 1,
    channelFlags: aliceFirst ? 1 : 0, // the peer's direction
    cltvExpiryDelta: 40,
    htlcMinimumMsat: 1000n,
    feeBaseMsat: 0,
    feeProportionalMillionths: 0,
    htlcMaximumMsat: 100_000_000n,
  });
  await attempt('a channel_update for the peer\'s direction', 'SignChannelUpdate', { message: Buffer.from(update) }, field('message', 'policy-signer-own-identity'));
});

test('clients without the node certificate are refused by TLS', async () => {
  const p = paths(stack.dataDir);
  const caPem = readFileSync(p.caCert, 'utf8');
  const noCert = new grpc.Client(`127.0.0.1:${stack.port}`, grpc.credentials.createSsl(Buffer.from(caPem)));
  const stranger = await createMutualTls();
  const foreign = stack.client({ certPem: stranger.node.certPem, keyPem: stranger.node.keyPem });
  try {
    await attemptTls('a client without a certificate', () =>
      new Promise((resolve, reject) =>
        noCert.makeUnaryRequest('/vigil.signer.v1.Signer/ListChannels', () => Buffer.alloc(0), (b: Buffer) => b, {}, new grpc.Metadata(), { deadline: Date.now() + 5000 }, (err, res) => (err ? reject(err) : resolve(res))),
      ),
    );
    await attemptTls('a client with a certificate from another CA', () => foreign.call('ListChannels', {}));
  } finally {
    noCert.close();
    foreign.close();
  }
});

test('once a close is signed: no new commitment, no revocation', async () => {
  // Our next commitment is validated but the previous one not yet revoked when the close is signed.
  const a = pair.nextHolder.alice;
  const info = pair.info('alice', a);
  await pair.validate('alice', info, await pair.signCommitmentOf('alice', a, info));
  const fee = 1000n;
  const own = (await pair.call('alice', 'NewAddress', {}))['script_pubkey'];
  const bobScript = (await pair.call('bob', 'NewAddress', {}))['script_pubkey'];
  await pair.call('alice', 'SignMutualClose', {
    channel: pair.ref,
    holder_script: own,
    holder_sat: (pair.balance.alice / 1000n - fee).toString(),
    counterparty_script: bobScript,
    counterparty_sat: (pair.balance.bob / 1000n).toString(),
    fee_sat: fee.toString(),
    locktime: 0,
  });
  const b = pair.nextHolder.bob;
  await attempt('a new counterparty commitment after a close was signed', 'SignCounterpartyCommitment', signRequest('bob', b, pair.info('bob', b)), rule('policy-commitment-not-closing'));
  await attempt('release a secret after a close was signed', 'RevokeHolderCommitment', { channel: pair.ref, commitment_number: String(a - 1) }, rule('policy-revoke-not-closed'));
});

test('the audit log verifies, and every attack was a distinct case', async () => {
  const v = await verifyAuditCli(stack.auditPath);
  assert.equal(v.code, 0, v.stderr);
  assert.equal(JSON.parse(v.stdout).ok, true);
  assert.equal(new Set(cases.map((c) => c.name)).size, cases.length);
  assert.ok(cases.length >= 25, `${cases.length} cases`);
  console.log(`signer attacks: ${cases.length} cases`);
  if (process.env['VIGIL_ATTACKS_LIST']) for (const c of cases) console.log(`  ${c.rule.padEnd(44)} ${c.name}`);
});

