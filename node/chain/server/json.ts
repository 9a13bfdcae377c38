// The JSON writer of the RPC server: like JSON.stringify, plus BtcAmount as a number with 8
// decimals (bitcoind prints 50.00000000, not 50) and bigint as an integer.
import { BtcAmount } from './amount.js';

export function toJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof BtcAmount) return value.toJsonNumber();
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'bigint':
      return value.toString();
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => toJson(v)).join(',')}]`;
      const parts: string[] = [];
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (v === undefined) continue;
        parts.push(`${JSON.stringify(k)}:${toJson(v)}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      throw new TypeError(`toJson: cannot write a ${typeof value}`);
  }
}
