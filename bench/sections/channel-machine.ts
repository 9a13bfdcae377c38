// The channel state machine's own rate: two machines, a stand-in signer answering at once, every
// message through the BOLT codec. What a node would reach if signing cost nothing.
import { runPayments } from '../../test/helpers/channel-stub-run.js';

export async function run() {
  runPayments(1000, 50); // warm-up: a running node is past the JIT's first pass
  const run = runPayments(1000, 50);
  return {
    payments_per_s: Math.round((run.settled / run.wallMs) * 1000),
    payments_per_cpu_s: Math.round((run.settled / run.cpuMs) * 1000),
    batch: 50,
    signer: 'stand-in (answers at once)',
  };
}
