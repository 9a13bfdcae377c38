// A rule is data (id, area, plain-words summary, parameters, which requests it applies to)
// plus a small pure check. A check reports a broken rule with one call naming the id and
// the numbers: `violation(ctx, 'policy-commitment-fee-range', 'feerate 90000 sat/kw above max 50000')`.

import type { Area, RuleId } from './ids.js';
import type { LimitKey, Limits } from './limits.js';
import type { ParamSpecs, ParamValue, ParamValues } from './params.js';
import type { PolicyRequest, RequestKind, RequestOfKind } from './request.js';
import type { PolicyState } from './state.js';

/** `enforce`: a violation refuses the request. `warn`: it is reported and the request goes on. */
export type RuleMode = 'enforce' | 'warn';

/** What the checks read from the parsed config. */
export interface RuleInputs {
  readonly limits: Limits;
}

export interface Finding {
  readonly id: RuleId;
  readonly detail: string;
}

export interface ApprovalNeeded {
  /** The rule that asks for approval. */
  readonly id: RuleId;
  /** Why, with the numbers (for logs and the operator API). */
  readonly reason: string;
  /** Short text for a hardware wallet's screen. */
  readonly text: string;
}

/** Collects what one rule reports during one evaluation. */
export interface RuleReport {
  readonly ruleId: RuleId;
  readonly mode: RuleMode;
  readonly violations: Finding[];
  readonly warnings: Finding[];
  approval: ApprovalNeeded | undefined;
}

export interface RuleContext {
  readonly config: RuleInputs;
  readonly state: PolicyState;
  /** Unix milliseconds, handed in by the caller. */
  readonly now: number;
  readonly report: RuleReport;
}

/** Thrown when a check reports under an id that is not its own: a programming error. */
export class RuleIdMismatchError extends Error {
  constructor(expected: RuleId, got: RuleId) {
    super(`rule ${expected} reported a finding under id ${got}`);
    this.name = 'RuleIdMismatchError';
  }
}

/** Reports that `id` is broken; in warn mode it becomes a warning. */
export function violation(ctx: RuleContext, id: RuleId, detail: string): void {
  const r = ctx.report;
  if (id !== r.ruleId) throw new RuleIdMismatchError(r.ruleId, id);
  (r.mode === 'warn' ? r.warnings : r.violations).push({ id, detail });
}

/** Asks for a person's approval before the request may go on; in warn mode it becomes a warning. */
export function approvalNeeded(ctx: RuleContext, id: RuleId, reason: string, text: string): void {
  const r = ctx.report;
  if (id !== r.ruleId) throw new RuleIdMismatchError(r.ruleId, id);
  if (r.mode === 'warn') r.warnings.push({ id, detail: `would need approval: ${reason}` });
  else r.approval ??= { id, reason, text };
}

/** A rule with its parameter types erased, as the registry holds it. */
export interface Rule {
  readonly id: RuleId;
  readonly area: Area;
  /** What the rule guarantees, in plain words for an auditor. */
  readonly summary: string;
  readonly applies: readonly RequestKind[];
  /** Parameters under `rules.<key>` in the config file. */
  readonly params: ParamSpecs;
  /** Shared amounts it reads from `limits:`. */
  readonly limits: readonly LimitKey[];
  /** True if the signer's allowlist decides what this rule accepts. */
  readonly usesAllowlist: boolean;
  check(ctx: RuleContext, request: PolicyRequest, params: Readonly<Record<string, ParamValue>>): void;
}

export interface RuleSpec<K extends RequestKind, P extends ParamSpecs> {
  readonly id: RuleId;
  readonly area: Area;
  readonly summary: string;
  readonly applies: readonly K[];
  readonly params: P;
  readonly limits?: readonly LimitKey[];
  readonly usesAllowlist?: boolean;
  readonly check: (ctx: RuleContext, request: RequestOfKind<K>, params: ParamValues<P>) => void;
}

/** Declares a rule; its check receives the request narrowed to the kinds it applies to. */
export function defineRule<const K extends RequestKind, const P extends ParamSpecs>(spec: RuleSpec<K, P>): Rule {
  const applies: readonly RequestKind[] = spec.applies;
  return Object.freeze({
    id: spec.id,
    area: spec.area,
    summary: spec.summary,
    applies,
    params: spec.params,
    limits: spec.limits ?? [],
    usesAllowlist: spec.usesAllowlist ?? false,
    check(ctx: RuleContext, request: PolicyRequest, params: Readonly<Record<string, ParamValue>>): void {
      if (!applies.includes(request.kind)) {
        throw new Error(`rule ${spec.id} does not apply to ${request.kind}`);
      }
      spec.check(ctx, request as RequestOfKind<K>, params as ParamValues<P>);
    },
  });
}
