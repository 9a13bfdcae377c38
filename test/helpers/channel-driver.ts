// A test shell for two channel state machines, Alice's and Bob's, each backed by its REAL in-process
// signer (SignerService with an in-memory device, requests and answers through the protobuf encoding
// of proto/signer.proto). The driver does what a node's shell does: it routes `send` effects to the
// other machine (through the BOLT message codec, so every message is encoded and decoded), carries
// out `signer` effects and feeds the answers back, builds and signs the funding transaction with the
// opener's wallet, records persists, broadcasts, replies and notifications, and answers incoming HTLCs
// the way the test registered them (fulfill with the preimage, or fail).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { concat, equal, hex } from '../../bolt/bytes.js';
import { signedInvoice } from '../../node/daemon/channel-shell/invoice.js';
import { parseTransaction, transactionId, type ChannelType, type Transaction } from '../../bolt/bolt3/index.js';
import { sha256 } from '../../bolt/crypto/hash.js';
import { decodeMessage, encodeMessage, type Message, type MessageToEncode } from '../../bolt/messages/index.js';
import {
  defaultLocalConfig,
  idleChannel,
  process,
  type BroadcastEffect,
  type ChannelEvent,
  type ChannelState,
  type CommandResult,
  type Effect,
  type LocalConfig,
  type Notification,
} from '../../node/channel/index.js';
import { loadPolicyConfig } from '../../policy/index.js';
import { SignerError, type SignerService } from '../../signer/service/index.js';
import { MemoryDevice } from './memory-device.js';
import { openSigner, overTheWire, tempDir } from './signer-pair.js';

export type SideName = 'alice' | 'bob';
export const other = (s: SideName): SideName => (s === 'alice' ? 'bob' : 'alice');

/** Regtest genesis block hash, internal byte order (BOLT 2 chain_hash). */
export const REGTEST_CHAIN_HASH = Uint8Array.from(Buffer.from('0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206', 'hex')).reverse();
export const TIP_HEIGHT = 500;
export const WALLET_UTXO_SAT = 20_000_000n;

/** Generous limits: these tests pay hundreds of times; the default policy is otherwise in force. */
export const TEST_POLICY_YAML = 'version: 1\nnetwork: regtest\nlimits:\n  daily: 100 btc\n  approval_threshold: 10 btc\n';

export interface Side {
  readonly name: SideName;
  readonly signer: SignerService;
  readonly device: MemoryDevice;
  readonly dataDir: string;
  config: LocalConfig;
  state: ChannelState;
  /** The last `persist` effect's snapshot. */
  persisted: ChannelState | null;
  readonly effects: Effect[];
  readonly notifications: Notification[];
  readonly replies: Map<string, CommandResult>;
  readonly broadcasts: BroadcastEffect[];
  readonly sent: Message[];
  /** Signer requests made, by method. */
  readonly signerCalls: Map<string, number>;
}

export interface Payment {
  readonly payer: SideName;
  readonly amountMsat: bigint;
  readonly preimage: Uint8Array;
  readonly paymentHash: Uint8Array;
  readonly settle: 'fulfill' | 'fail';
  readonly commandId: string;
}

/** What a test may do to a message on its way: let it through, drop it, or replace it. */
export type Interceptor = (from: SideName, message: Message) => Message | 'drop';

interface Queued {
  readonly to: SideName;
  readonly event: ChannelEvent;
}

let dirCounter = 0;

export class ChannelDriver {
  readonly alice: Side;
  readonly bob: Side;
  linkUp = true;
  intercept: Interceptor | null = null;
  /** The model: each side's balance once every registered payment is settled. */
  readonly expected: Record<SideName, bigint> = { alice: 0n, bob: 0n };
  readonly payments: Payment[] = [];
  readonly #byHash = new Map<string, Payment>();
  readonly #queue: Queued[] = [];
  readonly #settlements: ChannelEvent[] = [];
  #commandCounter = 0;
  #height = TIP_HEIGHT;
  fundingTx: Transaction | null = null;
  #utxo: { utxoTxid: Uint8Array; utxoScript: Uint8Array; changeScript: Uint8Array } | null = null;
  signedFundingTx: Uint8Array | null = null;
  fundingScript: Uint8Array | null = null;
  fundingSat = 0n;
  /** Incoming HTLCs are answered automatically (true) or left for the test (false). */
  autoSettle = true;

  private constructor(alice: Side, bob: Side) {
    this.alice = alice;
    this.bob = bob;
  }

  static async create(options: { alice?: Partial<LocalConfig>; bob?: Partial<LocalConfig>; wire?: boolean; tag?: number } = {}): Promise<ChannelDriver> {
    const tag = options.tag ?? 1;
    const policy = loadPolicyConfig(TEST_POLICY_YAML);
    const make = async (name: SideName, byte: number, overrides: Partial<LocalConfig> | undefined): Promise<Side> => {
      const dataDir = tempDir(`channel-${name}-${tag}-${dirCounter++}`);
      const device = MemoryDevice.fromByte(byte);
      const raw = await openSigner(dataDir, device, policy);
      const signer = options.wire === false ? raw : overTheWire(raw);
      await signer.call('AddBlock', { height: TIP_HEIGHT, block_hash: Buffer.from(sha256(Uint8Array.of(TIP_HEIGHT & 0xff, TIP_HEIGHT >> 8))) });
      const script = ((await signer.call('NewAddress', {})) as { script_pubkey: Uint8Array }).script_pubkey;
      const config: LocalConfig = { ...defaultLocalConfig(REGTEST_CHAIN_HASH, Uint8Array.from(script)), ...overrides };
      return {
        name,
        signer,
        device,
        dataDir,
        config,
        state: idleChannel(config, new Uint8Array(33), TIP_HEIGHT),
        persisted: null,
        effects: [],
        notifications: [],
        replies: new Map(),
        broadcasts: [],
        sent: [],
        signerCalls: new Map(),
      };
    };
    const alice = await make('alice', 0x10 + tag, options.alice);
    const bob = await make('bob', 0x80 + tag, options.bob);
    alice.state = idleChannel(alice.config, bob.signer.nodeId, TIP_HEIGHT);
    bob.state = idleChannel(bob.config, alice.signer.nodeId, TIP_HEIGHT);
    return new ChannelDriver(alice, bob);
  }

  side(name: SideName): Side {
    return name === 'alice' ? this.alice : this.bob;
  }

  async close(): Promise<void> {
    for (const s of [this.alice, this.bob]) {
      await s.signer.close();
      rmSync(s.dataDir, { recursive: true, force: true });
    }
  }

  nextCommandId(prefix: string): string {
    return `${prefix}-${++this.#commandCounter}`;
  }

  /** Carries out one `signer` effect for a side and returns the event that answers it (for conversation-style tests). */
  async answer(name: SideName, e: Effect | undefined): Promise<ChannelEvent> {
    assert.ok(e !== undefined && e.kind === 'signer', `expected a signer effect, got ${e === undefined ? 'nothing' : e.kind}`);
    try {
      return { kind: 'signer-reply', requestId: e.requestId, response: await this.side(name).signer.call(e.call.method, e.call.request) };
    } catch (err) {
      if (!(err instanceof SignerError)) throw err;
      return { kind: 'signer-error', requestId: e.requestId, code: err.code, message: err.message };
    }
  }

  /** Queue an event for a side (processed by `run`). */
  input(to: SideName, event: ChannelEvent): void {
    this.#queue.push({ to, event });
  }

  /** Process queued events and everything they cause, until nothing is left. */
  async run(limit = 1_000_000): Promise<void> {
    let steps = 0;
    while (this.#queue.length > 0) {
      if (++steps > limit) throw new Error(`channel driver: no quiescence after ${limit} events`);
      const { to, event } = this.#queue.shift()!;
      await this.apply(to, event);
    }
  }

  /** Processes the next queued event only; false when the queue is empty. */
  async step(): Promise<boolean> {
    const next = this.#queue.shift();
    if (next === undefined) return false;
    await this.apply(next.to, next.event);
    return true;
  }

  /** Events waiting to be processed, oldest first. */
  get queued(): readonly { readonly to: SideName; readonly event: ChannelEvent }[] {
    return this.#queue;
  }

  /**
   * A side's node dies: whatever it had queued is lost (signer answers included), the link drops,
   * and it comes back from `snapshot` (default: its last persisted state) with a `restarted` event.
   */
  crash(name: SideName, snapshot: ChannelState | null = this.side(name).persisted): void {
    assert.ok(snapshot, `${name} never persisted`);
    for (let i = this.#queue.length - 1; i >= 0; i--) if (this.#queue[i]!.to === name) this.#queue.splice(i, 1);
    this.linkUp = false;
    this.input(other(name), { kind: 'disconnected' });
    const side = this.side(name);
    side.state = structuredClone(snapshot); // as if read back from the node's store
    this.input(name, { kind: 'restarted' });
  }

  /** One event through `process`, then its effects. */
  async apply(to: SideName, event: ChannelEvent): Promise<readonly Effect[]> {
    const side = this.side(to);
    const [next, effects] = process(side.state, event);
    side.state = next;
    for (const e of effects) await this.#effect(side, e);
    // Like a shell draining its queue: the settlements this event caused, then one "sign now".
    if (this.#settlements.length > 0) {
      for (const c of this.#settlements.splice(0)) this.input(side.name, c);
      this.input(side.name, { kind: 'sign' });
    }
    return effects;
  }

  async #effect(side: Side, e: Effect): Promise<void> {
    side.effects.push(e);
    switch (e.kind) {
      case 'send': {
        // Every message goes through the BOLT codec, as it would on the wire.
        let message = decodeMessage(encodeMessage(e.message)) as Message;
        side.sent.push(message);
        if (!this.linkUp) return;
        if (this.intercept) {
          const r = this.intercept(side.name, message);
          if (r === 'drop') return;
          message = r;
        }
        this.input(other(side.name), { kind: 'message', message });
        return;
      }
      case 'signer': {
        side.signerCalls.set(e.call.method, (side.signerCalls.get(e.call.method) ?? 0) + 1);
        try {
          const response = await side.signer.call(e.call.method, e.call.request);
          this.input(side.name, { kind: 'signer-reply', requestId: e.requestId, response });
        } catch (err) {
          if (!(err instanceof SignerError)) throw err;
          this.input(side.name, { kind: 'signer-error', requestId: e.requestId, code: err.code, message: err.message });
        }
        return;
      }
      case 'persist':
        side.persisted = e.state;
        return;
      case 'create-funding':
        await this.#createFunding(side, e.scriptPubkey, e.amountSat);
        return;
      case 'publish-funding':
        await this.#publishFunding(side, e.channelId);
        return;
      case 'watch-funding':
        return;
      case 'broadcast':
        side.broadcasts.push(e);
        return;
      case 'disconnect':
        this.disconnect();
        return;
      case 'reply':
        side.replies.set(e.commandId, e.result);
        return;
      case 'notify':
        side.notifications.push(e.event);
        if (e.event.kind === 'htlc-received' && this.autoSettle) this.#settleIncoming(side, e.event.htlc.id, e.event.htlc.paymentHash);
        if (e.event.kind === 'payment-failed' && e.event.failure.kind === 'local') this.#revertModel(e.event.paymentHash);
        return;
    }
  }

  #settleIncoming(side: Side, htlcId: bigint, paymentHash: Uint8Array): void {
    const p = this.#byHash.get(hex(paymentHash));
    assert.ok(p, `${side.name} received an HTLC for an unknown payment hash`);
    if (p.settle === 'fulfill') this.#settlements.push({ kind: 'fulfill-htlc', commandId: this.nextCommandId('fulfill'), htlcId, preimage: p.preimage });
    else this.#settlements.push({ kind: 'fail-htlc', commandId: this.nextCommandId('fail'), htlcId, reason: Uint8Array.of(0x40, 0x0f, 1, 2, 3) });
  }

  /** A payment dropped before any commitment carried it: the model gives the amount back. */
  #revertModel(paymentHash: Uint8Array): void {
    const p = this.#byHash.get(hex(paymentHash));
    if (p === undefined || p.settle !== 'fulfill') return;
    this.expected[p.payer] += p.amountMsat;
    this.expected[other(p.payer)] -= p.amountMsat;
  }

  async #createFunding(side: Side, fundingScript: Uint8Array, amountSat: bigint): Promise<void> {
    const utxoScript = ((await side.signer.call('NewAddress', {})) as { script_pubkey: Uint8Array }).script_pubkey;
    const changeScript = ((await side.signer.call('NewAddress', {})) as { script_pubkey: Uint8Array }).script_pubkey;
    const utxoTxid = sha256(concat(side.signer.nodeId, Uint8Array.of(++dirCounter))); // display order
    const tx: Transaction = {
      version: 2,
      locktime: 0,
      inputs: [{ txid: utxoTxid, vout: 1, sequence: 0xfffffffd, scriptSig: new Uint8Array(0), witness: [] }],
      outputs: [
        { amountSat, script: fundingScript },
        { amountSat: WALLET_UTXO_SAT - amountSat - 1000n, script: changeScript },
      ],
    };
    this.fundingTx = tx;
    this.fundingScript = fundingScript;
    this.fundingSat = amountSat;
    this.#utxo = { utxoTxid, utxoScript, changeScript };
    const internal = Uint8Array.from(transactionId(tx)).reverse();
    this.input(side.name, { kind: 'funding-built', commandId: this.nextCommandId('funding'), fundingTxid: internal, fundingVout: 0 });
  }

  async #publishFunding(side: Side, channelId: Uint8Array): Promise<void> {
    const tx = this.fundingTx!;
    const { utxoTxid, utxoScript, changeScript } = this.#utxo!;
    const signed = (await side.signer.call('SignWalletTransaction', {
      version: 2,
      locktime: 0,
      inputs: [{ outpoint: { txid: Uint8Array.from(utxoTxid).reverse(), vout: 1 }, amount_sat: WALLET_UTXO_SAT.toString(), script_pubkey: utxoScript, sequence: 0xfffffffd }],
      outputs: [
        { amount_sat: tx.outputs[0]!.amountSat.toString(), script_pubkey: tx.outputs[0]!.script, funds_channel: { channel_id: channelId } },
        { amount_sat: tx.outputs[1]!.amountSat.toString(), script_pubkey: changeScript, funds_channel: null },
      ],
    })) as { transaction: Uint8Array };
    this.signedFundingTx = Uint8Array.from(signed.transaction);
    assert.ok(equal(transactionId(parseTransaction(this.signedFundingTx)), transactionId(tx)), 'the signed funding transaction has the txid funding_created announced');
  }

  // ---------------------------------------------------------------- conversations

  /** Alice opens a channel to Bob and both reach `normal` (funding confirmed, channel_ready both ways). */
  async open(options: { fundingSat?: bigint; pushMsat?: bigint; feeratePerKw?: number; channelType?: ChannelType } = {}): Promise<void> {
    const fundingSat = options.fundingSat ?? 1_000_000n;
    this.expected.alice = fundingSat * 1000n - (options.pushMsat ?? 0n);
    this.expected.bob = options.pushMsat ?? 0n;
    const commandId = this.nextCommandId('open');
    this.input('alice', {
      kind: 'open',
      commandId,
      temporaryChannelId: sha256(Uint8Array.of(0x7e, this.#commandCounter)),
      fundingSat,
      pushMsat: options.pushMsat ?? 0n,
      feeratePerKw: options.feeratePerKw ?? 2500,
      ...(options.channelType ? { channelType: options.channelType } : {}),
    });
    await this.run();
    assert.deepEqual(this.alice.replies.get(commandId), { ok: true, channelId: this.channelId() }, 'open succeeded');
    await this.confirmFunding();
    assert.equal(this.alice.state.kind, 'normal');
    assert.equal(this.bob.state.kind, 'normal');
  }

  channelId(): Uint8Array {
    const s = this.alice.state;
    assert.ok('commitments' in s, `alice has no channel (${s.kind})`);
    return s.commitments.params.channelId;
  }

  /** Both sides see the funding transaction at the depth they wait for. */
  async confirmFunding(): Promise<void> {
    this.#height += 6;
    for (const name of ['alice', 'bob'] as const) this.input(name, { kind: 'funding-depth', depth: 6, height: this.#height });
    await this.run();
  }

  /**
   * Registers a payment (invoice signed by the payee's signer, approved by the payer's) and queues
   * its add-htlc; `sign` and `run` are the test's to call, so payments can be batched.
   */
  async pay(payer: SideName, amountMsat: bigint, settle: 'fulfill' | 'fail' = 'fulfill', tag = this.payments.length): Promise<Payment> {
    const payee = other(payer);
    const preimage = sha256(concat(Uint8Array.of(payer === 'alice' ? 0xa1 : 0xb0), new TextEncoder().encode(String(tag)), this.alice.signer.nodeId));
    const paymentHash = sha256(preimage);
    const signer = this.side(payee).signer;
    const invoice = await signedInvoice(async <T extends object>(method: string, request: object) => (await signer.call(method as never, request)) as T, {
      network: 'regtest',
      amountMsat,
      timestamp: Math.floor(Date.now() / 1000),
      paymentHash,
      paymentSecret: sha256(concat(preimage, Uint8Array.of(1))),
      description: `channel test ${tag}`,
      expiry: 3600,
      minFinalCltvExpiryDelta: 18,
    });
    const approval = (await this.side(payer).signer.call('ApprovePayment', { invoice, amount_msat: amountMsat.toString(), max_fee_msat: '0' })) as { approved: boolean };
    assert.equal(approval.approved, true);
    const commandId = this.nextCommandId('add');
    const payment: Payment = { payer, amountMsat, preimage, paymentHash, settle, commandId };
    this.payments.push(payment);
    this.#byHash.set(hex(paymentHash), payment);
    if (settle === 'fulfill') {
      this.expected[payer] -= amountMsat;
      this.expected[payee] += amountMsat;
    }
    this.input(payer, { kind: 'add-htlc', commandId, amountMsat, paymentHash, cltvExpiry: this.#height + 40, onion: onionFor(tag) });
    return payment;
  }

  sign(side: SideName): void {
    this.input(side, { kind: 'sign' });
  }

  disconnect(): void {
    if (!this.linkUp) return;
    this.linkUp = false;
    this.input('alice', { kind: 'disconnected' });
    this.input('bob', { kind: 'disconnected' });
  }

  reconnect(): void {
    this.linkUp = true;
    this.input('alice', { kind: 'connected' });
    this.input('bob', { kind: 'connected' });
  }

  get height(): number {
    return this.#height;
  }

  /** Both sides' commitments hold exactly the model's balances, no HTLC, and agree with each other and with the signers. */
  async assertSettled(label = ''): Promise<void> {
    const where = label === '' ? '' : ` (${label})`;
    for (const name of ['alice', 'bob'] as const) {
      const s = this.side(name).state;
      assert.ok('commitments' in s, `${name} has no commitments${where}`);
      const c = s.commitments;
      const them = other(name);
      assert.equal(c.localCommit.spec.htlcs.length, 0, `${name}: HTLCs left in its commitment${where}`);
      assert.equal(c.remoteCommit.spec.htlcs.length, 0, `${name}: HTLCs left in the peer's commitment${where}`);
      assert.equal(c.remoteNext, null, `${name}: a commitment_signed is unacknowledged${where}`);
      assert.equal(c.localCommit.spec.toLocalMsat, this.expected[name], `${name}: own balance in its commitment${where}`);
      assert.equal(c.localCommit.spec.toRemoteMsat, this.expected[them], `${name}: peer balance in its commitment${where}`);
      assert.equal(c.remoteCommit.spec.toLocalMsat, this.expected[them], `${name}: peer balance in the peer's commitment${where}`);
      assert.equal(c.remoteCommit.spec.toRemoteMsat, this.expected[name], `${name}: own balance in the peer's commitment${where}`);
      // The signer's durable view: the latest holder commitment it validated.
      const listed = (await this.side(name).signer.call('ListChannels', {})) as { channels: { channel_id: Uint8Array; holder_commitment: { to_holder_msat: string; to_counterparty_msat: string; commitment_number: string } }[] };
      const mine = listed.channels.find((ch) => equal(ch.channel_id, c.params.channelId));
      assert.ok(mine, `${name}'s signer does not list the channel`);
      assert.equal(BigInt(mine.holder_commitment.to_holder_msat), this.expected[name], `${name}: signer's holder balance${where}`);
      assert.equal(BigInt(mine.holder_commitment.to_counterparty_msat), this.expected[them], `${name}: signer's counterparty balance${where}`);
      assert.equal(Number(mine.holder_commitment.commitment_number), c.localCommit.number, `${name}: signer's holder commitment number${where}`);
    }
    assert.equal(this.expected.alice + this.expected.bob, this.fundingSat * 1000n, 'the model adds up to the capacity');
  }

  notificationsOf(name: SideName, kind: Notification['kind']): Notification[] {
    return this.side(name).notifications.filter((n) => n.kind === kind);
  }

  /** Messages of one type a side sent. */
  sentOf<T extends Message['type']>(name: SideName, type: T): Extract<Message, { type: T }>[] {
    return this.side(name).sent.filter((m): m is Extract<Message, { type: T }> => m.type === type);
  }
}

/** A 1366-byte stand-in for a BOLT 4 onion (the channel does not read it). */
export function onionFor(tag: number): Uint8Array {
  const onion = new Uint8Array(1366);
  onion[0] = 0;
  onion.set(sha256(new TextEncoder().encode(`onion ${tag}`)), 1);
  return onion;
}

/** Encodes then decodes, as a message crossing the wire. */
export function wire(m: MessageToEncode): Message {
  return decodeMessage(encodeMessage(m)) as Message;
}
