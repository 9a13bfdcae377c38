// `vigil getinfo`: the node's id, network, chain tip, listening addresses and counts.
import { defineNodeCommand } from '../node-api.js';

export const command = defineNodeCommand({
  name: 'getinfo',
  summary: "a running node's id, network, chain tip, addresses and counts (JSON)",
  usage: '',
  request: () => ({ method: 'GetInfo', request: {} }),
});
