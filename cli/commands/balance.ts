// `vigil balance`: the on-chain wallet balance (confirmed, immature coinbase, unconfirmed).
import { defineNodeCommand } from '../node-api.js';

export const command = defineNodeCommand({
  name: 'balance',
  summary: "the node's on-chain wallet balance: confirmed, immature, unconfirmed, total (sat)",
  usage: '',
  request: () => ({ method: 'Balance', request: {} }),
});
