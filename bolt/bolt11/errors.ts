// Why an invoice was refused: a small closed set of reasons, each with a message naming the value.

export type InvoiceErrorCode =
  | 'bech32-mixed-case' // BOLT 11 §Encoding Overview, BIP-0173
  | 'bech32-no-separator'
  | 'bech32-checksum'
  | 'bech32-invalid' // characters outside the bech32 alphabet, empty data part
  | 'unknown-network' // BOLT 11 §Human-Readable Part: prefix not understood
  | 'invalid-amount' // non-digit, leading zero, zero
  | 'invalid-multiplier'
  | 'sub-millisatoshi' // `p` multiplier whose last decimal is not 0
  | 'too-short' // data part cannot hold timestamp + signature
  | 'field-overflow' // a tagged field's data_length runs past the signature
  | 'field-length' // p/h/s/n with the wrong data_length
  | 'field-value' // a field whose data cannot be read (bad UTF-8, route hint size, ...)
  | 'non-minimal' // x/c/9 with leading zero words
  | 'missing-field' // no p, no s, neither d nor h
  | 'conflicting-fields' // both d and h
  | 'unknown-required-feature' // BOLT 11 §Tagged Fields: unknown even bit in `9`
  | 'bad-recovery-id'
  | 'unrecoverable-signature'
  | 'bad-signature'; // does not verify against `n` (including high-S)

export class InvoiceError extends Error {
  override readonly name = 'InvoiceError';
  constructor(
    readonly code: InvoiceErrorCode,
    message: string,
  ) {
    super(message);
  }
}
