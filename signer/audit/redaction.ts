// The redaction guard: no secret may reach the audit log, not even by mistake. It throws rather than
// masks, so the caller learns at once which field was wrong and the log never holds a half-redacted line.

/** A field whose name says it holds a secret (compared without case, `_` or `-`). */
const SECRET_NAME = /secret|privkey|privatekey|seed|preimage|passphrase|password|mnemonic|xprv/;

/**
 * Fields known to hold public 32-byte (or longer) hex: identifiers and the chain's own hashes.
 * Compared without case, `_` or `-`, so `channelId` and `channel_id` are the same field.
 */
export const NON_SECRET_HEX_FIELDS: readonly string[] = [
  'channel_id',
  'payment_hash',
  'txid',
  'funding_txid',
  'block_hash',
  'peer_node_id',
  'node_id',
  'prev_hash',
  'hash',
];

/** 32 bytes or more of hex anywhere in a string: a private key, preimage or secret looks like this. */
const LONG_HEX = /[0-9a-fA-F]{64,}/;

export class AuditRedactionError extends Error {
  override readonly name = 'AuditRedactionError';
}

function normalize(key: string): string {
  return key.toLowerCase().replace(/[_-]/g, '');
}

const allowed = new Set(NON_SECRET_HEX_FIELDS.map(normalize));

/**
 * Throws AuditRedactionError if `value` (an entry, or a line about to be written) holds a field named
 * like a secret, or 32-byte hex (as a string, or 32 raw bytes) under a field not in NON_SECRET_HEX_FIELDS.
 */
export function assertNoSecrets(value: unknown, path = ''): void {
  if (value === null || typeof value !== 'object') return;
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((v, i): [string, unknown] => [String(i), v])
    : Object.entries(value as Record<string, unknown>);
  const parentKey = path.split('.').filter((p) => !/^\d+$/.test(p)).pop() ?? '';
  for (const [key, child] of entries) {
    const here = path === '' ? key : `${path}.${key}`;
    const fieldKey = Array.isArray(value) ? parentKey : key;
    if (!Array.isArray(value) && SECRET_NAME.test(normalize(key))) {
      throw new AuditRedactionError(`field "${here}": its name says it holds a secret; secrets never go to the audit log`);
    }
    const allowlisted = allowed.has(normalize(fieldKey));
    if (typeof child === 'string' && !allowlisted && LONG_HEX.test(child)) {
      throw new AuditRedactionError(
        `field "${here}": holds 32 or more bytes of hex and is not a known non-secret field (${NON_SECRET_HEX_FIELDS.join(', ')})`,
      );
    }
    if (child instanceof Uint8Array) {
      if (child.length >= 32 && !allowlisted) {
        throw new AuditRedactionError(
          `field "${here}": holds ${child.length} raw bytes and is not a known non-secret field (${NON_SECRET_HEX_FIELDS.join(', ')})`,
        );
      }
      continue;
    }
    assertNoSecrets(child, here);
  }
}
