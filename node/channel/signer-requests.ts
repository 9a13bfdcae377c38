// The signer requests the channel machine makes, in the shape @grpc/proto-loader uses for
// proto/signer.proto (snake_case fields, uint64 as decimal strings, bytes as Uint8Array, enums by
// name), so the shell hands `request` to the gRPC client (or SignerService.call) unchanged; and strict
// readers for the answers, since the node checks what comes back before it sends anything on.
import type { ChannelBasepoints } from '../../bolt/bolt3/index.js';
import type { CommitmentSpec } from './commitment-spec.js';
import type { ChannelParams } from './params.js';

// ---------------------------------------------------------------- request shapes (proto-loader)

export interface ChannelRefMsg {
  readonly channel_id: Uint8Array;
}
export interface BasepointsMsg {
  readonly funding_pubkey: Uint8Array;
  readonly revocation_basepoint: Uint8Array;
  readonly payment_basepoint: Uint8Array;
  readonly delayed_payment_basepoint: Uint8Array;
  readonly htlc_basepoint: Uint8Array;
}
export interface HtlcMsg {
  readonly direction: 'HTLC_DIRECTION_OFFERED' | 'HTLC_DIRECTION_RECEIVED';
  readonly id: string;
  readonly amount_msat: string;
  readonly payment_hash: Uint8Array;
  readonly cltv_expiry: number;
}
/** proto CommitmentInfo: one commitment's content, directions from its owner's point of view. */
export interface CommitmentInfoMsg {
  readonly commitment_number: string;
  readonly feerate_per_kw: number;
  readonly to_holder_msat: string;
  readonly to_counterparty_msat: string;
  readonly htlcs: readonly HtlcMsg[];
}
export interface NewChannelRequest {
  readonly temporary_channel_id: Uint8Array;
  readonly peer_node_id: Uint8Array;
  readonly holder_is_opener: boolean;
}
export interface SetupChannelRequest {
  readonly channel: ChannelRefMsg;
  readonly channel_id: Uint8Array;
  readonly channel_type: 'CHANNEL_TYPE_STATIC_REMOTEKEY' | 'CHANNEL_TYPE_ANCHORS';
  readonly holder_is_opener: boolean;
  readonly funding_outpoint: { readonly txid: Uint8Array; readonly vout: number };
  readonly funding_sat: string;
  readonly push_msat: string;
  readonly counterparty_basepoints: BasepointsMsg;
  readonly counterparty_first_per_commitment_point: Uint8Array;
  readonly holder_to_self_delay: number;
  readonly counterparty_to_self_delay: number;
  readonly holder_dust_limit_sat: string;
  readonly counterparty_dust_limit_sat: string;
  readonly holder_channel_reserve_sat: string;
  readonly counterparty_channel_reserve_sat: string;
  readonly max_accepted_htlcs: number;
  readonly htlc_minimum_msat: string;
  readonly holder_shutdown_script: Uint8Array;
  readonly counterparty_shutdown_script: Uint8Array;
}
export interface GetPerCommitmentPointRequest {
  readonly channel: ChannelRefMsg;
  readonly commitment_number: string;
}
export interface ValidateHolderCommitmentRequest {
  readonly channel: ChannelRefMsg;
  readonly commitment: CommitmentInfoMsg;
  readonly counterparty_signature: Uint8Array;
  readonly htlc_signatures: readonly Uint8Array[];
  readonly revoke_previous?: boolean;
}
export interface RevokeHolderCommitmentRequest {
  readonly channel: ChannelRefMsg;
  readonly commitment_number: string;
}
export interface SignCounterpartyCommitmentRequest {
  readonly channel: ChannelRefMsg;
  readonly commitment: CommitmentInfoMsg;
  readonly per_commitment_point: Uint8Array;
}
export interface ValidateCounterpartyRevocationRequest {
  readonly channel: ChannelRefMsg;
  readonly commitment_number: string;
  readonly per_commitment_secret: Uint8Array;
}
export interface SignMutualCloseRequest {
  readonly channel: ChannelRefMsg;
  readonly holder_script: Uint8Array;
  readonly holder_sat: string;
  readonly counterparty_script: Uint8Array;
  readonly counterparty_sat: string;
  readonly fee_sat: string;
  readonly locktime: number;
}
export interface SignHolderCommitmentForBroadcastRequest {
  readonly channel: ChannelRefMsg;
}
export interface FundingConfirmedRequest {
  readonly channel: ChannelRefMsg;
  readonly height: number;
}
export interface ChannelClosedRequest {
  readonly channel: ChannelRefMsg;
  readonly closing_txid: Uint8Array;
}

/** The signer RPCs the channel machine uses, by proto method name. */
export interface SignerRequests {
  NewChannel: NewChannelRequest;
  SetupChannel: SetupChannelRequest;
  GetPerCommitmentPoint: GetPerCommitmentPointRequest;
  ValidateHolderCommitment: ValidateHolderCommitmentRequest;
  RevokeHolderCommitment: RevokeHolderCommitmentRequest;
  SignCounterpartyCommitment: SignCounterpartyCommitmentRequest;
  ValidateCounterpartyRevocation: ValidateCounterpartyRevocationRequest;
  SignMutualClose: SignMutualCloseRequest;
  SignHolderCommitmentForBroadcast: SignHolderCommitmentForBroadcastRequest;
  FundingConfirmed: FundingConfirmedRequest;
  ChannelClosed: ChannelClosedRequest;
}
export type SignerMethod = keyof SignerRequests;
/** One request: the method and its proto-loader request object. */
export type SignerCall = { [M in SignerMethod]: { readonly method: M; readonly request: SignerRequests[M] } }[SignerMethod];

// ---------------------------------------------------------------- builders

function ref(channelId: Uint8Array): ChannelRefMsg {
  return { channel_id: channelId };
}

function basepointsMsg(b: ChannelBasepoints): BasepointsMsg {
  return {
    funding_pubkey: b.fundingPubkey,
    revocation_basepoint: b.revocationBasepoint,
    payment_basepoint: b.paymentBasepoint,
    delayed_payment_basepoint: b.delayedPaymentBasepoint,
    htlc_basepoint: b.htlcBasepoint,
  };
}

/**
 * proto CommitmentInfo for commitment `number` with content `spec` (owner's point of view). The one
 * conversion both SignCounterpartyCommitment and ValidateHolderCommitment use.
 */
export function commitmentInfoMsg(number: number, spec: CommitmentSpec): CommitmentInfoMsg {
  return {
    commitment_number: String(number),
    feerate_per_kw: spec.feeratePerKw,
    to_holder_msat: spec.toLocalMsat.toString(),
    to_counterparty_msat: spec.toRemoteMsat.toString(),
    htlcs: spec.htlcs.map((h) => ({
      direction: h.direction === 'offered' ? 'HTLC_DIRECTION_OFFERED' : 'HTLC_DIRECTION_RECEIVED',
      id: h.id.toString(),
      amount_msat: h.amountMsat.toString(),
      payment_hash: h.paymentHash,
      cltv_expiry: h.cltvExpiry,
    })),
  };
}

export function newChannelCall(temporaryChannelId: Uint8Array, peerNodeId: Uint8Array, holderIsOpener: boolean): SignerCall {
  return { method: 'NewChannel', request: { temporary_channel_id: temporaryChannelId, peer_node_id: peerNodeId, holder_is_opener: holderIsOpener } };
}

/**
 * SetupChannel carries one max_accepted_htlcs and one htlc_minimum_msat for both directions: we pass
 * the larger count and the smaller minimum, so the signer never refuses a commitment BOLT 2 allows
 * (the machine itself enforces each side's own limits).
 */
export function setupChannelCall(p: ChannelParams): SignerCall {
  return {
    method: 'SetupChannel',
    request: {
      channel: ref(p.temporaryChannelId),
      channel_id: p.channelId,
      channel_type: p.channelType === 'anchors' ? 'CHANNEL_TYPE_ANCHORS' : 'CHANNEL_TYPE_STATIC_REMOTEKEY',
      holder_is_opener: p.isOpener,
      funding_outpoint: { txid: p.fundingTxid, vout: p.fundingVout },
      funding_sat: p.fundingSat.toString(),
      push_msat: p.pushMsat.toString(),
      counterparty_basepoints: basepointsMsg(p.remoteBasepoints),
      counterparty_first_per_commitment_point: p.remoteFirstPoint,
      holder_to_self_delay: p.remote.toSelfDelay,
      counterparty_to_self_delay: p.local.toSelfDelay,
      holder_dust_limit_sat: p.local.dustLimitSat.toString(),
      counterparty_dust_limit_sat: p.remote.dustLimitSat.toString(),
      holder_channel_reserve_sat: p.remote.channelReserveSat.toString(),
      counterparty_channel_reserve_sat: p.local.channelReserveSat.toString(),
      max_accepted_htlcs: Math.max(p.local.maxAcceptedHtlcs, p.remote.maxAcceptedHtlcs),
      htlc_minimum_msat: (p.local.htlcMinimumMsat < p.remote.htlcMinimumMsat ? p.local.htlcMinimumMsat : p.remote.htlcMinimumMsat).toString(),
      holder_shutdown_script: p.localUpfrontScript,
      counterparty_shutdown_script: p.remoteUpfrontScript,
    },
  };
}

export function perCommitmentPointCall(channelId: Uint8Array, number: number): SignerCall {
  return { method: 'GetPerCommitmentPoint', request: { channel: ref(channelId), commitment_number: String(number) } };
}

export function signCounterpartyCall(channelId: Uint8Array, number: number, spec: CommitmentSpec, point: Uint8Array): SignerCall {
  return { method: 'SignCounterpartyCommitment', request: { channel: ref(channelId), commitment: commitmentInfoMsg(number, spec), per_commitment_point: point } };
}

/** With `revokePrevious`, the signer also revokes commitment number - 1 and answers as RevokeHolderCommitment would. */
export function validateHolderCall(channelId: Uint8Array, number: number, spec: CommitmentSpec, signature: Uint8Array, htlcSignatures: readonly Uint8Array[], revokePrevious = false): SignerCall {
  return {
    method: 'ValidateHolderCommitment',
    request: { channel: ref(channelId), commitment: commitmentInfoMsg(number, spec), counterparty_signature: signature, htlc_signatures: htlcSignatures, revoke_previous: revokePrevious },
  };
}

export function revokeHolderCall(channelId: Uint8Array, number: number): SignerCall {
  return { method: 'RevokeHolderCommitment', request: { channel: ref(channelId), commitment_number: String(number) } };
}

export function validateRevocationCall(channelId: Uint8Array, number: number, secret: Uint8Array): SignerCall {
  return { method: 'ValidateCounterpartyRevocation', request: { channel: ref(channelId), commitment_number: String(number), per_commitment_secret: secret } };
}

export function signMutualCloseCall(
  channelId: Uint8Array,
  holder: { script: Uint8Array; sat: bigint },
  counterparty: { script: Uint8Array; sat: bigint },
  feeSat: bigint,
): SignerCall {
  return {
    method: 'SignMutualClose',
    request: {
      channel: ref(channelId),
      holder_script: holder.script,
      holder_sat: holder.sat.toString(),
      counterparty_script: counterparty.script,
      counterparty_sat: counterparty.sat.toString(),
      fee_sat: feeSat.toString(),
      locktime: 0, // BOLT 3 §Legacy Closing Transaction: locktime 0, sequence 0xFFFFFFFF
    },
  };
}

export function forceCloseCall(channelId: Uint8Array): SignerCall {
  return { method: 'SignHolderCommitmentForBroadcast', request: { channel: ref(channelId) } };
}

export function fundingConfirmedCall(channelId: Uint8Array, height: number): SignerCall {
  return { method: 'FundingConfirmed', request: { channel: ref(channelId), height } };
}

export function channelClosedCall(channelId: Uint8Array, closingTxid: Uint8Array): SignerCall {
  return { method: 'ChannelClosed', request: { channel: ref(channelId), closing_txid: closingTxid } };
}

// ---------------------------------------------------------------- answers

export class SignerReplyError extends Error {
  override readonly name = 'SignerReplyError';
}

export type Fields = Readonly<Record<string, unknown>>;

export function fields(v: unknown, what: string): Fields {
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array || Array.isArray(v)) throw new SignerReplyError(`${what}: expected a message`);
  return v as Fields;
}

export function bytesField(obj: Fields, field: string, length: number, what: string): Uint8Array {
  const v = obj[field];
  if (!(v instanceof Uint8Array) || v.length !== length) {
    throw new SignerReplyError(`${what}.${field}: expected ${length} bytes, got ${v instanceof Uint8Array ? `${v.length} bytes` : typeof v}`);
  }
  return Uint8Array.from(v);
}

/** A proto Basepoints message; `what` names it in errors. */
export function readBasepoints(v: unknown, what: string): ChannelBasepoints {
  const b = fields(v, what);
  return {
    fundingPubkey: bytesField(b, 'funding_pubkey', 33, what),
    revocationBasepoint: bytesField(b, 'revocation_basepoint', 33, what),
    paymentBasepoint: bytesField(b, 'payment_basepoint', 33, what),
    delayedPaymentBasepoint: bytesField(b, 'delayed_payment_basepoint', 33, what),
    htlcBasepoint: bytesField(b, 'htlc_basepoint', 33, what),
  };
}

export function readNewChannel(response: unknown): { basepoints: ChannelBasepoints; firstPoint: Uint8Array } {
  const r = fields(response, 'NewChannel');
  return { basepoints: readBasepoints(r['basepoints'], 'NewChannel.basepoints'), firstPoint: bytesField(r, 'first_per_commitment_point', 33, 'NewChannel') };
}

export function readPoint(response: unknown): Uint8Array {
  return bytesField(fields(response, 'GetPerCommitmentPoint'), 'per_commitment_point', 33, 'GetPerCommitmentPoint');
}

export interface CommitSignatures {
  readonly signature: Uint8Array;
  readonly htlcSignatures: readonly Uint8Array[];
}

export function readCommitSignatures(response: unknown): CommitSignatures {
  const r = fields(response, 'SignCounterpartyCommitment');
  const list = r['htlc_signatures'] ?? [];
  if (!Array.isArray(list)) throw new SignerReplyError('SignCounterpartyCommitment.htlc_signatures: expected a list');
  return {
    signature: bytesField(r, 'signature', 64, 'SignCounterpartyCommitment'),
    htlcSignatures: list.map((s, i) => bytesField({ s }, 's', 64, `SignCounterpartyCommitment.htlc_signatures[${i}]`)),
  };
}

export function readRevocation(response: unknown, method = 'RevokeHolderCommitment'): { secret: Uint8Array; nextPoint: Uint8Array } {
  const r = fields(response, method);
  return {
    secret: bytesField(r, 'per_commitment_secret', 32, method),
    nextPoint: bytesField(r, 'next_per_commitment_point', 33, method),
  };
}

export function readSignature(response: unknown, method: string): Uint8Array {
  return bytesField(fields(response, method), 'signature', 64, method);
}

export function readTransaction(response: unknown, method: string): Uint8Array {
  const r = fields(response, method);
  const v = r['transaction'];
  if (!(v instanceof Uint8Array) || v.length < 60) throw new SignerReplyError(`${method}.transaction: expected a serialized transaction`);
  return Uint8Array.from(v);
}
