// The invoice as data: what is signed (network, amount, timestamp, tagged fields in order) and
// what a reader derives from it (BOLT 11 §Tagged Fields, reader requirements and defaults).
import { equal } from '../bytes.js';
import { sha256 } from '../crypto/hash.js';
import type { FallbackAddress } from './fallback.js';
import type { FieldLetter, FieldValues, RouteHop, TaggedField } from './fields.js';
import type { Network } from './network.js';

/** BOLT 11 §Tagged Fields: defaults when `x` / `c` are absent. */
export const DEFAULT_EXPIRY_SECONDS = 3600;
export const DEFAULT_MIN_FINAL_CLTV_EXPIRY_DELTA = 18;

/** Everything the signature covers. Field order is kept: it is part of the signed data. */
export interface UnsignedInvoice {
  readonly network: Network;
  /** Absent: the payer chooses the amount. */
  readonly amountMsat?: bigint;
  /** Seconds since 1970, 35 bits. */
  readonly timestamp: number;
  readonly fields: readonly TaggedField[];
}

/** A decoded, signature-checked invoice and what its fields mean. */
export interface Invoice extends UnsignedInvoice {
  /** Payee node id: the `n` field, or recovered from the signature. */
  readonly payee: Uint8Array;
  readonly payeeFromField: boolean;
  /** r || s as found (may be high-S when the payee was recovered). */
  readonly signature: Uint8Array;
  readonly recovery: number;
  readonly paymentHash: Uint8Array;
  readonly paymentSecret: Uint8Array;
  readonly description?: string;
  readonly descriptionHash?: Uint8Array;
  /** Seconds after `timestamp`; default applied. */
  readonly expiry: number;
  /** Default applied. */
  readonly minFinalCltvExpiryDelta: number;
  /** Usable fallbacks, most preferred first. */
  readonly fallbacks: readonly FallbackAddress[];
  /** One entry per `r` field, most preferred first. */
  readonly routeHints: readonly (readonly RouteHop[])[];
  /** Set feature bits from the `9` field, ascending. */
  readonly features: readonly number[];
  readonly metadata?: Uint8Array;
}

/** The first value of a field letter ("SHOULD use the first `p` field"), or undefined. */
export function firstField<K extends FieldLetter>(fields: readonly TaggedField[], tag: K): FieldValues[K] | undefined {
  for (const f of fields) if (f.tag === tag) return f.value as FieldValues[K];
  return undefined;
}

/** Every value of a field letter, in invoice order (preference order for `f` and `r`). */
export function allFields<K extends FieldLetter>(fields: readonly TaggedField[], tag: K): FieldValues[K][] {
  const out: FieldValues[K][] = [];
  for (const f of fields) if (f.tag === tag) out.push(f.value as FieldValues[K]);
  return out;
}

/** BOLT 11 reader: "MUST check that the SHA2 256-bit hash in the `h` field exactly matches the hashed description." */
export function descriptionHashMatches(invoice: Pick<Invoice, 'descriptionHash'>, description: string): boolean {
  const expected = invoice.descriptionHash;
  return expected !== undefined && equal(sha256(new TextEncoder().encode(description)), expected);
}
