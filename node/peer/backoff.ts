// Reconnection delays: exponential, capped, with jitter so that many nodes that lost the same peer do
// not all come back in the same instant.

export interface BackoffPolicy {
  /** Delay before the first retry. */
  readonly initialDelayMs: number;
  /** No delay exceeds this. */
  readonly maxDelayMs: number;
  /** Growth per failed attempt (>= 1). */
  readonly multiplier: number;
  /** 0..1: each delay is drawn from [base·(1 − jitter), base]. */
  readonly jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialDelayMs: 1_000, maxDelayMs: 5 * 60_000, multiplier: 2, jitter: 0.5 };

export function checkBackoffPolicy(policy: BackoffPolicy): void {
  const { initialDelayMs, maxDelayMs, multiplier, jitter } = policy;
  if (!(Number.isFinite(initialDelayMs) && initialDelayMs >= 0)) throw new RangeError(`backoff initialDelayMs ${initialDelayMs} must be >= 0`);
  if (!(Number.isFinite(maxDelayMs) && maxDelayMs >= initialDelayMs)) throw new RangeError(`backoff maxDelayMs ${maxDelayMs} must be >= initialDelayMs ${initialDelayMs}`);
  if (!(Number.isFinite(multiplier) && multiplier >= 1)) throw new RangeError(`backoff multiplier ${multiplier} must be >= 1`);
  if (!(jitter >= 0 && jitter <= 1)) throw new RangeError(`backoff jitter ${jitter} must be in 0..1`);
}

/** The un-jittered delay before retry number `attempt` (1-based): initial·multiplier^(attempt−1), capped. */
export function backoffBase(attempt: number, policy: BackoffPolicy): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`backoff attempt ${attempt} must be an integer >= 1`);
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** (attempt - 1));
}

/** The delay before retry `attempt`, jittered by `random()` in [0, 1). */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const base = backoffBase(attempt, policy);
  return Math.round(base * (1 - policy.jitter * random()));
}
