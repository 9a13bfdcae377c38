// BOLT 4 §Packet Structure, §Packet Construction, §Filler Generation and §Onion Decryption:
// the Sphinx onion_packet. Creation takes the session key from the caller (bolt/ draws no randomness);
// peeling takes the hop's shared secret, so a node whose key lives in a remote signer only asks for ECDH.
import { concat, equal } from '../bytes.js';
import { hmacSha256 } from '../crypto/hash.js';
import { secp } from '../crypto/secp256k1.js';
import { bigsize, encodeWith } from '../codec/primitives.js';
import { Reader } from '../codec/io.js';
import { DecodeError } from '../codec/errors.js';
import { chachaStream, nextEphemeralKey, onionKey, routeHopKeys, xorInPlace } from './keys.js';
import { BadOnionError, InvalidOnionPayloadError } from './errors.js';

export const ONION_VERSION = 0;
/** Size of `hop_payloads` in a payment onion (`onion_routing_packet`). */
export const HOP_PAYLOADS_SIZE = 1300;
export const HMAC_SIZE = 32;
const KEY_SIZE = 33;
/** version || public_key || hmac around the hop payloads. */
const FRAME_SIZE = 1 + KEY_SIZE + HMAC_SIZE;
/** BOLT 2 `update_add_htlc.onion_routing_packet`: 1 + 33 + 1300 + 32. */
export const ONION_PACKET_SIZE = FRAME_SIZE + HOP_PAYLOADS_SIZE;

/** One hop of a route, as the origin sees it: who it is and the tlv payload meant for it. */
export interface OnionHop {
  readonly nodeId: Uint8Array;
  /** The hop's `payload` tlv stream, without its BigSize length (the packet adds it). */
  readonly payload: Uint8Array;
}

export interface CreatedOnion {
  /** The serialized onion_packet for the first hop. */
  readonly packet: Uint8Array;
  /** Each hop's shared secret, in route order: the origin needs them to read a returned failure. */
  readonly sharedSecrets: readonly Uint8Array[];
}

/** BOLT 4 §Packet Structure: [bigsize:length][length*byte:payload][32*byte:hmac]. */
function framedPayload(payload: Uint8Array, hmac: Uint8Array): Uint8Array {
  return concat(encodeWith(bigsize, BigInt(payload.length)), payload, hmac);
}

/** The bytes one hop's frame takes: its `shift_size` (BOLT 4 §Packet Construction). */
function shiftSize(payload: Uint8Array): number {
  return encodeWith(bigsize, BigInt(payload.length)).length + payload.length + HMAC_SIZE;
}

/**
 * BOLT 4 §Filler Generation: the tail each forwarding hop will have appended (as zeros, then
 * obfuscated by its rho stream) by the time the packet reaches the last hop. Hop i's stream covers the
 * filler so far, which sits at the end of its `hop_payloads`, and the shift_i zero bytes it appends.
 */
export function generateFiller(sharedSecrets: readonly Uint8Array[], shiftSizes: readonly number[], hopPayloadsSize = HOP_PAYLOADS_SIZE): Uint8Array {
  let filler: Uint8Array = new Uint8Array(0);
  for (let i = 0; i < sharedSecrets.length - 1; i++) {
    const shift = shiftSizes[i]!;
    const grown = concat(filler, new Uint8Array(shift));
    const stream = chachaStream(onionKey('rho', sharedSecrets[i]!), hopPayloadsSize + shift);
    xorInPlace(grown, stream.subarray(hopPayloadsSize - filler.length));
    filler = grown;
  }
  return filler;
}

/**
 * BOLT 4 §Packet Construction. `sessionKey` must be fresh randomness for every packet; the starting
 * `hop_payloads` is the ChaCha20 stream of the `pad` key derived from it, as the spec does.
 */
export function createOnion(
  sessionKey: Uint8Array,
  hops: readonly OnionHop[],
  associatedData: Uint8Array,
  hopPayloadsSize = HOP_PAYLOADS_SIZE,
): CreatedOnion {
  if (hops.length === 0) throw new Error('onion: the route has no hops');
  const shifts = hops.map((h, i) => {
    // BOLT 4 §Packet Structure: lengths 0 and 1 are reserved (no tlv payload is that short).
    if (h.payload.length < 2) throw new Error(`onion hop ${i}: payload is ${h.payload.length} byte(s), at least 2 required`);
    return shiftSize(h.payload);
  });
  const total = shifts.reduce((a, b) => a + b, 0);
  if (total > hopPayloadsSize) {
    throw new Error(`onion: the ${hops.length} hop payloads take ${total} bytes framed, more than the ${hopPayloadsSize} bytes of hop_payloads`);
  }
  const keys = routeHopKeys(sessionKey, hops.map((h) => h.nodeId));
  const sharedSecrets = keys.map((k) => k.sharedSecret);
  const filler = generateFiller(sharedSecrets, shifts, hopPayloadsSize);

  const mixHeader = chachaStream(onionKey('pad', sessionKey), hopPayloadsSize);
  let hmac: Uint8Array = new Uint8Array(HMAC_SIZE); // all zero: the last hop is final
  for (let i = hops.length - 1; i >= 0; i--) {
    const frame = framedPayload(hops[i]!.payload, hmac);
    mixHeader.copyWithin(frame.length, 0, hopPayloadsSize - frame.length); // right-shift by shift_size
    mixHeader.set(frame, 0);
    xorInPlace(mixHeader, chachaStream(onionKey('rho', sharedSecrets[i]!), hopPayloadsSize));
    if (i === hops.length - 1) mixHeader.set(filler, hopPayloadsSize - filler.length);
    hmac = hmacSha256(onionKey('mu', sharedSecrets[i]!), concat(mixHeader, associatedData));
  }
  const packet = concat(Uint8Array.of(ONION_VERSION), keys[0]!.ephemeralPublicKey, mixHeader, hmac);
  return { packet, sharedSecrets };
}

/** The four fields of an onion_packet (BOLT 4 §Packet Structure). */
export interface OnionPacketFields {
  readonly version: number;
  readonly publicKey: Uint8Array;
  readonly hopPayloads: Uint8Array;
  readonly hmac: Uint8Array;
}

function splitPacket(packet: Uint8Array): OnionPacketFields {
  if (packet.length <= FRAME_SIZE) throw new BadOnionError('invalid_onion_version', packet, `packet is ${packet.length} bytes, too short for an onion`);
  return {
    version: packet[0]!,
    publicKey: packet.subarray(1, 1 + KEY_SIZE),
    hopPayloads: packet.subarray(1 + KEY_SIZE, packet.length - HMAC_SIZE),
    hmac: packet.subarray(packet.length - HMAC_SIZE),
  };
}

/**
 * BOLT 4 §Onion Decryption, first two checks: the point the processing node must ECDH with its node key.
 * Throws BadOnionError (invalid_onion_version / invalid_onion_key) when the packet cannot be processed.
 */
export function onionEphemeralKey(packet: Uint8Array): Uint8Array {
  const fields = splitPacket(packet);
  if (fields.version !== ONION_VERSION) throw new BadOnionError('invalid_onion_version', packet, `version ${fields.version}, only ${ONION_VERSION} is known`);
  if (!secp.isValidPublicKey(fields.publicKey)) throw new BadOnionError('invalid_onion_key', packet, 'public_key is not a valid secp256k1 point');
  return fields.publicKey.slice();
}

/** What the processing node learns from its layer of the onion. */
export interface PeeledOnion {
  /** The tlv `payload` addressed to this node (BigSize length removed). */
  readonly payload: Uint8Array;
  /** The packet to forward to the next hop, or null when this node is the final one (all-zero next HMAC). */
  readonly nextPacket: Uint8Array | null;
  /** The shared secret used: a failure returned for this HTLC is encrypted with it. */
  readonly sharedSecret: Uint8Array;
}

/**
 * BOLT 4 §Onion Decryption. `sharedSecret` = ECDH(node key, onionEphemeralKey(packet)), computed by the
 * caller (e.g. by the signer). Throws BadOnionError for a packet that cannot be processed (version,
 * key, HMAC) and InvalidOnionPayloadError when it authenticates but its framing is broken.
 */
export function peelOnion(packet: Uint8Array, associatedData: Uint8Array, sharedSecret: Uint8Array): PeeledOnion {
  const publicKey = onionEphemeralKey(packet);
  if (sharedSecret.length !== 32) throw new Error(`onion: shared secret must be 32 bytes, got ${sharedSecret.length}`);
  const { hopPayloads, hmac } = splitPacket(packet);
  const size = hopPayloads.length;

  // HMAC256(mu, hop_payloads || associated_data), compared in constant time.
  const expected = hmacSha256(onionKey('mu', sharedSecret), concat(hopPayloads, associatedData));
  if (!equal(expected, hmac)) throw new BadOnionError('invalid_onion_hmac', packet, 'hmac does not match hop_payloads and associated data');

  // unwrapped = (hop_payloads || size zero bytes) XOR rho stream of twice the size.
  const unwrapped = concat(hopPayloads, new Uint8Array(size));
  xorInPlace(unwrapped, chachaStream(onionKey('rho', sharedSecret), 2 * size));

  const r = new Reader(unwrapped);
  let length: bigint;
  try {
    length = r.bigsize();
  } catch (e) {
    if (e instanceof DecodeError) throw new InvalidOnionPayloadError(`hop payload length: ${e.message}`);
    throw e;
  }
  if (length < 2n) throw new InvalidOnionPayloadError(`hop payload length ${length} is reserved (at least 2 required)`);
  // The payload and the next HMAC must lie within the incoming hop_payloads.
  if (length > BigInt(size - r.pos - HMAC_SIZE)) {
    throw new InvalidOnionPayloadError(`hop payload length ${length} leaves no room for its hmac in ${size} bytes`);
  }
  const payload = r.bytes(Number(length));
  const nextHmac = r.bytes(HMAC_SIZE);
  const nextHopPayloads = unwrapped.slice(r.pos, r.pos + size);

  if (nextHmac.every((b) => b === 0)) return { payload, nextPacket: null, sharedSecret };
  const nextPacket = concat(Uint8Array.of(ONION_VERSION), nextEphemeralKey(publicKey, sharedSecret), nextHopPayloads, nextHmac);
  return { payload, nextPacket, sharedSecret };
}
