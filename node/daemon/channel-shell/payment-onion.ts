// The node's side of BOLT 4 for payments: build the onion_routing_packet of an outgoing HTLC, read the
// one of an incoming HTLC with nothing but the signer's ECDH, and build / read the failure `reason`.
// A direct peer is a route of one hop; longer routes use the same calls.
// The origin keeps the session key of each payment it sends (it is fresh randomness, not a node key):
// `decodeFailureReason` needs it to tell which hop failed.
import {
  BadOnionError,
  createFailurePacket,
  createOnion,
  decryptFailure,
  encodeFailureMessage,
  encodeFinalPayload,
  encodeForwardPayload,
  type FailureMessage,
  type FailureMessageInput,
  type FailureName,
  type FinalPayload,
  type ForwardPayload,
  InvalidOnionPayloadError,
  onionEphemeralKey,
  ONION_PACKET_SIZE,
  peelOnion,
  readFailureMessage,
  readFinalPayload,
  readForwardPayload,
  routeHopKeys,
  wrapFailure,
} from '../../../bolt/onion/index.js';

export { ONION_PACKET_SIZE };

/** One hop of a payment route: its node id and its encoded tlv payload (finalHopPayload / forwardHopPayload). */
export interface PaymentRouteHop {
  readonly nodeId: Uint8Array;
  readonly payload: Uint8Array;
}

export interface PaymentOnion {
  /** The 1366-byte onion_routing_packet for update_add_htlc. */
  readonly packet: Uint8Array;
  /** Each hop's shared secret, in route order. */
  readonly sharedSecrets: readonly Uint8Array[];
}

function checkPaymentHash(paymentHash: Uint8Array): void {
  if (paymentHash.length !== 32) throw new Error(`payment onion: payment_hash must be 32 bytes, got ${paymentHash.length}`);
}

/**
 * BOLT 4 §Packet Construction for a payment: associated data = payment_hash (BOLT 2 update_add_htlc).
 * `sessionKey` must be 32 fresh random bytes per HTLC (crypto.randomBytes(32)); keep it to read a failure.
 */
export function buildPaymentOnion(sessionKey: Uint8Array, route: readonly PaymentRouteHop[], paymentHash: Uint8Array): PaymentOnion {
  checkPaymentHash(paymentHash);
  return createOnion(sessionKey, route, paymentHash);
}

/** BOLT 4 §Payload for the Last Node: amt_to_forward, outgoing_cltv_value, payment_data. */
export function finalHopPayload(p: { amountMsat: bigint; cltvExpiry: number; paymentSecret: Uint8Array; totalMsat: bigint; paymentMetadata?: Uint8Array }): Uint8Array {
  if (p.paymentSecret.length !== 32) throw new Error(`final hop payload: payment_secret must be 32 bytes, got ${p.paymentSecret.length}`);
  return encodeFinalPayload({ amountMsat: p.amountMsat, cltvExpiry: p.cltvExpiry, paymentSecret: p.paymentSecret, totalMsat: p.totalMsat, paymentMetadata: p.paymentMetadata ?? null });
}

/** BOLT 4 §Payload Format, a non-final hop: amt_to_forward, outgoing_cltv_value, short_channel_id. */
export function forwardHopPayload(p: { amountMsat: bigint; outgoingCltvValue: number; shortChannelId: bigint }): Uint8Array {
  return encodeForwardPayload(p);
}

/** What the onion of an incoming HTLC asks of us. */
export type PaymentOnionRead =
  | {
      readonly ok: true;
      /** Set when we are the final node (paymentSecret is null when the payer sent none). */
      readonly final: FinalPayload | null;
      /** Set when we must forward: the payload for us and the packet for the next hop. */
      readonly forward: { readonly payload: ForwardPayload; readonly nextPacket: Uint8Array } | null;
      /** Encrypts any failure we return for this HTLC (failureReason). */
      readonly sharedSecret: Uint8Array;
    }
  | {
      /** BADONION: answer with update_fail_malformed_htlc { sha256_of_onion, failure_code }. */
      readonly ok: false;
      readonly malformed: true;
      readonly failureCode: number;
      readonly sha256OfOnion: Uint8Array;
      readonly detail: string;
    }
  | {
      /** The onion authenticated but our payload is unusable: answer with update_fail_htlc { reason }. */
      readonly ok: false;
      readonly malformed: false;
      readonly failureCode: number;
      /** The invalid_onion_payload failure, already encrypted for the origin. */
      readonly reason: Uint8Array;
      readonly sharedSecret: Uint8Array;
      readonly detail: string;
    };

/**
 * BOLT 4 §Onion Decryption of an incoming update_add_htlc's onion. `ecdh` is the signer's Ecdh call
 * (SHA256 of the compressed shared point with the node key); an error from it propagates unchanged.
 */
export async function readPaymentOnion(
  packet: Uint8Array,
  paymentHash: Uint8Array,
  ecdh: (point: Uint8Array) => Promise<Uint8Array>,
): Promise<PaymentOnionRead> {
  checkPaymentHash(paymentHash);
  if (packet.length !== ONION_PACKET_SIZE) {
    const bad = new BadOnionError('invalid_onion_version', packet, `onion_routing_packet is ${packet.length} bytes, not ${ONION_PACKET_SIZE}`);
    return { ok: false, malformed: true, failureCode: bad.failureCode, sha256OfOnion: bad.sha256OfOnion, detail: bad.message };
  }
  let sharedSecret: Uint8Array | null = null;
  try {
    sharedSecret = await ecdh(onionEphemeralKey(packet));
    const peeled = peelOnion(packet, paymentHash, sharedSecret);
    if (peeled.nextPacket === null) return { ok: true, final: readFinalPayload(peeled.payload), forward: null, sharedSecret };
    return { ok: true, final: null, forward: { payload: readForwardPayload(peeled.payload), nextPacket: peeled.nextPacket }, sharedSecret };
  } catch (e) {
    if (e instanceof BadOnionError) {
      return { ok: false, malformed: true, failureCode: e.failureCode, sha256OfOnion: e.sha256OfOnion, detail: e.message };
    }
    if (e instanceof InvalidOnionPayloadError && sharedSecret !== null) {
      const message = encodeFailureMessage({ type: 'invalid_onion_payload', tlvType: e.tlvType, offset: e.offset });
      return { ok: false, malformed: false, failureCode: e.failureCode, reason: createFailurePacket(sharedSecret, message), sharedSecret, detail: e.message };
    }
    throw e;
  }
}

/**
 * BOLT 4 §Erring node: the `reason` of update_fail_htlc for a failure we originate, encrypted with the
 * HTLC's shared secret. `failureMessage` is encoded bytes or a message such as
 * `{ type: 'incorrect_or_unknown_payment_details', htlcMsat, height }`.
 */
export function failureReason(sharedSecret: Uint8Array, failureMessage: Uint8Array | FailureMessageInput): Uint8Array {
  const bytes = failureMessage instanceof Uint8Array ? failureMessage : encodeFailureMessage(failureMessage);
  return createFailurePacket(sharedSecret, bytes);
}

/** BOLT 4 §Intermediate nodes: a forwarding node re-obfuscates the reason it got from downstream. */
export function forwardFailureReason(sharedSecret: Uint8Array, reason: Uint8Array): Uint8Array {
  return wrapFailure(sharedSecret, reason);
}

export interface DecodedFailureReason {
  /** 0 = the first hop (our peer), route.length - 1 = the payee. */
  readonly hopIndex: number;
  readonly nodeId: Uint8Array;
  readonly code: number;
  /** Spec name, or null for a code we do not know. */
  readonly name: FailureName | null;
  /** The decoded failure message (type, its data fields, tlvs), or null when unknown or malformed. */
  readonly data: FailureMessage | null;
  /** Why data is null for a known code, or why no code could be read. */
  readonly problem: string | null;
}

/**
 * BOLT 4 §Origin node: decrypts the `reason` of an update_fail_htlc for a payment we sent, with the
 * session key and route node ids its onion was built with. Throws UnattributableFailureError when no
 * hop's HMAC matches (the reason was corrupted on the way back).
 */
export function decodeFailureReason(sessionKey: Uint8Array, routeNodeIds: readonly Uint8Array[], reason: Uint8Array): DecodedFailureReason {
  const secrets = routeHopKeys(sessionKey, routeNodeIds).map((k) => k.sharedSecret);
  const attributed = decryptFailure(secrets, reason);
  const nodeId = routeNodeIds[attributed.hopIndex]!;
  if (attributed.failureMessage === null) {
    return { hopIndex: attributed.hopIndex, nodeId, code: -1, name: null, data: null, problem: attributed.problem };
  }
  const read = readFailureMessage(attributed.failureMessage);
  return { hopIndex: attributed.hopIndex, nodeId, code: read.code, name: read.name, data: read.message, problem: read.problem };
}
