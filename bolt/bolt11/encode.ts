// BOLT 11 writer: hrp, 35-bit timestamp, tagged fields in the given order, recoverable signature.
import { bech32 } from '@scure/base';
import { concat } from '../bytes.js';
import { type RecoverableSignature, secp } from '../crypto/secp256k1.js';
import type { FallbackAddress } from './fallback.js';
import { type KnownField, type RouteHop, writeField } from './fields.js';
import { formatHrp } from './hrp.js';
import type { UnsignedInvoice } from './invoice.js';
import type { Network } from './network.js';
import { SIGNATURE_WORDS, TIMESTAMP_WORDS, invoiceDigest } from './signing.js';
import { bytesToWords, uintToWords } from './words.js';

/** Signs the invoice digest; a device or remote signer plugs in here instead of a private key. */
export type InvoiceSigner = (digest: Uint8Array) => RecoverableSignature;

export interface EncodeOptions {
  /** BOLT 11 §Encoding Overview: a writer SHOULD use upper case for QR codes. */
  readonly uppercase?: boolean;
}

/** The hrp and the data words the signature covers (timestamp and fields, in order). */
export function unsignedWords(invoice: UnsignedInvoice): { hrp: string; dataWords: number[] } {
  const { timestamp } = invoice;
  if (!Number.isSafeInteger(timestamp) || timestamp < 0 || timestamp >= 2 ** 35) throw new Error(`timestamp ${timestamp} does not fit in 35 bits`);
  const dataWords = [...uintToWords(BigInt(timestamp), TIMESTAMP_WORDS), ...invoice.fields.flatMap(writeField)];
  return { hrp: formatHrp(invoice.network, invoice.amountMsat), dataWords };
}

/** Encodes and signs `invoice`, keeping its field order; `sign` is the payee's private key or a signer. */
export function encodeInvoice(invoice: UnsignedInvoice, sign: Uint8Array | InvoiceSigner, options: EncodeOptions = {}): string {
  const { hrp, dataWords } = unsignedWords(invoice);
  const digest = invoiceDigest(hrp, dataWords);
  const { signature, recovery } = typeof sign === 'function' ? sign(digest) : secp.signRecoverable(digest, sign);
  if (signature.length !== 64 || recovery < 0 || recovery > 3) throw new Error(`invoice signer returned a ${signature.length}-byte signature with recovery id ${recovery}`);
  const signatureWords = bytesToWords(concat(signature, Uint8Array.of(recovery)));
  if (signatureWords.length !== SIGNATURE_WORDS) throw new Error('unreachable: 65 bytes are 104 words');
  // BOLT 11: a writer MAY exceed the 90-character limit of BIP-0173.
  const text = bech32.encode(hrp, [...dataWords, ...signatureWords], false);
  return options.uppercase ? text.toUpperCase() : text;
}

/** What a payee puts in a new invoice; `buildInvoice` turns it into fields in a fixed order. */
export interface InvoiceParams {
  readonly network: Network;
  readonly amountMsat?: bigint;
  readonly timestamp: number;
  readonly paymentHash: Uint8Array;
  readonly paymentSecret: Uint8Array;
  /** Exactly one of description and descriptionHash. */
  readonly description?: string;
  readonly descriptionHash?: Uint8Array;
  /** Include the payee's node id as an `n` field (otherwise payers recover it). */
  readonly payee?: Uint8Array;
  readonly expiry?: number;
  readonly minFinalCltvExpiryDelta?: number;
  readonly fallbacks?: readonly FallbackAddress[];
  readonly routeHints?: readonly (readonly RouteHop[])[];
  readonly features?: readonly number[];
  readonly metadata?: Uint8Array;
}

/** The writer requirements of BOLT 11 §Tagged Fields, applied to named parameters. */
export function buildInvoice(params: InvoiceParams): UnsignedInvoice {
  // "MUST include either exactly one `d` or exactly one `h` field."
  if ((params.description === undefined) === (params.descriptionHash === undefined)) {
    throw new Error('invoice needs exactly one of description and descriptionHash');
  }
  if (params.amountMsat !== undefined && params.amountMsat <= 0n) throw new Error(`invoice amount must be positive, got ${params.amountMsat} msat`);
  const fields: KnownField[] = [
    { tag: 'p', value: params.paymentHash },
    { tag: 's', value: params.paymentSecret },
  ];
  if (params.description !== undefined) fields.push({ tag: 'd', value: params.description });
  if (params.descriptionHash !== undefined) fields.push({ tag: 'h', value: params.descriptionHash });
  if (params.metadata !== undefined) fields.push({ tag: 'm', value: params.metadata });
  if (params.payee !== undefined) fields.push({ tag: 'n', value: params.payee });
  if (params.expiry !== undefined) fields.push({ tag: 'x', value: params.expiry });
  if (params.minFinalCltvExpiryDelta !== undefined) fields.push({ tag: 'c', value: params.minFinalCltvExpiryDelta });
  for (const f of params.fallbacks ?? []) fields.push({ tag: 'f', value: f });
  for (const r of params.routeHints ?? []) fields.push({ tag: 'r', value: r });
  // "if `9` contains non-zero bits: ... otherwise: MUST omit the `9` field altogether."
  if (params.features !== undefined && params.features.length > 0) fields.push({ tag: '9', value: [...new Set(params.features)].sort((a, b) => a - b) });
  return {
    network: params.network,
    ...(params.amountMsat === undefined ? {} : { amountMsat: params.amountMsat }),
    timestamp: params.timestamp,
    fields,
  };
}
