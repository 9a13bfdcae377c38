// BOLT 4 §Packet Structure, `payload` format: the tlv_payload each hop reads from its layer of the onion,
// and the reader's requirements for a payment that is not part of a blinded route.
import { bytes, bytesRest, shortChannelId, tu32, tu64 } from '../codec/primitives.js';
import { struct } from '../codec/compound.js';
import { tlv, tlvStream, type TlvValues, type UnknownTlvRecord } from '../codec/tlv.js';
import { CodecError, DecodeError } from '../codec/errors.js';
import { Reader } from '../codec/io.js';
import type { ShortChannelId } from '../codec/short-channel-id.js';
import { InvalidOnionPayloadError } from './errors.js';

const payloadRecords = {
  amtToForward: tlv(2, tu64),
  outgoingCltvValue: tlv(4, tu32),
  shortChannelId: tlv(6, shortChannelId),
  paymentData: tlv(8, struct({ paymentSecret: bytes(32), totalMsat: tu64 }, 'payment_data')),
  paymentMetadata: tlv(16, bytesRest),
} as const;
// Types 10, 12 and 18 (route blinding) are not declared: we do not take part in blinded routes, so a
// payload carrying them fails as an unknown even type, as BOLT 1 requires.

/** BOLT 4 `tlv_stream`: `payload`. */
export const hopPayloadStream = tlvStream(payloadRecords, 'payload');
export type HopPayloadValues = TlvValues<typeof payloadRecords>;

/** A forwarding hop's instructions (a hop outside any blinded route). */
export interface ForwardPayload {
  /** amt_to_forward: what the outgoing HTLC must carry. */
  readonly amountMsat: bigint;
  /** outgoing_cltv_value: the outgoing HTLC's cltv_expiry. */
  readonly outgoingCltvValue: number;
  /** short_channel_id of the outgoing channel. */
  readonly shortChannelId: ShortChannelId;
  readonly unknownRecords?: readonly UnknownTlvRecord[];
}

/** The final node's instructions. */
export interface FinalPayload {
  /** amt_to_forward: the amount this HTLC must deliver. */
  readonly amountMsat: bigint;
  /** outgoing_cltv_value: the least cltv_expiry the HTLC may carry. */
  readonly cltvExpiry: number;
  /** payment_data.payment_secret, or null when the sender gave none. */
  readonly paymentSecret: Uint8Array | null;
  /** payment_data.total_msat; BOLT 4: equal to amt_to_forward when payment_data is absent. */
  readonly totalMsat: bigint;
  /** payment_metadata, or null. */
  readonly paymentMetadata: Uint8Array | null;
  readonly unknownRecords?: readonly UnknownTlvRecord[];
}

const TYPE_OF_NAME: ReadonlyMap<string, bigint> = new Map([
  ['amt_to_forward', 2n], ['outgoing_cltv_value', 4n], ['short_channel_id', 6n], ['payment_data', 8n], ['payment_metadata', 16n],
]);

/** Start offset of each record in a tlv stream, as far as its type/length headers can be read. */
function recordOffsets(payload: Uint8Array): Map<bigint, number> {
  const offsets = new Map<bigint, number>();
  const r = new Reader(payload);
  try {
    while (r.remaining > 0) {
      const start = r.pos;
      const type = r.bigsize();
      const length = r.bigsize();
      if (!offsets.has(type)) offsets.set(type, start);
      if (length > BigInt(r.remaining)) break;
      r.pos += Number(length);
    }
  } catch {
    // a broken header ends the scan: records after it have no offset
  }
  return offsets;
}

/** The tlv type a codec error is about: the record it happened in, or the type its message names. */
function typeOfError(e: CodecError): bigint | undefined {
  const first = e.path[0];
  if (first !== undefined) {
    const known = TYPE_OF_NAME.get(first.split('.')[0]!);
    if (known !== undefined) return known;
    const unknown = /^\[type (\d+)\]$/.exec(first);
    if (unknown !== null) return BigInt(unknown[1]!);
  }
  const named = /type (\d+)/.exec(e.detail);
  return named === null ? undefined : BigInt(named[1]!);
}

/** Decodes a hop payload; any BOLT 1 tlv violation becomes invalid_onion_payload naming the type and offset. */
export function decodeHopPayload(payload: Uint8Array): HopPayloadValues {
  try {
    return hopPayloadStream.decode(payload);
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    const type = typeOfError(e);
    const offset = type === undefined ? 0 : recordOffsets(payload).get(type) ?? 0;
    throw new InvalidOnionPayloadError(`payload: ${e.message}`, type ?? 0n, offset);
  }
}

function required<T>(value: T | undefined, name: string, type: bigint, role: string): T {
  if (value === undefined) throw new InvalidOnionPayloadError(`${role} payload is missing ${name} (type ${type})`, type, 0);
  return value;
}

/**
 * BOLT 4 §Payload Format, the reader outside a blinded route, final node: amt_to_forward and
 * outgoing_cltv_value are required; total_msat is amt_to_forward when payment_data is absent.
 */
export function readFinalPayload(payload: Uint8Array): FinalPayload {
  const v = decodeHopPayload(payload);
  const amountMsat = required(v.amtToForward, 'amt_to_forward', 2n, 'final');
  const cltvExpiry = required(v.outgoingCltvValue, 'outgoing_cltv_value', 4n, 'final');
  return {
    amountMsat,
    cltvExpiry,
    paymentSecret: v.paymentData?.paymentSecret ?? null,
    totalMsat: v.paymentData?.totalMsat ?? amountMsat,
    paymentMetadata: v.paymentMetadata ?? null,
    ...(v.unknownRecords !== undefined ? { unknownRecords: v.unknownRecords } : {}),
  };
}

/**
 * BOLT 4 §Payload Format, the reader outside a blinded route, forwarding node: amt_to_forward,
 * outgoing_cltv_value and short_channel_id are required.
 */
export function readForwardPayload(payload: Uint8Array): ForwardPayload {
  const v = decodeHopPayload(payload);
  return {
    amountMsat: required(v.amtToForward, 'amt_to_forward', 2n, 'forwarding'),
    outgoingCltvValue: required(v.outgoingCltvValue, 'outgoing_cltv_value', 4n, 'forwarding'),
    shortChannelId: required(v.shortChannelId, 'short_channel_id', 6n, 'forwarding'),
    ...(v.unknownRecords !== undefined ? { unknownRecords: v.unknownRecords } : {}),
  };
}

/**
 * BOLT 4 §Payload Format, the writer, final node: amt_to_forward, outgoing_cltv_value, payment_data
 * when the recipient gave a payment_secret, payment_metadata when it gave one; never short_channel_id.
 */
export function encodeFinalPayload(p: {
  readonly amountMsat: bigint;
  readonly cltvExpiry: number;
  readonly paymentSecret: Uint8Array | null;
  readonly totalMsat: bigint;
  readonly paymentMetadata?: Uint8Array | null;
}): Uint8Array {
  if (p.paymentSecret === null && p.totalMsat !== p.amountMsat) {
    throw new Error(`final payload: total_msat ${p.totalMsat} differs from amt_to_forward ${p.amountMsat} but there is no payment_secret to carry it`);
  }
  return hopPayloadStream.encode({
    amtToForward: p.amountMsat,
    outgoingCltvValue: p.cltvExpiry,
    ...(p.paymentSecret !== null ? { paymentData: { paymentSecret: p.paymentSecret, totalMsat: p.totalMsat } } : {}),
    ...(p.paymentMetadata != null ? { paymentMetadata: p.paymentMetadata } : {}),
  });
}

/** BOLT 4 §Payload Format, the writer, non-final node: amt_to_forward, outgoing_cltv_value, short_channel_id. */
export function encodeForwardPayload(p: { readonly amountMsat: bigint; readonly outgoingCltvValue: number; readonly shortChannelId: ShortChannelId }): Uint8Array {
  return hopPayloadStream.encode({ amtToForward: p.amountMsat, outgoingCltvValue: p.outgoingCltvValue, shortChannelId: p.shortChannelId });
}
