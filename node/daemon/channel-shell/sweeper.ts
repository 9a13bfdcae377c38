// BOLT 5 §On-chain handling, after a channel closed on chain: our outputs of the closing transaction
// go back to the signer's wallet, each spend signed by the signer (SignSweep, SignJustice) and
// broadcast once the chain lets it be spent (BIP 68: the embedded chain and bitcoind refuse it before).
//
// Nothing here must survive a restart: at each pass the closed channels come from the shell, their
// parameters and commitments from the signer (ListChannels), the closing transaction and what is still
// unspent from the chain. The maps below only save asking again. Doing a pass twice is harmless: an
// output spent on chain or in the mempool is skipped, and a broadcast the chain refuses as already
// known or spent is only logged. Outputs the signer cannot sign yet (HTLCs, anchors) are listed in the
// log with the reason (closing-outputs.ts).
import { fromHex, hex, reversedHex } from '../../../bolt/bytes.js';
import { parseTransaction, transactionWeight, withWitness, type Transaction } from '../../../bolt/bolt3/index.js';
import { perCommitmentPointCall, readPoint, readRecoveredChannels, readTransaction, type Closed, type RecoveredChannel } from '../../channel/index.js';
import { classifyClosing, type Claim, type ClosingOutputs } from '../../channel/closing-outputs.js';
import { BitcoindRpcError } from '../../chain/rpc-client.js';
import type { ChannelShellContext } from '../channels.js';
import { CHANGE_DUST_SAT, feeFor } from '../wallet.js';

type Claimable = Extract<ClosingOutputs, { claims: readonly Claim[] }>;

/** One channel whose outputs are being claimed. */
interface Plan {
  readonly channel: RecoveredChannel;
  /** Display order. */
  readonly closingTxid: string;
  readonly outputs: Claimable;
  /** Outputs spent in a block (by us or anyone), or given up as worth less than their fee. */
  readonly settled: Set<number>;
}

/** bitcoind's "No such mempool or blockchain transaction" (RPC_INVALID_ADDRESS_OR_KEY). */
const RPC_INVALID_ADDRESS_OR_KEY = -5;

const SWEEP_KIND = { 'to-local': 'SWEEP_KIND_TO_LOCAL', 'to-remote': 'SWEEP_KIND_TO_REMOTE' } as const;

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The refusals that mean the spend is already done or under way: not a failure of ours. */
const ALREADY = /already|missingorspent|missing inputs|missing-inputs/i;

/** Weight of a one-output transaction spending `claims` with their placeholder witnesses (what the signer's fee check weighs too). */
export function sweepWeight(claims: readonly Claim[], destination: Uint8Array): number {
  let tx: Transaction = {
    version: 2,
    locktime: 0,
    inputs: claims.map(() => ({ txid: new Uint8Array(32), vout: 0, sequence: 0, scriptSig: new Uint8Array(0), witness: [] })),
    outputs: [{ amountSat: 0n, script: destination }],
  };
  claims.forEach((c, i) => (tx = withWitness(tx, i, c.placeholderWitness)));
  return transactionWeight(tx);
}

/** proto OutPoint: the txid in internal byte order. */
function outpoint(closingTxid: string, vout: number): { txid: Uint8Array; vout: number } {
  return { txid: fromHex(closingTxid, 'closing txid').reverse(), vout };
}

/** The SignSweep request for one to_local or to_remote output (proto SignSweepRequest). */
export function signSweepRequest(channelId: Uint8Array, commitmentNumber: number, closingTxid: string, claim: Claim, destination: Uint8Array, feeSat: bigint): object {
  if (claim.kind === 'justice') throw new Error(`output ${claim.vout} of a revoked commitment is claimed with SignJustice, not SignSweep`);
  return {
    channel: { channel_id: channelId },
    kind: SWEEP_KIND[claim.kind],
    outpoint: outpoint(closingTxid, claim.vout),
    amount_sat: claim.amountSat.toString(),
    commitment_number: String(commitmentNumber),
    destination_script: destination,
    fee_sat: feeSat.toString(),
  };
}

/** The SignJustice request for outputs of a revoked commitment (proto SignJusticeRequest). */
export function signJusticeRequest(channelId: Uint8Array, commitmentNumber: number, closingTxid: string, claims: readonly Claim[], destination: Uint8Array, feeSat: bigint): object {
  return {
    channel: { channel_id: channelId },
    revoked_commitment_number: String(commitmentNumber),
    outpoints: claims.map((c) => outpoint(closingTxid, c.vout)),
    amounts_sat: claims.map((c) => c.amountSat.toString()),
    destination_script: destination,
    fee_sat: feeSat.toString(),
  };
}

export class Sweeper {
  readonly #ctx: ChannelShellContext;
  readonly #closedChannels: () => Iterable<Closed>;
  readonly #stopped: () => boolean;
  /** By channel id hex: what is being claimed, or 'done' when nothing is left to do in this process. */
  readonly #plans = new Map<string, Plan | 'done'>();
  /** One wallet address per claimed outpoint, so a repeated sweep is the same transaction. */
  readonly #destinations = new Map<string, Uint8Array>();
  #running: Promise<void> | null = null;
  #again = false;

  /** `closedChannels` lists the shell's channels in state closed; `stopped` says the node is shutting down. */
  constructor(ctx: ChannelShellContext, closedChannels: () => Iterable<Closed>, stopped: () => boolean) {
    this.#ctx = ctx;
    this.#closedChannels = closedChannels;
    this.#stopped = stopped;
  }

  /** A new tip, or a channel just closed: one pass over the closed channels (queued behind a running one). */
  onBlock(): Promise<void> {
    if (this.#stopped()) return Promise.resolve();
    if (this.#running !== null) {
      this.#again = true;
      return this.#running;
    }
    const run = (async () => {
      do {
        this.#again = false;
        await this.#pass();
      } while (this.#again && !this.#stopped());
    })().finally(() => {
      this.#running = null;
    });
    this.#running = run;
    return run;
  }

  /** Waits for a running pass to end (the shell stops first, so no new one starts). */
  async stop(): Promise<void> {
    await this.#running;
  }

  async #pass(): Promise<void> {
    const waiting = [...this.#closedChannels()].filter((s) => this.#plans.get(hex(s.channelId)) !== 'done');
    if (waiting.length === 0) return;
    let recovered: Map<string, RecoveredChannel> | null = null;
    for (const state of waiting) {
      if (this.#stopped()) return;
      const id = hex(state.channelId);
      try {
        let plan = this.#plans.get(id);
        if (plan === undefined) {
          recovered ??= await this.#signerChannels();
          const made = await this.#plan(state, recovered.get(id));
          if (made === null) continue; // nothing on chain to look at yet
          this.#plans.set(id, made);
          plan = made;
        }
        if (plan !== 'done' && (await this.#claim(plan))) {
          this.#plans.set(id, 'done');
          this.#ctx.log.info({ channel: id, closing: plan.closingTxid }, 'every output of ours from the channel close is claimed');
        }
      } catch (e) {
        this.#ctx.log.warn({ channel: id, err: errorText(e) }, 'sweeping the closed channel failed; trying again at the next block');
      }
    }
  }

  async #signerChannels(): Promise<Map<string, RecoveredChannel>> {
    const r = await this.#ctx.signer.callPatiently('ListChannels', {}, this.#stopped);
    return new Map(readRecoveredChannels(r).map((c) => [hex(c.channelId), c]));
  }

  /** What the close left us, or null when the closing transaction is not confirmed (or not found) yet. */
  async #plan(state: Closed, channel: RecoveredChannel | undefined): Promise<Plan | 'done' | null> {
    const log = this.#ctx.log;
    const id = hex(state.channelId);
    if (channel === undefined) {
      log.warn({ channel: id }, 'closed channel unknown to the signer (never set up): nothing to sweep');
      return 'done';
    }
    const closingTxid = state.closingTxid !== null ? hex(state.closingTxid) : await this.#findClosing(channel);
    if (closingTxid === null) return null;
    if (closingTxid === 'none') return 'done';
    const raw = await this.#ctx.rpc.getRawTransaction(closingTxid);
    if ((raw.confirmations ?? 0) < 1) return null;
    const pointCall = perCommitmentPointCall(channel.channelId, channel.localCommit.number);
    const point = await this.#ctx.signer.callPatiently(pointCall.method, pointCall.request, this.#stopped);
    const outputs = classifyClosing(channel, readPoint(point), parseTransaction(fromHex(raw.hex, 'closing transaction')));
    if (outputs.kind === 'mutual') {
      log.info({ channel: id, closing: closingTxid }, 'mutual close: its outputs pay the wallets directly');
      return 'done';
    }
    if (outputs.kind === 'unknown') {
      log.error({ channel: id, closing: closingTxid, reason: outputs.reason }, 'the closing transaction is a commitment we cannot place: nothing swept');
      return 'done';
    }
    log.info(
      {
        channel: id,
        closing: closingTxid,
        commitment: `${outputs.kind} ${outputs.commitmentNumber}`,
        claims: outputs.claims.map((c) => `${c.kind} ${c.vout} (${c.amountSat} sat, csv ${c.csvDelay})`),
        left: outputs.left.map((o) => `${o.vout} (${o.amountSat} sat): ${o.why}`),
      },
      'outputs of the closing transaction classified',
    );
    return { channel, closingTxid, outputs, settled: new Set() };
  }

  /**
   * The transaction spending the funding output, for a channel whose closing txid the node does not
   * have (rebuilt from the signer by a wiped node): found in the blocks from the funding's up.
   * 'none' when the funding never reached the chain; null when it is unspent or its spender unseen.
   */
  async #findClosing(c: RecoveredChannel): Promise<string | 'none' | null> {
    const rpc = this.#ctx.rpc;
    const fundingTxid = reversedHex(c.fundingTxid);
    let funding;
    try {
      funding = await rpc.getRawTransaction(fundingTxid);
    } catch (e) {
      if (e instanceof BitcoindRpcError && e.code === RPC_INVALID_ADDRESS_OR_KEY) return 'none'; // never on chain
      throw e;
    }
    if (funding.blockhash === undefined || (await rpc.getTxOut(fundingTxid, c.fundingVout, false)) !== null) return null;
    const from = (await rpc.getBlockHeader(funding.blockhash)).height;
    const to = await rpc.getBlockCount();
    for (let h = from; h <= to; h++) {
      const block = await rpc.getBlockWithTransactions(await rpc.getBlockHash(h));
      for (const tx of block.tx) if (tx.vin.some((i) => i.txid === fundingTxid && i.vout === c.fundingVout)) return tx.txid;
    }
    return null;
  }

  /** Claims what is due; true once every output of ours is spent on chain. */
  async #claim(plan: Plan): Promise<boolean> {
    const rpc = this.#ctx.rpc;
    const due: Claim[] = [];
    for (const claim of plan.outputs.claims) {
      if (plan.settled.has(claim.vout)) continue;
      const onChain = await rpc.getTxOut(plan.closingTxid, claim.vout, false);
      if (onChain === null) {
        plan.settled.add(claim.vout); // spent in a block
        continue;
      }
      if ((await rpc.getTxOut(plan.closingTxid, claim.vout, true)) === null) continue; // our spend waits in the mempool
      if (onChain.confirmations < claim.csvDelay) continue; // BIP 68: to_self_delay (or 1 block) not over yet
      due.push(claim);
    }
    const justice = due.filter((c) => c.kind === 'justice');
    if (justice.length > 0) await this.#sweep(plan, justice);
    for (const claim of due) if (claim.kind !== 'justice') await this.#sweep(plan, [claim]);
    return plan.settled.size === plan.outputs.claims.length;
  }

  /** Has the signer sign one spend of `claims` to a wallet address, and broadcasts it. */
  async #sweep(plan: Plan, claims: readonly Claim[]): Promise<void> {
    const ctx = this.#ctx;
    const first = claims[0]!;
    const key = `${plan.closingTxid}:${first.vout}`;
    let destination = this.#destinations.get(key);
    if (destination === undefined) {
      destination = (await ctx.wallet.newAddress()).scriptPubKey;
      this.#destinations.set(key, destination);
    }
    const perKw = await ctx.wallet.estimateFeeratePerKw();
    const feeSat = feeFor(sweepWeight(claims, destination), perKw);
    const totalSat = claims.reduce((a, c) => a + c.amountSat, 0n);
    const what = claims.map((c) => `${c.kind} ${plan.closingTxid}:${c.vout}`).join(', ');
    if (totalSat - feeSat < CHANGE_DUST_SAT) {
      ctx.log.info({ channel: hex(plan.channel.channelId), what, totalSat: totalSat.toString(), feeSat: feeSat.toString() }, 'output worth less than its sweep: left on chain');
      for (const c of claims) plan.settled.add(c.vout);
      return;
    }
    const { channelId } = plan.channel;
    const n = plan.outputs.commitmentNumber;
    const [method, request] =
      first.kind === 'justice'
        ? (['SignJustice', signJusticeRequest(channelId, n, plan.closingTxid, claims, destination, feeSat)] as const)
        : (['SignSweep', signSweepRequest(channelId, n, plan.closingTxid, first, destination, feeSat)] as const);
    const tx = readTransaction(await ctx.signer.callPatiently(method, request, this.#stopped), method);
    try {
      const txid = await ctx.rpc.sendRawTransaction(hex(tx));
      ctx.log.info({ channel: hex(channelId), what, txid, feeSat: feeSat.toString() }, 'closed-channel output swept to the wallet');
    } catch (e) {
      const level = ALREADY.test(errorText(e)) ? 'info' : 'warn';
      ctx.log[level]({ channel: hex(channelId), what, err: errorText(e) }, 'sweep not accepted by the chain');
    }
  }
}
