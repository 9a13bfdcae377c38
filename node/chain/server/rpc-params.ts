// Reading RPC parameters, positional or named, with errors that name the parameter
// (bitcoind: -1 for a wrong count, -3 for a wrong JSON type, -8 for a bad value).
import { fromHex } from '../../../bolt/bytes.js';
import { amountFromJson, AmountError } from './amount.js';
import { RPC_ERROR, RpcError } from './rpc-errors.js';

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : typeof v;
}

export class Params {
  private readonly values: readonly unknown[];

  /**
   * `names` lists the method's parameters in order; the first `required` must be present.
   * Named parameters (an object) are mapped onto those names.
   */
  constructor(
    readonly method: string,
    raw: unknown,
    readonly names: readonly string[],
    required: number,
  ) {
    let values: unknown[];
    if (raw === undefined || raw === null) values = [];
    else if (Array.isArray(raw)) values = raw;
    else if (typeof raw === 'object') {
      values = [];
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        const at = names.indexOf(k);
        if (at < 0) throw new RpcError(RPC_ERROR.INVALID_PARAMETER, `${method}: unknown named parameter ${k}`);
        values[at] = v;
      }
    } else throw new RpcError(RPC_ERROR.INVALID_REQUEST, 'Params must be an array or object');
    if (values.length > names.length) {
      const list = names.length === 0 ? 'takes no parameters' : `takes at most ${names.length} parameter${names.length === 1 ? '' : 's'} (${names.join(', ')})`;
      throw new RpcError(RPC_ERROR.MISC_ERROR, `${method} ${list}, got ${values.length}`);
    }
    for (let i = 0; i < required; i++) {
      if (values[i] === undefined || values[i] === null) throw new RpcError(RPC_ERROR.MISC_ERROR, `${method}: missing required parameter ${names[i]} (parameter ${i + 1})`);
    }
    this.values = values;
  }

  private at(name: string): unknown {
    const i = this.names.indexOf(name);
    if (i < 0) throw new Error(`${this.method}: no parameter named ${name}`);
    const v = this.values[i];
    return v === null ? undefined : v;
  }

  has(name: string): boolean {
    return this.at(name) !== undefined;
  }

  private missing(name: string): never {
    throw new RpcError(RPC_ERROR.MISC_ERROR, `${this.method}: missing required parameter ${name}`);
  }

  private typeError(name: string, v: unknown, expected: string): RpcError {
    return new RpcError(RPC_ERROR.TYPE_ERROR, `${this.method}: JSON value of type ${jsonType(v)} for ${name} is not of expected type ${expected}`);
  }

  raw(name: string): unknown {
    return this.at(name);
  }

  int(name: string, fallback?: number): number {
    const v = this.at(name);
    if (v === undefined) return fallback ?? this.missing(name);
    if (typeof v !== 'number') throw this.typeError(name, v, 'number');
    if (!Number.isSafeInteger(v)) throw new RpcError(RPC_ERROR.TYPE_ERROR, `${this.method}: ${name} must be an integer, got ${v}`);
    return v;
  }

  str(name: string, fallback?: string): string {
    const v = this.at(name);
    if (v === undefined) return fallback ?? this.missing(name);
    if (typeof v !== 'string') throw this.typeError(name, v, 'string');
    return v;
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.at(name);
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') throw this.typeError(name, v, 'bool');
    return v;
  }

  array(name: string, fallback?: unknown[]): unknown[] {
    const v = this.at(name);
    if (v === undefined) return fallback ?? this.missing(name);
    if (!Array.isArray(v)) throw this.typeError(name, v, 'array');
    return v;
  }

  /** A 256-bit hash in display hex (ParseHashV): -8 naming the parameter when malformed. */
  hash(name: string): string {
    return parseHash(this.str(name), `${this.method}: ${name}`);
  }

  /** A hex string, as bytes; -22 when it is not hex (bitcoind's "decode failed"). */
  hex(name: string, what: string): Uint8Array {
    const text = this.str(name);
    try {
      return fromHex(text, name);
    } catch {
      throw new RpcError(RPC_ERROR.DESERIALIZATION_ERROR, `${what} (${this.method}: ${name} is not a hex string)`);
    }
  }

  /** A BTC amount (number or string) in satoshis. */
  amount(name: string, fallback: bigint): bigint {
    const v = this.at(name);
    if (v === undefined) return fallback;
    try {
      return amountFromJson(v, `${this.method}: ${name}`);
    } catch (e) {
      throw new RpcError(RPC_ERROR.TYPE_ERROR, (e as AmountError).message);
    }
  }
}

/** ParseHashV: 64 hex characters, lower-cased. */
export function parseHash(text: string, what: string): string {
  if (text.length !== 64) throw new RpcError(RPC_ERROR.INVALID_PARAMETER, `${what} must be of length 64 (not ${text.length}, for '${text.slice(0, 80)}')`);
  if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new RpcError(RPC_ERROR.INVALID_PARAMETER, `${what} must be hexadecimal string (not '${text}')`);
  return text.toLowerCase();
}
