// BOLT 11 §Human-Readable Part: the optional amount, in bitcoin, with a multiplier letter.
import { InvoiceError } from './errors.js';

// Pico-bitcoin per unit of each multiplier; 1 msat = 10 pico-bitcoin.
const PICO_PER_UNIT = {
  '': 1_000_000_000_000n, // bitcoin
  m: 1_000_000_000n, // milli
  u: 1_000_000n, // micro
  n: 1_000n, // nano
  p: 1n, // pico
} as const;
type Multiplier = keyof typeof PICO_PER_UNIT;
const PICO_PER_MSAT = 10n;

/** The msat amount of the hrp's amount part (digits + optional multiplier), e.g. `2500u` -> 250000000n. */
export function parseAmount(text: string): bigint {
  const match = /^([0-9]+)([a-z]?)$/.exec(text);
  if (!match) {
    throw new InvoiceError('invalid-amount', `amount "${text}": not a decimal number followed by an optional multiplier`);
  }
  const digits = match[1]!;
  const letter = match[2]!;
  if (!(letter in PICO_PER_UNIT)) {
    throw new InvoiceError('invalid-multiplier', `amount "${text}": invalid multiplier "${letter}" (expected m, u, n or p)`);
  }
  // A writer MUST encode `amount` as a positive decimal integer with no leading 0s.
  if (digits.startsWith('0')) throw new InvoiceError('invalid-amount', `amount "${text}": leading zero or zero amount`);
  const pico = BigInt(digits) * PICO_PER_UNIT[letter as Multiplier];
  // If multiplier is `p` and the last decimal of `amount` is not 0: MUST fail the payment.
  if (pico % PICO_PER_MSAT !== 0n) {
    throw new InvoiceError('sub-millisatoshi', `amount "${text}": ${digits} pico-bitcoin is not a whole number of millisatoshis`);
  }
  return pico / PICO_PER_MSAT;
}

/** The shortest amount text for `msat`: the largest multiplier that keeps the number whole. */
export function formatAmount(msat: bigint): string {
  if (msat <= 0n) throw new Error(`invoice amount must be positive, got ${msat} msat`);
  const pico = msat * PICO_PER_MSAT;
  for (const letter of ['', 'm', 'u', 'n', 'p'] as const) {
    const unit = PICO_PER_UNIT[letter];
    if (pico % unit === 0n) return `${pico / unit}${letter}`;
  }
  throw new Error('unreachable: the p multiplier divides every amount');
}
