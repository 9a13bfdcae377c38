// Channel parameters: what this node asks of its peers (LocalConfig), what both sides chose for one
// channel (ChannelParams), and the checks BOLT 2 §The open_channel Message / §The accept_channel
// Message put on the peer's choices. Every refusal names the field, the value and the limit.
import type { ChannelBasepoints, ChannelType } from '../../bolt/bolt3/index.js';
import { hex } from '../../bolt/bytes.js';
import type { MessageNamed } from '../../bolt/messages/index.js';
import { channelTypeBits, describeChannelType, parseChannelType } from './channel-type.js';
import { openerCostSat } from './commitment-spec.js';
import { ChannelProtocolError } from './errors.js';

export type OpenChannel = MessageNamed<'open_channel'>;
export type AcceptChannel = MessageNamed<'accept_channel'>;

/** BOLT 2: at most 483 HTLCs each way, so a commitment with all of them stays standard. */
export const MAX_ACCEPTED_HTLCS_LIMIT = 483;
/** BOLT 2: dust_limit_satoshis below 354 sat is refused (BOLT 3 §Dust Limits). */
export const MIN_DUST_LIMIT_SAT = 354n;
/** BOLT 2: without option_support_large_channel, funding_satoshis < 2^24. */
export const MAX_FUNDING_SAT = (1n << 24n) - 1n;
/** BOLT 2: cltv_expiry is a block height below 500000000. */
export const MAX_CLTV_EXPIRY = 500_000_000;

/** What this node chooses and accepts for its channels (the node's configuration, same for every channel). */
export interface LocalConfig {
  /** BOLT 2 chain_hash: the genesis block hash of the chain (as it appears in open_channel). */
  readonly chainHash: Uint8Array;
  /** dust_limit_satoshis for our commitment. */
  readonly dustLimitSat: bigint;
  /** max_htlc_value_in_flight_msat: most the peer may have offered to us at once. */
  readonly maxHtlcValueInFlightMsat: bigint;
  /** channel_reserve_satoshis we ask the peer to keep, as a share of the capacity (BOLT 2 suggests 1%). */
  readonly channelReservePercent: number;
  /** htlc_minimum_msat: the smallest HTLC we accept. */
  readonly htlcMinimumMsat: bigint;
  /** to_self_delay we impose on the peer's outputs. */
  readonly toSelfDelay: number;
  /** max_accepted_htlcs: most HTLCs the peer may offer us at once. */
  readonly maxAcceptedHtlcs: number;
  /** minimum_depth we ask for when we accept a channel. */
  readonly minimumDepth: number;
  /** Channel types we build, preferred first (the opener proposes the first; the acceptor takes any). */
  readonly channelTypes: readonly ChannelType[];
  /** Our script for a mutual close: an address of the signer's wallet (NewAddress), so the signer's policy allows it. */
  readonly shutdownScript: Uint8Array;
  /** Send `shutdownScript` as upfront_shutdown_script (BOLT 2: the peer must then close to it). */
  readonly upfrontShutdownScript: boolean;
  /** Feerate we propose for a mutual close. */
  readonly closingFeeratePerKw: number;
  // ---- what we accept from the peer ----
  readonly minFeeratePerKw: number;
  readonly maxFeeratePerKw: number;
  readonly minToSelfDelay: number;
  readonly maxToSelfDelay: number;
  readonly maxDustLimitSat: bigint;
  /** Largest reserve the peer may ask us to keep, as a share of the capacity. */
  readonly maxReservePercent: number;
  readonly minFundingSat: bigint;
  readonly maxMinimumDepth: number;
  /** Largest htlc_minimum_msat we accept from the peer. */
  readonly maxHtlcMinimumMsat: bigint;
}

/**
 * A configuration inside the default bounds of the signer's policy (policy/default-policy.yaml):
 * feerates 253..50000 sat/kw, dust limits 354..1000 sat, reserves 1%..5%, delays 144..2016 blocks.
 */
export function defaultLocalConfig(chainHash: Uint8Array, shutdownScript: Uint8Array): LocalConfig {
  return {
    chainHash,
    dustLimitSat: 546n,
    maxHtlcValueInFlightMsat: 20_000_000_000n,
    channelReservePercent: 1,
    htlcMinimumMsat: 1n,
    toSelfDelay: 144,
    maxAcceptedHtlcs: 483,
    minimumDepth: 3,
    channelTypes: ['anchors', 'static_remotekey'],
    shutdownScript,
    upfrontShutdownScript: false,
    closingFeeratePerKw: 253,
    minFeeratePerKw: 253,
    maxFeeratePerKw: 50_000,
    minToSelfDelay: 144,
    maxToSelfDelay: 2016,
    maxDustLimitSat: 1000n,
    maxReservePercent: 5,
    minFundingSat: 20_000n,
    maxMinimumDepth: 144,
    maxHtlcMinimumMsat: 1_000_000n,
  };
}

/** What one side chose for a channel. `channelReserveSat` and `toSelfDelay` are what it imposes on the OTHER side. */
export interface SideParams {
  readonly dustLimitSat: bigint;
  readonly maxHtlcValueInFlightMsat: bigint;
  readonly channelReserveSat: bigint;
  readonly htlcMinimumMsat: bigint;
  readonly toSelfDelay: number;
  readonly maxAcceptedHtlcs: number;
}

/** Everything fixed once the funding outpoint is known; constant for the channel's life. */
export interface ChannelParams {
  readonly channelId: Uint8Array;
  readonly temporaryChannelId: Uint8Array;
  readonly remoteNodeId: Uint8Array;
  readonly channelType: ChannelType;
  readonly isOpener: boolean;
  /** Funding txid in internal byte order (as funding_created and proto OutPoint carry it). */
  readonly fundingTxid: Uint8Array;
  readonly fundingVout: number;
  readonly fundingSat: bigint;
  readonly pushMsat: bigint;
  readonly local: SideParams;
  readonly remote: SideParams;
  readonly localBasepoints: ChannelBasepoints;
  readonly remoteBasepoints: ChannelBasepoints;
  readonly remoteFirstPoint: Uint8Array;
  /** upfront_shutdown_script each side committed to; empty when none. */
  readonly localUpfrontScript: Uint8Array;
  readonly remoteUpfrontScript: Uint8Array;
  /** minimum_depth from accept_channel: both sides wait for it before channel_ready. */
  readonly minimumDepth: number;
  readonly config: LocalConfig;
}

/** BOLT 2 §funding_created: channel_id = funding_txid XOR funding_output_index (big-endian, last 2 bytes). */
export function channelIdFromFunding(fundingTxid: Uint8Array, vout: number): Uint8Array {
  const id = Uint8Array.from(fundingTxid);
  id[30]! ^= (vout >>> 8) & 0xff;
  id[31]! ^= vout & 0xff;
  return id;
}

/** The reserve we ask of the peer: our percentage of the capacity, never below either dust limit (BOLT 2). */
export function reserveFor(config: LocalConfig, fundingSat: bigint, remoteDustLimitSat = 0n): bigint {
  let reserve = (fundingSat * BigInt(Math.round(config.channelReservePercent * 100))) / 10_000n;
  if (reserve < config.dustLimitSat) reserve = config.dustLimitSat;
  if (reserve < remoteDustLimitSat) reserve = remoteDustLimitSat;
  return reserve;
}

function fail(message: string): never {
  throw new ChannelProtocolError(message);
}

/** Checks shared by open_channel and accept_channel (BOLT 2: "other fields have the same requirements"). */
function checkSideParams(config: LocalConfig, m: OpenChannel | AcceptChannel, fundingSat: bigint): void {
  const name = m.type;
  if (m.maxAcceptedHtlcs > MAX_ACCEPTED_HTLCS_LIMIT) fail(`${name}: max_accepted_htlcs ${m.maxAcceptedHtlcs} is above ${MAX_ACCEPTED_HTLCS_LIMIT}`);
  if (m.maxAcceptedHtlcs < 1) fail(`${name}: max_accepted_htlcs is 0`);
  if (m.toSelfDelay > config.maxToSelfDelay) fail(`${name}: to_self_delay ${m.toSelfDelay} is above our maximum ${config.maxToSelfDelay}`);
  if (m.toSelfDelay < config.minToSelfDelay) fail(`${name}: to_self_delay ${m.toSelfDelay} is below our minimum ${config.minToSelfDelay}`);
  if (m.dustLimitSatoshis < MIN_DUST_LIMIT_SAT) fail(`${name}: dust_limit_satoshis ${m.dustLimitSatoshis} is below ${MIN_DUST_LIMIT_SAT}`);
  if (m.dustLimitSatoshis > config.maxDustLimitSat) fail(`${name}: dust_limit_satoshis ${m.dustLimitSatoshis} is above our maximum ${config.maxDustLimitSat}`);
  if (m.dustLimitSatoshis > m.channelReserveSatoshis) {
    fail(`${name}: dust_limit_satoshis ${m.dustLimitSatoshis} is greater than channel_reserve_satoshis ${m.channelReserveSatoshis}`);
  }
  const maxReserve = (fundingSat * BigInt(Math.round(config.maxReservePercent * 100)) + 9_999n) / 10_000n;
  if (m.channelReserveSatoshis > maxReserve) {
    fail(`${name}: channel_reserve_satoshis ${m.channelReserveSatoshis} is above ${config.maxReservePercent}% of ${fundingSat} sat (${maxReserve} sat)`);
  }
  if (m.htlcMinimumMsat > config.maxHtlcMinimumMsat) fail(`${name}: htlc_minimum_msat ${m.htlcMinimumMsat} is above our maximum ${config.maxHtlcMinimumMsat}`);
  if (m.maxHtlcValueInFlightMsat === 0n) fail(`${name}: max_htlc_value_in_flight_msat is 0`);
}

function checkChannelType(name: string, bits: Uint8Array | undefined, acceptable: readonly ChannelType[]): ChannelType {
  if (bits === undefined) fail(`${name}: no channel_type (BOLT 2: MUST fail the channel)`);
  const type = parseChannelType(bits);
  if (type === null || !acceptable.includes(type)) {
    fail(`${name}: channel_type ${describeChannelType(bits)} is not suitable (we build ${acceptable.map((t) => hex(channelTypeBits(t))).join(' or ')})`);
  }
  return type;
}

/** BOLT 3 §Fee Payment: the opener must pay commitment 0's fee (and anchors) from its initial balance. */
function checkInitialBalances(type: ChannelType, fundingSat: bigint, pushMsat: bigint, feeratePerKw: number, openerReserveSat: bigint, accepterReserveSat: bigint, who: string): void {
  const openerMsat = fundingSat * 1000n - pushMsat;
  const cost = openerCostSat(type, { feeratePerKw, toLocalMsat: openerMsat, toRemoteMsat: pushMsat, htlcs: [] }, 0n);
  if (openerMsat / 1000n < cost) fail(`${who}: the opener's ${openerMsat} msat cannot pay the ${cost} sat fee of commitment 0`);
  // BOLT 2: fail if both to_local and to_remote are at or below the channel reserve.
  if (openerMsat / 1000n - cost <= openerReserveSat && pushMsat / 1000n <= accepterReserveSat) {
    fail(`${who}: both initial balances are at or below the channel reserve`);
  }
}

/** The validated peer side of an open_channel, plus the channel type to use. */
export interface AcceptedOpen {
  readonly channelType: ChannelType;
  readonly remote: SideParams;
}

/** BOLT 2 §The open_channel Message, receiving node: MUST / MAY fail the channel if... */
export function validateOpenChannel(config: LocalConfig, open: OpenChannel): AcceptedOpen {
  if (hex(open.chainHash) !== hex(config.chainHash)) fail(`open_channel: chain_hash ${hex(open.chainHash)} is not our chain`);
  if (open.fundingSatoshis > MAX_FUNDING_SAT) fail(`open_channel: funding_satoshis ${open.fundingSatoshis} is not below 2^24 (option_support_large_channel is not supported)`);
  if (open.fundingSatoshis < config.minFundingSat) fail(`open_channel: funding_satoshis ${open.fundingSatoshis} is below our minimum ${config.minFundingSat}`);
  if (open.pushMsat > open.fundingSatoshis * 1000n) fail(`open_channel: push_msat ${open.pushMsat} is greater than funding_satoshis * 1000`);
  if (open.feeratePerKw < config.minFeeratePerKw || open.feeratePerKw > config.maxFeeratePerKw) {
    fail(`open_channel: feerate_per_kw ${open.feeratePerKw} is outside ${config.minFeeratePerKw}..${config.maxFeeratePerKw}`);
  }
  checkSideParams(config, open, open.fundingSatoshis);
  if (config.dustLimitSat > open.channelReserveSatoshis) {
    fail(`open_channel: channel_reserve_satoshis ${open.channelReserveSatoshis} is below our dust_limit_satoshis ${config.dustLimitSat}`);
  }
  const channelType = checkChannelType('open_channel', open.tlvs.channelType, config.channelTypes);
  const ourReserve = reserveFor(config, open.fundingSatoshis, open.dustLimitSatoshis);
  checkInitialBalances(channelType, open.fundingSatoshis, open.pushMsat, open.feeratePerKw, ourReserve, open.channelReserveSatoshis, 'open_channel');
  return { channelType, remote: sideOf(open) };
}

/** BOLT 2 §The accept_channel Message, receiver (the opener). */
export function validateAcceptChannel(config: LocalConfig, open: OpenChannel, accept: AcceptChannel, channelType: ChannelType): SideParams {
  checkSideParams(config, accept, open.fundingSatoshis);
  if (accept.channelReserveSatoshis < open.dustLimitSatoshis) {
    fail(`accept_channel: channel_reserve_satoshis ${accept.channelReserveSatoshis} is below our dust_limit_satoshis ${open.dustLimitSatoshis}`);
  }
  if (open.channelReserveSatoshis < accept.dustLimitSatoshis) {
    fail(`accept_channel: dust_limit_satoshis ${accept.dustLimitSatoshis} is above the channel_reserve_satoshis ${open.channelReserveSatoshis} we asked for`);
  }
  if (accept.minimumDepth > config.maxMinimumDepth) fail(`accept_channel: minimum_depth ${accept.minimumDepth} is above our maximum ${config.maxMinimumDepth}`);
  const bits = accept.tlvs.channelType;
  if (bits === undefined) fail('accept_channel: no channel_type (BOLT 2: MUST fail the channel)');
  if (parseChannelType(bits) !== channelType) {
    fail(`accept_channel: channel_type ${describeChannelType(bits)} does not match the ${describeChannelType(channelTypeBits(channelType))} of open_channel`);
  }
  return sideOf(accept);
}

function sideOf(m: OpenChannel | AcceptChannel): SideParams {
  return {
    dustLimitSat: m.dustLimitSatoshis,
    maxHtlcValueInFlightMsat: m.maxHtlcValueInFlightMsat,
    channelReserveSat: m.channelReserveSatoshis,
    htlcMinimumMsat: m.htlcMinimumMsat,
    toSelfDelay: m.toSelfDelay,
    maxAcceptedHtlcs: m.maxAcceptedHtlcs,
  };
}

/** Our side of a channel: what we put in open_channel / accept_channel. */
export function localSide(config: LocalConfig, fundingSat: bigint, remoteDustLimitSat = 0n): SideParams {
  return {
    dustLimitSat: config.dustLimitSat,
    maxHtlcValueInFlightMsat: config.maxHtlcValueInFlightMsat,
    channelReserveSat: reserveFor(config, fundingSat, remoteDustLimitSat),
    htlcMinimumMsat: config.htlcMinimumMsat,
    toSelfDelay: config.toSelfDelay,
    maxAcceptedHtlcs: config.maxAcceptedHtlcs,
  };
}

/** BOLT 2 §shutdown: the scriptpubkey forms a closing output may take (v0 P2WPKH/P2WSH, or a v1..v16 witness program). */
export function isValidShutdownScript(script: Uint8Array): boolean {
  if (script.length === 22 && script[0] === 0x00 && script[1] === 20) return true;
  if (script.length === 34 && script[0] === 0x00 && script[1] === 32) return true;
  const op = script[0];
  if (op !== undefined && op >= 0x51 && op <= 0x60 && script.length >= 4 && script.length <= 42 && script[1] === script.length - 2) return true;
  return false;
}
