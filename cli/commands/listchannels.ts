// `vigil listchannels`: the node's channels and their balances.
import { defineNodeCommand } from '../node-api.js';

export const command = defineNodeCommand({
  name: 'listchannels',
  summary: "the node's channels, their states and balances (JSON)",
  usage: '',
  request: () => ({ method: 'ListChannels', request: {} }),
});
