// The policy file: YAML, checked by hand against a schema built from the rule
// declarations, so every key is known, typed and ranged, and each error names its key path.
// Parsing takes the file's text; reading the file is the caller's business.

import { parseDocument } from 'yaml';
import { addressToScriptHex, AllowlistEntryError, checkXpub, NETWORKS, type Network } from './address.js';
import { RULE_IDS, ruleKey, type RuleId } from './ids.js';
import { LIMITS, type Limits } from './limits.js';
import { formatParam, MAX_MONEY_MSAT, parseAmount, type ParamSpec, type ParamValue } from './params.js';
import type { RuleInputs, RuleMode } from './rule.js';
import { RULES_BY_ID } from './rules/index.js';

export type { Network } from './address.js';

export interface AllowlistedAddress {
  readonly address: string;
  /** The scriptPubKey it pays to, for the signer's output classification. */
  readonly scriptPubKeyHex: string;
}

export interface AllowlistedXpub {
  readonly xpub: string;
  readonly publicKeyHex: string;
}

export interface RuleSettings {
  readonly mode: RuleMode;
  readonly params: Readonly<Record<string, ParamValue>>;
}

export interface PolicyConfig extends RuleInputs {
  readonly version: 1;
  readonly network: Network;
  readonly description: string | null;
  readonly allowlist: {
    readonly addresses: readonly AllowlistedAddress[];
    readonly xpubs: readonly AllowlistedXpub[];
  };
  readonly limits: Limits;
  readonly rules: { readonly [K in RuleId]: RuleSettings };
  /** Key paths the file set; every other value is a default. */
  readonly explicit: ReadonlySet<string>;
}

export interface ConfigError {
  /** Key path, e.g. `rules.commitment-fee-range.max_feerate_per_kw`; `(file)` for the whole file. */
  readonly path: string;
  readonly message: string;
}

export class PolicyConfigError extends Error {
  constructor(readonly errors: readonly ConfigError[]) {
    super(`policy file has ${errors.length} error${errors.length === 1 ? '' : 's'}:\n` + errors.map(formatConfigError).join('\n'));
    this.name = 'PolicyConfigError';
  }
}

export function formatConfigError(e: ConfigError): string {
  return `${e.path}: ${e.message}`;
}

// --- defaults ------------------------------------------------------------------------

/** Every top-level key, with why its default is safe. */
export const TOP_LEVEL_DEFAULTS = {
  version: { default: 1, reason: 'the only format so far' },
  network: { default: 'bitcoin' as Network, reason: 'mainnet is the strictest reading: test addresses in the allowlist are refused' },
  description: { default: null, reason: 'optional text for the people who read the file' },
  allowlist: { default: 'empty', reason: 'nothing outside our own wallet may receive funds until someone lists it' },
} as const;

const DEFAULT_MODE: RuleMode = 'enforce';

function defaultRules(): { [K in RuleId]: RuleSettings } {
  const out = {} as { [K in RuleId]: RuleSettings };
  for (const id of RULE_IDS) {
    const params: Record<string, ParamValue> = {};
    for (const [key, spec] of Object.entries(RULES_BY_ID[id].params)) params[key] = spec.default;
    out[id] = { mode: DEFAULT_MODE, params };
  }
  return out;
}

function defaultLimits(): Limits {
  return { daily: LIMITS.daily.default, approval_threshold: LIMITS.approval_threshold.default };
}

/** The policy a signer runs with when its file sets nothing. */
export function defaultPolicyConfig(network: Network = TOP_LEVEL_DEFAULTS.network.default): PolicyConfig {
  return {
    version: 1,
    network,
    description: null,
    allowlist: { addresses: [], xpubs: [] },
    limits: defaultLimits(),
    rules: defaultRules(),
    explicit: new Set(),
  };
}

// --- parsing -------------------------------------------------------------------------

export type ParseResult = { readonly ok: true; readonly config: PolicyConfig } | { readonly ok: false; readonly errors: readonly ConfigError[] };

/** Parses and checks a policy file's text. Collects every error rather than stopping at the first. */
export function parsePolicyConfig(text: string): ParseResult {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    return { ok: false, errors: doc.errors.map((e) => ({ path: '(file)', message: `YAML: ${e.message.split('\n')[0]!.replace(/:$/, '')}` })) };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    return { ok: false, errors: [{ path: '(file)', message: `YAML: ${(e as Error).message}` }] };
  }
  const c = new Checker();
  const config = c.policy(raw);
  return c.errors.length > 0 ? { ok: false, errors: c.errors } : { ok: true, config };
}

/** Parses a policy file's text or throws PolicyConfigError listing every error. */
export function loadPolicyConfig(text: string): PolicyConfig {
  const r = parsePolicyConfig(text);
  if (!r.ok) throw new PolicyConfigError(r.errors);
  return r.config;
}

type Mapping = Record<string, unknown>;

function isMapping(v: unknown): v is Mapping {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** How a value reads in an error message. */
export function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** The known key closest to `key`, if close enough to be a typo. */
export function closestKey(key: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(key.toLowerCase(), k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  if (best !== null && bestD <= Math.max(2, Math.floor(key.length / 4))) return best;
  // A shortened or lengthened name (`max_feerate` for `max_feerate_per_kw`), if only one fits.
  const lower = key.toLowerCase();
  const partial = known.filter((k) => lower.length >= 4 && (k.startsWith(lower) || lower.startsWith(k)));
  return partial.length === 1 ? partial[0]! : null;
}

class Checker {
  readonly errors: ConfigError[] = [];
  readonly explicit = new Set<string>();

  error(path: string, message: string): void {
    this.errors.push({ path, message });
  }

  /** Reports keys of `m` not in `known`, suggesting the nearest known key. */
  knownKeys(m: Mapping, known: readonly string[], path: string): void {
    for (const key of Object.keys(m)) {
      if (known.includes(key)) continue;
      let guess = closestKey(key, known);
      if (guess === null && key.startsWith('policy-') && known.includes(key.slice(7))) guess = key.slice(7);
      this.error(join(path, key), guess !== null
        ? `unknown key, did you mean ${join(path, guess)}?`
        : `unknown key (known keys here: ${known.join(', ')})`);
    }
  }

  mapping(v: unknown, path: string): Mapping | null {
    if (v === undefined) return null;
    if (!isMapping(v)) {
      this.error(path, `expected a mapping of keys, got ${describe(v)}`);
      return null;
    }
    return v;
  }

  policy(raw: unknown): PolicyConfig {
    const base = defaultPolicyConfig();
    if (raw === null || raw === undefined) return base; // an empty file: every default
    if (!isMapping(raw)) {
      this.error('(file)', `expected a mapping of keys at the top, got ${describe(raw)}`);
      return base;
    }
    this.knownKeys(raw, Object.keys(TOP_LEVEL_DEFAULTS).concat('limits', 'rules'), '');

    if (raw.version !== undefined) {
      this.explicit.add('version');
      if (raw.version !== 1) this.error('version', `expected 1, got ${describe(raw.version)}`);
    }
    let network = base.network;
    if (raw.network !== undefined) {
      this.explicit.add('network');
      if (typeof raw.network === 'string' && (NETWORKS as readonly string[]).includes(raw.network)) network = raw.network as Network;
      else this.error('network', `expected one of ${NETWORKS.join(', ')}, got ${describe(raw.network)}`);
    }
    let description: string | null = null;
    if (raw.description !== undefined) {
      this.explicit.add('description');
      if (typeof raw.description === 'string') description = raw.description;
      else this.error('description', `expected text, got ${describe(raw.description)}`);
    }
    return {
      version: 1,
      network,
      description,
      allowlist: this.allowlist(raw.allowlist, network),
      limits: this.limits(raw.limits),
      rules: this.rules(raw.rules),
      explicit: this.explicit,
    };
  }

  allowlist(v: unknown, network: Network): PolicyConfig['allowlist'] {
    const m = this.mapping(v, 'allowlist');
    if (m === null) return { addresses: [], xpubs: [] };
    this.knownKeys(m, ['addresses', 'xpubs'], 'allowlist');
    const addresses: AllowlistedAddress[] = [];
    for (const [path, text] of this.stringList(m.addresses, 'allowlist.addresses')) {
      try {
        addresses.push({ address: text, scriptPubKeyHex: addressToScriptHex(text, network) });
      } catch (e) {
        this.error(path, e instanceof AllowlistEntryError ? e.message : String(e));
      }
    }
    const xpubs: AllowlistedXpub[] = [];
    for (const [path, text] of this.stringList(m.xpubs, 'allowlist.xpubs')) {
      try {
        xpubs.push({ xpub: text, publicKeyHex: checkXpub(text, network) });
      } catch (e) {
        this.error(path, e instanceof AllowlistEntryError ? e.message : String(e));
      }
    }
    return { addresses, xpubs };
  }

  /** A list of distinct strings; yields [path, value] for each good entry. */
  stringList(v: unknown, path: string): [string, string][] {
    if (v === undefined) return [];
    this.explicit.add(path);
    if (!Array.isArray(v)) {
      this.error(path, `expected a list, got ${describe(v)}`);
      return [];
    }
    const out: [string, string][] = [];
    const seen = new Map<string, number>();
    v.forEach((item, i) => {
      const p = `${path}[${i}]`;
      if (typeof item !== 'string' || item.trim() === '') {
        this.error(p, `expected text, got ${describe(item)}`);
        return;
      }
      const text = item.trim();
      const first = seen.get(text);
      if (first !== undefined) {
        this.error(p, `duplicate of ${path}[${first}]`);
        return;
      }
      seen.set(text, i);
      out.push([p, text]);
    });
    return out;
  }

  limits(v: unknown): Limits {
    const out = { ...defaultLimits() };
    const m = this.mapping(v, 'limits');
    if (m === null) return out;
    this.knownKeys(m, Object.keys(LIMITS), 'limits');
    for (const key of Object.keys(LIMITS) as (keyof Limits)[]) {
      if (m[key] === undefined) continue;
      const value = this.param(LIMITS[key], m[key], `limits.${key}`);
      if (value !== undefined) out[key] = value as bigint;
    }
    return out;
  }

  rules(v: unknown): PolicyConfig['rules'] {
    const out = defaultRules();
    const m = this.mapping(v, 'rules');
    if (m === null) return out;
    const keyToId = new Map<string, RuleId>(RULE_IDS.map((id) => [ruleKey(id), id]));
    this.knownKeys(m, [...keyToId.keys()], 'rules');
    for (const [key, id] of keyToId) {
      if (m[key] === undefined) continue;
      out[id] = this.rule(id, m[key], `rules.${key}`);
    }
    return out;
  }

  rule(id: RuleId, v: unknown, path: string): RuleSettings {
    const specs = RULES_BY_ID[id].params as Readonly<Record<string, ParamSpec>>;
    const settings = defaultRules()[id];
    const m = this.mapping(v, path);
    if (m === null) return settings;
    this.knownKeys(m, ['mode', ...Object.keys(specs)], path);
    let mode = settings.mode;
    if (m.mode !== undefined) {
      this.explicit.add(join(path, 'mode'));
      if (m.mode === 'enforce' || m.mode === 'warn') mode = m.mode;
      else this.error(join(path, 'mode'), `expected "enforce" or "warn", got ${describe(m.mode)}`);
    }
    const params: Record<string, ParamValue> = { ...settings.params };
    const bad = new Set<string>();
    for (const [key, spec] of Object.entries(specs)) {
      if (m[key] === undefined) continue;
      const value = this.param(spec, m[key], join(path, key));
      if (value === undefined) bad.add(key);
      else params[key] = value;
    }
    // min <= max, once both parsed.
    for (const [key, spec] of Object.entries(specs)) {
      const other = spec.notAbove;
      if (other === undefined || bad.has(key) || bad.has(other)) continue;
      if (params[key]! > params[other]!) {
        const at = this.explicit.has(join(path, key)) ? key : other;
        this.error(join(path, at),
          `${key} (${formatParam(spec, params[key]!)}) is above ${other} (${formatParam(specs[other]!, params[other]!)})`);
      }
    }
    return { mode, params };
  }

  /** Checks one value against its declaration; undefined (and an error) when it does not fit. */
  param(spec: ParamSpec, v: unknown, path: string): ParamValue | undefined {
    this.explicit.add(path);
    switch (spec.type) {
      case 'integer': {
        const kind = spec.min >= 1 ? 'a positive integer' : 'a non-negative integer';
        if (typeof v !== 'number' || !Number.isInteger(v)) {
          this.error(path, `expected ${kind}, got ${describe(v)}`);
          return undefined;
        }
        if (v < spec.min) {
          this.error(path, `must be at least ${spec.min}, got ${v}`);
          return undefined;
        }
        if (v > spec.max) {
          this.error(path, `must be at most ${spec.max}, got ${v}`);
          return undefined;
        }
        return v;
      }
      case 'amount': {
        if (typeof v !== 'string') {
          this.error(path, `expected an amount with a unit, like "50000 sat", "0.001 btc" or "2500 msat", got ${describe(v)}`);
          return undefined;
        }
        const msat = parseAmount(v);
        if (typeof msat === 'string') {
          this.error(path, `${msat}, got ${describe(v)}`);
          return undefined;
        }
        if (spec.min !== undefined && msat < spec.min) {
          this.error(path, `must be at least ${formatParam(spec, spec.min)}, got ${v}`);
          return undefined;
        }
        if (msat > MAX_MONEY_MSAT) return undefined; // parseAmount already refuses this
        return msat;
      }
      case 'percent': {
        if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 100 || Math.abs(Math.round(v * 10_000) - v * 10_000) > 1e-6) {
          this.error(path, `expected a percentage from 0 to 100 (at most 4 decimals), got ${describe(v)}`);
          return undefined;
        }
        return v;
      }
      case 'boolean': {
        if (typeof v !== 'boolean') {
          this.error(path, `expected true or false, got ${describe(v)}`);
          return undefined;
        }
        return v;
      }
    }
  }
}
