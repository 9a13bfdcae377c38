// Strict DER (BIP 66) for ECDSA signatures as Bitcoin scripts carry them; Lightning
// messages carry the 64-byte compact r || s form instead (BOLT 1 `signature`).

function trimInteger(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0 && bytes[start + 1]! < 0x80) start++;
  const body = bytes.subarray(start);
  if (body[0]! >= 0x80) {
    const padded = new Uint8Array(body.length + 1);
    padded.set(body, 1);
    return padded;
  }
  return body;
}

/** Compact r || s (64 bytes) to DER. */
export function compactToDer(compact: Uint8Array): Uint8Array {
  if (compact.length !== 64) throw new Error(`signature: expected 64 bytes, got ${compact.length}`);
  const r = trimInteger(compact.subarray(0, 32));
  const s = trimInteger(compact.subarray(32, 64));
  return Uint8Array.of(0x30, 4 + r.length + s.length, 0x02, r.length, ...r, 0x02, s.length, ...s);
}

/** DER to compact r || s, rejecting anything BIP 66 rejects. */
export function derToCompact(der: Uint8Array): Uint8Array {
  const fail = (why: string): never => {
    throw new Error(`DER signature: ${why}`);
  };
  if (der.length < 8 || der.length > 72) fail(`bad length ${der.length}`);
  if (der[0] !== 0x30) fail('missing sequence tag');
  if (der[1] !== der.length - 2) fail('sequence length mismatch');
  const readInt = (at: number): [Uint8Array, number] => {
    if (der[at] !== 0x02) fail('missing integer tag');
    const len = der[at + 1]!;
    if (len === 0 || at + 2 + len > der.length) fail('bad integer length');
    const body = der.subarray(at + 2, at + 2 + len);
    if (body[0]! & 0x80) fail('negative integer');
    if (len > 1 && body[0] === 0 && !(body[1]! & 0x80)) fail('integer not minimally encoded');
    const value = body[0] === 0 ? body.subarray(1) : body;
    if (value.length > 32) fail('integer longer than 32 bytes');
    return [value, at + 2 + len];
  };
  const [r, afterR] = readInt(2);
  const [s, afterS] = readInt(afterR);
  if (afterS !== der.length) fail('trailing bytes');
  const out = new Uint8Array(64);
  out.set(r, 32 - r.length);
  out.set(s, 64 - s.length);
  return out;
}
