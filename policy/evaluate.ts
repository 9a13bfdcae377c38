// The one entry point: evaluate(request, state, config, now) -> Decision.
// Pure: it reads only its arguments (the clock included) and never throws for a request.

import type { RuleId } from './ids.js';
import type { PolicyConfig } from './config.js';
import type { PolicyRequest } from './request.js';
import type { ApprovalNeeded, Finding, RuleReport } from './rule.js';
import { RULES } from './rules/index.js';
import type { PolicyState } from './state.js';

export interface Decision {
  /** True when no enforced rule was broken and no approval is pending. */
  readonly allowed: boolean;
  /** Broken rules in `enforce` mode: any one refuses the request. */
  readonly violations: readonly Finding[];
  /** Broken rules in `warn` mode: reported, not refusing. */
  readonly warnings: readonly Finding[];
  /** Set when the request may go on only after a person approves it; `allowed` is then false. */
  readonly needsApproval?: ApprovalNeeded;
  /** Every rule that applied to this request, in order. */
  readonly rulesEvaluated: readonly RuleId[];
}

/**
 * Runs every rule that applies to the request's kind and collects what they report.
 * `now` is Unix milliseconds from the caller. A rule that fails to run (a bug) counts as a
 * violation whatever its mode: the policy fails closed.
 */
export function evaluate(request: PolicyRequest, state: PolicyState, config: PolicyConfig, now: number): Decision {
  const violations: Finding[] = [];
  const warnings: Finding[] = [];
  const rulesEvaluated: RuleId[] = [];
  let needsApproval: ApprovalNeeded | undefined;

  for (const rule of RULES) {
    if (!rule.applies.includes(request.kind)) continue;
    rulesEvaluated.push(rule.id);
    // A config built by hand may lack a rule: that rule is enforced and refuses (fail closed).
    const settings = config.rules[rule.id] as (typeof config.rules)[RuleId] | undefined;
    const report: RuleReport = { ruleId: rule.id, mode: settings?.mode ?? 'enforce', violations: [], warnings: [], approval: undefined };
    try {
      if (settings === undefined) throw new Error(`the config has no settings for ${rule.id}`);
      rule.check({ config, state, now, report }, request, settings.params);
    } catch (e) {
      report.violations.push({ id: rule.id, detail: `rule could not be evaluated: ${e instanceof Error ? e.message : String(e)}` });
    }
    violations.push(...report.violations);
    warnings.push(...report.warnings);
    needsApproval ??= report.approval;
  }

  const allowed = violations.length === 0 && needsApproval === undefined;
  return needsApproval === undefined
    ? { allowed, violations, warnings, rulesEvaluated }
    : { allowed, violations, warnings, needsApproval, rulesEvaluated };
}

/** One line per finding, for logs and the audit trail. */
export function describeDecision(d: Decision): string {
  if (d.allowed && d.warnings.length === 0) return `allowed (${d.rulesEvaluated.length} rules)`;
  const lines = [d.allowed ? 'allowed with warnings' : d.needsApproval && d.violations.length === 0 ? 'waiting for approval' : 'refused'];
  for (const v of d.violations) lines.push(`  refused by ${v.id}: ${v.detail}`);
  if (d.needsApproval) lines.push(`  needs approval (${d.needsApproval.id}): ${d.needsApproval.reason}`);
  for (const w of d.warnings) lines.push(`  warning ${w.id}: ${w.detail}`);
  return lines.join('\n');
}
