// Channel snapshots as JSON for the node store: the machine's states hold Uint8Array and bigint,
// which JSON has no type for. Each is written as a one-key tagged object and read back as the same
// type. Buffers (from signer replies) come back as plain Uint8Arrays, which is all the machine reads.
import { fromHex, hex } from '../../../bolt/bytes.js';
import type { ChannelState } from '../../channel/index.js';

const BYTES = '$bytes';
const BIGINT = '$bigint';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function toJson(value: unknown, path: string): Json {
  if (value === null || value === undefined) return null;
  if (value instanceof Uint8Array) return { [BYTES]: hex(value) };
  switch (typeof value) {
    case 'bigint':
      return { [BIGINT]: value.toString() };
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`channel snapshot: ${path} is ${value}, not a finite number`);
      return value;
    case 'object': {
      if (Array.isArray(value)) return value.map((v, i) => toJson(v, `${path}[${i}]`));
      const out: { [key: string]: Json } = {};
      for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJson(v, `${path}.${k}`);
      return out;
    }
    default:
      throw new Error(`channel snapshot: ${path} is a ${typeof value}, which a snapshot cannot hold`);
  }
}

function fromJson(value: Json): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(fromJson);
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === BYTES) return fromHex(value[BYTES] as string, 'snapshot bytes');
  if (keys.length === 1 && keys[0] === BIGINT) return BigInt(value[BIGINT] as string);
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = fromJson(value[k]!);
  return out;
}

/** Any value of plain objects, arrays, strings, numbers, booleans, bigints and bytes, as JSON text. */
export function encodeTagged(value: unknown, what: string): string {
  return JSON.stringify(toJson(value, what));
}

export function decodeTagged<T>(text: string): T {
  return fromJson(JSON.parse(text) as Json) as T;
}

export function encodeSnapshot(state: ChannelState): string {
  return encodeTagged(state, 'state');
}

export function decodeSnapshot(text: string): ChannelState {
  return decodeTagged<ChannelState>(text);
}
