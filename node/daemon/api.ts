// The node API's handlers: one function per rpc of proto/node.proto, taking and returning the plain
// objects proto-loader gives (snake_case, uint64 as decimal strings). Requests are checked here and
// refused with INVALID_ARGUMENT naming the field; the work is done by the daemon's parts (peers,
// wallet, chain watcher) or by the ChannelService the channel shell provides.
import { hex } from '../../bolt/bytes.js';
import type { BitcoindRpcClient } from '../chain/rpc-client.js';
import { AddressError, formatHostPort, parseNodeAddress, type Peer, type PeerManager } from '../peer/index.js';
import type { ChainWatcher } from './chain-watcher.js';
import type { ChannelInfo, ChannelService, ChannelTypeName } from './channels.js';
import { ApiError, invalidArgument } from './errors.js';
import type { SignerIdentity } from './signer.js';
import type { NodeStore, PaymentRecord } from './store.js';
import { addressToScript, feeratePerKw, type OnchainWallet } from './wallet.js';

export interface ApiContext {
  readonly identity: SignerIdentity;
  readonly peers: PeerManager;
  readonly chain: ChainWatcher;
  readonly rpc: BitcoindRpcClient;
  /** getblockchaininfo's `chain`: main | test | signet | regtest. */
  readonly chainName: string;
  readonly wallet: OnchainWallet;
  readonly store: NodeStore;
  readonly channels: ChannelService;
  readonly peerListen: { host: string; port: number };
  readonly apiListen: () => { host: string; port: number };
  readonly version: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Message = Record<string, any>;
export type ApiHandler = (ctx: ApiContext, request: Message) => Promise<Message>;

export const MAX_MINE_BLOCKS = 1000;

// ------------------------------------------------------------------ request fields

function u64(req: Message, field: string): bigint {
  const v = req[field] ?? '0';
  if (typeof v !== 'string' || !/^[0-9]+$/.test(v)) throw invalidArgument(field, `expected an unsigned integer, got ${JSON.stringify(v)}`);
  return BigInt(v);
}

function text(req: Message, field: string): string {
  const v = req[field] ?? '';
  if (typeof v !== 'string') throw invalidArgument(field, `expected a string, got ${typeof v}`);
  return v.trim();
}

function hexId(req: Message, field: string, bytes: number): string {
  const v = text(req, field).toLowerCase();
  if (v === '') throw invalidArgument(field, 'is required');
  if (!new RegExp(`^[0-9a-f]{${bytes * 2}}$`).test(v)) throw invalidArgument(field, `expected ${bytes * 2} hex characters, got "${v}"`);
  return v;
}

function optionalFeerate(req: Message, field: string): number | null {
  const satPerVbyte = u64(req, field);
  if (satPerVbyte > 10_000n) throw invalidArgument(field, `${satPerVbyte} sat/vbyte is more than 10000`);
  return satPerVbyte === 0n ? null : feeratePerKw(satPerVbyte);
}

// ------------------------------------------------------------------ responses

function peerMessage(peer: Peer, persistent: boolean): Message {
  const info = peer.readyInfo;
  return {
    node_id: peer.nodeIdHex,
    address: peer.remoteAddress,
    direction: peer.direction,
    state: peer.state,
    features: info === null ? '' : hex(info.remoteFeatures),
    persistent,
  };
}

function channelMessage(c: ChannelInfo): Message {
  return {
    channel_id: c.channelId,
    peer_node_id: c.peerNodeId,
    state: c.state,
    channel_type: c.channelType,
    funding_txid: c.fundingTxid,
    funding_output_index: c.fundingOutputIndex,
    capacity_sat: c.capacitySat.toString(),
    local_balance_msat: c.localBalanceMsat.toString(),
    remote_balance_msat: c.remoteBalanceMsat.toString(),
    short_channel_id: c.shortChannelId ?? '',
    pending_htlcs: c.pendingHtlcs,
    opener: c.opener,
  };
}

function paymentMessage(p: PaymentRecord): Message {
  return {
    payment_hash: p.paymentHash,
    direction: p.direction,
    status: p.status,
    amount_msat: p.amountMsat.toString(),
    fee_msat: p.feeMsat.toString(),
    invoice: p.invoice,
    preimage: p.preimage ?? '',
    created_at: String(p.createdAt),
    settled_at: String(p.settledAt ?? 0),
    failure_reason: p.failureReason ?? '',
    peer_node_id: p.peerNodeId ?? '',
  };
}

// ------------------------------------------------------------------ handlers

const getInfo: ApiHandler = async (ctx) => {
  const tip = ctx.chain.tip;
  const numChannels = ctx.channels.available ? (await ctx.channels.listChannels()).length : 0;
  return {
    node_id: ctx.identity.nodeIdHex,
    network: ctx.identity.network,
    block_height: tip?.height ?? 0,
    block_hash: tip?.hash ?? '',
    peer_listen: ctx.peerListen,
    api_listen: ctx.apiListen(),
    num_peers: ctx.peers.peers().filter((p) => p.state === 'ready').length,
    num_channels: numChannels,
    channels_available: ctx.channels.available,
    signer_address: ctx.identity.address,
    signer_device: ctx.identity.device,
    version: ctx.version,
  };
};

const connect: ApiHandler = async (ctx, req) => {
  const addressText = text(req, 'address');
  if (addressText === '') throw invalidArgument('address', 'is required (<node id>@<host>[:<port>])');
  let address;
  try {
    address = parseNodeAddress(addressText);
  } catch (e) {
    if (e instanceof AddressError) throw invalidArgument('address', e.message);
    throw e;
  }
  const id = hex(address.nodeId);
  if (id === ctx.identity.nodeIdHex) throw invalidArgument('address', 'is this node itself');
  const persistent = req['once'] !== true;
  let peer: Peer;
  try {
    peer = await ctx.peers.connect(address, { persistent });
  } catch (e) {
    // A failed connect is not remembered: stop the manager from retrying it.
    if (persistent && !ctx.store.peers().some((p) => p.nodeId === id && p.persistent)) ctx.peers.disconnect(id);
    throw new ApiError('UNAVAILABLE', `connect: cannot connect to ${addressText}: ${(e as Error).message}`);
  }
  if (persistent) ctx.store.rememberPeer(id, address.host, address.port, true);
  ctx.store.peerConnected(id);
  return { peer: { ...peerMessage(peer, persistent), address: formatHostPort(address.host, address.port) } };
};

const listPeers: ApiHandler = async (ctx) => {
  const remembered = new Map(ctx.store.peers().map((p) => [p.nodeId, p]));
  const peers = ctx.peers.peers().map((p) => {
    const record = remembered.get(p.nodeIdHex);
    remembered.delete(p.nodeIdHex);
    return peerMessage(p, record?.persistent ?? false);
  });
  for (const r of remembered.values()) {
    if (!r.persistent) continue;
    peers.push({ node_id: r.nodeId, address: formatHostPort(r.host, r.port), direction: 'none', state: 'disconnected', features: '', persistent: true });
  }
  return { peers };
};

const newAddress: ApiHandler = async (ctx) => {
  const { address, scriptPubKey } = await ctx.wallet.newAddress();
  return { address, script_pubkey: hex(scriptPubKey) };
};

const balance: ApiHandler = async (ctx) => {
  const b = await ctx.wallet.balance();
  return {
    confirmed_sat: b.confirmedSat.toString(),
    immature_sat: b.immatureSat.toString(),
    unconfirmed_sat: b.unconfirmedSat.toString(),
    total_sat: b.totalSat.toString(),
    utxo_count: b.utxoCount,
    block_height: b.height,
    address_count: b.addressCount,
  };
};

const withdraw: ApiHandler = async (ctx, req) => {
  const address = text(req, 'address');
  if (address === '') throw invalidArgument('address', 'is required');
  const all = req['all'] === true;
  const amountSat = u64(req, 'amount_sat');
  if (!all && amountSat === 0n) throw invalidArgument('amount_sat', 'is required (or set all)');
  const perKw = optionalFeerate(req, 'feerate_sat_per_vbyte') ?? (await ctx.wallet.estimateFeeratePerKw());
  const r = await ctx.wallet.withdraw(address, amountSat, all, perKw);
  return { txid: r.txid, amount_sat: r.amountSat.toString(), fee_sat: r.feeSat.toString(), transaction: r.transaction };
};

const openChannel: ApiHandler = async (ctx, req) => {
  const nodeId = hexId(req, 'node_id', 33);
  const amountSat = u64(req, 'amount_sat');
  if (amountSat === 0n) throw invalidArgument('amount_sat', 'is required');
  const type = text(req, 'channel_type');
  if (type !== '' && type !== 'anchors' && type !== 'static_remotekey') throw invalidArgument('channel_type', `expected anchors or static_remotekey, got "${type}"`);
  const r = await ctx.channels.openChannel({
    nodeId,
    amountSat,
    pushMsat: u64(req, 'push_msat'),
    channelType: type === '' ? null : (type as ChannelTypeName),
    feeratePerKw: optionalFeerate(req, 'feerate_sat_per_vbyte'),
  });
  return { channel_id: r.channelId, funding_txid: r.fundingTxid, funding_output_index: r.fundingOutputIndex };
};

const listChannels: ApiHandler = async (ctx) => ({ channels: (await ctx.channels.listChannels()).map(channelMessage) });

const createInvoice: ApiHandler = async (ctx, req) => {
  const amountMsat = u64(req, 'amount_msat');
  const expiry = Number(req['expiry_seconds'] ?? 0);
  const r = await ctx.channels.createInvoice({
    amountMsat: amountMsat === 0n ? null : amountMsat,
    description: text(req, 'description'),
    expirySeconds: expiry === 0 ? 3600 : expiry,
  });
  return { invoice: r.invoice, payment_hash: r.paymentHash, expires_at: String(r.expiresAt) };
};

const pay: ApiHandler = async (ctx, req) => {
  const invoice = text(req, 'invoice');
  if (invoice === '') throw invalidArgument('invoice', 'is required');
  const amountMsat = u64(req, 'amount_msat');
  const maxFeeMsat = u64(req, 'max_fee_msat');
  const timeout = Number(req['timeout_seconds'] ?? 0);
  const payment = await ctx.channels.pay({
    invoice,
    amountMsat: amountMsat === 0n ? null : amountMsat,
    maxFeeMsat: maxFeeMsat === 0n ? null : maxFeeMsat,
    timeoutSeconds: timeout === 0 ? 60 : timeout,
  });
  return { payment: paymentMessage(payment) };
};

const listPayments: ApiHandler = async (ctx) => ({ payments: (await ctx.channels.listPayments()).map(paymentMessage) });

const closeChannel: ApiHandler = async (ctx, req) => {
  const r = await ctx.channels.closeChannel({
    channelId: hexId(req, 'channel_id', 32),
    force: req['force'] === true,
    feeratePerKw: optionalFeerate(req, 'feerate_sat_per_vbyte'),
  });
  return { channel_id: r.channelId, closing_txid: r.closingTxid };
};

const mine: ApiHandler = async (ctx, req) => {
  if (ctx.chainName !== 'regtest') throw new ApiError('FAILED_PRECONDITION', `mine: only on regtest; this node's chain is ${ctx.chainName}`);
  const blocks = Number(req['blocks'] ?? 0);
  if (!Number.isInteger(blocks) || blocks < 1 || blocks > MAX_MINE_BLOCKS) throw invalidArgument('blocks', `expected 1..${MAX_MINE_BLOCKS}, got ${blocks}`);
  let address = text(req, 'address');
  if (address === '') address = (await ctx.wallet.newAddress()).address;
  else addressToScript(ctx.wallet.network, address);
  const hashes = await ctx.rpc.generateToAddress(blocks, address);
  const tip = await ctx.chain.poll(); // the signer hears of the new tip before we answer
  return { block_hashes: hashes, address, block_height: tip.height };
};

/** The handlers by rpc name; every rpc of proto/node.proto has one (checked when the server starts). */
export const API_HANDLERS: Readonly<Record<string, ApiHandler>> = {
  GetInfo: getInfo,
  Connect: connect,
  ListPeers: listPeers,
  NewAddress: newAddress,
  Balance: balance,
  Withdraw: withdraw,
  OpenChannel: openChannel,
  ListChannels: listChannels,
  CreateInvoice: createInvoice,
  Pay: pay,
  ListPayments: listPayments,
  CloseChannel: closeChannel,
  Mine: mine,
};
