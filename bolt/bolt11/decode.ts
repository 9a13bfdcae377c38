// BOLT 11 reader: bech32 -> hrp, timestamp, tagged fields, signature; then every reader
// requirement of §Encoding Overview, §Human-Readable Part, §Data Part and §Tagged Fields.
import { bech32 } from '@scure/base';
import { hex } from '../bytes.js';
import { secp } from '../crypto/secp256k1.js';
import { featureName } from '../features.js';
import { InvoiceError } from './errors.js';
import { type ReadFieldOptions, type TaggedField, readField } from './fields.js';
import { parseHrp } from './hrp.js';
import { DEFAULT_EXPIRY_SECONDS, DEFAULT_MIN_FINAL_CLTV_EXPIRY_DELTA, type Invoice, allFields, firstField } from './invoice.js';
import { SIGNATURE_WORDS, TIMESTAMP_WORDS, invoiceDigest, isHighS } from './signing.js';
import { wordsToBytes, wordsToUint } from './words.js';

export type DecodeOptions = ReadFieldOptions;

/** BOLT 11 §Encoding Overview: Bech32 without the 90-character limit, either case but not mixed. */
function parseBech32(text: string): { hrp: string; words: number[] } {
  const lower = text.toLowerCase();
  if (text !== lower && text !== text.toUpperCase()) throw new InvoiceError('bech32-mixed-case', 'mixed upper and lower case (BIP-0173 allows one case only)');
  const separator = lower.lastIndexOf('1');
  if (separator < 1) throw new InvoiceError('bech32-no-separator', 'no "1" separator between prefix and data');
  try {
    const { prefix, words } = bech32.decode(lower, false);
    return { hrp: prefix, words };
  } catch (e) {
    const message = (e as Error).message;
    // "if the checksum is incorrect: MUST fail the payment."
    if (/checksum/i.test(message)) throw new InvoiceError('bech32-checksum', 'bad bech32 checksum');
    throw new InvoiceError('bech32-invalid', `not valid bech32: ${message}`);
  }
}

/** BOLT 11 §Tagged Fields: type (5 bits), data_length (10 bits), data. */
function readFields(words: readonly number[], options: ReadFieldOptions): TaggedField[] {
  const fields: TaggedField[] = [];
  let at = 0;
  while (at < words.length) {
    if (words.length - at < 3) throw new InvoiceError('field-overflow', `tagged field at word ${at}: header truncated (${words.length - at} words left)`);
    const type = words[at]!;
    const length = words[at + 1]! * 32 + words[at + 2]!;
    const start = at + 3;
    if (start + length > words.length) {
      throw new InvoiceError('field-overflow', `tagged field type ${type} at word ${at}: data_length ${length} runs past the signature (${words.length - start} words left)`);
    }
    fields.push(readField(type, words.slice(start, start + length), options));
    at = start + length;
  }
  return fields;
}

/** A feature is known when the BOLT 9 table (bolt/features.ts) names its pair. */
const isKnownFeature = (bit: number): boolean => featureName(bit) !== undefined;

/** Decodes and checks a BOLT 11 invoice; throws InvoiceError naming the first rule it breaks. */
export function decodeInvoice(text: string, options: DecodeOptions = {}): Invoice {
  // BOLT 11 §Encoding Overview: 'lightning:' is the recommended URI scheme.
  const bare = /^lightning:/i.test(text) ? text.slice('lightning:'.length) : text;
  const { hrp, words } = parseBech32(bare.trim());
  const { network, amountMsat } = parseHrp(hrp);

  if (words.length < TIMESTAMP_WORDS + SIGNATURE_WORDS) {
    throw new InvoiceError('too-short', `data part of ${words.length} words cannot hold a ${TIMESTAMP_WORDS}-word timestamp and a ${SIGNATURE_WORDS}-word signature`);
  }
  const dataWords = words.slice(0, words.length - SIGNATURE_WORDS);
  const timestamp = Number(wordsToUint(dataWords.slice(0, TIMESTAMP_WORDS)));
  const fields = readFields(dataWords.slice(TIMESTAMP_WORDS), options);

  // BOLT 11 §Data Part: 64-byte r||s then a 1-byte recovery id in {0,1,2,3}.
  const signatureBytes = wordsToBytes(words.slice(words.length - SIGNATURE_WORDS));
  const signature = signatureBytes.slice(0, 64);
  const recovery = signatureBytes[64]!;
  if (recovery > 3) throw new InvoiceError('bad-recovery-id', `signature recovery id ${recovery} is not in 0..3`);
  const digest = invoiceDigest(hrp, dataWords);

  const n = firstField(fields, 'n');
  let payee: Uint8Array;
  if (n !== undefined) {
    // "if a valid `n` field is provided: MUST use the `n` field to validate the signature instead
    // of performing public-key recovery. If the signature is not compliant with the low-S rule: MUST fail."
    if (isHighS(signature)) throw new InvoiceError('bad-signature', `signature is high-S, refused when the n field is present (payee ${hex(n)})`);
    if (!secp.verify(signature, digest, n)) throw new InvoiceError('bad-signature', `signature does not verify against the n field (payee ${hex(n)})`);
    payee = n;
  } else {
    // "otherwise: MUST perform ECDSA public-key recovery and accept both high-S and low-S signatures."
    try {
      payee = secp.recover(signature, recovery, digest);
    } catch (e) {
      throw new InvoiceError('unrecoverable-signature', `signature is not recoverable (recovery id ${recovery}): ${(e as Error).message}`);
    }
  }

  const paymentHash = firstField(fields, 'p');
  if (paymentHash === undefined) throw new InvoiceError('missing-field', 'missing p field (payment_hash)');
  // "if a valid `s` field is not provided: MUST fail the payment."
  const paymentSecret = firstField(fields, 's');
  if (paymentSecret === undefined) throw new InvoiceError('missing-field', 'missing s field (payment_secret)');
  // "MUST fail the payment if neither a `d` field nor a `h` field is present, or if both are present."
  const description = firstField(fields, 'd');
  const descriptionHash = firstField(fields, 'h');
  if (description === undefined && descriptionHash === undefined) throw new InvoiceError('missing-field', 'missing description: neither d nor h field');
  if (description !== undefined && descriptionHash !== undefined) throw new InvoiceError('conflicting-fields', 'both d (description) and h (description_hash) fields are present');

  // "if the `9` field contains unknown _even_ bits that are non-zero: MUST fail the payment"; unknown odd bits are ignored.
  const features = firstField(fields, '9') ?? [];
  const unknownRequired = features.filter((bit) => bit % 2 === 0 && !isKnownFeature(bit));
  if (unknownRequired.length > 0) {
    throw new InvoiceError('unknown-required-feature', `unknown required feature bit${unknownRequired.length > 1 ? 's' : ''} ${unknownRequired.join(', ')}`);
  }

  const metadata = firstField(fields, 'm');
  return {
    network,
    ...(amountMsat === undefined ? {} : { amountMsat }),
    timestamp,
    fields,
    payee,
    payeeFromField: n !== undefined,
    signature,
    recovery,
    paymentHash,
    paymentSecret,
    ...(description === undefined ? {} : { description }),
    ...(descriptionHash === undefined ? {} : { descriptionHash }),
    expiry: firstField(fields, 'x') ?? DEFAULT_EXPIRY_SECONDS,
    minFinalCltvExpiryDelta: firstField(fields, 'c') ?? DEFAULT_MIN_FINAL_CLTV_EXPIRY_DELTA,
    fallbacks: allFields(fields, 'f'),
    routeHints: allFields(fields, 'r'),
    features,
    ...(metadata === undefined ? {} : { metadata }),
  };
}
