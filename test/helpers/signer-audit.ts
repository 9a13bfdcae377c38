// Checks that a signer refusal is what it should be: the SignerError code and the rule id or field its
// message starts with, exactly one new audit line naming the violation, and the stored state unchanged
// (a dump of every table, byte for byte).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignerError, type SignerErrorCode } from '../../signer/errors.js';
import { AUDIT_FILE, type RpcName, type SignerService } from '../../signer/service/index.js';

export interface AuditLine {
  readonly op: string;
  readonly decision: string;
  readonly violations: readonly string[];
  readonly warnings: readonly string[];
  readonly reason: string;
  readonly channel_id?: string;
  readonly commitment_number?: number;
  readonly [key: string]: unknown;
}

export function auditLines(signer: SignerService): AuditLine[] {
  return readFileSync(join(signer.dataDir, AUDIT_FILE), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as AuditLine);
}

export interface Expected {
  readonly code: SignerErrorCode;
  /** The rule id or field name the message starts with (or, for several violations, contains). */
  readonly message: string | RegExp;
  /** The id the audit line lists. */
  readonly violation: string;
}

/** Runs a request that must be refused and checks the refusal, its audit line and the unchanged state. */
export async function assertRefused(signer: SignerService, method: RpcName, request: object, expected: Expected): Promise<SignerError> {
  const before = signer.dumpState();
  const linesBefore = auditLines(signer).length;
  let caught: unknown;
  try {
    await signer.call(method, request);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof SignerError, `${method} should be refused with a SignerError, got ${caught === undefined ? 'success' : String(caught)}`);
  assert.equal(caught.code, expected.code, caught.message);
  if (typeof expected.message === 'string') assert.ok(caught.message.startsWith(expected.message) || caught.message.includes(`; ${expected.message}`), `message "${caught.message}" should start with ${expected.message}`);
  else assert.match(caught.message, expected.message);
  assert.equal(signer.dumpState(), before, `${method}: a refusal must leave the stored state unchanged`);
  const lines = auditLines(signer);
  assert.equal(lines.length, linesBefore + 1, `${method}: one audit line per decision`);
  const last = lines[lines.length - 1]!;
  assert.equal(last.op, method);
  assert.equal(last.decision, 'refused');
  assert.ok(last.violations.includes(expected.violation), `audit violations ${JSON.stringify(last.violations)} should include ${expected.violation}`);
  return caught;
}

/** The refusal of a policy rule: FAILED_PRECONDITION, message and audit line naming the rule. */
export function rule(id: string): Expected {
  return { code: 'failed-precondition', message: id, violation: id };
}

/** A malformed field: INVALID_ARGUMENT, message starting with the field. */
export function field(name: string, violation = 'policy-signer-request-valid'): Expected {
  return { code: 'invalid-argument', message: `${name}:`, violation };
}
