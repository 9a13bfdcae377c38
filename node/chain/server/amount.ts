// Amounts as bitcoind writes and reads them: satoshis inside, BTC with 8 decimals on the wire.
// Bitcoin Core: src/consensus/amount.h (COIN, MAX_MONEY), src/util/moneystr.cpp (FormatMoney),
// src/rpc/util.cpp (AmountFromValue, ValueFromAmount).

export const COIN = 100_000_000n;
/** consensus/amount.h: no amount in a transaction may exceed this. */
export const MAX_MONEY = 21_000_000n * COIN;

export function moneyRange(sat: bigint): boolean {
  return sat >= 0n && sat <= MAX_MONEY;
}

/** A satoshi amount that the JSON writer prints as a BTC number with 8 decimals (ValueFromAmount). */
export class BtcAmount {
  constructor(readonly sat: bigint) {}
  /** "50.00000000", "-0.00010000" */
  toJsonNumber(): string {
    const negative = this.sat < 0n;
    const abs = negative ? -this.sat : this.sat;
    return `${negative ? '-' : ''}${abs / COIN}.${(abs % COIN).toString().padStart(8, '0')}`;
  }
}

export const btc = (sat: bigint | number): BtcAmount => new BtcAmount(BigInt(sat));

/** FormatMoney: 8 decimals with trailing zeros trimmed down to two ("0.01", "50.00", "0.00012345"). */
export function formatMoney(sat: bigint): string {
  const full = new BtcAmount(sat).toJsonNumber();
  let end = full.length;
  while (full[end - 1] === '0' && full[end - 3] !== '.') end--;
  return full.slice(0, end);
}

/** CFeeRate::ToString: "0.00001000 BTC/kvB". */
export function formatFeeRate(satPerKvb: bigint): string {
  return `${new BtcAmount(satPerKvb).toJsonNumber()} BTC/kvB`;
}

export class AmountError extends Error {
  override readonly name = 'AmountError';
}

/**
 * AmountFromValue: a JSON number or numeric string in BTC, at most 8 decimals, to satoshis.
 * Parsed from its decimal text so that 0.1 is exactly 10000000 sat.
 */
export function amountFromJson(value: unknown, what: string): bigint {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new AmountError(`${what}: Invalid amount`);
    // Shortest round-trip text of the double, then exact decimal parsing; exponents are expanded.
    text = Math.abs(value) < 1e-6 && value !== 0 ? value.toFixed(8) : String(value);
  } else if (typeof value === 'string') {
    text = value.trim();
  } else {
    throw new AmountError(`${what}: Amount is not a number or string`);
  }
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(text);
  if (!m) throw new AmountError(`${what}: Invalid amount "${text}"`);
  const decimals = m[3] ?? '';
  if (decimals.replace(/0+$/, '').length > 8) throw new AmountError(`${what}: Invalid amount "${text}" (more than 8 decimals)`);
  const sat = BigInt(m[2]!) * COIN + BigInt((decimals + '00000000').slice(0, 8));
  const signed = m[1] === '-' ? -sat : sat;
  if (!moneyRange(signed)) throw new AmountError(`${what}: Amount out of range (${text})`);
  return signed;
}
