// The channel shell: the I/O around the pure channel machine (node/channel). Each channel has one
// event queue, drained by one loop, so `process` never runs twice at once for a channel; the effects
// of each step are carried out in order (persist before the send after it). Payments go to direct
// peers only (no routing yet), in a real BOLT 4 onion of one hop (payment-onion.ts).
import { randomBytes } from 'node:crypto';
import { equal, fromHex, hex, reversedHex } from '../../../bolt/bytes.js';
import { decodeInvoice, type Network } from '../../../bolt/bolt11/index.js';
import { sha256 } from '../../../bolt/crypto/hash.js';
import { secp } from '../../../bolt/crypto/secp256k1.js';
import {
  channelIdOf,
  defaultLocalConfig,
  hasCommitments,
  idleChannel,
  process,
  type ChannelEvent,
  type ChannelState,
  type Closed,
  type CommandResult,
  type Effect,
  type LocalConfig,
  type Notification,
} from '../../channel/index.js';
import type { ChannelMessage, Peer, RemoteErrorReport } from '../../peer/index.js';
import { SignerRefusal } from '../../signer-client/client.js';
import type { ChannelInfo, ChannelService, ChannelShellContext, CloseParams, CloseResult, InvoiceParams, InvoiceResult, OpenChannelParams, OpenChannelResult, PayParams } from '../channels.js';
import { ApiError } from '../errors.js';
import { signerEcdh } from '../signer.js';
import type { PaymentRecord } from '../store.js';
import type { WalletDraft } from '../wallet.js';
import { buildPaymentOnion, decodeFailureReason, failureReason, finalHopPayload, readPaymentOnion, type PaymentOnionRead } from './payment-onion.js';
import { signedInvoice, type SignerCall } from './invoice.js';
import { channelsFromSigner } from './signer-restore.js';
import { decodeSnapshot, decodeTagged, encodeSnapshot, encodeTagged } from './snapshot-codec.js';
import { Sweeper } from './sweeper.js';

/** Blocks above the tip for a direct payment's HTLC (the invoice's min_final_cltv_expiry_delta fits under it). */
const HTLC_EXPIRY_BLOCKS = 40;
const INVOICE_CLTV_DELTA = 18;
/** Channel opens from one peer not yet funded (no funding_created) that we carry at once. */
const MAX_UNFUNDED_OPENS_PER_PEER = 4;
const UNFUNDED_KINDS: ReadonlySet<ChannelState['kind']> = new Set(['idle', 'wait-for-funding-created']);

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

interface Channel {
  state: ChannelState;
  readonly peerNodeId: string;
  readonly queue: ChannelEvent[];
  /** The running drain loop, if any. */
  draining: Promise<void> | null;
  /** Updates were queued since the last `sign`: send one when the queue is empty. */
  needsSign: boolean;
  draft: WalletDraft | null;
  watch: { txid: string; vout: number; depth: number } | null;
  /** Display-order txid of a mutual close we broadcast. */
  closingTxid: string | null;
  scid: string | null;
  /** What listchannels last showed, kept for the channel once closed. */
  lastInfo: ChannelInfo | null;
}

/** Store meta key of what a closed channel last showed, by channel id. */
const CHANNEL_INFO_KEY = 'channel-info:';
/** Store meta key of a funding transaction not yet broadcast, by its display txid. */
const FUNDING_DRAFT_KEY = 'funding-draft:';

/**
 * Crash-consistency tests only: VIGIL_DEV_EXIT_BEFORE=<effect> makes the node exit (code 70) right
 * before carrying out that effect, to prove what a kill at that instant leaves behind.
 */
function devExitBefore(effect: string): void {
  if (globalThis.process.env['VIGIL_DEV_EXIT_BEFORE'] === effect) globalThis.process.exit(70);
}

/** A fresh BOLT 4 session key: 32 random bytes that are a valid secp256k1 scalar. */
function onionSessionKey(): Uint8Array {
  for (;;) {
    const k = Uint8Array.from(randomBytes(32));
    if (secp.isValidPrivateKey(k)) return k;
  }
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class ChannelShell implements ChannelService {
  readonly available = true;
  readonly #ctx: ChannelShellContext;
  /** By channel id hex (and the temporary id until the channel id is known). */
  readonly #channels = new Map<string, Channel>();
  readonly #replies = new Map<string, Waiter<CommandResult>>();
  readonly #payments = new Map<string, Waiter<PaymentRecord>>();
  readonly #closes = new Map<string, Waiter<string>>();
  /** The onion session key and route of each payment in flight, by payment hash: they decode a failure. */
  readonly #onions = new Map<string, { sessionKey: Uint8Array; route: Uint8Array[] }>();
  /** Made at the first new channel: its shutdown script is a fresh address of the signer's wallet. */
  #config: Promise<LocalConfig> | null = null;
  #commandCounter = 0;
  #closed = false;
  readonly #onMessage = (peer: Peer, m: ChannelMessage): void => this.#route(peer, m);
  readonly #onReady = (peer: Peer): void => this.#connection(peer.nodeIdHex, 'connected');
  readonly #onClosed = (peer: Peer): void => this.#connection(peer.nodeIdHex, 'disconnected');
  readonly #onRemoteError = (peer: Peer, r: RemoteErrorReport): void => this.#peerError(peer, r);
  readonly #onTip = (tip: { height: number }): void => void this.#onBlock(tip.height);
  /** BOLT 5: claims our outputs of closed channels (sweeper.ts). */
  readonly #sweeper: Sweeper;

  constructor(ctx: ChannelShellContext) {
    this.#ctx = ctx;
    this.#sweeper = new Sweeper(ctx, () => [...new Set(this.#channels.values())].map((c) => c.state).filter((s): s is Closed => s.kind === 'closed'), () => this.#closed);
  }

  get #height(): number {
    return this.#ctx.chain.tip?.height ?? 0;
  }

  #nextId(prefix: string): string {
    return `${prefix}-${++this.#commandCounter}-${randomBytes(4).toString('hex')}`;
  }

  // ------------------------------------------------------------------ lifecycle

  async start(): Promise<void> {
    const restored: Channel[] = [];
    for (const record of this.#ctx.store.channelSnapshots()) {
      let state: ChannelState;
      try {
        state = decodeSnapshot(record.snapshot);
      } catch (e) {
        this.#ctx.log.warn({ channel: record.channelId, err: errorText(e) }, 'unreadable channel snapshot dropped');
        continue;
      }
      restored.push(this.#adopt(record.channelId, state, record.peerNodeId));
    }
    // Channels the store does not know (a wiped or fresh data directory): the signer's are the truth.
    const signerCall: SignerCall = (method, request) => this.#ctx.signer.call(method, request);
    for (const r of await channelsFromSigner(signerCall, (id) => this.#channels.has(id), () => this.#localConfig(), this.#height, this.#ctx.log)) {
      const ch = this.#adopt(hex(channelIdOf(r.state)), r.state, r.peerNodeId);
      if (r.closedInfo !== null) this.#keepLastInfo(ch, r.closedInfo);
      restored.push(ch);
      this.#saveSnapshot(ch, r.state);
    }
    this.#failLostPayments(restored);
    this.#ctx.peers.on('channelMessage', this.#onMessage);
    this.#ctx.peers.on('peerReady', this.#onReady);
    this.#ctx.peers.on('peerClosed', this.#onClosed);
    this.#ctx.peers.on('remoteError', this.#onRemoteError);
    this.#ctx.chain.on('tip', this.#onTip);
    for (const ch of restored) {
      await this.#resumeFunding(ch).catch((e) => this.#ctx.log.error({ err: errorText(e) }, 'funding transaction not published after the restart'));
      this.#input(ch, { kind: 'restarted' });
      this.#input(ch, { kind: 'block', height: this.#height });
      if (this.#ctx.peers.peer(ch.peerNodeId)?.state === 'ready') this.#input(ch, { kind: 'connected' });
    }
    if (restored.length > 0) void this.#onBlock(this.#height);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#ctx.peers.off('channelMessage', this.#onMessage);
    this.#ctx.peers.off('peerReady', this.#onReady);
    this.#ctx.peers.off('peerClosed', this.#onClosed);
    this.#ctx.peers.off('remoteError', this.#onRemoteError);
    this.#ctx.chain.off('tip', this.#onTip);
    const stopping = new ApiError('UNAVAILABLE', 'the node is shutting down');
    for (const w of [...this.#replies.values(), ...this.#payments.values(), ...this.#closes.values()]) w.reject(stopping);
    // Running drains stop after their current effect.
    await Promise.all([...new Set(this.#channels.values())].map((c) => c.draining));
    await this.#sweeper.stop();
  }

  #saveSnapshot(ch: Channel, state: ChannelState): void {
    this.#ctx.store.saveChannelSnapshot(hex(channelIdOf(state)), ch.peerNodeId, state.kind, encodeSnapshot(state));
  }

  /** What listchannels shows for a channel once closed (its last balances), kept across restarts. */
  #keepLastInfo(ch: Channel, info: ChannelInfo | null): void {
    ch.lastInfo = info;
    if (info !== null) this.#ctx.store.setMeta(CHANNEL_INFO_KEY + info.channelId, encodeTagged(info, 'channel info'));
  }

  /** A channel resumed at start (from a snapshot or the signer), watching its funding output. */
  #adopt(id: string, state: ChannelState, peerNodeId: string): Channel {
    const ch = this.#newChannel(state, peerNodeId);
    const info = this.#ctx.store.getMeta(CHANNEL_INFO_KEY + id);
    if (info !== undefined) ch.lastInfo = decodeTagged<ChannelInfo>(info);
    this.#channels.set(id, ch);
    if (hasCommitments(state)) {
      const p = state.commitments.params;
      ch.watch = { txid: reversedHex(p.fundingTxid), vout: p.fundingVout, depth: -1 };
    }
    return ch;
  }

  /** Sent payments a snapshot does not carry never happened (README: adds are durable once signed). */
  #failLostPayments(restored: readonly Channel[]): void {
    const carried = restored.map((c) => encodeSnapshot(c.state)).join('\n');
    for (const p of this.#ctx.store.payments()) {
      if (p.direction !== 'sent' || p.status !== 'pending' || carried.includes(p.paymentHash)) continue;
      this.#ctx.store.upsertPayment({ ...p, status: 'failed', failureReason: 'the node restarted before the HTLC was committed', settledAt: Math.floor(Date.now() / 1000) });
    }
  }

  #localConfig(): Promise<LocalConfig> {
    if (this.#config === null) {
      const made = this.#ctx.wallet.newAddress().then((a) => defaultLocalConfig(this.#ctx.chainHash, a.scriptPubKey));
      made.catch(() => {
        if (this.#config === made) this.#config = null; // try again on the next channel
      });
      this.#config = made;
    }
    return this.#config;
  }

  #newChannel(state: ChannelState, peerNodeId: string): Channel {
    return { state, peerNodeId, queue: [], draining: null, needsSign: false, draft: null, watch: null, closingTxid: null, scid: null, lastInfo: null };
  }

  // ------------------------------------------------------------------ the event loop

  #input(ch: Channel, event: ChannelEvent): void {
    ch.queue.push(event);
    if (ch.draining === null) ch.draining = this.#drain(ch);
  }

  async #drain(ch: Channel): Promise<void> {
    await Promise.resolve(); // let #input store this promise before the loop can finish
    try {
      for (;;) {
        if (this.#closed) return;
        let event = ch.queue.shift();
        if (event === undefined) {
          if (!ch.needsSign) return;
          ch.needsSign = false;
          event = { kind: 'sign' };
        }
        const [next, effects] = process(ch.state, event);
        if (hasCommitments(ch.state) && !hasCommitments(next)) this.#keepLastInfo(ch, this.#infoOf(ch)); // closing: keep what it was
        ch.state = next;
        for (const e of effects) {
          try {
            await this.#effect(ch, e);
          } catch (err) {
            this.#ctx.log.error({ effect: e.kind, err: errorText(err) }, 'channel effect failed');
          }
        }
      }
    } finally {
      ch.draining = null;
    }
  }

  async #effect(ch: Channel, e: Effect): Promise<void> {
    const log = this.#ctx.log;
    switch (e.kind) {
      case 'send':
        if (!this.#ctx.peers.peer(ch.peerNodeId)?.send(e.message)) log.info({ peer: ch.peerNodeId, type: e.message.type }, 'peer offline: message not sent');
        return;
      case 'signer':
        try {
          // A signer restarting is waited for: failing the channel over it would be the wrong answer.
          const response = await this.#ctx.signer.callPatiently(e.call.method, e.call.request, () => this.#closed);
          this.#input(ch, { kind: 'signer-reply', requestId: e.requestId, response });
        } catch (err) {
          const code = err instanceof SignerRefusal ? String(err.code) : 'UNAVAILABLE';
          this.#input(ch, { kind: 'signer-error', requestId: e.requestId, code, message: errorText(err) });
        }
        return;
      case 'persist':
        this.#saveSnapshot(ch, e.state);
        return;
      case 'create-funding':
        await this.#createFunding(ch, e.scriptPubkey, e.amountSat);
        return;
      case 'publish-funding': {
        devExitBefore('publish-funding');
        const txid = reversedHex(e.fundingTxid);
        const draft = ch.draft ?? this.#storedFundingDraft(txid);
        if (draft === null) throw new Error(`publish-funding for ${hex(e.channelId)}: the funding draft ${txid} is in neither this process nor the store`);
        await this.#publishFunding(e.channelId, draft);
        ch.draft = null;
        return;
      }
      case 'watch-funding':
        ch.watch = { txid: reversedHex(e.fundingTxid), vout: e.fundingVout, depth: -1 };
        await this.#checkFunding(ch, this.#height);
        return;
      case 'broadcast': {
        const txid = hex(e.txid);
        try {
          await this.#ctx.rpc.sendRawTransaction(hex(e.tx));
          log.info({ what: e.what, txid }, 'transaction broadcast');
        } catch (err) {
          log.warn({ what: e.what, txid, err: errorText(err) }, 'broadcast refused');
        }
        // Both closes (mutual, our commitment) answer closechannel with the transaction that spends the funding output.
        ch.closingTxid = txid;
        const id = hex(channelIdOf(ch.state));
        this.#closes.get(id)?.resolve(txid);
        this.#closes.delete(id);
        return;
      }
      case 'disconnect':
        this.#ctx.peers.disconnect(ch.peerNodeId, e.reason);
        return;
      case 'reply':
        this.#replies.get(e.commandId)?.resolve(e.result);
        this.#replies.delete(e.commandId);
        return;
      case 'notify':
        this.#notify(ch, e.event);
        return;
    }
  }

  async #createFunding(ch: Channel, script: Uint8Array, amountSat: bigint): Promise<void> {
    const perKw = await this.#ctx.wallet.estimateFeeratePerKw();
    const draft = await this.#ctx.wallet.draft([{ script, amountSat }], perKw);
    ch.draft = draft;
    // Kept until broadcast: a restart between funding_signed and the broadcast still publishes it.
    this.#ctx.store.setMeta(FUNDING_DRAFT_KEY + draft.txid, encodeTagged(draft, 'funding draft'));
    const vout = draft.tx.outputs.findIndex((o) => equal(o.script, script));
    this.#input(ch, { kind: 'funding-built', commandId: this.#nextId('funding'), fundingTxid: fromHex(draft.txid, 'txid').reverse(), fundingVout: vout });
  }

  #storedFundingDraft(txid: string): WalletDraft | null {
    const text = this.#ctx.store.getMeta(FUNDING_DRAFT_KEY + txid);
    return text === undefined ? null : decodeTagged<WalletDraft>(text);
  }

  /** Signs (the signer checks the funding output against the channel it set up) and broadcasts our funding transaction. */
  async #publishFunding(channelId: Uint8Array, draft: WalletDraft): Promise<void> {
    const fundingScript = draft.outputs[0]!.script; // #createFunding drafts the funding output first
    const index = draft.tx.outputs.findIndex((o) => equal(o.script, fundingScript));
    const signed = await this.#ctx.wallet.sign(draft, new Map([[index, channelId]]));
    const txid = await this.#ctx.wallet.broadcast(draft, signed);
    this.#ctx.store.deleteMeta(FUNDING_DRAFT_KEY + draft.txid);
    this.#ctx.log.info({ channel: hex(channelId), txid }, 'funding transaction broadcast');
  }

  /** At start: a funding transaction we were to broadcast before a restart, not on chain yet, goes out now. */
  async #resumeFunding(ch: Channel): Promise<void> {
    const s = ch.state;
    if (s.kind !== 'wait-for-funding-confirmed' && s.kind !== 'wait-for-channel-ready') return;
    if (!s.commitments.params.isOpener || ch.watch === null) return;
    const draft = this.#storedFundingDraft(ch.watch.txid);
    if (draft === null) return;
    try {
      await this.#ctx.rpc.getRawTransaction(ch.watch.txid);
      this.#ctx.store.deleteMeta(FUNDING_DRAFT_KEY + draft.txid); // already out
    } catch {
      await this.#publishFunding(s.commitments.params.channelId, draft);
    }
  }

  #notify(ch: Channel, n: Notification): void {
    const log = this.#ctx.log;
    switch (n.kind) {
      case 'channel-id': {
        const temp = hex(n.temporaryChannelId);
        this.#channels.delete(temp);
        this.#channels.set(hex(n.channelId), ch);
        this.#ctx.store.deleteChannelSnapshot(temp);
        return;
      }
      case 'htlc-received':
        void this.#settleIncoming(ch, n.htlc);
        return;
      case 'payment-settled':
        this.#finishPayment(hex(n.paymentHash), 'succeeded', hex(n.preimage), null);
        return;
      case 'payment-failed': {
        const f = n.failure;
        const hash = hex(n.paymentHash);
        const reason = f.kind === 'local' ? f.message : f.kind === 'remote' ? this.#remoteFailure(hash, f.reason) : `the payee found the onion malformed (failure code 0x${f.failureCode.toString(16)})`;
        this.#finishPayment(hash, 'failed', null, reason);
        return;
      }
      case 'signer-refused': {
        log.warn({ channel: hex(n.channelId), method: n.method, reason: n.message }, 'the signer refused a channel request');
        const id = hex(n.channelId);
        if (n.method === 'SignHolderCommitmentForBroadcast' || n.method === 'SignMutualClose') {
          this.#closes.get(id)?.reject(new ApiError('FAILED_PRECONDITION', `closechannel: the signer refused ${n.method}: ${n.message}`));
          this.#closes.delete(id);
        }
        return;
      }
      case 'state-changed':
        log.info({ channel: hex(n.channelId), from: n.from, to: n.to }, 'channel state');
        if (n.to === 'closed') void this.#sweeper.onBlock();
        return;
      default:
        log.info({ channel: hex(n.channelId), event: n.kind, detail: 'message' in n ? n.message : 'what' in n ? n.what : undefined }, 'channel notification');
    }
  }

  /**
   * Payee side (BOLT 4 §Requirements for the final node): peel the onion with the node key (the
   * signer's Ecdh), then fulfil an HTLC that pays one of our invoices in full, with the invoice's
   * payment secret and an expiry that leaves us time; fail any other with an encrypted reason, or as
   * malformed when the onion itself is bad. We do not forward: an onion asking us to is refused.
   */
  async #settleIncoming(ch: Channel, htlc: { id: bigint; amountMsat: bigint; paymentHash: Uint8Array; cltvExpiry: number; onionRoutingPacket: Uint8Array }): Promise<void> {
    const hash = hex(htlc.paymentHash);
    const fail = (reason: Uint8Array, why: string): void => {
      this.#ctx.log.info({ channel: hex(channelIdOf(ch.state)), htlc: htlc.id.toString(), paymentHash: hash, why }, 'incoming HTLC failed');
      ch.needsSign = true;
      this.#input(ch, { kind: 'fail-htlc', commandId: this.#nextId('fail'), htlcId: htlc.id, reason });
    };
    let onion: PaymentOnionRead;
    try {
      // ECDH with the node key by the signer, waited for while it restarts.
      onion = await readPaymentOnion(htlc.onionRoutingPacket, htlc.paymentHash, (point) => signerEcdh(this.#ctx.signer, point, () => this.#closed));
    } catch (e) {
      // The signer could not be asked (it is stopping or gone for good): leave the HTLC; it is failed back before it expires.
      this.#ctx.log.error({ paymentHash: hash, err: errorText(e) }, 'incoming HTLC: onion not read');
      return;
    }
    if (!onion.ok) {
      if (onion.malformed) {
        this.#ctx.log.info({ paymentHash: hash, why: onion.detail }, 'incoming HTLC: malformed onion');
        ch.needsSign = true;
        this.#input(ch, { kind: 'fail-malformed-htlc', commandId: this.#nextId('fail'), htlcId: htlc.id, sha256OfOnion: onion.sha256OfOnion, failureCode: onion.failureCode });
      } else fail(onion.reason, onion.detail);
      return;
    }
    const unknown = (why: string): void => fail(failureReason(onion.sharedSecret, { type: 'incorrect_or_unknown_payment_details', htlcMsat: htlc.amountMsat, height: this.#height }), why);
    const final = onion.final;
    if (final === null) return unknown('the onion asks us to forward (no routing here)');
    if (final.amountMsat > htlc.amountMsat) return fail(failureReason(onion.sharedSecret, { type: 'final_incorrect_htlc_amount', incomingHtlcAmt: htlc.amountMsat }), `the HTLC carries ${htlc.amountMsat} msat, the onion says ${final.amountMsat}`);
    if (final.cltvExpiry > htlc.cltvExpiry) return fail(failureReason(onion.sharedSecret, { type: 'final_incorrect_cltv_expiry', cltvExpiry: htlc.cltvExpiry }), `the HTLC expires at ${htlc.cltvExpiry}, the onion says ${final.cltvExpiry}`);
    const record = this.#ctx.store.payment(hash, 'received');
    if (record === undefined || record.preimage === null || record.status === 'failed') return unknown('no invoice of ours has this payment hash');
    const invoice = decodeInvoice(record.invoice);
    if (final.paymentSecret === null || !equal(invoice.paymentSecret, final.paymentSecret)) return unknown('the payment secret does not match the invoice');
    if (htlc.amountMsat < (invoice.amountMsat ?? 0n) || final.totalMsat !== htlc.amountMsat) return unknown(`${htlc.amountMsat} msat does not pay the invoice in one part`);
    if (htlc.cltvExpiry < this.#height + invoice.minFinalCltvExpiryDelta) return unknown(`the HTLC expires at ${htlc.cltvExpiry}, too close to height ${this.#height}`);
    ch.needsSign = true;
    this.#input(ch, { kind: 'fulfill-htlc', commandId: this.#nextId('fulfill'), htlcId: htlc.id, preimage: fromHex(record.preimage, 'preimage') });
    this.#ctx.store.upsertPayment({ ...record, status: 'succeeded', amountMsat: htlc.amountMsat, peerNodeId: ch.peerNodeId, settledAt: Math.floor(Date.now() / 1000) });
  }

  /** BOLT 4 §Returning Errors: what the failing hop said, decrypted with the payment's session key. */
  #remoteFailure(hash: string, reason: Uint8Array): string {
    const onion = this.#onions.get(hash);
    if (onion === undefined) return `the payee failed the HTLC (reason not readable after a restart: ${hex(reason)})`;
    try {
      const f = decodeFailureReason(onion.sessionKey, onion.route, reason);
      return `hop ${f.hopIndex} (${hex(f.nodeId)}) failed the HTLC: ${f.name ?? `failure code 0x${f.code.toString(16)}`}${f.problem === null ? '' : ` (${f.problem})`}`;
    } catch (e) {
      return `the HTLC failed with a reason no hop can be blamed for: ${errorText(e)}`;
    }
  }

  #finishPayment(hash: string, status: 'succeeded' | 'failed', preimage: string | null, reason: string | null): void {
    this.#onions.delete(hash);
    const p = this.#ctx.store.payment(hash, 'sent');
    if (p === undefined || p.status !== 'pending') return;
    const done: PaymentRecord = { ...p, status, preimage: preimage ?? p.preimage, failureReason: reason, settledAt: Math.floor(Date.now() / 1000) };
    this.#ctx.store.upsertPayment(done);
    this.#payments.get(hash)?.resolve(done);
    this.#payments.delete(hash);
  }

  // ------------------------------------------------------------------ peers and chain

  #route(peer: Peer, m: ChannelMessage): void {
    const msg = m as ChannelMessage & { channelId?: Uint8Array; temporaryChannelId?: Uint8Array };
    const id = msg.channelId ?? msg.temporaryChannelId;
    if (id === undefined) return;
    const ch = this.#channels.get(hex(id));
    if (ch === undefined && m.type === 'open_channel') {
      void this.#acceptOpen(peer, id, m);
      return;
    }
    if (ch === undefined || ch.peerNodeId !== peer.nodeIdHex) {
      this.#ctx.log.info({ peer: peer.nodeIdHex, type: m.type, channel: hex(id) }, 'message for an unknown channel ignored');
      // BOLT 1: SHOULD answer with an `error` naming the unknown channel_id; never the all-zero id (it would fail every channel).
      if (id.some((b) => b !== 0) && peer.state === 'ready') peer.sendError(`unknown channel: ${m.type} for ${hex(id)}`, id);
      return;
    }
    this.#input(ch, { kind: 'message', message: m });
  }

  /** BOLT 1: an `error` fails the channel it names, or every channel with the peer (all-zero id); other ids are ignored. */
  #peerError(peer: Peer, r: RemoteErrorReport): void {
    const message = { type: 'error' as const, channelId: r.channelId, data: r.data, tlvs: {} };
    const targets = r.allChannels
      ? [...new Set(this.#channels.values())].filter((c) => c.peerNodeId === peer.nodeIdHex && c.state.kind !== 'idle')
      : [this.#channels.get(hex(r.channelId))].filter((c): c is Channel => c !== undefined && c.peerNodeId === peer.nodeIdHex);
    for (const ch of targets) this.#input(ch, { kind: 'message', message });
  }

  /** The peer opens a channel (BOLT 2 §The open_channel Message): a new machine answers it. */
  async #acceptOpen(peer: Peer, temporaryChannelId: Uint8Array, m: ChannelMessage): Promise<void> {
    let config: LocalConfig;
    try {
      config = await this.#localConfig();
    } catch (e) {
      this.#ctx.log.warn({ peer: peer.nodeIdHex, err: errorText(e) }, 'open_channel ignored: no shutdown address from the signer');
      return;
    }
    if (this.#closed || this.#channels.has(hex(temporaryChannelId))) return;
    // Opens that never got funded are forgotten; a peer may have a few in progress, not an unbounded number
    // (each costs the signer a NewChannel and a channel key index).
    let opening = 0;
    for (const [id, c] of this.#channels) {
      if (c.peerNodeId !== peer.nodeIdHex) continue;
      if (c.state.kind === 'closed' && c.state.closingTxid === null && c.lastInfo === null) {
        this.#channels.delete(id);
        this.#ctx.store.deleteChannelSnapshot(id);
      } else if (UNFUNDED_KINDS.has(c.state.kind)) opening++;
    }
    if (opening >= MAX_UNFUNDED_OPENS_PER_PEER) {
      this.#ctx.log.warn({ peer: peer.nodeIdHex, opening }, 'open_channel refused: too many opens in progress with this peer');
      peer.sendError(`open_channel refused: ${opening} channel opens with you are already in progress`, temporaryChannelId);
      return;
    }
    const ch = this.#newChannel(idleChannel(config, peer.nodeId, this.#height), peer.nodeIdHex);
    this.#channels.set(hex(temporaryChannelId), ch);
    this.#input(ch, { kind: 'message', message: m });
  }

  #connection(peerNodeId: string, kind: 'connected' | 'disconnected'): void {
    for (const ch of new Set(this.#channels.values())) if (ch.peerNodeId === peerNodeId && ch.state.kind !== 'idle') this.#input(ch, { kind });
  }

  async #onBlock(height: number): Promise<void> {
    void this.#sweeper.onBlock();
    for (const ch of new Set(this.#channels.values())) {
      if (ch.state.kind === 'closed') continue;
      this.#input(ch, { kind: 'block', height });
      try {
        await this.#checkFunding(ch, height);
      } catch (e) {
        this.#ctx.log.warn({ err: errorText(e) }, 'funding watch failed');
      }
    }
  }

  /** funding-depth when the depth changes; funding-spent once a confirmed transaction spends it. */
  async #checkFunding(ch: Channel, height: number): Promise<void> {
    const w = ch.watch;
    if (w === null || ch.state.kind === 'closed') return;
    let tx;
    try {
      tx = await this.#ctx.rpc.getRawTransaction(w.txid);
    } catch {
      return; // not on chain yet
    }
    const depth = tx.confirmations ?? 0;
    if (depth > 0 && depth !== w.depth) {
      w.depth = depth;
      if (ch.scid === null && tx.blockhash !== undefined) {
        const block = await this.#ctx.rpc.getBlock(tx.blockhash);
        ch.scid = `${block.height}x${block.tx.indexOf(w.txid)}x${w.vout}`;
      }
      this.#input(ch, { kind: 'funding-depth', depth, height });
    }
    if (depth > 0 && (await this.#ctx.rpc.getTxOut(w.txid, w.vout, false)) === null) {
      const spender = await this.#findSpender(w.txid, w.vout, height - depth + 1, height);
      if (spender !== null) {
        ch.watch = null;
        this.#input(ch, { kind: 'funding-spent', txid: fromHex(spender.txid, 'txid'), height: spender.height });
      }
    }
  }

  async #findSpender(txid: string, vout: number, from: number, to: number): Promise<{ txid: string; height: number } | null> {
    for (let h = to; h >= from; h--) {
      const block = await this.#ctx.rpc.getBlockWithTransactions(await this.#ctx.rpc.getBlockHash(h));
      for (const tx of block.tx) if (tx.vin.some((i) => i.txid === txid && i.vout === vout)) return { txid: tx.txid, height: h };
    }
    return null;
  }

  // ------------------------------------------------------------------ commands

  #command(ch: Channel, event: ChannelEvent & { commandId: string }): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      this.#replies.set(event.commandId, { resolve, reject });
      this.#input(ch, event);
    });
  }

  #byId(channelId: string): Channel {
    const ch = this.#channels.get(channelId);
    if (ch === undefined) throw new ApiError('NOT_FOUND', `channel_id: no channel ${channelId}`);
    return ch;
  }

  async openChannel(params: OpenChannelParams): Promise<OpenChannelResult> {
    const config = await this.#localConfig();
    const peer = this.#ctx.peers.peer(params.nodeId);
    if (peer === undefined || peer.state !== 'ready') throw new ApiError('FAILED_PRECONDITION', `node_id: ${params.nodeId} is not a connected peer (connect first)`);
    const temporaryChannelId = randomBytes(32);
    const ch = this.#newChannel(idleChannel(config, peer.nodeId, this.#height), peer.nodeIdHex);
    this.#channels.set(hex(temporaryChannelId), ch);
    const feeratePerKw = Math.min(50_000, Math.max(253, params.feeratePerKw ?? (await this.#ctx.wallet.estimateFeeratePerKw())));
    const result = await this.#command(ch, {
      kind: 'open',
      commandId: this.#nextId('open'),
      temporaryChannelId,
      fundingSat: params.amountSat,
      pushMsat: params.pushMsat,
      feeratePerKw,
      ...(params.channelType !== null ? { channelType: params.channelType } : {}),
    });
    if (!result.ok) {
      if (ch.draft !== null) this.#ctx.wallet.release(ch.draft);
      this.#channels.delete(hex(temporaryChannelId));
      throw new ApiError('FAILED_PRECONDITION', `openchannel: ${result.error}`);
    }
    const s = ch.state;
    if (!hasCommitments(s)) throw new ApiError('INTERNAL', `openchannel: the channel is in state ${s.kind} after the open succeeded`);
    const p = s.commitments.params;
    return { channelId: hex(p.channelId), fundingTxid: reversedHex(p.fundingTxid), fundingOutputIndex: p.fundingVout };
  }

  async listChannels(): Promise<ChannelInfo[]> {
    const out: ChannelInfo[] = [];
    for (const ch of new Set(this.#channels.values())) {
      const info = this.#infoOf(ch);
      if (info !== null) out.push(info);
    }
    return out;
  }

  /** A channel as listchannels shows it; a closed one as it last was, with state `closed`. */
  #infoOf(ch: Channel): ChannelInfo | null {
    const s = ch.state;
    if (!hasCommitments(s)) return s.kind === 'closed' && ch.lastInfo !== null ? { ...ch.lastInfo, state: 'closed', pendingHtlcs: 0 } : null;
    const c = s.commitments;
    const p = c.params;
    const state: ChannelInfo['state'] =
      s.kind === 'wait-for-funding-signed' ? 'opening'
      : s.kind === 'wait-for-funding-confirmed' || s.kind === 'wait-for-channel-ready' ? 'awaiting-lock'
      : s.kind === 'normal' ? 'open'
      : 'closing';
    return {
      channelId: hex(p.channelId),
      peerNodeId: ch.peerNodeId,
      state,
      channelType: p.channelType === 'anchors' ? 'anchors' : 'static_remotekey',
      fundingTxid: reversedHex(p.fundingTxid),
      fundingOutputIndex: p.fundingVout,
      capacitySat: p.fundingSat,
      localBalanceMsat: c.localCommit.spec.toLocalMsat,
      remoteBalanceMsat: c.localCommit.spec.toRemoteMsat,
      shortChannelId: ch.scid,
      pendingHtlcs: c.localCommit.spec.htlcs.length,
      opener: p.isOpener,
    };
  }

  async createInvoice(params: InvoiceParams): Promise<InvoiceResult> {
    const preimage = randomBytes(32);
    const paymentHash = sha256(preimage);
    const timestamp = Math.floor(Date.now() / 1000);
    const invoice = await signedInvoice((method, request) => this.#ctx.signer.call(method, request), {
      network: this.#ctx.network as Network,
      ...(params.amountMsat !== null ? { amountMsat: params.amountMsat } : {}),
      timestamp,
      paymentHash,
      paymentSecret: randomBytes(32),
      description: params.description,
      expiry: params.expirySeconds,
      minFinalCltvExpiryDelta: INVOICE_CLTV_DELTA,
    });
    this.#ctx.store.upsertPayment({
      paymentHash: hex(paymentHash), direction: 'received', status: 'pending', amountMsat: params.amountMsat ?? 0n, feeMsat: 0n, invoice,
      preimage: hex(preimage), peerNodeId: null, createdAt: timestamp, settledAt: null, failureReason: null,
    });
    return { invoice, paymentHash: hex(paymentHash), expiresAt: timestamp + params.expirySeconds };
  }

  async pay(params: PayParams): Promise<PaymentRecord> {
    let invoice;
    try {
      invoice = decodeInvoice(params.invoice);
    } catch (e) {
      throw new ApiError('INVALID_ARGUMENT', `invoice: ${errorText(e)}`);
    }
    const amountMsat = invoice.amountMsat ?? params.amountMsat;
    if (amountMsat === null || amountMsat === undefined) throw new ApiError('INVALID_ARGUMENT', 'amount_msat: the invoice has no amount; give one');
    const payee = hex(invoice.payee);
    const ch = [...new Set(this.#channels.values())].find((c) => c.peerNodeId === payee && c.state.kind === 'normal');
    if (ch === undefined) throw new ApiError('FAILED_PRECONDITION', `pay: no open channel with the payee ${payee} (only direct peers can be paid: no routing yet)`);
    if (ch.state.connection !== 'online') throw new ApiError('UNAVAILABLE', `pay: the channel with ${payee} is ${ch.state.connection} (peer not reconnected yet)`);
    const hash = hex(invoice.paymentHash);
    const existing = this.#ctx.store.payment(hash, 'sent');
    if (existing !== undefined && existing.status !== 'failed') throw new ApiError('ALREADY_EXISTS', `invoice: payment ${hash} is already ${existing.status}`);
    const approval = await this.#ctx.signer.call<{ approved: boolean }>('ApprovePayment', { invoice: params.invoice, amount_msat: amountMsat.toString(), max_fee_msat: '0' });
    if (!approval.approved) throw new ApiError('FAILED_PRECONDITION', `pay: the signer did not approve payment ${hash}`);
    const record: PaymentRecord = {
      paymentHash: hash, direction: 'sent', status: 'pending', amountMsat, feeMsat: 0n, invoice: params.invoice, preimage: null,
      peerNodeId: payee, createdAt: Math.floor(Date.now() / 1000), settledAt: null, failureReason: null,
    };
    this.#ctx.store.upsertPayment(record);
    const cltvExpiry = this.#height + HTLC_EXPIRY_BLOCKS;
    const done = new Promise<PaymentRecord>((resolve, reject) => this.#payments.set(hash, { resolve, reject }));
    // BOLT 4: a one-hop route to the payee (a direct peer); the session key decodes its failure reason.
    const sessionKey = onionSessionKey();
    const payload = finalHopPayload({ amountMsat, cltvExpiry, paymentSecret: invoice.paymentSecret, totalMsat: amountMsat });
    const onion = buildPaymentOnion(sessionKey, [{ nodeId: invoice.payee, payload }], invoice.paymentHash).packet;
    this.#onions.set(hash, { sessionKey, route: [invoice.payee] });
    ch.needsSign = true;
    const added = await this.#command(ch, { kind: 'add-htlc', commandId: this.#nextId('add'), amountMsat, paymentHash: invoice.paymentHash, cltvExpiry, onion });
    if (!added.ok) this.#finishPayment(hash, 'failed', null, added.error);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<PaymentRecord>((_, reject) => {
      timer = setTimeout(() => reject(new ApiError('DEADLINE_EXCEEDED', `pay: payment ${hash} not settled within ${params.timeoutSeconds} s (still pending)`)), params.timeoutSeconds * 1000);
    });
    try {
      return await Promise.race([done, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async listPayments(): Promise<PaymentRecord[]> {
    return this.#ctx.store.payments();
  }

  async closeChannel(params: CloseParams): Promise<CloseResult> {
    const ch = this.#byId(params.channelId);
    const closing = new Promise<string>((resolve, reject) => this.#closes.set(params.channelId, { resolve, reject }));
    if (params.force) {
      // The answer waits for our commitment, signed by the signer and broadcast.
      const r = await this.#command(ch, { kind: 'force-close', commandId: this.#nextId('force-close') });
      if (!r.ok) {
        this.#closes.delete(params.channelId);
        throw new ApiError('FAILED_PRECONDITION', `closechannel: ${r.error}`);
      }
      return { channelId: params.channelId, closingTxid: await closing };
    }
    const { scriptPubKey } = await this.#ctx.wallet.newAddress();
    const r = await this.#command(ch, {
      kind: 'close',
      commandId: this.#nextId('close'),
      scriptPubkey: scriptPubKey,
      ...(params.feeratePerKw !== null ? { feeratePerKw: params.feeratePerKw } : {}),
    });
    if (!r.ok) {
      this.#closes.delete(params.channelId);
      throw new ApiError('FAILED_PRECONDITION', `closechannel: ${r.error}`);
    }
    return { channelId: params.channelId, closingTxid: ch.closingTxid ?? (await closing) };
  }
}
