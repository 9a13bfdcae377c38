import type { Command } from '../command.js';
import { fail } from '../command.js';
import { verifyAuditFile } from '../../signer/audit/verify.js';

const USAGE = 'verify <file> [--head <hash>]';

/** A usage mistake: one line on stderr, exit code 2 (1 means "the log does not verify"). */
function usage(message: string): number {
  process.stderr.write(`vigil audit: ${message} (usage: vigil audit ${USAGE})\n`);
  return 2;
}

export const command: Command = {
  summary: 'verify the signer audit log hash chain and name the first bad line',
  usage: USAGE,
  async run(args) {
    const [sub, ...rest] = args;
    if (sub !== 'verify') return usage(sub === undefined ? 'missing subcommand' : `unknown subcommand "${sub}"`);
    let file: string | undefined;
    let expectHead: string | undefined;
    for (let i = 0; i < rest.length; i++) {
      const arg = rest[i]!;
      if (arg === '--head') {
        const value = rest[++i];
        if (value === undefined || !/^[0-9a-f]{64}$/.test(value)) return usage('--head takes 64 lowercase hex digits');
        expectHead = value;
      } else if (arg.startsWith('--')) {
        return usage(`unknown option "${arg}"`);
      } else if (file === undefined) {
        file = arg;
      } else {
        return usage(`unexpected argument "${arg}"`);
      }
    }
    if (file === undefined) return usage('missing <file>');
    let result;
    try {
      result = verifyAuditFile(file, expectHead === undefined ? {} : { expectHead });
    } catch (err) {
      return fail('audit verify', `cannot read ${file}: ${(err as Error).message}`);
    }
    if (!result.ok) return fail('audit verify', `${file}: ${result.message}`);
    process.stdout.write(JSON.stringify({ ok: true, lines: result.lines, head: result.head }) + '\n');
    return 0;
  },
};
