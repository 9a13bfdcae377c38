// The 1366-byte onion_routing_packet of a payment to a DIRECT peer, until onion routing exists.
// It has the BOLT 4 §Packet Structure layout (version 0, a 33-byte key, 1300 bytes of hop payloads,
// a 32-byte HMAC) and its one hop payload is the final hop's BOLT 4 §Payload Format tlv_payload:
// amt_to_forward (2), outgoing_cltv_value (4), payment_data (8: payment_secret, total_msat).
// It is NOT ENCRYPTED (no Sphinx): the key field carries the payer's node id, the payload is in the
// clear, the HMAC is all zero as for a final hop. The payee reads it back with `readDirectPayment`
// and matches it against its own invoice by payment hash and payment secret.
import { concat } from '../../../bolt/bytes.js';

export const ONION_PACKET_SIZE = 1366;
const HOP_PAYLOADS_SIZE = 1300;

export interface DirectPayment {
  readonly amountMsat: bigint;
  readonly cltvExpiry: number;
  readonly paymentSecret: Uint8Array;
  readonly totalMsat: bigint;
}

/** BOLT 1 tu64: big-endian with no leading zero bytes. */
function tu64(n: bigint): Uint8Array {
  const out: number[] = [];
  for (let v = n; v > 0n; v >>= 8n) out.unshift(Number(v & 0xffn));
  return Uint8Array.from(out);
}

function fromTu(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

function tlv(type: number, value: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(type, value.length), value);
}

export function directPaymentPacket(payerNodeId: Uint8Array, p: DirectPayment): Uint8Array {
  const payload = concat(
    tlv(2, tu64(p.amountMsat)),
    tlv(4, tu64(BigInt(p.cltvExpiry))),
    tlv(8, concat(p.paymentSecret, tu64(p.totalMsat))),
  );
  const packet = new Uint8Array(ONION_PACKET_SIZE);
  packet[0] = 0; // version
  packet.set(payerNodeId, 1);
  packet[34] = payload.length; // BOLT 4: bigsize length of the hop payload (< 0xfd here)
  packet.set(payload, 35);
  return packet;
}

/** The final-hop payload of a direct payment packet, or null when the packet is not one. */
export function readDirectPayment(packet: Uint8Array): DirectPayment | null {
  if (packet.length !== ONION_PACKET_SIZE || packet[0] !== 0) return null;
  const length = packet[34]!;
  if (length === 0 || length >= 0xfd || 35 + length > 34 + HOP_PAYLOADS_SIZE) return null;
  const payload = packet.subarray(35, 35 + length);
  const fields = new Map<number, Uint8Array>();
  for (let i = 0; i < payload.length; ) {
    const type = payload[i]!;
    const len = payload[i + 1];
    if (len === undefined || i + 2 + len > payload.length) return null;
    fields.set(type, payload.subarray(i + 2, i + 2 + len));
    i += 2 + len;
  }
  const amount = fields.get(2);
  const cltv = fields.get(4);
  const data = fields.get(8);
  if (amount === undefined || cltv === undefined || data === undefined || data.length < 32) return null;
  return { amountMsat: fromTu(amount), cltvExpiry: Number(fromTu(cltv)), paymentSecret: data.slice(0, 32), totalMsat: fromTu(data.subarray(32)) };
}
