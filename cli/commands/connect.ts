// `vigil connect <pubkey>@<host>[:<port>] [--once]`: connect to a peer (kept and reconnected unless --once).
import { defineNodeCommand, UsageError } from '../node-api.js';

export const command = defineNodeCommand({
  name: 'connect',
  summary: 'connect the node to a peer, <pubkey>@<host>[:<port>] (kept connected unless --once)',
  usage: '<pubkey>@<host>[:<port>] [--once]',
  options: { once: { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  request(values, [address]) {
    if (!/^[0-9a-fA-F]{66}@.+/.test(address!)) throw new UsageError(`expected <66 hex pubkey>@<host>[:<port>], got "${address}"`);
    return { method: 'Connect', request: { address, once: values['once'] === true } };
  },
});
