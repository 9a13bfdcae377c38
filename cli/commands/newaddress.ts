// `vigil newaddress`: a new on-chain address of the node's wallet (issued by its signer).
import { defineNodeCommand } from '../node-api.js';

export const command = defineNodeCommand({
  name: 'newaddress',
  summary: "a new on-chain address of the node's wallet, issued by its signer",
  usage: '',
  request: () => ({ method: 'NewAddress', request: {} }),
});
