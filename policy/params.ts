// Rule parameters, declared once: each declaration gives the config key's type, range,
// default (with the reason for it), the text an auditor reads, and the TypeScript type the
// rule's check function receives.

/** A parameter value after parsing. Amounts are msat. */
export type ParamValue = bigint | number | boolean;

interface ParamBase<T extends ParamValue> {
  /** What the key means, in plain words. */
  readonly summary: string;
  readonly default: T;
  /** Why this default is safe. */
  readonly reason: string;
  /** Name of a sibling parameter this one must not exceed (min <= max). */
  readonly notAbove?: string;
}

/** An amount written with its unit (`"50000 sat"`, `"0.001 btc"`, `"2500 msat"`), held in msat. */
export interface AmountParam extends ParamBase<bigint> {
  readonly type: 'amount';
  readonly min?: bigint;
}

/** A whole number (blocks, seconds, sat per 1000 weight units, counts). */
export interface IntegerParam extends ParamBase<number> {
  readonly type: 'integer';
  readonly min: number;
  readonly max: number;
  /** Unit shown after the value in explanations. */
  readonly unit: string;
}

/** A percentage from 0 to 100, up to four decimals. */
export interface PercentParam extends ParamBase<number> {
  readonly type: 'percent';
}

export interface BooleanParam extends ParamBase<boolean> {
  readonly type: 'boolean';
}

export type ParamSpec = AmountParam | IntegerParam | PercentParam | BooleanParam;
export type ParamSpecs = Readonly<Record<string, ParamSpec>>;

/** The values a rule's check receives, typed from its declarations. */
export type ParamValues<P extends ParamSpecs> = {
  readonly [K in keyof P]: P[K] extends ParamBase<infer T> ? T : never;
};

export const amount = (spec: Omit<AmountParam, 'type'>): AmountParam => ({ type: 'amount', ...spec });
export const integer = (spec: Omit<IntegerParam, 'type'>): IntegerParam => ({ type: 'integer', ...spec });
export const percent = (spec: Omit<PercentParam, 'type'>): PercentParam => ({ type: 'percent', ...spec });
export const boolean = (spec: Omit<BooleanParam, 'type'>): BooleanParam => ({ type: 'boolean', ...spec });

export const MAX_U32 = 0xffff_ffff;

// --- amounts -------------------------------------------------------------------------

/** 21 million BTC in msat: no amount may exceed it. */
export const MAX_MONEY_MSAT = 21_000_000n * 100_000_000n * 1000n;

const UNIT_MSAT = { msat: 1n, sat: 1000n, btc: 100_000_000_000n } as const;
const UNIT_DECIMALS = { msat: 0, sat: 3, btc: 11 } as const;

/**
 * Parses `"<number> <unit>"` with unit msat, sat or btc; digits may be grouped with `_`
 * or `,`. Returns msat, or a message saying what is wrong.
 */
export function parseAmount(text: string): bigint | string {
  const m = /^\s*(\d[\d_,]*)(?:\.(\d+))?\s*(msat|sat|btc)\s*$/i.exec(text);
  if (!m) return 'expected an amount with a unit, like "50000 sat", "0.001 btc" or "2500 msat"';
  const unit = m[3]!.toLowerCase() as keyof typeof UNIT_MSAT;
  const whole = m[1]!.replace(/[_,]/g, '');
  const frac = m[2] ?? '';
  if (frac.length > UNIT_DECIMALS[unit]) {
    return `${text.trim()} is finer than a millisatoshi (${unit} takes at most ${UNIT_DECIMALS[unit]} decimals)`;
  }
  const scale = UNIT_MSAT[unit];
  const fracMsat = frac === '' ? 0n : (BigInt(frac) * scale) / 10n ** BigInt(frac.length);
  const msat = BigInt(whole) * scale + fracMsat;
  if (msat > MAX_MONEY_MSAT) return `${text.trim()} is more than 21 million BTC`;
  return msat;
}

/** `1234000` msat -> `"1234 sat"`; `1234567` -> `"1234.567 sat"`. */
export function formatMsat(msat: bigint): string {
  const sign = msat < 0n ? '-' : '';
  const abs = msat < 0n ? -msat : msat;
  const sat = abs / 1000n;
  const rest = abs % 1000n;
  return rest === 0n ? `${sign}${sat} sat` : `${sign}${sat}.${rest.toString().padStart(3, '0').replace(/0+$/, '')} sat`;
}

export function formatSat(sat: bigint): string {
  return `${sat} sat`;
}

/** Shows a parameter value the way the config file writes it. */
export function formatParam(spec: ParamSpec, value: ParamValue): string {
  switch (spec.type) {
    case 'amount':
      return formatMsat(value as bigint);
    case 'integer':
      return `${value} ${spec.unit}`;
    case 'percent':
      return `${value}%`;
    case 'boolean':
      return value ? 'true' : 'false';
  }
}

/** A percentage as parts per million, for exact bigint comparisons. */
export function percentToPpm(p: number): bigint {
  return BigInt(Math.round(p * 10_000));
}
