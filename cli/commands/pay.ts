// `vigil pay <invoice> [--amount-msat N] [--max-fee-msat N] [--timeout S]`: pay a BOLT 11 invoice.
import { defineNodeCommand, uintArg, UsageError } from '../node-api.js';

export const command = defineNodeCommand({
  name: 'pay',
  summary: 'pay a BOLT 11 invoice (to a direct peer for now); waits for the outcome',
  usage: '<invoice> [--amount-msat N] [--max-fee-msat N] [--timeout SECONDS]',
  options: { 'amount-msat': { type: 'string' }, 'max-fee-msat': { type: 'string' }, timeout: { type: 'string' } },
  positionals: { min: 1, max: 1 },
  deadlineMs: 300_000,
  request(values, [invoice]) {
    if (!/^ln[a-z0-9]+$/i.test(invoice!)) throw new UsageError(`expected a BOLT 11 invoice (ln...), got "${invoice!.slice(0, 40)}"`);
    return {
      method: 'Pay',
      request: {
        invoice,
        amount_msat: values['amount-msat'] === undefined ? '0' : uintArg(values['amount-msat'] as string, '--amount-msat', { min: 1n }),
        max_fee_msat: values['max-fee-msat'] === undefined ? '0' : uintArg(values['max-fee-msat'] as string, '--max-fee-msat'),
        timeout_seconds: values['timeout'] === undefined ? 0 : Number(uintArg(values['timeout'] as string, '--timeout', { min: 1n, max: 3600n })),
      },
    };
  },
});
