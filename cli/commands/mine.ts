// `vigil mine <blocks> [--address A]`: regtest only: the node has its chain mine blocks, paying the
// coinbase to a new address of the node's wallet (or to --address).
import { defineNodeCommand, uintArg } from '../node-api.js';
import { MAX_MINE_BLOCKS } from '../../node/daemon/api.js';

export const command = defineNodeCommand({
  name: 'mine',
  summary: "regtest: mine blocks, the coinbase paying the node's wallet (or --address)",
  usage: '<blocks> [--address ADDRESS]',
  options: { address: { type: 'string' } },
  positionals: { min: 1, max: 1 },
  deadlineMs: 600_000,
  request(values, [blocks]) {
    return {
      method: 'Mine',
      request: { blocks: Number(uintArg(blocks, 'blocks', { min: 1n, max: BigInt(MAX_MINE_BLOCKS) })), address: (values['address'] as string | undefined) ?? '' },
    };
  },
});
