// BOLT 1 §Lightning Message Format: u16 type, the payload fields in spec order, then an optional TLV
// `extension`. One `message(...)` declaration yields the encoder, the decoder and the TypeScript type.
import { DecodeError, EncodeError, rethrowWithin } from './errors.js';
import { Reader, Writer } from './io.js';
import { type FieldValues, type Fields, FieldList, type Simplify } from './compound.js';
import { type TlvRecords, type TlvStreamCodec, type TlvValues, tlvStream } from './tlv.js';

/** BOLT 1: the transport carries at most 65535 bytes per message, type included. */
export const MAX_MESSAGE_SIZE = 65535;

/** A decoded message: `type` is its spec name, then its fields, then `tlvs` (always present, maybe empty). */
export type MessageValue<N extends string, F extends Fields, R extends TlvRecords> = Simplify<
  { type: N } & FieldValues<F> & { tlvs: TlvValues<R> }
>;

/** What `encode` takes: the same, with `type` and `tlvs` optional. */
export type MessageInput<N extends string, F extends Fields, R extends TlvRecords> = Simplify<
  { type?: N } & FieldValues<F> & { tlvs?: TlvValues<R> }
>;

export interface MessageCodec<N extends string, F extends Fields, R extends TlvRecords> {
  /** The u16 wire type. */
  readonly wireType: number;
  /** The spec name, also the `type` of decoded values. */
  readonly name: N;
  readonly fields: F;
  readonly tlvs: TlvStreamCodec<R>;
  /** Type prefix, payload and extension. */
  encode(value: MessageInput<N, F, R>): Uint8Array;
  /** `bytes` starts with the u16 type, which must be this message's. */
  decode(bytes: Uint8Array): MessageValue<N, F, R>;
  /** Payload and extension after the type has been read (the registry dispatches here). */
  readPayload(r: Reader): MessageValue<N, F, R>;
  writePayload(w: Writer, value: MessageInput<N, F, R>): void;
}

export type AnyMessageCodec = MessageCodec<string, Fields, TlvRecords>;
/** The decoded value type of a message codec. */
export type MessageOf<C> = C extends MessageCodec<infer N, infer F, infer R> ? MessageValue<N, F, R> : never;
/** The encoder's input type of a message codec. */
export type MessageInputOf<C> = C extends MessageCodec<infer N, infer F, infer R> ? MessageInput<N, F, R> : never;

const EMPTY_TLVS = Object.freeze({});

/**
 * Declares a message once. `fields` lists the payload in wire order (a spec length or count field
 * is folded into the array it counts); `tlvs` declares the known records of its TLV extension.
 * Every message accepts an extension (BOLT 1), so one without known records still keeps unknown odd ones.
 */
export function message<const N extends string, const F extends Fields, const R extends TlvRecords = {}>(
  wireType: number,
  name: N,
  fields: F,
  options?: { readonly tlvs?: R },
): MessageCodec<N, F, R> {
  if (!Number.isInteger(wireType) || wireType < 0 || wireType > 0xffff) throw new Error(`${name}: type ${wireType} is not a u16`);
  if ('type' in fields || 'tlvs' in fields) throw new Error(`${name}: "type" and "tlvs" are reserved keys`);
  const list = new FieldList(fields);
  const tlvs = tlvStream((options?.tlvs ?? {}) as R, `${name}_tlvs`);
  const sizeHint = 2 + list.fixedSize + 64;

  function readPayload(r: Reader): MessageValue<N, F, R> {
    const out: Record<string, unknown> = { type: name };
    try {
      list.readInto(r, out);
      try {
        out['tlvs'] = tlvs.read(r);
      } catch (e) {
        rethrowWithin(e, 'tlvs');
      }
    } catch (e) {
      rethrowWithin(e, name);
    }
    return out as MessageValue<N, F, R>;
  }

  function writePayload(w: Writer, value: MessageInput<N, F, R>): void {
    try {
      if (value.type !== undefined && value.type !== name) throw new EncodeError(`value has type "${value.type}"`);
      list.write(w, value as Record<string, unknown>);
      try {
        tlvs.write(w, (value.tlvs ?? EMPTY_TLVS) as TlvValues<R>);
      } catch (e) {
        rethrowWithin(e, 'tlvs');
      }
    } catch (e) {
      rethrowWithin(e, name);
    }
  }

  return {
    wireType,
    name,
    fields,
    tlvs,
    readPayload,
    writePayload,
    encode(value) {
      const w = new Writer(sizeHint);
      w.u16(wireType);
      writePayload(w, value);
      if (w.pos > MAX_MESSAGE_SIZE) throw new EncodeError(`${w.pos} bytes, above the ${MAX_MESSAGE_SIZE}-byte message limit`).within(name);
      return w.finish();
    },
    decode(bytes) {
      const r = new Reader(bytes);
      let got: number;
      try {
        got = r.u16();
      } catch (e) {
        rethrowWithin(e, name);
      }
      if (got !== wireType) throw new DecodeError('invalid-value', `type ${got} is not ${wireType}`).within(name);
      return readPayload(r);
    },
  };
}
