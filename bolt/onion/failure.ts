// BOLT 4 §Returning Errors and §Failure Messages: the failure message an erring node sends back, the
// return packet that carries it (built and obfuscated by the erring node, re-obfuscated by every hop on
// the way back), and the origin's decryption, which tells which hop sent it by whose `um` HMAC matches.
import { concat, equal, u16be } from '../bytes.js';
import { hmacSha256 } from '../crypto/hash.js';
import { bigsize, sha256, u16, u32, u64, varBytes } from '../codec/primitives.js';
import { struct, type Fields } from '../codec/compound.js';
import { message, type MessageInputOf, type MessageOf } from '../codec/message.js';
import { Reader } from '../codec/io.js';
import { chachaStream, onionKey, xorInPlace } from './keys.js';
import { FAILURE_CODES, type FailureName, failureName } from './failure-codes.js';

// ---- §Failure Messages: each failure_code and its data, declared once ----

/** `[u16:len][len*byte:channel_update]`; BOLT 4 lets a node send len 0 (no channel_update). */
const channelUpdate = varBytes;

function failure<const N extends FailureName, const F extends Fields>(name: N, fields: F) {
  return message(FAILURE_CODES[name], name, fields);
}

export const failureMessages = {
  temporary_node_failure:               failure('temporary_node_failure', {}),
  permanent_node_failure:               failure('permanent_node_failure', {}),
  required_node_feature_missing:        failure('required_node_feature_missing', {}),
  invalid_onion_version:                failure('invalid_onion_version', { sha256OfOnion: sha256 }),
  invalid_onion_hmac:                   failure('invalid_onion_hmac', { sha256OfOnion: sha256 }),
  invalid_onion_key:                    failure('invalid_onion_key', { sha256OfOnion: sha256 }),
  temporary_channel_failure:            failure('temporary_channel_failure', { channelUpdate }),
  permanent_channel_failure:            failure('permanent_channel_failure', {}),
  required_channel_feature_missing:     failure('required_channel_feature_missing', {}),
  unknown_next_peer:                    failure('unknown_next_peer', {}),
  amount_below_minimum:                 failure('amount_below_minimum', { htlcMsat: u64, channelUpdate }),
  fee_insufficient:                     failure('fee_insufficient', { htlcMsat: u64, channelUpdate }),
  incorrect_cltv_expiry:                failure('incorrect_cltv_expiry', { cltvExpiry: u32, channelUpdate }),
  expiry_too_soon:                      failure('expiry_too_soon', { channelUpdate }),
  incorrect_or_unknown_payment_details: failure('incorrect_or_unknown_payment_details', { htlcMsat: u64, height: u32 }),
  final_incorrect_cltv_expiry:          failure('final_incorrect_cltv_expiry', { cltvExpiry: u32 }),
  final_incorrect_htlc_amount:          failure('final_incorrect_htlc_amount', { incomingHtlcAmt: u64 }),
  channel_disabled:                     failure('channel_disabled', { disabledFlags: u16, channelUpdate }),
  expiry_too_far:                       failure('expiry_too_far', {}),
  invalid_onion_payload:                failure('invalid_onion_payload', { tlvType: bigsize, offset: u16 }), // spec field `type`
  mpp_timeout:                          failure('mpp_timeout', {}),
  invalid_onion_blinding:               failure('invalid_onion_blinding', { sha256OfOnion: sha256 }),
} as const;

type FailureCodecs = typeof failureMessages;
/** A decoded failure message: `type` is the spec name, then its data fields, then its tlv extension. */
export type FailureMessage = { [K in FailureName]: MessageOf<FailureCodecs[K]> }[FailureName];
/** What `encodeFailureMessage` takes (`tlvs` optional). */
export type FailureMessageInput = { [K in FailureName]: MessageInputOf<FailureCodecs[K]> & { type: K } }[FailureName];

/** `failuremsg`: u16 failure_code, its data, then an optional tlv stream (BOLT 4 §Failure Messages). */
export function encodeFailureMessage(msg: FailureMessageInput): Uint8Array {
  const codec = failureMessages[msg.type] as unknown as { encode(v: unknown): Uint8Array } | undefined;
  if (codec === undefined) throw new Error(`failure message: unknown failure "${String(msg.type)}"`);
  return codec.encode(msg);
}

/** A failure message as the origin reads it: always its code; its data when the code is known and well formed. */
export interface ReadFailureMessage {
  readonly code: number;
  /** Spec name, or null for a code this spec version does not define. */
  readonly name: FailureName | null;
  /** The decoded message, or null when the code is unknown or its data is malformed. */
  readonly message: FailureMessage | null;
  /** Why `message` is null for a known code. */
  readonly problem: string | null;
}

/**
 * Reads a `failuremsg`. BOLT 4 §Receiving Failure Codes: the origin MUST ignore any extra bytes, so a
 * trailing tlv stream that does not parse is dropped rather than failing the whole message.
 */
export function readFailureMessage(bytes: Uint8Array): ReadFailureMessage {
  if (bytes.length < 2) return { code: -1, name: null, message: null, problem: `failure message is ${bytes.length} byte(s), shorter than its u16 failure_code` };
  const code = (bytes[0]! << 8) | bytes[1]!;
  const name = failureName(code) ?? null;
  if (name === null) return { code, name, message: null, problem: null };
  const codec = failureMessages[name];
  const r = new Reader(bytes, 2);
  let data: Record<string, unknown>;
  try {
    data = struct(codec.fields as Fields, name).read(r) as Record<string, unknown>;
  } catch (e) {
    return { code, name, message: null, problem: `${name}: ${(e as Error).message}` };
  }
  let tlvs: unknown = {};
  try {
    tlvs = codec.tlvs.decode(bytes.subarray(r.pos));
  } catch {
    // extra bytes that are not a valid tlv stream: ignored, as the spec requires of the origin
  }
  return { code, name, message: { type: name, ...data, tlvs } as FailureMessage, problem: null };
}

// ---- §Returning Errors: the return packet ----

/** BOLT 4 §Erring node: failure_len + pad_len SHOULD equal 256. */
export const DEFAULT_FAILURE_PADDED_LENGTH = 256;
const HMAC_SIZE = 32;

/**
 * The return packet's body before its HMAC: [u16:failure_len][failuremsg][u16:pad_len][pad], padded so
 * failure_len + pad_len = `paddedLength` (at least the message length; BOLT 4 asks for at least 256).
 */
export function failurePayload(failureMessage: Uint8Array, paddedLength = DEFAULT_FAILURE_PADDED_LENGTH): Uint8Array {
  if (failureMessage.length > 0xffff) throw new Error(`failure message is ${failureMessage.length} bytes, more than a u16 failure_len`);
  if (paddedLength < DEFAULT_FAILURE_PADDED_LENGTH) throw new Error(`failure padded length ${paddedLength} is below the 256 bytes BOLT 4 requires`);
  const padLength = Math.max(0, paddedLength - failureMessage.length);
  if (padLength > 0xffff) throw new Error(`failure pad of ${padLength} bytes does not fit a u16 pad_len`);
  return concat(u16be(failureMessage.length), failureMessage, u16be(padLength), new Uint8Array(padLength));
}

/** hmac || payload, the hmac keyed with the erring node's `um` key (the vectors' raw_error_packet). */
export function authenticateFailure(sharedSecret: Uint8Array, payload: Uint8Array): Uint8Array {
  return concat(hmacSha256(onionKey('um', sharedSecret), payload), payload);
}

/**
 * XORs the packet with the `ammag` stream of `sharedSecret`. The erring node does it once after
 * authenticating; every hop on the way back does it again with its own secret (§Intermediate nodes).
 */
export function wrapFailure(sharedSecret: Uint8Array, packet: Uint8Array): Uint8Array {
  const out = packet.slice();
  xorInPlace(out, chachaStream(onionKey('ammag', sharedSecret), out.length));
  return out;
}

/** The erring node's `reason` for update_fail_htlc: payload, authenticated, then obfuscated. */
export function createFailurePacket(sharedSecret: Uint8Array, failureMessage: Uint8Array, paddedLength = DEFAULT_FAILURE_PADDED_LENGTH): Uint8Array {
  return wrapFailure(sharedSecret, authenticateFailure(sharedSecret, failurePayload(failureMessage, paddedLength)));
}

/** BOLT 4 §Origin node: the route length the origin always decrypts to, so timing does not tell the erring hop. */
export const FAILURE_DECRYPTION_ROUNDS = 27;

export interface AttributedFailure {
  /** Index in the route (0 = the first hop after the origin) of the node that built the failure. */
  readonly hopIndex: number;
  /** The `failuremsg` it sent, unparsed; null when its failure_len overruns the packet. */
  readonly failureMessage: Uint8Array | null;
  /** Why failureMessage is null. */
  readonly problem: string | null;
}

/** Thrown when no hop's `um` HMAC matches: the failure was corrupted or forged on the way back. */
export class UnattributableFailureError extends Error {
  override readonly name = 'UnattributableFailureError';
}

/**
 * BOLT 4 §Origin node: peel one `ammag` layer per hop, in route order, until the HMAC under that hop's
 * `um` key matches; that hop built the failure. Decryption continues (with a fixed dummy secret past the
 * route's end) for FAILURE_DECRYPTION_ROUNDS rounds whatever the result, as the spec recommends.
 */
export function decryptFailure(sharedSecrets: readonly Uint8Array[], packet: Uint8Array): AttributedFailure {
  if (packet.length < HMAC_SIZE + 4) throw new UnattributableFailureError(`failure packet is ${packet.length} bytes, too short for hmac and lengths`);
  const dummySecret = new Uint8Array(32);
  let current = packet;
  let found: AttributedFailure | null = null;
  const rounds = Math.max(FAILURE_DECRYPTION_ROUNDS, sharedSecrets.length);
  for (let i = 0; i < rounds; i++) {
    const secret = sharedSecrets[i] ?? dummySecret;
    current = wrapFailure(secret, current);
    const payload = current.subarray(HMAC_SIZE);
    const matches = equal(hmacSha256(onionKey('um', secret), payload), current.subarray(0, HMAC_SIZE));
    if (matches && found === null && i < sharedSecrets.length) found = unpadFailure(i, payload);
  }
  if (found === null) throw new UnattributableFailureError(`failure packet of ${packet.length} bytes authenticates under none of the ${sharedSecrets.length} hops' um keys`);
  return found;
}

/** [u16:failure_len][failuremsg][u16:pad_len][pad] -> failuremsg (the pad is not checked: its bytes carry nothing). */
function unpadFailure(hopIndex: number, payload: Uint8Array): AttributedFailure {
  const failureLength = (payload[0]! << 8) | payload[1]!;
  if (2 + failureLength + 2 > payload.length) {
    return { hopIndex, failureMessage: null, problem: `failure_len ${failureLength} overruns the ${payload.length}-byte payload` };
  }
  return { hopIndex, failureMessage: payload.slice(2, 2 + failureLength), problem: null };
}
