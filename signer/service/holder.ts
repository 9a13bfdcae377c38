// Our own commitments (BOLT 2 §Committing Updates So Far, §Completing the Transition to the Updated State).
//
// ValidateHolderCommitment rebuilds holder commitment N+1 with OUR per-commitment point N+1, runs the
// policy, checks the counterparty's signature against their funding key and each HTLC signature against
// their HTLC key for that point, and stores them, so SignHolderCommitmentForBroadcast can later produce
// the fully signed transaction.
//
// RevokeHolderCommitment releases the secret of N only once N+1 was validated (DESIGN invariant 2).
// Retransmission: BOLT 2 §Message Retransmission makes a node resend its LAST revoke_and_ack after a
// reconnect, so a request to revoke exactly the most recently revoked commitment again is answered with
// the same secret and point (already public to the peer; no state changes; audited as a retry). Any
// other repeat (an older commitment) is refused by policy-revoke-not-twice, and revoking N+1 before
// N+2 is validated by policy-revoke-new-commitment-signed.
import { equal, hex } from '../../bolt/bytes.js';
import { buildHtlcTransactions, commitmentSighash, htlcRemoteSighashType, htlcSighash } from '../../bolt/bolt3/index.js';
import { secp } from '../../bolt/crypto/secp256k1.js';
import type { ValidateHolderCommitment } from '../../policy/index.js';
import { invalidArgument, SignerError } from '../errors.js';
import type { CommitmentInfo, HolderCommitmentRecord } from '../store/records.js';
import type { LiveChannel } from './channels.js';
import { balancesFromOurSide, buildHolderCommitment, commitmentAmounts, contentHash, MAX_HTLCS, readCommitmentInfo } from './commitments.js';
import type { Handler, ServiceContext } from './context.js';
import { holderPoint, holderSecret } from './device-ops.js';
import { bytes, channelRef, commitmentNumber, itemBytes, list, out, requestObject } from './fields.js';
import { enforce, enforceCommitment } from './policy-bridge.js';
import { progressOf } from './progress.js';
import { requireOpen } from './guards.js';

/** Holder commitment `n`: in memory while unrevoked, else from the store (the latest revoked one is kept). */
export function holderCommitment(ctx: ServiceContext, ch: LiveChannel, n: number): HolderCommitmentRecord | undefined {
  if (n < 0) return undefined;
  return ch.holderCommitments.get(n) ?? ctx.store.getHolderCommitment(ch.record.rowId, n);
}

/** Payment hashes of the HTLCs WE offer in a commitment (the ones the routing-balance rule covers). */
export function offeredHashes(info: CommitmentInfo, owner: 'holder' | 'counterparty'): Set<string> {
  const ours = owner === 'holder' ? 'offered' : 'received';
  return new Set(info.htlcs.filter((h) => h.direction === ours).map((h) => hex(h.paymentHash)));
}

export const validateHolderCommitment: Handler = async (ctx, request, audit) => {
  const req = requestObject(request);
  const ch = ctx.channels.get(channelRef(req));
  audit.channelId = ch.displayId;
  const setup = ch.requireSetup('ValidateHolderCommitment');
  requireOpen(ch, 'ValidateHolderCommitment');
  const info = readCommitmentInfo(req);
  audit.commitmentNumber = info.number;
  const signature = bytes(req, 'counterparty_signature', '', 64);
  const sigItems = list(req, 'htlc_signatures', '', MAX_HTLCS);
  const htlcSignatures = sigItems.map((_, i) => itemBytes(sigItems, i, 'htlc_signatures', 64));
  const balances = balancesFromOurSide(info, 'holder');
  audit.amountsMsat = commitmentAmounts(balances);

  const n = info.number;
  const { record } = ch;
  const hash = contentHash(info);
  const seen = n < record.nextHolderNumber ? holderCommitment(ctx, ch, n) : undefined;
  const previous = holderCommitment(ctx, ch, n - 1);
  const policyRequest: ValidateHolderCommitment = {
    kind: 'validate-holder-commitment',
    channel: ch.facts(setup),
    commitmentNumber: n,
    feeratePerKw: info.feeratePerKw,
    ...balances,
    previous: previous ? balancesFromOurSide(previous.info, 'holder') : null,
    blockHeight: ctx.chain.height,
    channelClosing: ch.closing,
    sameNumberSeen: seen === undefined ? 'never' : equal(seen.contentHash, hash) ? 'identical' : 'different',
    nextHolderCommitmentNumber: record.nextHolderNumber,
    highestRevokedHolderCommitment: record.revokedHolderThrough,
  };

  const point = await holderPoint(ctx, ch, n);
  let commitment;
  try {
    commitment = buildHolderCommitment(ch, setup, info, point);
  } catch (e) {
    // A commitment that cannot be built: report the policy's reading of it first, if it has one.
    if (e instanceof SignerError) enforceCommitment(ctx, ch, policyRequest, offeredHashes(info, 'holder'));
    throw e;
  }
  audit.txid = commitment.txid;
  const warnings = enforceCommitment(ctx, ch, policyRequest, offeredHashes(info, 'holder'));

  // BOLT 2 §Receiving commitment_signed: the signature must be valid for our commitment.
  if (!secp.verify(signature, commitmentSighash(commitment), setup.counterparty.fundingPubkey)) {
    throw invalidArgument('counterparty_signature', `does not verify for holder commitment ${n} under the counterparty funding key`, 'policy-signer-counterparty-signature');
  }
  const htlcTxs = buildHtlcTransactions(commitment);
  if (htlcSignatures.length !== htlcTxs.length) {
    throw invalidArgument('htlc_signatures', `holder commitment ${n} has ${htlcTxs.length} HTLC outputs, got ${htlcSignatures.length} signatures`, 'policy-signer-counterparty-signature');
  }
  const remoteType = htlcRemoteSighashType(setup.channelType);
  htlcTxs.forEach((tx, i) => {
    if (!secp.verify(htlcSignatures[i]!, htlcSighash(tx, remoteType), commitment.params.keys.remoteHtlcPubkey)) {
      throw invalidArgument(`htlc_signatures[${i}]`, `does not verify for the HTLC transaction of output ${tx.spent.index} (${tx.htlc.direction} HTLC ${tx.htlc.id})`, 'policy-signer-counterparty-signature');
    }
  });

  // revoke_previous: the revoke_and_ack for commitment n - 1 in the same request (as the node sends it
  // right after; BOLT 2 §Completing the Transition to the Updated State), one round trip instead of two.
  const revokePrevious = req['revoke_previous'] === true;
  if (revokePrevious && n === 0) throw invalidArgument('revoke_previous', 'holder commitment 0 has no previous commitment to revoke');
  const identical = policyRequest.sameNumberSeen === 'identical';
  let revocation: Awaited<ReturnType<typeof holderRevocation>> | null = null;
  if (revokePrevious) revocation = await holderRevocation(ctx, ch, n - 1, identical ? record.nextHolderNumber : n + 1);
  const response = revocation === null ? {} : revocation.response;
  const revokedText = revocation === null ? '' : revocation.repeated ? `; revocation of ${n - 1} repeated` : `; holder commitment ${n - 1} revoked`;
  if (identical && (revocation === null || revocation.repeated)) {
    return { response, reason: `holder commitment ${n} validated again (retry, identical)${revokedText}`, warnings };
  }
  const stored: HolderCommitmentRecord = { info, counterpartySignature: signature, htlcSignatures, txid: commitment.txid, contentHash: hash };
  const progress = progressOf(record, {
    nextHolderNumber: Math.max(record.nextHolderNumber, n + 1),
    ...(revocation !== null && !revocation.repeated ? { revokedHolderThrough: n - 1 } : {}),
  });
  return {
    response,
    reason: `holder commitment ${n} validated with ${htlcTxs.length} HTLC signatures${revokedText}`,
    warnings: [...warnings, ...(revocation?.warnings ?? [])],
    persist: () => {
      if (!identical) ctx.store.putHolderCommitment(record.rowId, stored);
      ctx.store.updateProgress(record.rowId, progress);
      if (revocation !== null && !revocation.repeated) ctx.store.pruneHolderCommitments(record.rowId, n - 1);
    },
    commit: () => {
      ch.record = { ...ch.record, ...progress };
      if (!identical) ch.holderCommitments.set(n, stored);
      if (revocation !== null && !revocation.repeated) ch.dropRevoked();
    },
  };
};

/**
 * The revocation of holder commitment `n` once holder commitments below `nextHolderNumber` are
 * validated: the secret and the point of n + 2, after policy; `repeated` when `n` is the last one
 * revoked (a retransmission: nothing changes, no policy). RevokeHolderCommitment and
 * ValidateHolderCommitment's revoke_previous both come here.
 */
async function holderRevocation(ctx: ServiceContext, ch: LiveChannel, n: number, nextHolderNumber: number) {
  const { record } = ch;
  const setup = ch.requireSetup('RevokeHolderCommitment');
  const repeated = record.revokedHolderThrough !== null && n === record.revokedHolderThrough;
  const warnings = repeated
    ? []
    : enforce(ctx, {
        kind: 'revoke-holder-commitment',
        channelId: hex(setup.channelId),
        commitmentNumber: n,
        nextHolderCommitmentNumber: nextHolderNumber,
        highestRevokedHolderCommitment: record.revokedHolderThrough,
        channelClosing: ch.closing,
      });
  const secret = await holderSecret(ctx, ch, n);
  const next = await holderPoint(ctx, ch, n + 2);
  return { response: { per_commitment_secret: out(secret), next_per_commitment_point: out(next) }, repeated, warnings };
}

export const revokeHolderCommitment: Handler = async (ctx, request, audit) => {
  const req = requestObject(request);
  const ch = ctx.channels.get(channelRef(req));
  audit.channelId = ch.displayId;
  ch.requireSetup('RevokeHolderCommitment');
  const n = commitmentNumber(req, 'commitment_number');
  audit.commitmentNumber = n;
  const { record } = ch;
  const revocation = await holderRevocation(ctx, ch, n, record.nextHolderNumber);
  if (revocation.repeated) {
    // The retransmitted last revoke_and_ack (see the header): the secret is already the peer's.
    return { response: revocation.response, reason: `holder commitment ${n} revocation repeated (retransmission of the last revoke_and_ack)` };
  }
  const progress = progressOf(record, { revokedHolderThrough: n });
  return {
    response: revocation.response,
    reason: `holder commitment ${n} revoked after ${n + 1} was validated`,
    warnings: revocation.warnings,
    persist: () => {
      ctx.store.updateProgress(record.rowId, progress);
      ctx.store.pruneHolderCommitments(record.rowId, n); // keep n: the `previous` of n + 1
    },
    commit: () => {
      ch.record = { ...ch.record, ...progress };
      ch.dropRevoked();
    },
  };
};
