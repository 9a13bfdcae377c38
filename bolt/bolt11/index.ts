// BOLT 11: Invoice Protocol for Lightning Payments.
export { parseAmount, formatAmount } from './amount.js';
export { decodeInvoice, type DecodeOptions } from './decode.js';
export { encodeInvoice, buildInvoice, unsignedWords, type EncodeOptions, type InvoiceParams, type InvoiceSigner } from './encode.js';
export { InvoiceError, type InvoiceErrorCode } from './errors.js';
export { FALLBACK_P2PKH, FALLBACK_P2SH, fallbackFromAddress, fallbackToAddress, type FallbackAddress } from './fallback.js';
export { FIELDS, MAX_FIELD_WORDS, readField, writeField, type FieldLetter, type FieldValues, type KnownField, type RouteHop, type SkippedField, type TaggedField } from './fields.js';
export { formatHrp, parseHrp } from './hrp.js';
export {
  DEFAULT_EXPIRY_SECONDS,
  DEFAULT_MIN_FINAL_CLTV_EXPIRY_DELTA,
  allFields,
  descriptionHashMatches,
  firstField,
  type Invoice,
  type UnsignedInvoice,
} from './invoice.js';
export { NETWORKS, networkOfPrefix, type Network } from './network.js';
export { invoiceDigest } from './signing.js';
export { invoiceSummary, type FeatureSummary, type InvoiceSummary, type RouteHopSummary } from './summary.js';
