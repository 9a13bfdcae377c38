// The crash suite: a long honest conversation (channel open, then 64 commitment rounds with HTLCs both
// ways, every revocation and validation) driven over gRPC against a real `vigil signer run` process
// (backed by a real `vigil hsm-emulator`), whose signer is killed with SIGKILL at random points of the
// sequence (seeded; VIGIL_CRASH_SEED replays a run): before a request is sent, a few milliseconds into
// it, or the moment its audit line reaches the disk. After each kill the signer is restarted on the same
// data directory and must be consistent before the sequence goes on:
//
// - The stored progress (commitment numbers validated/signed, revocations both ways, counterparty
//   commitments kept, approved payments, invoices) read from its SQLite file equals, before the kill,
//   what the driver last got answers for; after the kill it equals that, or exactly `step(that,
//   request)` for the request in flight (the one state change that request makes; see `step`). An
//   answered request is always found committed. A request that did not commit left every table
//   byte-identical; one that committed has its audit line as the last whole line of the log.
// - ListChannels after the restart gives the same numbers.
// - No double revocation: revoking the last revoked number again returns the same secret (matching
//   its per-commitment point) and changes nothing; revoking the one before it is refused
//   (policy-revoke-not-twice).
// - The audit log verifies, or ends in a torn line the restarted signer cuts away and records.
// - The driver retries the request (a node retransmits after reconnecting); a commitment request that
//   had committed is answered again without any state change.
//
// Every transaction the signer signs (funding, HTLC transactions along the way, the final force close
// of both sides and a justice transaction) goes through the bitcore-lib script interpreter.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { watch } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { equal, hex } from '../bolt/bytes.js';
import { buildHtlcTransactions, transactionId, type CommitmentTransaction } from '../bolt/bolt3/index.js';
import { secp } from '../bolt/crypto/secp256k1.js';
import { SignerRefusal } from '../node/signer-client/client.js';
import { verifyAuditFile } from '../signer/audit/index.js';
import type { RpcName, SignerService } from '../signer/service/index.js';
import { assertInputsValid } from './helpers/interpreter.js';
import { MemoryDevice } from './helpers/memory-device.js';
import { FUNDING_SAT, openChannel, openSigner, tempDir, type ChannelPair, type ModelHtlc, type Msg, type PairSigner } from './helpers/signer-pair.js';
import { dumpDatabase, GrpcSigner, readAudit, SignerStack, verifyAuditCli, withDatabase } from './helpers/signer-process.js';

const SEED = process.env['VIGIL_CRASH_SEED'] !== undefined ? Number(process.env['VIGIL_CRASH_SEED']) : randomInt(2 ** 31);
const ITERATIONS = 16; // 4 commitment rounds each
const CRASHES = 8;

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What the crash checks compare: the signer's stored progress on the channel and its payment records. */
interface Progress {
  readonly state: string;
  readonly nextHolder: number;
  readonly revokedHolder: number | null;
  readonly nextCounterparty: number;
  readonly revokedCounterparty: number | null;
  readonly counterpartyCommitments: number;
  readonly approvedPayments: number;
  readonly invoices: number;
}

function readProgress(databasePath: string, channelId: Uint8Array): Progress {
  return withDatabase(databasePath, (db) => {
    const [row] = db.prepare('SELECT * FROM channels WHERE channel_id = ?').all(Buffer.from(channelId));
    assert.ok(row, 'the channel is stored');
    const count = (sql: string, ...params: unknown[]): number => Number(db.prepare(sql).all(...params)[0]!['n']);
    const num = (v: unknown): number | null => (v === null ? null : Number(v));
    return {
      state: String(row['state']),
      nextHolder: Number(row['next_holder_number']),
      revokedHolder: num(row['revoked_holder_through']),
      nextCounterparty: Number(row['next_counterparty_number']),
      revokedCounterparty: num(row['revoked_counterparty_through']),
      counterpartyCommitments: count('SELECT count(*) AS n FROM counterparty_commitments WHERE channel = ?', row['id']),
      approvedPayments: count('SELECT count(*) AS n FROM approved_payments'),
      invoices: count('SELECT count(*) AS n FROM invoices'),
    };
  });
}

/**
 * The one state change a request makes, the rule the crash checks hold the signer to: a commitment
 * number already handled (a retry) changes nothing; the next one moves its counter by one (and keeps
 * one more counterparty commitment); a revocation of the next number to revoke moves that mark; an
 * approval or an invoice adds its record (the driver's invoices are all new); anything else changes
 * none of these.
 */
function step(p: Progress, method: RpcName, request: Msg): Progress {
  switch (method) {
    case 'SignCounterpartyCommitment': {
      const n = Number(request['commitment']['commitment_number']);
      return n === p.nextCounterparty ? { ...p, nextCounterparty: n + 1, counterpartyCommitments: p.counterpartyCommitments + 1 } : p;
    }
    case 'ValidateHolderCommitment': {
      const n = Number(request['commitment']['commitment_number']);
      return n === p.nextHolder ? { ...p, nextHolder: n + 1 } : p;
    }
    case 'RevokeHolderCommitment': {
      const n = Number(request['commitment_number']);
      return n === (p.revokedHolder ?? -1) + 1 ? { ...p, revokedHolder: n } : p;
    }
    case 'ValidateCounterpartyRevocation': {
      const n = Number(request['commitment_number']);
      return n === (p.revokedCounterparty ?? -1) + 1 ? { ...p, revokedCounterparty: n } : p;
    }
    case 'ApprovePayment':
      return { ...p, approvedPayments: p.approvedPayments + 1 };
    case 'SignInvoice':
      return { ...p, invoices: p.invoices + 1 };
    default:
      return p;
  }
}

const CHANNEL_OPS: readonly RpcName[] = ['SignCounterpartyCommitment', 'ValidateHolderCommitment', 'RevokeHolderCommitment', 'ValidateCounterpartyRevocation'];

/** How grpc-js reports a call whose server process died under it. */
const TRANSPORT_FAILURES: readonly grpc.status[] = [grpc.status.UNAVAILABLE, grpc.status.INTERNAL, grpc.status.CANCELLED];

type KillMode = 'before-send' | 'timer' | 'on-audit-write';

interface Crash {
  readonly call: number;
  readonly method: RpcName;
  readonly mode: KillMode;
  readonly delayMs: number;
  readonly answered: boolean;
  readonly committed: boolean;
  readonly tornBytes: number;
}

/** Resolves once the file changes (its audit line is being written), or after `ms` at the latest. */
function fileChanges(path: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const watcher = watch(path, () => done());
    const timer = setTimeout(() => done(), ms);
    function done(): void {
      clearTimeout(timer);
      watcher.close();
      resolve();
    }
  });
}

/**
 * Alice's signer as the driver sees it: every call goes to the signer process over gRPC, and at the
 * planned call numbers the process is killed around that call, restarted, checked, and the call retried.
 */
class CrashingSigner implements PairSigner {
  readonly nodeId: Uint8Array;
  readonly stack: SignerStack;
  readonly #grpc: GrpcSigner;
  readonly #random: () => number;
  readonly #plan = new Set<number>();
  readonly crashes: Crash[] = [];
  calls = 0;
  /** The channel and the model of it, once open: crashes are planned after that. */
  pair: ChannelPair<PairSigner> | undefined;
  /** The stored progress the answers so far imply. */
  view: Progress | undefined;

  constructor(grpcSigner: GrpcSigner, random: () => number) {
    this.#grpc = grpcSigner;
    this.stack = grpcSigner.stack;
    this.nodeId = grpcSigner.nodeId;
    this.#random = random;
  }

  /** Kill the signer around `count` distinct calls among the next `span`. */
  plan(count: number, span: number): void {
    while (this.#plan.size < count) this.#plan.add(this.calls + Math.floor(this.#random() * span));
  }

  get planned(): number {
    return this.#plan.size;
  }

  #progress(): Progress {
    return readProgress(this.stack.databasePath, this.pair!.channelId);
  }

  async call(method: RpcName, request: object): Promise<object> {
    const index = this.calls++;
    if (!this.#plan.has(index)) {
      const response = await this.#grpc.call(method, request);
      if (this.view) this.view = step(this.view, method, request as Msg);
      return response;
    }
    return this.#crashAround(index, method, request as Msg);
  }

  async #crashAround(index: number, method: RpcName, request: Msg): Promise<object> {
    const pair = this.pair!;
    const db = this.stack.databasePath;
    const before = this.#progress();
    assert.deepEqual(before, this.view, `call ${index}: the stored state is what the driver last got answers for`);
    const dumpBefore = dumpDatabase(db);
    const expected = step(before, method, request);

    // How to kill: before the request is sent, a few ms into it, or when its audit line hits the disk.
    const r = this.#random();
    const mode: KillMode = r < 0.15 ? 'before-send' : r < 0.65 ? 'timer' : 'on-audit-write';
    const delayMs = mode === 'timer' ? Math.floor(this.#random() * 25) : 0;
    let answer: { ok: true; response: object } | { ok: false; error: unknown } | undefined;
    if (mode === 'before-send') {
      await this.stack.kill();
    } else {
      const trigger = mode === 'timer' ? new Promise<void>((resolve) => setTimeout(resolve, delayMs)) : fileChanges(this.stack.auditPath, 2000);
      const sent = this.#grpc.call(method, request).then(
        (response) => (answer = { ok: true, response }),
        (error: unknown) => (answer = { ok: false, error }),
      );
      await trigger;
      await this.stack.kill();
      await sent;
    }
    if (answer && !answer.ok) {
      // The transport failed (connection dropped or stream reset), not the signer: no rule id in it.
      const e = answer.error;
      const transport = e instanceof SignerRefusal && TRANSPORT_FAILURES.includes(e.code) && !e.details.startsWith('policy-');
      assert.ok(transport, `call ${index} ${method}: a killed signer fails the call in transport, got ${String(e)}`);
    }

    // The dead signer's files.
    const after = this.#progress();
    const audit = readAudit(this.stack.auditPath);
    const verified = verifyAuditFile(this.stack.auditPath);
    assert.ok(verified.ok || verified.problem === 'torn-tail', `call ${index}: the audit log after kill -9: ${verified.ok ? '' : verified.message}`);
    const committed = JSON.stringify(after) !== JSON.stringify(before);
    if (committed) {
      assert.deepEqual(after, expected, `call ${index} ${method}: the stored state moved, so by exactly the request's one step`);
      const last = audit.lines.at(-1)!;
      assert.equal(last.op, method, `call ${index}: a committed request's audit line is the last whole line`);
      assert.equal(last.decision, 'allowed');
    } else {
      assert.equal(dumpDatabase(db), dumpBefore, `call ${index} ${method}: a request that did not commit left every table as it was`);
    }
    if (answer?.ok) assert.deepEqual(after, expected, `call ${index} ${method}: an answered request is durable`);

    await this.stack.restart();
    this.#grpc.reconnect();
    const channel = { channel_id: Buffer.from(pair.channelId) };
    // ListChannels agrees with the stored numbers.
    const listed = ((await this.#grpc.call('ListChannels', {})) as Msg)['channels'].find((c: Msg) => equal(c['channel_id'], pair.channelId)) as Msg;
    assert.equal(Number(listed['next_holder_commitment_number']), after.nextHolder);
    assert.equal(Number(listed['next_counterparty_commitment_number']), after.nextCounterparty);
    assert.equal(Number(listed['holder_commitment']['commitment_number']), after.nextHolder - 1);
    assert.equal(Number(listed['counterparty_commitment']['commitment_number']), after.nextCounterparty - 1);
    // No double revocation: the last revoked secret again, the same; the one before, refused.
    if (after.revokedHolder !== null) {
      const n = after.revokedHolder;
      const again = (await this.#grpc.call('RevokeHolderCommitment', { channel, commitment_number: String(n) })) as Msg;
      assert.ok(equal(secp.publicKey(again['per_commitment_secret']), pair.points.alice.get(n)!), `the secret of ${n} matches its point`);
      const known = pair.secrets.alice.get(n);
      if (known) assert.ok(equal(again['per_commitment_secret'], known), `revoking ${n} again returns the secret already released`);
      if (n >= 1) {
        await assert.rejects(this.#grpc.call('RevokeHolderCommitment', { channel, commitment_number: String(n - 1) }), (e: SignerRefusal) => e.code === grpc.status.FAILED_PRECONDITION && e.details.startsWith('policy-revoke-not-twice:'));
      }
      assert.deepEqual(this.#progress(), after, 'the revocation checks changed nothing');
    }

    // The node retransmits what it has no answer for.
    const dumpAfterCrash = dumpDatabase(db);
    const response = answer?.ok ? answer.response : await this.#grpc.call(method, request);
    const now = this.#progress();
    if (method === 'ApprovePayment' && committed && !answer?.ok) {
      // The node cannot tell a lost answer from a lost request: the approval is recorded twice (counted twice in the velocity window).
      assert.deepEqual(now, step(expected, method, request));
    } else {
      assert.deepEqual(now, expected, `call ${index} ${method}: after the retry the state is one step on`);
    }
    if (committed && CHANNEL_OPS.includes(method)) assert.equal(dumpDatabase(db), dumpAfterCrash, `call ${index} ${method}: the retry of a committed request changes nothing`);
    this.view = now;
    this.crashes.push({ call: index, method, mode, delayMs, answered: answer?.ok ?? false, committed, tornBytes: audit.tornBytes });
    return response;
  }

  close(): void {
    this.#grpc.close();
  }
}

let stack: SignerStack;
let alice: CrashingSigner;
let bob: SignerService;
let bobDir: string;

before(async () => {
  console.log(`signer crash: seed ${SEED} (VIGIL_CRASH_SEED=${SEED} replays it)`);
  stack = await SignerStack.start({ label: 'crash' });
  alice = new CrashingSigner(await GrpcSigner.connect(stack), prng(SEED));
  bobDir = tempDir('crash-peer');
  bob = await openSigner(bobDir, MemoryDevice.fromByte(47));
});

after(async () => {
  alice?.close();
  await bob?.close();
  await stack?.stop();
});

function internal(txidDisplay: Uint8Array): Buffer {
  return Buffer.from(Uint8Array.from(txidDisplay).reverse());
}

function outputOf(c: CommitmentTransaction, index: number): { scriptPubKeyHex: string; amountSat: bigint } {
  const o = c.outputs[index]!;
  return { scriptPubKeyHex: hex(o.script), amountSat: o.amountSat };
}

/** Alice's HTLC transactions of her latest commitment, each signed and run through the interpreter. */
async function checkHtlcTransactions(pair: ChannelPair<PairSigner>): Promise<number> {
  const n = pair.nextHolder.alice - 1;
  const commitment = pair.rebuild('alice', n);
  const all = pair.htlcs;
  let count = 0;
  for (const t of buildHtlcTransactions(commitment)) {
    const model = all.find((h) => h.id === t.htlc.id && (h.offerer === 'alice') === (t.htlc.direction === 'offered'))!;
    const r = await pair.call('alice', 'SignHolderHtlcTransaction', {
      channel: pair.ref,
      commitment_number: String(n),
      htlc_id: t.htlc.id.toString(),
      payment_preimage: t.htlc.direction === 'received' ? Buffer.from(model.preimage) : Buffer.alloc(0),
    });
    assertInputsValid(hex(r['transaction']), [outputOf(commitment, t.spent.index)]);
    count++;
  }
  return count;
}

test(`kill -9 at ${CRASHES} random points of ${4 * ITERATIONS + 4} commitment rounds: consistent state, no double revocation, the sequence goes on`, async () => {
  const started = Date.now();
  const pair = await openChannel<PairSigner>({ alice, bob }, 'static_remotekey');
  assertInputsValid(hex(pair.signedFunding!), [{ scriptPubKeyHex: hex(pair.walletUtxo!.script), amountSat: pair.walletUtxo!.amountSat }]);
  alice.pair = pair;
  alice.view = readProgress(stack.databasePath, pair.channelId);

  alice.plan(CRASHES, ITERATIONS * 9);
  // Bob gets something to send back first.
  const first = await pair.pay('alice', 90_000_000n, 999);
  await pair.update();
  pair.fulfill(first);
  await pair.update();
  let rounds = 4;
  let htlcTxs = 0;
  let previous: ModelHtlc[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    // A payment each way, both in flight in the next two commitment rounds ...
    const out = await pair.pay('alice', BigInt(2_000_000 + 1_000_000 * (i % 7)), i);
    const into = await pair.pay('bob', BigInt(1_500_000 + 500_000 * (i % 5)), i);
    await pair.update();
    rounds += 2;
    if (i % 4 === 3) htlcTxs += await checkHtlcTransactions(pair);
    // ... then last iteration's two settle (the one Bob sent fails every third time).
    for (const h of previous) {
      if (h.offerer === 'bob' && i % 3 === 0) pair.fail(h);
      else pair.fulfill(h);
    }
    previous = [out, into];
    await pair.update();
    rounds += 2;
  }
  assert.equal(rounds, 4 * ITERATIONS + 4);
  assert.equal(alice.crashes.length, CRASHES, `planned ${alice.planned} crashes, ${alice.crashes.length} happened`);

  // The signer's view after everything: the model's numbers and balances.
  const listed = ((await pair.call('alice', 'ListChannels', {}))['channels'] as Msg[])[0]!;
  assert.equal(listed['next_holder_commitment_number'], String(pair.nextHolder.alice));
  assert.equal(listed['next_counterparty_commitment_number'], String(pair.nextHolder.bob));
  assert.equal(listed['holder_commitment']['to_holder_msat'], pair.balance.alice.toString());
  assert.equal(listed['holder_commitment']['htlcs'].length, 2);

  // Force close, both sides, every transaction through the interpreter.
  const n = pair.nextHolder.alice - 1;
  const mine = pair.rebuild('alice', n);
  const funding = { scriptPubKeyHex: hex(pair.fundingScriptPubKey()), amountSat: FUNDING_SAT };
  const broadcast = await pair.call('alice', 'SignHolderCommitmentForBroadcast', { channel: pair.ref });
  assertInputsValid(hex(broadcast['transaction']), [funding]);
  htlcTxs += await checkHtlcTransactions(pair);
  const theirs = await pair.call('bob', 'SignHolderCommitmentForBroadcast', { channel: pair.ref });
  assertInputsValid(hex(theirs['transaction']), [funding]); // carries Alice's last signature on Bob's commitment
  const toLocal = mine.outputs.find((o) => o.kind === 'to_local')!;
  const own = (await pair.call('alice', 'NewAddress', {}))['script_pubkey'];
  const sweep = await pair.call('alice', 'SignSweep', {
    channel: pair.ref,
    kind: 'SWEEP_KIND_TO_LOCAL',
    outpoint: { txid: internal(mine.txid), vout: toLocal.index },
    amount_sat: toLocal.amountSat.toString(),
    commitment_number: String(n),
    destination_script: own,
    fee_sat: '1000',
  });
  assertInputsValid(hex(sweep['transaction']), [outputOf(mine, toLocal.index)]);
  // Justice against a revoked commitment of Bob's from the middle of the run.
  const revoked = Math.floor(pair.nextHolder.bob / 2);
  const old = pair.rebuild('bob', revoked);
  const claim = old.outputs.filter((o) => o.kind === 'to_local' || o.kind === 'htlc');
  const justice = await pair.call('alice', 'SignJustice', {
    channel: pair.ref,
    revoked_commitment_number: String(revoked),
    outpoints: claim.map((o) => ({ txid: internal(old.txid), vout: o.index })),
    amounts_sat: claim.map((o) => o.amountSat.toString()),
    destination_script: own,
    fee_sat: '2000',
  });
  assertInputsValid(hex(justice['transaction']), claim.map((o) => outputOf(old, o.index)));
  assert.ok(equal(transactionId(mine.tx), mine.txid));

  // A clean stop, then `vigil audit verify`: the chain holds across every kill, torn tails included.
  await stack.process.stop();
  const v = await verifyAuditCli(stack.auditPath);
  assert.equal(v.code, 0, v.stderr);
  const audit = readAudit(stack.auditPath);
  const torn = audit.lines.filter((l) => l['event'] === 'torn-tail-truncated').length;
  assert.equal(torn, alice.crashes.filter((c) => c.tornBytes > 0).length, 'every torn tail was cut away and recorded');

  for (const c of alice.crashes) {
    console.log(`  crash at call ${c.call} ${c.method}: ${c.mode}${c.mode === 'timer' ? ` ${c.delayMs} ms` : ''}, ${c.answered ? 'answered' : 'unanswered'}, ${c.committed ? 'committed' : 'not committed'}${c.tornBytes > 0 ? `, torn audit tail of ${c.tornBytes} bytes` : ''}`);
  }
  console.log(`signer crash: ${alice.crashes.length} kills, ${rounds} commitment rounds, ${htlcTxs} HTLC transactions, ${alice.calls} signer calls, ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
