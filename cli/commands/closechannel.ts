// `vigil closechannel <channel_id> [--force] [--feerate N]`: close a channel, mutually unless --force.
import { defineNodeCommand, hexArg, uintArg } from '../node-api.js';

export const command = defineNodeCommand({
  name: 'closechannel',
  summary: 'close a channel: negotiated with the peer, or --force to broadcast our commitment',
  usage: '<channel_id> [--force] [--feerate SAT_PER_VBYTE]',
  options: { force: { type: 'boolean' }, feerate: { type: 'string' } },
  positionals: { min: 1, max: 1 },
  deadlineMs: 300_000,
  request(values, [channelId]) {
    return {
      method: 'CloseChannel',
      request: {
        channel_id: hexArg(channelId, 'channel_id', 32),
        force: values['force'] === true,
        feerate_sat_per_vbyte: values['feerate'] === undefined ? '0' : uintArg(values['feerate'] as string, '--feerate', { min: 1n }),
      },
    };
  },
});
