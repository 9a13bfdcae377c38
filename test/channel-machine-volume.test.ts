// 1,000 payments over one channel between two machines (add, commitment_signed and revoke_and_ack
// both ways, fulfill), 50 HTLCs per commitment_signed, every message through the BOLT codec, with a
// stand-in signer. Rates are measured by `npm run bench` (channel-machine), not here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPayments } from './helpers/channel-stub-run.js';

test('1,000 payments in batches of 50 all settle and leave no HTLC behind', () => {
  const run = runPayments(1000, 50);
  assert.equal(run.settled, 1000);
  assert.equal(run.alice.commitments.localCommit.spec.htlcs.length, 0);
  assert.ok(run.processCalls > 1000);
});
