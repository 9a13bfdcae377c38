// `vigil openchannel <node_id> <amount_sat>`: open a channel to a connected peer, funded by the wallet.
import { defineNodeCommand, hexArg, uintArg, UsageError } from '../node-api.js';

export const command = defineNodeCommand({
  name: 'openchannel',
  summary: 'open a channel to a connected peer, funded from the on-chain wallet',
  usage: '<node_id> <amount_sat> [--push-msat N] [--channel-type anchors|static_remotekey] [--feerate SAT_PER_VBYTE]',
  options: { 'push-msat': { type: 'string' }, 'channel-type': { type: 'string' }, feerate: { type: 'string' } },
  positionals: { min: 2, max: 2 },
  deadlineMs: 300_000,
  request(values, [nodeId, amount]) {
    const type = values['channel-type'] as string | undefined;
    if (type !== undefined && type !== 'anchors' && type !== 'static_remotekey') throw new UsageError(`--channel-type must be anchors or static_remotekey, got "${type}"`);
    return {
      method: 'OpenChannel',
      request: {
        node_id: hexArg(nodeId, 'node_id', 33),
        amount_sat: uintArg(amount, 'amount_sat', { min: 1n }),
        push_msat: values['push-msat'] === undefined ? '0' : uintArg(values['push-msat'] as string, '--push-msat'),
        channel_type: type ?? '',
        feerate_sat_per_vbyte: values['feerate'] === undefined ? '0' : uintArg(values['feerate'] as string, '--feerate', { min: 1n }),
      },
    };
  },
});
