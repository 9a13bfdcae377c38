// Plain-words views of a parsed policy for people: a one-paragraph summary and the full
// explanation an auditor reads (every rule, grouped by area, with its mode and values).

import { AREAS, ruleKey, type Area } from './ids.js';
import { LIMITS } from './limits.js';
import { formatParam, type ParamSpec, type ParamValue } from './params.js';
import type { PolicyConfig } from './config.js';
import { RULES } from './rules/index.js';

function wrap(text: string, indent: string, width = 88): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(indent + line);
  return lines;
}

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** A few lines: what `vigil policy check` prints for a good file. */
export function summarizePolicy(config: PolicyConfig): string {
  const warn = RULES.filter((r) => config.rules[r.id].mode === 'warn').map((r) => r.id);
  const lines = [
    `network ${config.network}; ${plural(RULES.length, 'rule')}: ${RULES.length - warn.length} enforce, ${warn.length} warn`,
    `allowlist: ${plural(config.allowlist.addresses.length, 'address', 'addresses')}, ${plural(config.allowlist.xpubs.length, 'xpub')}`,
    `daily limit ${formatParam(LIMITS.daily, config.limits.daily)}, approval above ${formatParam(LIMITS.approval_threshold, config.limits.approval_threshold)}`,
    `${plural(config.explicit.size, 'key')} set in the file, every other value is a default`,
  ];
  if (warn.length > 0) lines.push(`warn only: ${warn.join(', ')}`);
  return lines.join('\n');
}

function valueLines(path: string, spec: ParamSpec, value: ParamValue, config: PolicyConfig, indent: string): string[] {
  const set = config.explicit.has(path);
  const isDefault = value === spec.default;
  const origin = !set ? 'default' : isDefault ? 'set in the file, same as the default' : `set in the file; default ${formatParam(spec, spec.default)}`;
  return [
    `${indent}${path} = ${formatParam(spec, value)}  (${origin})`,
    ...wrap(spec.summary, `${indent}    `),
    ...wrap(`why the default: ${spec.reason}`, `${indent}    `),
  ];
}

/** Every active rule in plain words with its parameters and mode, grouped by area. */
export function explainPolicy(config: PolicyConfig, source?: string): string {
  const out: string[] = [];
  out.push('Vigil signer policy');
  if (source !== undefined) out.push(`  file: ${source}`);
  out.push(`  network: ${config.network}${config.explicit.has('network') ? '' : ' (default)'}`);
  if (config.description !== null) out.push(...wrap(`description: ${config.description}`, '  '));
  out.push(...summarizePolicy(config).split('\n').map((l) => `  ${l}`));
  out.push('');
  out.push('Every request the signer receives is checked against the rules below before anything is');
  out.push('signed. A rule in "enforce" mode refuses the request when broken; in "warn" mode it is');
  out.push('reported and the request goes on. Each rule id can be looked up in this list.');
  out.push('');

  out.push('== Allowlist: where funds may go besides the signer\'s own wallet ==');
  if (config.allowlist.addresses.length === 0 && config.allowlist.xpubs.length === 0) {
    out.push('  (empty: closes, sweeps and withdrawals may pay only the signer\'s own wallet or a channel)');
  }
  for (const a of config.allowlist.addresses) out.push(`  address ${a.address}`);
  for (const x of config.allowlist.xpubs) out.push(`  xpub    ${x.xpub}  (any address derived from it)`);
  out.push('');

  out.push('== Limits shared by payment rules ==');
  for (const [key, spec] of Object.entries(LIMITS)) {
    out.push(...valueLines(`limits.${key}`, spec, config.limits[key as keyof typeof LIMITS], config, '  '));
  }
  out.push('');

  for (const area of Object.keys(AREAS) as Area[]) {
    const rules = RULES.filter((r) => r.area === area);
    if (rules.length === 0) continue;
    out.push(`== ${AREAS[area]} ==`);
    out.push('');
    for (const rule of rules) {
      const settings = config.rules[rule.id];
      const modeText = settings.mode === 'enforce' ? 'enforce' : 'WARN ONLY (reported, not refused)';
      const modeSet = config.explicit.has(`rules.${ruleKey(rule.id)}.mode`) ? ', set in the file' : '';
      out.push(`${rule.id}  [${modeText}${modeSet}]`);
      out.push(...wrap(rule.summary, '    '));
      out.push(`    applies to: ${rule.applies.join(', ')}`);
      for (const [key, spec] of Object.entries(rule.params)) {
        out.push(...valueLines(`rules.${ruleKey(rule.id)}.${key}`, spec, settings.params[key]!, config, '    '));
      }
      for (const key of rule.limits) {
        out.push(`    uses limits.${key} = ${formatParam(LIMITS[key], config.limits[key])}`);
      }
      if (rule.usesAllowlist) {
        const a = config.allowlist;
        out.push(`    uses the allowlist (${plural(a.addresses.length, 'address', 'addresses')}, ${plural(a.xpubs.length, 'xpub')})`);
      }
      out.push('');
    }
  }
  return out.join('\n');
}
