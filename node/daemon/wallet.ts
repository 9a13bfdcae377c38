// The node's on-chain wallet, without a key: addresses are issued by the signer (NewAddress), coins
// are found on the chain by the scripts of those addresses (scantxoutset with raw(<script>) and the
// mempool), and every spend is built here and signed by the signer (SignWalletTransaction), which
// checks inputs and outputs against its own wallet and policy (DESIGN invariant 4).
//
// The addresses the node knows are cached in its store. A wiped node learns them again from the
// signer when the signer offers ListWalletAddresses (see recoverAddresses).
import { concat, fromHex, hex } from '../../bolt/bytes.js';
import { FALLBACK_P2PKH, FALLBACK_P2SH, fallbackFromAddress, type Network } from '../../bolt/bolt11/index.js';
import { OP, p2pkhFromHash } from '../../bolt/bolt3/scripts.js';
import { parseTransaction, transactionIdHex, transactionWeight, withWitness, type Transaction } from '../../bolt/bolt3/tx.js';
import { signerUnaryMethods } from '../../proto/signer-definition.js';
import { btcToSat, type BitcoindRpcClient, type RawTransactionInfo } from '../chain/rpc-client.js';
import type { Logger } from '../log.js';
import type { SignerClient } from '../signer-client/client.js';
import { ApiError, invalidArgument } from './errors.js';
import type { NodeStore } from './store.js';

/** consensus.h COINBASE_MATURITY: a coinbase output is spendable in the block 100 above its own. */
export const COINBASE_MATURITY = 100;
/** BOLT 3 / policy floor: 253 sat per 1000 weight units (1.012 sat/vbyte). */
export const MIN_FEERATE_PER_KW = 253;
/** A change output smaller than this goes to the fee instead (the P2PKH dust limit, a safe bound for P2WPKH). */
export const CHANGE_DUST_SAT = 546n;
/** The signature size the weight estimate assumes per input (DER, worst case, with sighash byte). */
const DUMMY_SIGNATURE = new Uint8Array(73);
const DUMMY_PUBKEY = new Uint8Array(33);
/** Our inputs signal replaceability (BIP 125) and are not time-locked. */
const INPUT_SEQUENCE = 0xfffffffd;

/** The signer rpc that lists every address it issued (proposed; used when the signer has it). */
export const LIST_WALLET_ADDRESSES_RPC = 'ListWalletAddresses';

export interface WalletCoin {
  /** Display order. */
  readonly txid: string;
  readonly vout: number;
  readonly amountSat: bigint;
  readonly script: Uint8Array;
  readonly coinbase: boolean;
  /** Block height of the transaction. */
  readonly height: number;
}

export interface WalletBalance {
  readonly confirmedSat: bigint;
  readonly immatureSat: bigint;
  readonly unconfirmedSat: bigint;
  readonly totalSat: bigint;
  readonly utxoCount: number;
  readonly height: number;
  readonly addressCount: number;
}

export interface DraftOutput {
  readonly script: Uint8Array;
  readonly amountSat: bigint;
  /** The channel this output funds (its channel id), for the signer's funding checks. */
  readonly fundsChannel?: Uint8Array;
}

/** An unsigned wallet transaction whose inputs are held until it is signed and broadcast, or released. */
export interface WalletDraft {
  readonly tx: Transaction;
  /** Known before signing: every input is segwit. Display order. */
  readonly txid: string;
  readonly inputs: readonly WalletCoin[];
  readonly outputs: readonly DraftOutput[];
  /** Index of the change output, or -1. */
  readonly changeIndex: number;
  readonly feeSat: bigint;
}

export interface OnchainWalletOptions {
  readonly signer: SignerClient;
  readonly rpc: BitcoindRpcClient;
  readonly store: NodeStore;
  readonly network: string;
  readonly log: Logger;
}

const outpointKey = (txid: string, vout: number): string => `${txid}:${vout}`;

/** The scriptPubKey an address pays to on `network` (base58 P2PKH/P2SH, bech32/bech32m segwit). */
export function addressToScript(network: string, address: string, field = 'address'): Uint8Array {
  let decoded;
  try {
    decoded = fallbackFromAddress(network as Network, address.trim());
  } catch (e) {
    // bolt11's messages read `fallback address "<a>": <why>`; ours name the request field instead.
    throw invalidArgument(field, (e as Error).message.replace(/^fallback address /, ''));
  }
  const { version, program } = decoded;
  if (version === FALLBACK_P2PKH) return p2pkhFromHash(program);
  if (version === FALLBACK_P2SH) return concat(Uint8Array.of(OP.OP_HASH160, 20), program, Uint8Array.of(OP.OP_EQUAL));
  return concat(Uint8Array.of(version === 0 ? 0 : OP.OP_1 + version - 1, program.length), program);
}

/** sat/vbyte (as users give it) to sat per 1000 weight units, never below the floor. */
export function feeratePerKw(satPerVbyte: bigint | number): number {
  return Math.max(MIN_FEERATE_PER_KW, Math.ceil(Number(satPerVbyte) * 250));
}

/** Fee for `weight` at `perKw`, rounded up. */
export function feeFor(weight: number, perKw: number): bigint {
  return (BigInt(weight) * BigInt(perKw) + 999n) / 1000n;
}

export class OnchainWallet {
  readonly #signer: SignerClient;
  readonly #rpc: BitcoindRpcClient;
  readonly #store: NodeStore;
  readonly #network: string;
  readonly #log: Logger;
  /** Outpoints held by drafts not yet broadcast or released. */
  readonly #held = new Set<string>();

  constructor(options: OnchainWalletOptions) {
    this.#signer = options.signer;
    this.#rpc = options.rpc;
    this.#store = options.store;
    this.#network = options.network;
    this.#log = options.log.child({ module: 'wallet' });
  }

  get network(): string {
    return this.#network;
  }

  /** A fresh address of the signer's wallet, remembered in the cache. */
  async newAddress(): Promise<{ address: string; scriptPubKey: Uint8Array }> {
    const r = await this.#signer.call<{ address: string; script_pubkey: Buffer }>('NewAddress', {});
    const scriptPubKey = new Uint8Array(r.script_pubkey);
    this.#store.addAddress(hex(scriptPubKey), r.address);
    return { address: r.address, scriptPubKey };
  }

  /**
   * Learns every address the signer issued, when the signer offers ListWalletAddresses (a wiped node
   * has none cached). Returns how many were new, or null when the signer has no such rpc.
   */
  async recoverAddresses(): Promise<number | null> {
    if (!signerUnaryMethods().includes(LIST_WALLET_ADDRESSES_RPC)) return null;
    const r = await this.#signer.call<{ addresses: { address: string; script_pubkey: Buffer }[] }>(LIST_WALLET_ADDRESSES_RPC, {});
    let added = 0;
    for (const a of r.addresses) if (this.#store.addAddress(hex(a.script_pubkey), a.address)) added++;
    if (added > 0) this.#log.info({ added }, 'wallet addresses recovered from the signer');
    return added;
  }

  /** The wallet scripts the node knows (hex). */
  scripts(): string[] {
    return this.#store.addresses().map((a) => a.scriptPubKey);
  }

  /** Our outputs in the chain's UTXO set (confirmed, mature or not), and the tip they were read at. */
  async chainCoins(): Promise<{ coins: WalletCoin[]; height: number }> {
    const scripts = this.scripts();
    if (scripts.length === 0) return { coins: [], height: await this.#rpc.getBlockCount() };
    const r = await this.#rpc.scanTxOutSet(scripts.map((s) => `raw(${s})`));
    const coins = r.unspents.map((u) => ({
      txid: u.txid,
      vout: u.vout,
      amountSat: btcToSat(u.amount),
      script: fromHex(u.scriptPubKey, 'scriptPubKey'),
      coinbase: u.coinbase,
      height: u.height,
    }));
    return { coins, height: r.height };
  }

  /** What the mempool spends (outpoint keys) and what it pays to our scripts (not spent again there). */
  async #mempool(): Promise<{ spent: Set<string>; incoming: WalletCoin[] }> {
    const txids = await this.#rpc.getRawMempool();
    const spent = new Set<string>();
    const outputs: WalletCoin[] = [];
    if (txids.length === 0) return { spent, incoming: outputs };
    const ours = new Set(this.scripts());
    const replies = await this.#rpc.batch(txids.map((txid) => ({ method: 'getrawtransaction', params: [txid, true] })));
    for (const reply of replies) {
      if (!reply.ok) continue; // mined or evicted since getrawmempool
      const tx = reply.result as RawTransactionInfo;
      for (const input of tx.vin) if (input.txid !== undefined && input.vout !== undefined) spent.add(outpointKey(input.txid, input.vout));
      for (const out of tx.vout) {
        if (ours.has(out.scriptPubKey.hex)) {
          outputs.push({ txid: tx.txid, vout: out.n, amountSat: btcToSat(out.value), script: fromHex(out.scriptPubKey.hex), coinbase: false, height: 0 });
        }
      }
    }
    return { spent, incoming: outputs.filter((o) => !spent.has(outpointKey(o.txid, o.vout))) };
  }

  static isMature(coin: WalletCoin, tipHeight: number): boolean {
    return !coin.coinbase || tipHeight + 1 - coin.height >= COINBASE_MATURITY;
  }

  async balance(): Promise<WalletBalance> {
    const { coins, height } = await this.chainCoins();
    const { spent, incoming } = await this.#mempool();
    let confirmedSat = 0n;
    let immatureSat = 0n;
    for (const c of coins) {
      if (!OnchainWallet.isMature(c, height)) immatureSat += c.amountSat;
      else if (!spent.has(outpointKey(c.txid, c.vout))) confirmedSat += c.amountSat;
    }
    const unconfirmedSat = incoming.reduce((a, c) => a + c.amountSat, 0n);
    return {
      confirmedSat,
      immatureSat,
      unconfirmedSat,
      totalSat: confirmedSat + immatureSat + unconfirmedSat,
      utxoCount: coins.length,
      height,
      addressCount: this.scripts().length,
    };
  }

  /** Confirmed, mature coins not spent in the mempool and not held by a draft, largest first. */
  async spendableCoins(): Promise<WalletCoin[]> {
    const { coins, height } = await this.chainCoins();
    const { spent } = await this.#mempool();
    return coins
      .filter((c) => OnchainWallet.isMature(c, height) && !spent.has(outpointKey(c.txid, c.vout)) && !this.#held.has(outpointKey(c.txid, c.vout)))
      .sort((a, b) => (a.amountSat === b.amountSat ? 0 : a.amountSat > b.amountSat ? -1 : 1));
  }

  /** The chain's fee estimate (6 blocks) as sat/kw, never below the floor; the floor when it has none. */
  async estimateFeeratePerKw(): Promise<number> {
    try {
      const r = await this.#rpc.estimateSmartFee(6);
      if (r.feerate !== undefined && r.feerate > 0) return Math.max(MIN_FEERATE_PER_KW, Math.ceil((r.feerate * 1e8) / 4));
    } catch (e) {
      this.#log.debug({ err: (e as Error).message }, 'estimatesmartfee failed; using the floor feerate');
    }
    return MIN_FEERATE_PER_KW;
  }

  /**
   * Builds an unsigned transaction paying `outputs` from our coins at `perKw`, with change to a new
   * wallet address when it is above dust. With `sendAll`, every spendable coin goes to the single
   * output (its amount is what remains after the fee). The chosen coins are held until sign+broadcast
   * or release().
   */
  async draft(outputs: readonly DraftOutput[], perKw: number, options: { sendAll?: boolean } = {}): Promise<WalletDraft> {
    if (outputs.length === 0) throw invalidArgument('outputs', 'at least one output is required');
    if (options.sendAll && outputs.length !== 1) throw invalidArgument('outputs', 'sending everything needs exactly one output');
    const coins = await this.spendableCoins();
    const want = outputs.reduce((a, o) => a + o.amountSat, 0n);
    const build = (inputs: readonly WalletCoin[], outs: readonly DraftOutput[]): Transaction => ({
      version: 2,
      locktime: 0,
      inputs: inputs.map((c) => ({ txid: fromHex(c.txid, 'txid'), vout: c.vout, sequence: INPUT_SEQUENCE, scriptSig: new Uint8Array(0), witness: [] })),
      outputs: outs.map((o) => ({ amountSat: o.amountSat, script: o.script })),
    });
    const weightOf = (tx: Transaction): number => {
      let t = tx;
      for (let i = 0; i < tx.inputs.length; i++) t = withWitness(t, i, [DUMMY_SIGNATURE, DUMMY_PUBKEY]);
      return transactionWeight(t);
    };
    const total = (cs: readonly WalletCoin[]): bigint => cs.reduce((a, c) => a + c.amountSat, 0n);

    if (options.sendAll) {
      if (coins.length === 0) throw new ApiError('FAILED_PRECONDITION', 'wallet: no spendable coins (coinbase outputs need 100 confirmations)');
      const fee = feeFor(weightOf(build(coins, outputs)), perKw);
      const amount = total(coins) - fee;
      if (amount < CHANGE_DUST_SAT) throw new ApiError('FAILED_PRECONDITION', `wallet: ${total(coins)} sat spendable does not cover the fee of ${fee} sat`);
      const outs = [{ ...outputs[0]!, amountSat: amount }];
      return this.#hold(build(coins, outs), coins, outs, -1, fee);
    }

    // Largest coins first until the outputs and the fee (with a change output) are covered.
    const chosen: WalletCoin[] = [];
    const changeScript = new Uint8Array(22); // P2WPKH size, for the estimate
    for (const coin of coins) {
      chosen.push(coin);
      const withChange = [...outputs, { script: changeScript, amountSat: 0n }];
      const feeWithChange = feeFor(weightOf(build(chosen, withChange)), perKw);
      const have = total(chosen);
      if (have < want + feeFor(weightOf(build(chosen, outputs)), perKw)) continue;
      const change = have - want - feeWithChange;
      if (change >= CHANGE_DUST_SAT) {
        const { scriptPubKey } = await this.newAddress();
        const outs = [...outputs, { script: scriptPubKey, amountSat: change }];
        return this.#hold(build(chosen, outs), chosen, outs, outs.length - 1, feeWithChange);
      }
      // No change: whatever is left above the outputs is the fee.
      return this.#hold(build(chosen, outputs), chosen, [...outputs], -1, have - want);
    }
    const have = total(coins);
    throw new ApiError('FAILED_PRECONDITION', `wallet: ${have} sat spendable, ${want} sat needed plus the fee (coinbase outputs need 100 confirmations)`);
  }

  #hold(tx: Transaction, inputs: readonly WalletCoin[], outputs: readonly DraftOutput[], changeIndex: number, feeSat: bigint): WalletDraft {
    for (const c of inputs) this.#held.add(outpointKey(c.txid, c.vout));
    return { tx, txid: transactionIdHex(tx), inputs, outputs, changeIndex, feeSat };
  }

  /** Lets a draft's coins be chosen again (after a refusal, or a funding that will not happen). */
  release(draft: WalletDraft): void {
    for (const c of draft.inputs) this.#held.delete(outpointKey(c.txid, c.vout));
  }

  /**
   * Has the signer sign a draft (SignWalletTransaction); returns the serialized signed transaction.
   * `fundsChannels` names the channel (by output index) a funding output opens, when the channel id
   * was not known at draft time (it is derived from the funding txid: BOLT 2 §funding_created).
   */
  async sign(draft: WalletDraft, fundsChannels: ReadonlyMap<number, Uint8Array> = new Map()): Promise<Uint8Array> {
    for (const index of fundsChannels.keys()) {
      if (draft.outputs[index] === undefined) throw new ApiError('INTERNAL', `funding output ${index} is not in draft ${draft.txid} (${draft.outputs.length} outputs)`);
    }
    const r = await this.#signer.call<{ transaction: Buffer }>('SignWalletTransaction', {
      version: draft.tx.version,
      locktime: draft.tx.locktime,
      inputs: draft.inputs.map((c) => ({
        // proto OutPoint: internal byte order
        outpoint: { txid: Buffer.from(fromHex(c.txid, 'txid').reverse()), vout: c.vout },
        amount_sat: c.amountSat.toString(),
        script_pubkey: Buffer.from(c.script),
        sequence: INPUT_SEQUENCE,
      })),
      outputs: draft.outputs.map((o, i) => {
        const channelId = fundsChannels.get(i) ?? o.fundsChannel;
        return { amount_sat: o.amountSat.toString(), script_pubkey: Buffer.from(o.script), funds_channel: channelId === undefined ? null : { channel_id: Buffer.from(channelId) } };
      }),
    });
    const signed = new Uint8Array(r.transaction);
    const txid = transactionIdHex(parseTransaction(signed));
    if (txid !== draft.txid) throw new ApiError('INTERNAL', `signer returned transaction ${txid}, not the draft ${draft.txid}`);
    return signed;
  }

  /** Sends a signed transaction to the chain; the draft's coins are then spent by the mempool. */
  async broadcast(draft: WalletDraft, signed: Uint8Array): Promise<string> {
    const txid = await this.#rpc.sendRawTransaction(hex(signed));
    this.release(draft);
    this.#log.info({ txid, fee: draft.feeSat.toString() }, 'wallet transaction broadcast');
    return txid;
  }

  /** Pays `amountSat` (or everything, with `all`) to `address`: draft, signer signs, broadcast. */
  async withdraw(address: string, amountSat: bigint, all: boolean, perKw: number): Promise<{ txid: string; amountSat: bigint; feeSat: bigint; transaction: string }> {
    const script = addressToScript(this.#network, address);
    if (!all && amountSat < CHANGE_DUST_SAT) throw invalidArgument('amount_sat', `${amountSat} sat is below the dust limit of ${CHANGE_DUST_SAT} sat`);
    const draft = await this.draft([{ script, amountSat }], perKw, { sendAll: all });
    try {
      const signed = await this.sign(draft);
      const txid = await this.broadcast(draft, signed);
      return { txid, amountSat: draft.outputs[0]!.amountSat, feeSat: draft.feeSat, transaction: hex(signed) };
    } catch (e) {
      this.release(draft);
      throw e;
    }
  }
}
