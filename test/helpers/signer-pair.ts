// Two signers, Alice's and Bob's, and the node-side bookkeeping of one channel between them, so signer
// tests can hold the conversation two Lightning nodes would: open (commitment 0 both ways, funding),
// commitment rounds (A signs B's next commitment -> B validates it -> B revokes its previous -> A checks
// the revocation), payments with invoices and approvals, and the data every close needs.
// The channel model is deliberately simple: both commitments always reflect the same balances and HTLCs.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concat, hex } from '../../bolt/bytes.js';
import { signedInvoice } from '../../node/daemon/channel-shell/invoice.js';
import {
  buildCommitment,
  commitmentObscuringFactor,
  deriveCommitmentKeys,
  fundingScript,
  p2wsh,
  transactionId,
  type ChannelBasepoints,
  type ChannelType,
  type CommitmentTransaction,
  type Transaction,
} from '../../bolt/bolt3/index.js';
import { sha256 } from '../../bolt/crypto/hash.js';
import { defaultPolicyConfig, type PolicyConfig } from '../../policy/index.js';
import type { Device } from '../../signer/device/device.js';
import { SignerService, type RpcName } from '../../signer/service/index.js';
import { signerServiceConstructor } from '../../proto/signer-definition.js';

export type Side = 'alice' | 'bob';
// Responses are plain proto-loader-shaped objects; tests read the fields they asked for.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Msg = Record<string, any>;

export function other(side: Side): Side {
  return side === 'alice' ? 'bob' : 'alice';
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `vigil-${prefix}-`));
}

/**
 * What the conversation needs of a signer: its node id and one call per rpc. The in-process
 * SignerService is one; a gRPC client of a `vigil signer run` process (test/helpers/signer-process.ts)
 * is another.
 */
export interface PairSigner {
  readonly nodeId: Uint8Array;
  call(method: RpcName, request: object): Promise<object>;
}

export async function call(signer: PairSigner, method: RpcName, request: object): Promise<Msg> {
  return (await signer.call(method, request)) as Msg;
}

export function regtestPolicy(): PolicyConfig {
  return defaultPolicyConfig('regtest');
}

export async function openSigner(dataDir: string, device: Device, policy: PolicyConfig = regtestPolicy(), now?: () => number): Promise<SignerService> {
  return SignerService.open({ dataDir, device, policy, network: 'regtest', ...(now ? { now } : {}) });
}

/**
 * The same signer, but every request and response goes through protobuf encoding with the proto-loader
 * options the gRPC server uses: requests reach the service exactly as the server hands them over, and
 * the caller sees only what a gRPC client would decode.
 */
export function overTheWire(signer: SignerService): SignerService {
  const methods = signerServiceConstructor().service;
  return new Proxy(signer, {
    get(target, prop) {
      if (prop === 'call') {
        return async (method: RpcName, request: object): Promise<object> => {
          const def = methods[method];
          assert.ok(def, `${method} is not in proto/signer.proto`);
          const response = await target.call(method, def.requestDeserialize(def.requestSerialize(request)) as object);
          return def.responseDeserialize(def.responseSerialize(response)) as object;
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export interface ModelHtlc {
  readonly offerer: Side;
  readonly id: bigint;
  readonly amountMsat: bigint;
  readonly paymentHash: Uint8Array;
  readonly preimage: Uint8Array;
  readonly cltvExpiry: number;
}

/** What each side chose at opening (distinct values, so a swapped parameter shows). */
export const PARAMS = {
  alice: { toSelfDelay: 144, dustLimitSat: 546n, reserveSat: 10_000n },
  bob: { toSelfDelay: 200, dustLimitSat: 600n, reserveSat: 12_000n },
} as const;
export const FUNDING_SAT = 1_000_000n;
export const WALLET_UTXO_SAT = 2_000_000n;
export const TIP_HEIGHT = 500;
export const CLTV = 600;

function basepointsOf(m: Msg): ChannelBasepoints {
  return {
    fundingPubkey: m['funding_pubkey'],
    revocationBasepoint: m['revocation_basepoint'],
    paymentBasepoint: m['payment_basepoint'],
    delayedPaymentBasepoint: m['delayed_payment_basepoint'],
    htlcBasepoint: m['htlc_basepoint'],
  };
}

function basepointsMsg(b: ChannelBasepoints): Msg {
  return {
    funding_pubkey: Buffer.from(b.fundingPubkey),
    revocation_basepoint: Buffer.from(b.revocationBasepoint),
    payment_basepoint: Buffer.from(b.paymentBasepoint),
    delayed_payment_basepoint: Buffer.from(b.delayedPaymentBasepoint),
    htlc_basepoint: Buffer.from(b.htlcBasepoint),
  };
}

export class ChannelPair<S extends PairSigner = SignerService> {
  readonly signers: Record<Side, S>;
  readonly channelType: ChannelType;
  readonly basepoints: Record<Side, ChannelBasepoints>;
  readonly nodeIds: Record<Side, Uint8Array>;
  channelId: Uint8Array = new Uint8Array(32);
  fundingTxid: Uint8Array = new Uint8Array(32); // internal byte order, as proto OutPoint
  readonly fundingVout = 0;
  fundingTx: Transaction | undefined;
  /** The funding transaction as Alice's wallet signed it, and the wallet output it spends. */
  signedFunding: Uint8Array | undefined;
  walletUtxo: { script: Uint8Array; amountSat: bigint } | undefined;
  feeratePerKw = 253;
  /** The clock invoices are dated with (Unix ms); the signers' own clock in tests that move time. */
  now: () => number = Date.now;
  readonly balance: Record<Side, bigint> = { alice: FUNDING_SAT * 1000n, bob: 0n };
  htlcs: ModelHtlc[] = [];
  readonly nextHtlcId: Record<Side, bigint> = { alice: 0n, bob: 0n };
  /** Each side's next own commitment number (the next its counterparty signs). */
  readonly nextHolder: Record<Side, number> = { alice: 0, bob: 0 };
  /** Each side's per-commitment points, as the other side learned them. */
  readonly points: Record<Side, Map<number, Uint8Array>> = { alice: new Map(), bob: new Map() };
  /** Each side's released per-commitment secrets. */
  readonly secrets: Record<Side, Map<number, Uint8Array>> = { alice: new Map(), bob: new Map() };
  /** Every commitment info each side had, by number. */
  readonly history: Record<Side, Map<number, Msg>> = { alice: new Map(), bob: new Map() };
  /** The other side's signatures on each side's latest commitment. */
  readonly lastSigned: Record<Side, Msg | undefined> = { alice: undefined, bob: undefined };

  constructor(signers: Record<Side, S>, channelType: ChannelType, basepoints: Record<Side, ChannelBasepoints>, nodeIds: Record<Side, Uint8Array>) {
    this.signers = signers;
    this.channelType = channelType;
    this.basepoints = basepoints;
    this.nodeIds = nodeIds;
  }

  get ref(): Msg {
    return { channel_id: Buffer.from(this.channelId) };
  }

  call(side: Side, method: RpcName, request: object): Promise<Msg> {
    return call(this.signers[side], method, request);
  }

  /** proto CommitmentInfo of `owner`'s commitment `number`, from the model. */
  info(owner: Side, number: number, changes: Partial<Msg> = {}): Msg {
    return {
      commitment_number: String(number),
      feerate_per_kw: this.feeratePerKw,
      to_holder_msat: this.balance[owner].toString(),
      to_counterparty_msat: this.balance[other(owner)].toString(),
      htlcs: this.htlcs.map((h) => ({
        direction: h.offerer === owner ? 'HTLC_DIRECTION_OFFERED' : 'HTLC_DIRECTION_RECEIVED',
        id: h.id.toString(),
        amount_msat: h.amountMsat.toString(),
        payment_hash: Buffer.from(h.paymentHash),
        cltv_expiry: h.cltvExpiry,
      })),
      ...changes,
    };
  }

  setupRequest(side: Side, temporaryChannelId: Uint8Array): Msg {
    const them = other(side);
    return {
      channel: { channel_id: Buffer.from(temporaryChannelId) },
      channel_id: Buffer.from(this.channelId),
      channel_type: this.channelType === 'anchors' ? 'CHANNEL_TYPE_ANCHORS' : 'CHANNEL_TYPE_STATIC_REMOTEKEY',
      holder_is_opener: side === 'alice',
      funding_outpoint: { txid: Buffer.from(this.fundingTxid), vout: this.fundingVout },
      funding_sat: FUNDING_SAT.toString(),
      push_msat: '0',
      counterparty_basepoints: basepointsMsg(this.basepoints[them]),
      counterparty_first_per_commitment_point: Buffer.from(this.points[them].get(0)!),
      holder_to_self_delay: PARAMS[side].toSelfDelay,
      counterparty_to_self_delay: PARAMS[them].toSelfDelay,
      holder_dust_limit_sat: PARAMS[side].dustLimitSat.toString(),
      counterparty_dust_limit_sat: PARAMS[them].dustLimitSat.toString(),
      holder_channel_reserve_sat: PARAMS[side].reserveSat.toString(),
      counterparty_channel_reserve_sat: PARAMS[them].reserveSat.toString(),
      max_accepted_htlcs: 30,
      htlc_minimum_msat: '1000',
      holder_shutdown_script: Buffer.alloc(0),
      counterparty_shutdown_script: Buffer.alloc(0),
    };
  }

  /** `signer` signs `owner`'s commitment `number` (the other side's counterparty commitment). */
  signCommitmentOf(owner: Side, number = this.nextHolder[owner], info = this.info(owner, number), point = this.points[owner].get(number)): Promise<Msg> {
    assert.ok(point, `no per-commitment point of ${owner}'s commitment ${number}`);
    return this.call(other(owner), 'SignCounterpartyCommitment', { channel: this.ref, commitment: info, per_commitment_point: Buffer.from(point) });
  }

  async validate(owner: Side, info: Msg, signed: Msg): Promise<void> {
    await this.call(owner, 'ValidateHolderCommitment', {
      channel: this.ref,
      commitment: info,
      counterparty_signature: signed['signature'],
      htlc_signatures: signed['htlc_signatures'],
    });
    const n = Number(info['commitment_number']);
    this.nextHolder[owner] = n + 1;
    this.history[owner].set(n, info);
    this.lastSigned[owner] = signed;
  }

  async revoke(owner: Side, number: number): Promise<Msg> {
    const r = await this.call(owner, 'RevokeHolderCommitment', { channel: this.ref, commitment_number: String(number) });
    this.points[owner].set(number + 2, r['next_per_commitment_point']);
    this.secrets[owner].set(number, r['per_commitment_secret']);
    return r;
  }

  validateRevocation(owner: Side, number: number): Promise<Msg> {
    return this.call(other(owner), 'ValidateCounterpartyRevocation', {
      channel: this.ref,
      commitment_number: String(number),
      per_commitment_secret: Buffer.from(this.secrets[owner].get(number)!),
    });
  }

  /** One full round for `owner`'s commitment: signed by the other side, validated, previous revoked, revocation checked. */
  async round(owner: Side): Promise<void> {
    const n = this.nextHolder[owner];
    const info = this.info(owner, n);
    const signed = await this.signCommitmentOf(owner, n, info);
    await this.validate(owner, info, signed);
    await this.revoke(owner, n - 1);
    await this.validateRevocation(owner, n - 1);
  }

  /** Both commitments move to the model's current state (BOLT 2: commitment_signed / revoke_and_ack both ways). */
  async update(): Promise<void> {
    await this.round('bob');
    await this.round('alice');
  }

  addHtlc(offerer: Side, amountMsat: bigint, preimage: Uint8Array, cltvExpiry = CLTV): ModelHtlc {
    assert.ok(this.balance[offerer] >= amountMsat, `${offerer} cannot offer ${amountMsat} msat`);
    const htlc: ModelHtlc = { offerer, id: this.nextHtlcId[offerer]++, amountMsat, paymentHash: sha256(preimage), preimage, cltvExpiry };
    this.balance[offerer] -= amountMsat;
    this.htlcs.push(htlc);
    return htlc;
  }

  fulfill(htlc: ModelHtlc): void {
    this.htlcs = this.htlcs.filter((h) => h !== htlc);
    this.balance[other(htlc.offerer)] += htlc.amountMsat;
  }

  fail(htlc: ModelHtlc): void {
    this.htlcs = this.htlcs.filter((h) => h !== htlc);
    this.balance[htlc.offerer] += htlc.amountMsat;
  }

  /** `payee` signs an invoice (SignInvoice) and returns it encoded. */
  async invoice(payee: Side, amountMsat: bigint, preimage: Uint8Array, expiry = 3600): Promise<string> {
    return signedInvoice(async <T extends object>(method: string, request: object) => (await this.call(payee, method as RpcName, request)) as T, {
      network: 'regtest',
      amountMsat,
      timestamp: Math.floor(this.now() / 1000),
      paymentHash: sha256(preimage),
      paymentSecret: sha256(concat(preimage, Uint8Array.of(1))),
      description: `test payment ${hex(preimage).slice(0, 8)}`,
      expiry,
      minFinalCltvExpiryDelta: 18,
    });
  }

  /** `payer` pays the other side: invoice, ApprovePayment, then the HTLC in the model (not yet committed). */
  async pay(payer: Side, amountMsat: bigint, tag: number): Promise<ModelHtlc> {
    const preimage = sha256(Uint8Array.of(payer === 'alice' ? 0xa1 : 0xb0, tag & 0xff, tag >> 8));
    const invoice = await this.invoice(other(payer), amountMsat, preimage);
    const r = await this.call(payer, 'ApprovePayment', { invoice, amount_msat: amountMsat.toString(), max_fee_msat: '1000' });
    assert.equal(r['approved'], true);
    return this.addHtlc(payer, amountMsat, preimage);
  }

  /** The funding output's scriptPubKey (P2WSH 2-of-2). */
  fundingScriptPubKey(): Uint8Array {
    return p2wsh(fundingScript(this.basepoints.alice.fundingPubkey, this.basepoints.bob.fundingPubkey));
  }

  /** `owner`'s commitment `number`, rebuilt here independently of the signers (for spent-output checks). */
  rebuild(owner: Side, number: number, info: Msg = this.history[owner].get(number)!): CommitmentTransaction {
    const them = other(owner);
    const point = this.points[owner].get(number)!;
    const keys = deriveCommitmentKeys(this.basepoints[owner], this.basepoints[them], point);
    return buildCommitment({
      channelType: this.channelType,
      funding: { txid: Uint8Array.from(this.fundingTxid).reverse(), vout: this.fundingVout, amountSat: FUNDING_SAT },
      obscuringFactor: commitmentObscuringFactor(this.basepoints.alice.paymentBasepoint, this.basepoints.bob.paymentBasepoint),
      commitmentNumber: BigInt(number),
      ownerIsOpener: owner === 'alice',
      toSelfDelay: PARAMS[owner].toSelfDelay,
      dustLimitSat: PARAMS[owner].dustLimitSat,
      feeratePerKw: info['feerate_per_kw'],
      toLocalMsat: BigInt(info['to_holder_msat']),
      toRemoteMsat: BigInt(info['to_counterparty_msat']),
      htlcs: (info['htlcs'] as Msg[]).map((h) => ({
        id: BigInt(h['id']),
        direction: h['direction'] === 'HTLC_DIRECTION_OFFERED' ? 'offered' : 'received',
        amountMsat: BigInt(h['amount_msat']),
        paymentHash: h['payment_hash'],
        cltvExpiry: h['cltv_expiry'],
      })),
      keys,
    });
  }
}

/**
 * Opens a channel Alice funds, as two nodes would: NewChannel on both, Alice's wallet builds the
 * funding transaction, SetupChannel on both, commitment 0 signed both ways, the funding transaction
 * signed by Alice's wallet, funding confirmed, and commitment 1's points exchanged (channel_ready).
 */
export async function openChannel<S extends PairSigner = SignerService>(signers: Record<Side, S>, channelType: ChannelType, tag = 1): Promise<ChannelPair<S>> {
  const temporaryChannelId = sha256(Uint8Array.of(0x7e, tag));
  const news = {
    alice: await call(signers.alice, 'NewChannel', { temporary_channel_id: Buffer.from(temporaryChannelId), peer_node_id: Buffer.from(signers.bob.nodeId), holder_is_opener: true }),
    bob: await call(signers.bob, 'NewChannel', { temporary_channel_id: Buffer.from(temporaryChannelId), peer_node_id: Buffer.from(signers.alice.nodeId), holder_is_opener: false }),
  };
  const pair = new ChannelPair(signers, channelType, { alice: basepointsOf(news.alice['basepoints']), bob: basepointsOf(news.bob['basepoints']) }, { alice: signers.alice.nodeId, bob: signers.bob.nodeId });
  pair.points.alice.set(0, news.alice['first_per_commitment_point']);
  pair.points.bob.set(0, news.bob['first_per_commitment_point']);

  for (const side of ['alice', 'bob'] as const) {
    await pair.call(side, 'AddBlock', { height: TIP_HEIGHT, block_hash: Buffer.from(sha256(Uint8Array.of(TIP_HEIGHT & 0xff))) });
  }
  // Alice's wallet: a UTXO paying her first address, spent into the funding output and change.
  const utxoScript = (await pair.call('alice', 'NewAddress', {}))['script_pubkey'] as Buffer;
  const changeScript = (await pair.call('alice', 'NewAddress', {}))['script_pubkey'] as Buffer;
  const utxoTxid = sha256(Uint8Array.of(0x55, tag)); // display order
  const funding: Transaction = {
    version: 2,
    locktime: 0,
    inputs: [{ txid: utxoTxid, vout: 1, sequence: 0xfffffffd, scriptSig: new Uint8Array(0), witness: [] }],
    outputs: [
      { amountSat: FUNDING_SAT, script: pair.fundingScriptPubKey() },
      { amountSat: WALLET_UTXO_SAT - FUNDING_SAT - 1000n, script: changeScript },
    ],
  };
  pair.fundingTx = funding;
  pair.fundingTxid = Uint8Array.from(transactionId(funding)).reverse();
  pair.channelId = Uint8Array.from(pair.fundingTxid);
  pair.channelId[31]! ^= pair.fundingVout;

  await pair.call('alice', 'SetupChannel', pair.setupRequest('alice', temporaryChannelId));
  const forBob0 = pair.info('bob', 0);
  const signedBob0 = await pair.signCommitmentOf('bob', 0, forBob0);
  await pair.call('bob', 'SetupChannel', pair.setupRequest('bob', temporaryChannelId));
  await pair.validate('bob', forBob0, signedBob0);
  const forAlice0 = pair.info('alice', 0);
  const signedAlice0 = await pair.signCommitmentOf('alice', 0, forAlice0);
  await pair.validate('alice', forAlice0, signedAlice0);

  const signedFunding = await pair.call('alice', 'SignWalletTransaction', {
    version: 2,
    locktime: 0,
    inputs: [{ outpoint: { txid: Buffer.from(Uint8Array.from(utxoTxid).reverse()), vout: 1 }, amount_sat: WALLET_UTXO_SAT.toString(), script_pubkey: utxoScript, sequence: 0xfffffffd }],
    outputs: [
      { amount_sat: FUNDING_SAT.toString(), script_pubkey: Buffer.from(pair.fundingScriptPubKey()), funds_channel: pair.ref },
      { amount_sat: (WALLET_UTXO_SAT - FUNDING_SAT - 1000n).toString(), script_pubkey: changeScript, funds_channel: null },
    ],
  });
  pair.signedFunding = signedFunding['transaction'];
  pair.walletUtxo = { script: utxoScript, amountSat: WALLET_UTXO_SAT };
  for (const side of ['alice', 'bob'] as const) await pair.call(side, 'FundingConfirmed', { channel: pair.ref, height: TIP_HEIGHT - 6 });
  // channel_ready: each side tells the other its point for commitment 1.
  for (const side of ['alice', 'bob'] as const) {
    const r = await pair.call(side, 'GetPerCommitmentPoint', { channel: pair.ref, commitment_number: '1' });
    pair.points[side].set(1, r['per_commitment_point']);
  }
  return pair;
}

