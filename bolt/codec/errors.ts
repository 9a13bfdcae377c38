// The one small error set every wire codec throws. A decode error names where it happened as a
// path of spec field names, e.g. `update_add_htlc.onion_routing_packet: short read, need 1366 bytes, have 12`.

/** Why a decode failed. BOLT 1 §Lightning Message Format and §Type-Length-Value Format. */
export type DecodeErrorKind =
  /** fewer bytes left than the field needs ("insufficient length for the contents") */
  | 'short-read'
  /** bytes present but not an allowed encoding: non-minimal integer, bad point, wrong TLV length, order... */
  | 'invalid-value'
  /** an even message or TLV type we do not know ("it's ok to be odd") */
  | 'unknown-even-type';

/** Base of DecodeError and EncodeError: a spec path plus what broke there. */
export abstract class CodecError extends Error {
  /** Spec names from the outside in, e.g. ['open_channel', 'tlvs', 'channel_type']. */
  readonly path: string[];
  readonly detail: string;

  constructor(detail: string, path: string[] = []) {
    super(formatMessage(path, detail));
    this.detail = detail;
    this.path = path;
  }

  /** Adds an outer path segment (a message, field, TLV record or `[index]`) and refreshes the message. */
  within(segment: string): this {
    this.path.unshift(segment);
    this.message = formatMessage(this.path, this.detail);
    return this;
  }
}

export class DecodeError extends CodecError {
  override readonly name = 'DecodeError';
  readonly kind: DecodeErrorKind;

  constructor(kind: DecodeErrorKind, detail: string, path?: string[]) {
    super(detail, path);
    this.kind = kind;
  }
}

/** A value handed to an encoder that its wire type cannot carry (wrong length, out of range...). */
export class EncodeError extends CodecError {
  override readonly name = 'EncodeError';
  readonly kind = 'invalid-value' as const;
}

/** Rethrows `e` with `segment` added to its path when it is one of ours; anything else passes untouched. */
export function rethrowWithin(e: unknown, segment: string): never {
  if (e instanceof CodecError) throw e.within(segment);
  throw e;
}

function formatMessage(path: readonly string[], detail: string): string {
  if (path.length === 0) return detail;
  let where = path[0]!;
  for (let i = 1; i < path.length; i++) where += path[i]!.startsWith('[') ? path[i] : '.' + path[i];
  return `${where}: ${detail}`;
}
