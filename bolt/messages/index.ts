// The message registry: wire type -> codec, and the two entry points the peer layer uses.
// BOLT 1 §Lightning Message Format: an unknown odd type is ignored, an unknown even type is fatal.
import { DecodeError, EncodeError, rethrowWithin } from '../codec/errors.js';
import { Reader } from '../codec/io.js';
import { type AnyMessageCodec, MAX_MESSAGE_SIZE, type MessageInputOf, type MessageOf } from '../codec/message.js';
import { bolt1Messages } from './bolt1.js';
import { bolt2Messages } from './bolt2.js';
import { bolt7Messages } from './bolt7.js';

export * from './bolt1.js';
export * from './bolt2.js';
export * from './bolt7.js';

export const messageCodecs = [...bolt1Messages, ...bolt2Messages, ...bolt7Messages] as const;

type KnownCodec = (typeof messageCodecs)[number];

/** Every message this codebase understands, discriminated by `type` (its spec name). */
export type Message = MessageOf<KnownCodec>;
export type MessageName = Message['type'];
export type MessageNamed<N extends MessageName> = Extract<Message, { type: N }>;

/** What `encodeMessage` takes: a message value whose `tlvs` may be left out. */
export type MessageToEncode = KnownCodec extends infer C ? C extends KnownCodec ? MessageInputOf<C> & { type: C['name'] } : never : never;

/** A message of a type we do not know and may ignore (odd), kept whole so it can be logged or relayed. */
export interface UnknownOddMessage {
  type: 'unknown';
  wireType: number;
  payload: Uint8Array;
}

const byWireType = new Map<number, AnyMessageCodec>();
const byName = new Map<string, AnyMessageCodec>();
for (const codec of messageCodecs as readonly AnyMessageCodec[]) {
  if (byWireType.has(codec.wireType)) throw new Error(`message type ${codec.wireType} registered twice`);
  if (byName.has(codec.name)) throw new Error(`message name ${codec.name} registered twice`);
  byWireType.set(codec.wireType, codec);
  byName.set(codec.name, codec);
}

/** The codec for a wire type, or undefined when we do not know it. */
export function codecForType(wireType: number): AnyMessageCodec | undefined {
  return byWireType.get(wireType);
}

export function codecForName(name: string): AnyMessageCodec | undefined {
  return byName.get(name);
}

/**
 * Decodes one message (u16 type first). Unknown odd types come back as `UnknownOddMessage`; unknown
 * even types throw DecodeError 'unknown-even-type' (the caller must close the connection).
 */
export function decodeMessage(bytes: Uint8Array): Message | UnknownOddMessage {
  const r = new Reader(bytes);
  let wireType: number;
  try {
    wireType = r.u16();
  } catch (e) {
    rethrowWithin(e, 'message');
  }
  const codec = byWireType.get(wireType);
  if (codec !== undefined) return codec.readPayload(r) as Message;
  if ((wireType & 1) === 0) throw new DecodeError('unknown-even-type', `unknown even message type ${wireType}`).within('message');
  return { type: 'unknown', wireType, payload: r.rest() };
}

/** Encodes a message value (or an unknown one, as its type and raw payload). */
export function encodeMessage(msg: MessageToEncode | UnknownOddMessage): Uint8Array {
  if (msg.type === 'unknown') {
    const { wireType, payload } = msg;
    if (!Number.isInteger(wireType) || wireType < 0 || wireType > 0xffff) throw new EncodeError(`type ${wireType} is not a u16`).within('message');
    if (byWireType.has(wireType)) throw new EncodeError(`type ${wireType} is ${byWireType.get(wireType)!.name}: encode it as that`).within('message');
    if (2 + payload.length > MAX_MESSAGE_SIZE) throw new EncodeError(`${2 + payload.length} bytes, above the ${MAX_MESSAGE_SIZE}-byte message limit`).within('message');
    const out = new Uint8Array(2 + payload.length);
    out[0] = wireType >>> 8;
    out[1] = wireType & 0xff;
    out.set(payload, 2);
    return out;
  }
  const codec = byName.get(msg.type);
  if (codec === undefined) throw new EncodeError(`unknown message type "${String(msg.type)}"`).within('message');
  return codec.encode(msg as Parameters<AnyMessageCodec['encode']>[0]);
}
