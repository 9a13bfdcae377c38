// The signer's tamper-evident audit log (README.md beside this file).
export * from './types.js';
export { assertNoSecrets, AuditRedactionError, NON_SECRET_HEX_FIELDS } from './redaction.js';
export { checkLine, hashOfLineText, withoutHashMember, type ChainLink, type LineCheck, type LineProblem } from './chain.js';
export {
  AuditLog,
  AuditLogCorruptError,
  AuditLogLockedError,
  AuditLogWriteError,
  type AuditAppendResult,
  type AuditLogOptions,
} from './writer.js';
export { GroupCommit, type Flush } from './group-commit.js';
export {
  AuditChainVerifier,
  verifyAuditBytes,
  verifyAuditFile,
  type AuditProblem,
  type AuditVerifyOptions,
  type AuditVerifyResult,
} from './verify.js';
