// `vigil invoice <amount_msat|any> [--description T] [--expiry S]`: a BOLT 11 invoice signed by the signer.
import { defineNodeCommand, uintArg } from '../node-api.js';

export const command = defineNodeCommand({
  name: 'invoice',
  summary: 'create a BOLT 11 invoice (signed by the signer) to be paid to this node',
  usage: '<amount_msat|any> [--description TEXT] [--expiry SECONDS]',
  options: { description: { type: 'string' }, expiry: { type: 'string' } },
  positionals: { min: 1, max: 1 },
  request(values, [amount]) {
    return {
      method: 'CreateInvoice',
      request: {
        amount_msat: amount === 'any' ? '0' : uintArg(amount, 'amount_msat', { min: 1n }),
        description: (values['description'] as string | undefined) ?? '',
        expiry_seconds: values['expiry'] === undefined ? 0 : Number(uintArg(values['expiry'] as string, '--expiry', { min: 1n, max: 0xffffffffn })),
      },
    };
  },
});
