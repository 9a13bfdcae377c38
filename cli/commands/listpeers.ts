// `vigil listpeers`: connected peers, and remembered ones we are reconnecting to.
import { defineNodeCommand } from '../node-api.js';

export const command = defineNodeCommand({
  name: 'listpeers',
  summary: 'the peers the node is connected to, and remembered ones it reconnects to (JSON)',
  usage: '',
  request: () => ({ method: 'ListPeers', request: {} }),
});
