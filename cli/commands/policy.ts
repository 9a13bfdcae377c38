// `vigil policy check FILE`: is this policy file valid? Exit 0 with "ok" and a summary, or
// exit 1 listing every error with its key path.
// `vigil policy explain [FILE]`: every rule in plain words with its mode and values, grouped
// by area, for an auditor. Without FILE it explains the defaults.

import { readFileSync } from 'node:fs';
import { fail, type Command } from '../command.js';
import { defaultPolicyConfig, explainPolicy, formatConfigError, parsePolicyConfig, summarizePolicy } from '../../policy/index.js';
import type { PolicyConfig } from '../../policy/index.js';

const USAGE = 'check FILE | explain [FILE]';

/** Reads and parses FILE; prints its errors and returns null if it is not a valid policy. */
function load(sub: string, file: string): PolicyConfig | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    fail(`policy ${sub}`, `cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    return null;
  }
  const result = parsePolicyConfig(text);
  if (!result.ok) {
    for (const e of result.errors) process.stderr.write(`${file}: ${formatConfigError(e)}\n`);
    fail(`policy ${sub}`, `${file}: ${result.errors.length} error${result.errors.length === 1 ? '' : 's'}, policy not valid`);
    return null;
  }
  return result.config;
}

export const command: Command = {
  summary: 'check a signer policy file, or explain its rules in plain words',
  usage: USAGE,
  async run(args) {
    const [sub, file, ...extra] = args;
    if (extra.length > 0) return fail('policy', `unexpected argument "${extra[0]}" (usage: vigil policy ${USAGE})`);
    switch (sub) {
      case 'check': {
        if (file === undefined) return fail('policy check', 'missing FILE (usage: vigil policy check FILE)');
        const config = load('check', file);
        if (config === null) return 1;
        process.stdout.write(`ok: ${file}\n${summarizePolicy(config).replace(/^/gm, '  ')}\n`);
        return 0;
      }
      case 'explain': {
        const config = file === undefined ? defaultPolicyConfig() : load('explain', file);
        if (config === null) return 1;
        process.stdout.write(explainPolicy(config, file ?? '(none: built-in defaults)') + '\n');
        return 0;
      }
      default:
        return fail('policy', sub === undefined
          ? `missing subcommand (usage: vigil policy ${USAGE})`
          : `unknown subcommand "${sub}" (usage: vigil policy ${USAGE})`);
    }
  },
};
