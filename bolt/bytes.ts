// Byte helpers shared by every bolt/ module. Plain Uint8Array everywhere; no Buffer in APIs.

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Hex of the bytes in reverse order: a txid in internal byte order as bitcoind displays it. */
export function reversedHex(bytes: Uint8Array): string {
  return hex(Uint8Array.from(bytes).reverse());
}

export function fromHex(text: string, what = 'hex string'): Uint8Array {
  const clean = text.startsWith('0x') ? text.slice(2) : text;
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) {
    throw new Error(`${what}: not valid hex (${clean.length} chars)`);
  }
  return new Uint8Array(Buffer.from(clean, 'hex'));
}

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Lexicographic byte order (BOLT 3 output ordering, BOLT 7 node ordering). */
export function compare(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

export function u16be(n: number): Uint8Array {
  return Uint8Array.of((n >>> 8) & 0xff, n & 0xff);
}

export function u32be(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n >>> 0, false);
  return out;
}

export function u64be(n: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, n), false);
  return out;
}

export function u32le(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n >>> 0, true);
  return out;
}

export function u64le(n: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, n), true);
  return out;
}

export function bigintFromBytesBE(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt('0x' + hex(bytes));
}

export function bigintToBytesBE(n: bigint, length: number): Uint8Array {
  if (n < 0n || n >= 1n << BigInt(8 * length)) throw new Error(`integer ${n} does not fit in ${length} bytes`);
  return fromHex(n.toString(16).padStart(length * 2, '0'));
}
