// The one error type the signer service throws to its callers (the gRPC server maps `code` to a status).
// proto/signer.proto: every refusal is FAILED_PRECONDITION (policy) or INVALID_ARGUMENT (malformed
// request), with a message that starts with the rule id or the field name.
import type { Finding } from '../policy/index.js';

export type SignerErrorCode = 'invalid-argument' | 'failed-precondition' | 'not-found' | 'internal';

/** gRPC status numbers for each code (grpc/doc/statuscodes.md), for `SignerError.grpc_code` on the stream transport. */
export const GRPC_STATUS: Readonly<Record<SignerErrorCode, number>> = {
  'invalid-argument': 3,
  'not-found': 5,
  'failed-precondition': 9,
  internal: 13,
};

/**
 * Checks the signer itself makes before (or instead of) asking the policy, always enforced and not
 * configurable. They name audit-log refusals that no policy rule covers (signer/audit needs a
 * `policy-<area>-<rule>` id on every refusal); signer/service/README.md lists them for auditors.
 */
export const SIGNER_CHECK_IDS = [
  /** A request field is missing, malformed, out of range or inconsistent with the others. */
  'policy-signer-request-valid',
  /** The request names a channel (or a commitment) the signer does not know. */
  'policy-signer-channel-known',
  /** The request does not fit the channel's lifecycle (not set up yet, set up differently, closed). */
  'policy-signer-channel-state',
  /** The counterparty's signature on a holder commitment or one of its HTLC transactions does not verify. */
  'policy-signer-counterparty-signature',
  /** A revealed counterparty per-commitment secret does not match its point or the secrets received before. */
  'policy-signer-revocation-secret',
  /** A gossip message, invoice or message to sign is not about this node or its channels. */
  'policy-signer-own-identity',
  /** The device refused or failed, or the signer's storage failed: nothing was signed or stored. */
  'policy-signer-internal',
] as const;
export type SignerCheckId = (typeof SIGNER_CHECK_IDS)[number];

export class SignerError extends Error {
  override readonly name = 'SignerError';
  constructor(
    readonly code: SignerErrorCode,
    message: string,
    /** Rule or signer-check ids the audit line records as violations (at least one). */
    readonly violations: readonly string[],
  ) {
    super(message);
  }
}

/** A malformed field: `channel_id: expected 32 bytes, got 3`. */
export function invalidArgument(field: string, detail: string, check: SignerCheckId = 'policy-signer-request-valid'): SignerError {
  return new SignerError('invalid-argument', `${field}: ${detail}`, [check]);
}

/** An unknown channel or commitment: `channel: no channel with this id`. */
export function notFound(field: string, detail: string): SignerError {
  return new SignerError('not-found', `${field}: ${detail}`, ['policy-signer-channel-known']);
}

/** A signer check that is not about one field: `policy-signer-channel-state: ...`. */
export function precondition(check: SignerCheckId, detail: string): SignerError {
  return new SignerError('failed-precondition', `${check}: ${detail}`, [check]);
}

/** The policy refused: the message lists every violated rule as `<rule id>: <detail>`. */
export function policyRefusal(violations: readonly Finding[]): SignerError {
  if (violations.length === 0) throw new Error('policyRefusal needs at least one violation');
  const message = violations.map((v) => `${v.id}: ${v.detail}`).join('; ');
  return new SignerError('failed-precondition', message, [...new Set(violations.map((v) => v.id))]);
}

/** Device or storage trouble. The message never carries key material. */
export function internalError(detail: string): SignerError {
  return new SignerError('internal', `policy-signer-internal: ${detail}`, ['policy-signer-internal']);
}
