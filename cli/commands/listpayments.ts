// `vigil listpayments`: payments sent and received, with their outcome.
import { defineNodeCommand } from '../node-api.js';

export const command = defineNodeCommand({
  name: 'listpayments',
  summary: 'payments sent and received by the node, with their status (JSON)',
  usage: '',
  request: () => ({ method: 'ListPayments', request: {} }),
});
