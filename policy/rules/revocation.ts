// Revoking our previous commitment (DESIGN invariant 2; BOLT 2 §Completing the Transition
// to the Updated State): a released secret lets the counterparty take everything in that
// commitment, so it goes out only when a newer commitment is safely ours.

import { defineRule, violation } from '../rule.js';

export const revokeNewCommitmentSigned = defineRule({
  id: 'policy-revoke-new-commitment-signed',
  area: 'revocation',
  summary: 'The secret of holder commitment N is released only after the counterparty\'s signatures on commitment N+1 were validated.',
  applies: ['revoke-holder-commitment'],
  params: {},
  check(ctx, r) {
    const n = r.commitmentNumber;
    if (r.nextHolderCommitmentNumber < n + 2) {
      violation(ctx, 'policy-revoke-new-commitment-signed',
        `holder commitment ${n + 1} is not validated yet (next to validate: ${r.nextHolderCommitmentNumber}), so ${n} cannot be revoked`);
    }
  },
});

export const revokeNotTwice = defineRule({
  id: 'policy-revoke-not-twice',
  area: 'revocation',
  summary: 'A holder commitment is revoked once; a request to revoke it again is refused.',
  applies: ['revoke-holder-commitment'],
  params: {},
  check(ctx, r) {
    const revoked = r.highestRevokedHolderCommitment;
    if (revoked !== null && r.commitmentNumber <= revoked) {
      violation(ctx, 'policy-revoke-not-twice',
        `holder commitment ${r.commitmentNumber} is already revoked (secrets released through ${revoked})`);
    }
  },
});

export const revokeInOrder = defineRule({
  id: 'policy-revoke-in-order',
  area: 'revocation',
  summary: 'Holder commitments are revoked in order, none skipped.',
  applies: ['revoke-holder-commitment'],
  params: {},
  check(ctx, r) {
    const expected = (r.highestRevokedHolderCommitment ?? -1) + 1;
    if (r.commitmentNumber > expected) {
      violation(ctx, 'policy-revoke-in-order', `revoking holder commitment ${r.commitmentNumber} would skip ${expected}`);
    }
  },
});

export const revokeNotClosed = defineRule({
  id: 'policy-revoke-not-closed',
  area: 'revocation',
  summary: 'No secret is released once a mutual close or a force close was signed: the commitment we may broadcast must stay unrevoked.',
  applies: ['revoke-holder-commitment'],
  params: {},
  check(ctx, r) {
    if (r.channelClosing) {
      violation(ctx, 'policy-revoke-not-closed', `channel is closing: holder commitment ${r.commitmentNumber} stays unrevoked`);
    }
  },
});
