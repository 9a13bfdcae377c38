// The counterparty's commitments (DESIGN invariant 3; BOLT 2 §Committing Updates So Far).
//
// SignCounterpartyCommitment rebuilds their commitment N with THEIR per-commitment point, runs the policy
// (N is the next number or a retry of the current one; N-2 was revoked with a secret the signer checked),
// signs the commitment with our funding key and each HTLC transaction with our HTLC basepoint key tweaked
// for their point (SIGHASH_SINGLE|ANYONECANPAY under option_anchors), and stores it: every number is kept,
// because a justice transaction against an old one needs its outputs. A retry with identical content
// (same balances, HTLCs and point) is signed again; different content under a signed number is refused.
//
// ValidateCounterpartyRevocation checks a revealed secret against the point their commitment was built
// with and inserts it into the shachain store (BOLT 3 §Efficient Per-commitment Secret Storage), which
// refuses a secret out of order or not from the same seed as the earlier ones.
import { equal } from '../../bolt/bytes.js';
import {
  buildHtlcTransactions,
  commitmentSighash,
  htlcRemoteSighashType,
  htlcSighash,
  indexFromCommitmentNumber,
  ShachainError,
  ShachainStore,
} from '../../bolt/bolt3/index.js';
import { secp } from '../../bolt/crypto/secp256k1.js';
import type { SignCounterpartyCommitment } from '../../policy/index.js';
import { internalError, invalidArgument, SignerError } from '../errors.js';
import type { CounterpartyCommitmentRecord } from '../store/records.js';
import type { LiveChannel } from './channels.js';
import { balancesFromOurSide, buildCounterpartyCommitment, commitmentAmounts, contentHash, readCommitmentInfo } from './commitments.js';
import type { Handler, ServiceContext } from './context.js';
import { addTweak, channelPath, signAll } from './device-ops.js';
import { bytes, channelRef, commitmentNumber, out, point, requestObject } from './fields.js';
import { requireOpen } from './guards.js';
import { offeredHashes } from './holder.js';
import { enforceCommitment } from './policy-bridge.js';
import { progressOf } from './progress.js';

/** Counterparty commitment `n` we signed: in memory while unrevoked, else from the store. */
export function counterpartyCommitment(ctx: ServiceContext, ch: LiveChannel, n: number): CounterpartyCommitmentRecord | undefined {
  if (n < 0 || n >= ch.record.nextCounterpartyNumber) return undefined;
  return ch.counterpartyCommitments.get(n) ?? ctx.store.getCounterpartyCommitment(ch.record.rowId, n);
}

export const signCounterpartyCommitment: Handler = async (ctx, request, audit) => {
  const req = requestObject(request);
  const ch = ctx.channels.get(channelRef(req));
  audit.channelId = ch.displayId;
  const setup = ch.requireSetup('SignCounterpartyCommitment');
  requireOpen(ch, 'SignCounterpartyCommitment');
  const info = readCommitmentInfo(req);
  const n = info.number;
  audit.commitmentNumber = n;
  const theirPoint = point(req, 'per_commitment_point');
  if (n === 0 && !equal(theirPoint, setup.counterpartyFirstPoint)) {
    throw invalidArgument('per_commitment_point', 'commitment 0 must use the first_per_commitment_point given to SetupChannel');
  }
  const balances = balancesFromOurSide(info, 'counterparty');
  audit.amountsMsat = commitmentAmounts(balances);

  const { record } = ch;
  const hash = contentHash(info, theirPoint);
  const seen = counterpartyCommitment(ctx, ch, n);
  const previous = counterpartyCommitment(ctx, ch, n - 1);
  const policyRequest: SignCounterpartyCommitment = {
    kind: 'sign-counterparty-commitment',
    channel: ch.facts(setup),
    commitmentNumber: n,
    feeratePerKw: info.feeratePerKw,
    ...balances,
    previous: previous ? balancesFromOurSide(previous.info, 'counterparty') : null,
    blockHeight: ctx.chain.height,
    channelClosing: ch.closing,
    sameNumberSeen: seen === undefined ? 'never' : equal(seen.contentHash, hash) ? 'identical' : 'different',
    nextCounterpartyCommitmentNumber: record.nextCounterpartyNumber,
    highestRevokedCounterpartyCommitment: record.revokedCounterpartyThrough,
  };
  const hashes = offeredHashes(info, 'counterparty');

  let commitment;
  try {
    commitment = buildCounterpartyCommitment(ch, setup, info, theirPoint);
  } catch (e) {
    if (e instanceof SignerError) enforceCommitment(ctx, ch, policyRequest, hashes);
    throw e;
  }
  audit.txid = commitment.txid;
  const warnings = enforceCommitment(ctx, ch, policyRequest, hashes);

  const htlcType = htlcRemoteSighashType(setup.channelType);
  const htlcPath = channelPath(ctx, ch, 'htlc');
  // BOLT 3: remote_htlcpubkey of their commitment = our htlc_basepoint tweaked with their point.
  const tweak = addTweak(theirPoint, ch.record.holder.htlcBasepoint);
  // The commitment signature and every HTLC signature in one device round trip (SIGN_BATCH).
  const [signature, ...htlcSignatures] = await signAll(ctx, [
    { path: channelPath(ctx, ch, 'funding'), digest: commitmentSighash(commitment) },
    ...buildHtlcTransactions(commitment).map((tx) => ({ path: htlcPath, digest: htlcSighash(tx, htlcType), tweak })),
  ]);

  const response = { signature: out(signature), htlc_signatures: htlcSignatures.map(out) };
  if (policyRequest.sameNumberSeen === 'identical') {
    return { response, reason: `counterparty commitment ${n} signed again (retry, identical)`, warnings };
  }
  const stored: CounterpartyCommitmentRecord = { info, perCommitmentPoint: theirPoint, txid: commitment.txid, contentHash: hash };
  const progress = progressOf(record, { nextCounterpartyNumber: n + 1 });
  return {
    response,
    reason: `counterparty commitment ${n} signed with ${htlcSignatures.length} HTLC signatures`,
    warnings,
    persist: () => {
      ctx.store.putCounterpartyCommitment(record.rowId, stored);
      ctx.store.updateProgress(record.rowId, progress);
    },
    commit: () => {
      ch.record = { ...ch.record, ...progress };
      ch.counterpartyCommitments.set(n, stored);
    },
  };
};

export const validateCounterpartyRevocation: Handler = async (ctx, request, audit) => {
  const req = requestObject(request);
  const ch = ctx.channels.get(channelRef(req));
  audit.channelId = ch.displayId;
  ch.requireSetup('ValidateCounterpartyRevocation');
  const n = commitmentNumber(req, 'commitment_number');
  audit.commitmentNumber = n;
  const secret = bytes(req, 'per_commitment_secret', '', 32);
  if (!secp.isValidPrivateKey(secret)) throw invalidArgument('per_commitment_secret', 'is not a valid secp256k1 scalar', 'policy-signer-revocation-secret');
  const { record } = ch;
  if (n + 1 >= record.nextCounterpartyNumber) {
    throw invalidArgument('commitment_number', `counterparty commitment ${n + 1} is not signed yet, so ${n} cannot be revoked`, 'policy-signer-revocation-secret');
  }
  const signed = counterpartyCommitment(ctx, ch, n);
  if (signed === undefined) throw internalError(`counterparty commitment ${n} is missing from the store`);
  if (!equal(secp.publicKey(secret), signed.perCommitmentPoint)) {
    throw invalidArgument('per_commitment_secret', `does not match the per-commitment point of counterparty commitment ${n}`, 'policy-signer-revocation-secret');
  }
  const index = indexFromCommitmentNumber(BigInt(n));
  const known = ch.shachain.get(index);
  if (known !== undefined) {
    if (!equal(known, secret)) throw invalidArgument('per_commitment_secret', `differs from the secret already received for commitment ${n}`, 'policy-signer-revocation-secret');
    return { response: {}, reason: `counterparty revocation of commitment ${n} received again (retry)` };
  }
  const shachain = ShachainStore.deserialize(ch.shachain.serialize());
  try {
    shachain.insert(index, secret);
  } catch (e) {
    if (e instanceof ShachainError) throw invalidArgument('per_commitment_secret', e.message, 'policy-signer-revocation-secret');
    throw e;
  }
  const progress = progressOf(record, { revokedCounterpartyThrough: n, counterpartySecrets: shachain.serialize() });
  return {
    response: {},
    reason: `counterparty commitment ${n} revoked: secret matches its point and the shachain`,
    persist: () => ctx.store.updateProgress(record.rowId, progress),
    commit: () => {
      ch.record = { ...ch.record, ...progress };
      ch.shachain = shachain;
      ch.dropRevoked();
    },
  };
};
