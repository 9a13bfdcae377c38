// The signer's on-chain wallet: BIP 84 P2WPKH addresses (signer/keys.ts) and the transactions that
// spend them (BIP 143), typically to fund a channel or to withdraw. Every input must be one of our
// wallet scripts; every output pays our wallet, the allowlist, or a channel funding output that matches
// a channel we set up as opener, in this very transaction (DESIGN invariant 4).
import { equal, hex } from '../../bolt/bytes.js';
import {
  encodeScriptSignature,
  fundingScript,
  p2wpkh,
  p2wpkhScriptCode,
  p2wsh,
  segwitV0Sighash,
  serializeTransaction,
  SIGHASH_ALL,
  transactionId,
  transactionWeight,
  withWitness,
  type Transaction,
} from '../../bolt/bolt3/index.js';
import type { OnchainOutput } from '../../policy/index.js';
import { invalidArgument, precondition } from '../errors.js';
import { WALLET_CHAIN, walletKeyPath } from '../keys.js';
import type { WalletKeyRecord } from '../store/records.js';
import { scriptToAddress } from './address.js';
import type { Handler } from './context.js';
import { publicKey, signAll } from './device-ops.js';
import {
  bytes,
  channelRef,
  itemMessage,
  list,
  optionalMessage,
  out,
  outPoint,
  requestObject,
  u32,
  u64,
  MAX_MONEY_SAT,
} from './fields.js';
import { enforce } from './policy-bridge.js';

const MAX_INPUTS = 1000;
const MAX_OUTPUTS = 1000;
const MAX_SCRIPT = 10_000;
const DUMMY_SIGNATURE = new Uint8Array(73);

export const newAddress: Handler = async (ctx, request) => {
  requestObject(request);
  const index = ctx.wallet.nextReceiveIndex;
  const pub = await publicKey(ctx, walletKeyPath(ctx.network, WALLET_CHAIN.receive, index));
  const record: WalletKeyRecord = { chain: 0, index, publicKey: pub, scriptPubKey: p2wpkh(pub) };
  const address = scriptToAddress(record.scriptPubKey, ctx.network);
  return {
    response: { address, script_pubkey: out(record.scriptPubKey) },
    reason: `wallet address ${index} issued`,
    persist: () => ctx.store.insertWalletKey(record),
    commit: () => ctx.wallet.add(record),
  };
};

export const listWalletAddresses: Handler = async (ctx, request) => {
  requestObject(request);
  const addresses = ctx.wallet.all().map((k) => ({ address: scriptToAddress(k.scriptPubKey, ctx.network), script_pubkey: out(k.scriptPubKey) }));
  return { response: { addresses }, reason: `${addresses.length} wallet addresses listed` };
};

export const signWalletTransaction: Handler = async (ctx, request, audit) => {
  const req = requestObject(request);
  const version = u32(req, 'version', '', { min: 1, max: 2 });
  const locktime = u32(req, 'locktime');
  const inputItems = list(req, 'inputs', '', MAX_INPUTS);
  const outputItems = list(req, 'outputs', '', MAX_OUTPUTS);
  if (inputItems.length === 0) throw invalidArgument('inputs', 'at least one input is required');
  if (outputItems.length === 0) throw invalidArgument('outputs', 'at least one output is required');

  const inputs = inputItems.map((_, i) => {
    const m = itemMessage(inputItems, i, 'inputs');
    const path = `inputs[${i}]`;
    const script = bytes(m, 'script_pubkey', path, { min: 1, max: MAX_SCRIPT });
    const key = ctx.wallet.keyFor(script);
    if (key === undefined) throw invalidArgument(`${path}.script_pubkey`, 'is not a script of this signer\'s wallet');
    return {
      outpoint: outPoint(m, 'outpoint', path),
      amountSat: u64(m, 'amount_sat', path, { min: 1n, max: MAX_MONEY_SAT }),
      sequence: u32(m, 'sequence', path),
      key,
    };
  });
  const seen = new Set<string>();
  inputs.forEach((input, i) => {
    const k = `${hex(input.outpoint.txid)}:${input.outpoint.vout}`;
    if (seen.has(k)) throw invalidArgument(`inputs[${i}].outpoint`, 'spends the same output as an earlier input');
    seen.add(k);
  });
  const outputs = outputItems.map((_, i) => {
    const m = itemMessage(outputItems, i, 'outputs');
    const path = `outputs[${i}]`;
    const fundsChannel = optionalMessage(m, 'funds_channel', path);
    return {
      amountSat: u64(m, 'amount_sat', path, { max: MAX_MONEY_SAT }),
      script: bytes(m, 'script_pubkey', path, { min: 1, max: MAX_SCRIPT }),
      channelId: fundsChannel === null ? null : channelRef({ funds_channel: fundsChannel }, 'funds_channel'),
    };
  });

  const tx: Transaction = {
    version,
    locktime,
    inputs: inputs.map((input) => ({
      txid: Uint8Array.from(input.outpoint.txid).reverse(), // proto OutPoint: internal order
      vout: input.outpoint.vout,
      sequence: input.sequence,
      scriptSig: new Uint8Array(0),
      witness: [],
    })),
    outputs: outputs.map((o) => ({ amountSat: o.amountSat, script: o.script })),
  };
  const txid = transactionId(tx);
  audit.txid = txid;
  const internalTxid = Uint8Array.from(txid).reverse();

  const facts: OnchainOutput[] = outputs.map((o, i) => {
    const address = scriptToAddress(o.script, ctx.network);
    if (o.channelId === null) return { destination: ctx.wallet.classify(o.script), amountSat: o.amountSat, address };
    // A channel funding output: the channel's 2-of-2, its amount, at the outpoint SetupChannel named.
    const field = `outputs[${i}].funds_channel.channel_id`;
    const ch = ctx.channels.get(o.channelId, field);
    const setup = ch.requireSetup('SignWalletTransaction funding output');
    if (!ch.record.holderIsOpener) throw invalidArgument(field, 'we did not open this channel, so we do not fund it');
    // BOLT 2 §The funding_signed Message: the funder broadcasts only once it holds the peer's signature
    // on its first commitment. Funded earlier, the money sits in a 2-of-2 we cannot spend alone (and
    // a channel with out-of-policy parameters, whose commitments are all refused, would get funded).
    if (ch.record.nextHolderNumber < 1) {
      throw precondition('policy-signer-channel-state', `${field}: holder commitment 0 of this channel is not validated yet, so it is not funded`);
    }
    if (!equal(o.script, p2wsh(fundingScript(ch.record.holder.fundingPubkey, setup.counterparty.fundingPubkey)))) {
      throw invalidArgument(`outputs[${i}].script_pubkey`, 'is not the funding output script of the channel it funds');
    }
    if (o.amountSat !== setup.fundingSat) throw invalidArgument(`outputs[${i}].amount_sat`, `${o.amountSat} sat, the channel's funding is ${setup.fundingSat} sat`);
    if (!equal(internalTxid, setup.fundingTxid) || setup.fundingVout !== i) {
      throw invalidArgument(`outputs[${i}]`, 'is not at the funding outpoint given to SetupChannel (txid and output index)');
    }
    audit.channelId = setup.channelId;
    return { destination: 'channel-funding', amountSat: o.amountSat, address, channelId: hex(setup.channelId), pushMsat: setup.pushMsat };
  });

  let estimate = tx;
  inputs.forEach((input, i) => (estimate = withWitness(estimate, i, [DUMMY_SIGNATURE, input.key.publicKey])));
  const inSat = inputs.reduce((a, i) => a + i.amountSat, 0n);
  const outSat = outputs.reduce((a, o) => a + o.amountSat, 0n);
  audit.amountsMsat = { amount: outSat * 1000n, fee: inSat >= outSat ? (inSat - outSat) * 1000n : 0n };
  const warnings = enforce(ctx, {
    kind: 'sign-onchain',
    purpose: facts.some((f) => f.destination === 'channel-funding') ? 'funding' : 'withdraw',
    inputs: inputs.map((i) => ({ amountSat: i.amountSat })),
    outputs: facts,
    weight: transactionWeight(estimate),
  });

  // BIP 143: each P2WPKH input signs SIGHASH_ALL with its scriptCode and amount (over the unsigned
  // transaction, so all inputs go to the device in one round trip).
  const signatures = await signAll(
    ctx,
    inputs.map(({ key, amountSat }, i) => ({
      path: walletKeyPath(ctx.network, key.chain, key.index),
      digest: segwitV0Sighash(tx, i, p2wpkhScriptCode(key.publicKey), amountSat, SIGHASH_ALL),
    })),
  );
  let signed = tx;
  inputs.forEach(({ key }, i) => (signed = withWitness(signed, i, [encodeScriptSignature(signatures[i]!, SIGHASH_ALL), key.publicKey])));
  return {
    response: { transaction: out(serializeTransaction(signed)) },
    reason: `wallet transaction signed: ${inputs.length} inputs, ${outputs.length} outputs, fee ${inSat - outSat} sat`,
    warnings,
  };
};
