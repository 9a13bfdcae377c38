import type { Command } from '../command.js';
import { fail } from '../command.js';
import { decodeInvoice, invoiceSummary } from '../../bolt/bolt11/index.js';

// `vigil decode <bolt11-invoice>`: one JSON object on stdout, or one line on stderr and exit 1.
export const command: Command = {
  summary: 'decode and check a BOLT 11 invoice, print it as JSON',
  usage: '<bolt11-invoice>',
  async run(args) {
    if (args.length !== 1) return fail('decode', `expected one invoice argument, got ${args.length}`);
    let summary;
    try {
      summary = invoiceSummary(decodeInvoice(args[0]!));
    } catch (e) {
      return fail('decode', `invalid invoice: ${(e as Error).message}`);
    }
    process.stdout.write(JSON.stringify(summary) + '\n');
    return 0;
  },
};
