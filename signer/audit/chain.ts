// The hash chain, defined once for the writer and the verifier (README.md §The hash):
//   hash      = hex(SHA-256(the line's exact UTF-8 bytes, without its newline and without its
//               own `,"hash":"<64 hex>"` member))
//   prev_hash = the previous line's hash; GENESIS_HASH on the first line.
import { sha256 } from '../../bolt/crypto/hash.js';
import { hex } from '../../bolt/bytes.js';

const HEX32 = /^[0-9a-f]{64}$/;

/** The hash member as it appears in a line (the writer places it just before pino's `msg`). */
export function hashMember(hash: string): string {
  return `,"hash":"${hash}"`;
}

/** SHA-256 of a line's text (already without its hash member and newline), as lowercase hex. */
export function hashOfLineText(textWithoutHash: string): string {
  return hex(sha256(Buffer.from(textWithoutHash, 'utf8')));
}

/** The line's text without its own hash member, or null when that member is not there exactly once. */
export function withoutHashMember(line: string, hash: string): string | null {
  const member = hashMember(hash);
  const at = line.indexOf(member);
  if (at < 0 || line.indexOf(member, at + 1) >= 0) return null;
  return line.slice(0, at) + line.slice(at + member.length);
}

/** What one line says about its place in the chain, once it checked out on its own. */
export interface ChainLink {
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

export type LineProblem = 'not-utf8' | 'not-json' | 'bad-field' | 'hash-mismatch';

export type LineCheck =
  | { readonly ok: true; readonly link: ChainLink }
  | { readonly ok: false; readonly problem: LineProblem; readonly detail: string };

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }); // keeps a BOM, so it fails as an edit

/**
 * Checks what a single line can show on its own: UTF-8, a JSON object, seq/prev_hash/hash well formed,
 * and its hash recomputed from its bytes. `bytes` excludes the newline. `detail` reads after "line N: ".
 */
export function checkLine(bytes: Uint8Array): LineCheck {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, problem: 'not-utf8', detail: 'not UTF-8 text' };
  }
  if (text.length === 0) return { ok: false, problem: 'not-json', detail: 'not JSON (empty line)' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'not-json', detail: 'not JSON' };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, problem: 'not-json', detail: 'not a JSON object' };
  }
  const fields = parsed as Record<string, unknown>;
  const { seq, prev_hash: prevHash, hash } = fields;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) {
    return { ok: false, problem: 'bad-field', detail: 'field "seq" missing or not a positive integer' };
  }
  if (typeof prevHash !== 'string' || !HEX32.test(prevHash)) {
    return { ok: false, problem: 'bad-field', detail: 'field "prev_hash" missing or not 64 lowercase hex digits' };
  }
  if (typeof hash !== 'string' || !HEX32.test(hash)) {
    return { ok: false, problem: 'bad-field', detail: 'field "hash" missing or not 64 lowercase hex digits' };
  }
  const hashed = withoutHashMember(text, hash);
  if (hashed === null) {
    return { ok: false, problem: 'bad-field', detail: `member ${hashMember('…')} not found exactly once in the line's text` };
  }
  if (hashOfLineText(hashed) !== hash) return { ok: false, problem: 'hash-mismatch', detail: 'hash mismatch (edited?)' };
  return { ok: true, link: { seq, prevHash, hash, fields } };
}
