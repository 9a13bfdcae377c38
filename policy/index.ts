// The policy engine's public surface. The signer builds a PolicyRequest from verified
// facts, hands it with a PolicyState snapshot, the parsed PolicyConfig and the time to
// `evaluate`, and acts on the Decision. Nothing here does I/O.

export { evaluate, describeDecision, type Decision } from './evaluate.js';
export type {
  PolicyRequest,
  RequestKind,
  RequestOfKind,
  Msat,
  Sat,
  Hex,
  ChannelType,
  SideParams,
  ChannelFacts,
  HtlcDirection,
  HtlcFact,
  CommitmentBalances,
  CommitmentFacts,
  SignCounterpartyCommitment,
  ValidateHolderCommitment,
  RevokeHolderCommitment,
  SignHolderCommitmentForBroadcast,
  DestinationClass,
  ClosingOutput,
  SignMutualClose,
  SweepInputKind,
  TxOutputFact,
  SignSweep,
  OnchainOutput,
  SignOnchain,
  SignInvoice,
  ApprovePayment,
  ForwardHtlc,
} from './request.js';
export { REQUEST_KINDS } from './request.js';
export {
  EMPTY_POLICY_STATE,
  VELOCITY_WINDOW_MS,
  approvedInWindow,
  type PolicyState,
  type ApprovedPayment,
  type AllowedForward,
  type OfferedHtlcRecord,
} from './state.js';
export { RULE_IDS, AREAS, ruleKey, type RuleId, type RuleKey, type Area } from './ids.js';
export type { Finding, ApprovalNeeded, RuleMode, Rule } from './rule.js';
export { RULES, RULES_BY_ID } from './rules/index.js';
export {
  parsePolicyConfig,
  loadPolicyConfig,
  defaultPolicyConfig,
  formatConfigError,
  PolicyConfigError,
  type PolicyConfig,
  type ConfigError,
  type ParseResult,
  type RuleSettings,
  type AllowlistedAddress,
  type AllowlistedXpub,
  type Network,
} from './config.js';
export { LIMITS, type Limits, type LimitKey } from './limits.js';
export { explainPolicy, summarizePolicy } from './explain.js';
export { parseAmount, formatMsat } from './params.js';
export { addressToScriptHex, checkXpub, AllowlistEntryError } from './address.js';
