// BOLT 5 §On-chain handling: which outputs of the transaction that spent a channel's funding output
// are ours to claim, how (a signer request kind), and from when (a BIP 68 relative delay). Pure: the
// channel as the signer keeps it (ListChannels, read by recovered-reader.ts), our per-commitment
// point of our latest commitment, and the transaction. The scripts and keys come from bolt/bolt3.
//
// Whose transaction it is:
//   - no commitment number in its locktime/sequence: a mutual close, nothing to claim;
//   - our latest commitment (it rebuilds to the same txid): our to_local after to_self_delay
//     (BOLT 5 §Unilateral Close Handling: Local Commitment Transaction);
//   - a commitment of the peer we signed and it did not revoke: our to_remote (after 1 block with
//     option_anchors) (§Unilateral Close Handling: Remote Commitment Transaction);
//   - a commitment of the peer it revoked: every output but ours and the anchors is taken with the
//     revocation key, at once, and our to_remote as above (§Revoked Transaction Close Handling).
// Not claimed, and listed in `left` with the reason: anchors, HTLC outputs, the peer's outputs.
import { equal } from '../../bolt/bytes.js';
import {
  anchorScript,
  buildCommitment,
  commitmentObscuringFactor,
  CommitmentError,
  decodeCommitmentNumber,
  deriveCommitmentKeys,
  p2wpkh,
  p2wsh,
  toLocalDelayedWitness,
  toLocalPenaltyWitness,
  toRemoteAnchorsScript,
  toRemoteAnchorsWitness,
  transactionId,
  type CommitmentTransaction,
  type Transaction,
} from '../../bolt/bolt3/index.js';
import type { RecoveredChannel, RecoveredCommitment } from './restore.js';

/** A DER signature with its sighash byte at its longest: what fee estimates assume (as the signer does). */
export const PLACEHOLDER_SIGNATURE = new Uint8Array(73);
/** Longer than any BOLT 3 HTLC script (about 140 bytes with option_anchors): the witness script of a revoked output we cannot rebuild. */
const LONGEST_REVOKED_SCRIPT = 150;

/** How an output is claimed: SignSweep TO_LOCAL, SignSweep TO_REMOTE, or SignJustice. */
export type ClaimKind = 'to-local' | 'to-remote' | 'justice';

export interface Claim {
  readonly kind: ClaimKind;
  readonly vout: number;
  readonly amountSat: bigint;
  /** Confirmations the closing transaction needs before the output can be spent (BIP 68); 0 when none. */
  readonly csvDelay: number;
  /** The input's witness with PLACEHOLDER_SIGNATURE: what a fee estimate weighs. */
  readonly placeholderWitness: readonly Uint8Array[];
}

/** An output we do not claim, and why. */
export interface LeftOutput {
  readonly vout: number;
  readonly amountSat: bigint;
  readonly why: string;
}

export type ClosingOutputs =
  | { readonly kind: 'mutual' }
  | {
      readonly kind: 'local' | 'remote' | 'revoked';
      /** The commitment number the transaction carries: the signer's requests name it. */
      readonly commitmentNumber: number;
      readonly claims: readonly Claim[];
      readonly left: readonly LeftOutput[];
    }
  /** A commitment we cannot place (a number beyond what the signer holds: we lost state). */
  | { readonly kind: 'unknown'; readonly commitmentNumber: number; readonly reason: string };

function fundingOf(c: RecoveredChannel) {
  // RecoveredChannel keeps the funding txid in internal byte order, as the signer does.
  return { txid: Uint8Array.from(c.fundingTxid).reverse(), vout: c.fundingVout, amountSat: c.fundingSat };
}

function obscuringFactorOf(c: RecoveredChannel): bigint {
  const [opener, accepter] = c.isOpener ? [c.localBasepoints, c.remoteBasepoints] : [c.remoteBasepoints, c.localBasepoints];
  return commitmentObscuringFactor(opener.paymentBasepoint, accepter.paymentBasepoint);
}

/** BOLT 3: our commitment `commit` (owner = us) with our point for it. */
export function holderCommitment(c: RecoveredChannel, commit: RecoveredCommitment, point: Uint8Array): CommitmentTransaction {
  return buildCommitment({
    channelType: c.channelType,
    funding: fundingOf(c),
    obscuringFactor: obscuringFactorOf(c),
    commitmentNumber: BigInt(commit.number),
    ownerIsOpener: c.isOpener,
    toSelfDelay: c.localOutputsDelay,
    dustLimitSat: c.localDustLimitSat,
    feeratePerKw: commit.spec.feeratePerKw,
    toLocalMsat: commit.spec.toLocalMsat,
    toRemoteMsat: commit.spec.toRemoteMsat,
    htlcs: commit.spec.htlcs,
    keys: deriveCommitmentKeys(c.localBasepoints, c.remoteBasepoints, point),
  });
}

/** BOLT 3: the peer's commitment `commit` (owner = them) with their point for it. */
export function counterpartyCommitment(c: RecoveredChannel, commit: RecoveredCommitment, point: Uint8Array): CommitmentTransaction {
  return buildCommitment({
    channelType: c.channelType,
    funding: fundingOf(c),
    obscuringFactor: obscuringFactorOf(c),
    commitmentNumber: BigInt(commit.number),
    ownerIsOpener: !c.isOpener,
    toSelfDelay: c.remoteOutputsDelay,
    dustLimitSat: c.remoteDustLimitSat,
    feeratePerKw: commit.spec.feeratePerKw,
    toLocalMsat: commit.spec.toLocalMsat,
    toRemoteMsat: commit.spec.toRemoteMsat,
    htlcs: commit.spec.htlcs,
    keys: deriveCommitmentKeys(c.remoteBasepoints, c.localBasepoints, point),
  });
}

/** Rebuilds, or null when the spec does not make a valid commitment (a corrupt record is not a match). */
function rebuilt(build: () => CommitmentTransaction): CommitmentTransaction | null {
  try {
    return build();
  } catch (e) {
    if (e instanceof CommitmentError) return null;
    throw e;
  }
}

/** The highest commitment number of the peer's that it revoked (we hold its secret), or -1. */
export function revokedThrough(c: RecoveredChannel): number {
  let through = -1;
  for (const n of c.remoteSecrets.keys()) if (n > through) through = n;
  return through;
}

/** Our output on the peer's commitments: static_remotekey pays our payment_basepoint untweaked (BOLT 3 §to_remote Output). */
function toRemoteClaim(c: RecoveredChannel, vout: number, amountSat: bigint): Claim {
  const ourKey = c.localBasepoints.paymentBasepoint;
  if (c.channelType === 'anchors') {
    // option_anchors: <remotepubkey> OP_CHECKSIGVERIFY 1 OP_CHECKSEQUENCEVERIFY.
    return { kind: 'to-remote', vout, amountSat, csvDelay: 1, placeholderWitness: toRemoteAnchorsWitness(PLACEHOLDER_SIGNATURE, toRemoteAnchorsScript(ourKey)) };
  }
  return { kind: 'to-remote', vout, amountSat, csvDelay: 0, placeholderWitness: [PLACEHOLDER_SIGNATURE, ourKey] };
}

function ourToRemoteScript(c: RecoveredChannel): Uint8Array {
  const ourKey = c.localBasepoints.paymentBasepoint;
  return c.channelType === 'anchors' ? p2wsh(toRemoteAnchorsScript(ourKey)) : p2wpkh(ourKey);
}

/** BOLT 5 §Local Commitment Transaction: our to_local after to_self_delay; HTLCs and anchors left. */
function localOutputs(c: RecoveredChannel, n: number, commitment: CommitmentTransaction): ClosingOutputs {
  const claims: Claim[] = [];
  const left: LeftOutput[] = [];
  for (const o of commitment.outputs) {
    switch (o.kind) {
      case 'to_local':
        claims.push({ kind: 'to-local', vout: o.index, amountSat: o.amountSat, csvDelay: c.localOutputsDelay, placeholderWitness: toLocalDelayedWitness(PLACEHOLDER_SIGNATURE, o.witnessScript) });
        break;
      case 'to_remote':
        left.push({ vout: o.index, amountSat: o.amountSat, why: "the peer's to_remote" });
        break;
      case 'local_anchor':
      case 'remote_anchor':
        left.push({ vout: o.index, amountSat: o.amountSat, why: `${o.kind}: not swept (330 sat, worth less than the fee and the dust limit of its own output)` });
        break;
      case 'htlc':
        left.push({ vout: o.index, amountSat: o.amountSat, why: `${o.htlc.direction} HTLC ${o.htlc.id}: HTLC outputs are not claimed on chain yet` });
        break;
    }
  }
  return { kind: 'local', commitmentNumber: n, claims, left };
}

/** BOLT 5 §Remote Commitment Transaction: our to_remote; the rest is theirs or not claimed yet. */
function remoteOutputs(c: RecoveredChannel, n: number, commitment: CommitmentTransaction): ClosingOutputs {
  const claims: Claim[] = [];
  const left: LeftOutput[] = [];
  for (const o of commitment.outputs) {
    if (o.kind === 'to_remote') claims.push(toRemoteClaim(c, o.index, o.amountSat));
    else if (o.kind === 'htlc') left.push({ vout: o.index, amountSat: o.amountSat, why: `HTLC ${o.htlc.id} the peer ${o.htlc.direction === 'offered' ? 'offered' : 'received'}: HTLC outputs are not claimed on chain yet` });
    else left.push({ vout: o.index, amountSat: o.amountSat, why: o.kind === 'to_local' ? "the peer's to_local" : `${o.kind}: not swept` });
  }
  return { kind: 'remote', commitmentNumber: n, claims, left };
}

/**
 * BOLT 5 §Revoked Transaction Close Handling: our to_remote as usual, the anchors left, every other
 * output (their to_local, the HTLC outputs) to the justice transaction. The signer rebuilds revoked
 * commitment n from its own records and refuses an outpoint that is not its to_local or an HTLC.
 * When the commitment is one we can rebuild here, the witnesses weigh exactly; otherwise an upper bound.
 */
function revokedOutputs(c: RecoveredChannel, n: number, tx: Transaction, commitment: CommitmentTransaction | null): ClosingOutputs {
  const claims: Claim[] = [];
  const left: LeftOutput[] = [];
  const toRemote = ourToRemoteScript(c);
  const anchors = [c.localBasepoints.fundingPubkey, c.remoteBasepoints.fundingPubkey].map((k) => p2wsh(anchorScript(k)));
  const isAnchor = (script: Uint8Array): boolean => anchors.some((a) => equal(a, script));
  tx.outputs.forEach((o, vout) => {
    if (equal(o.script, toRemote)) {
      claims.push(toRemoteClaim(c, vout, o.amountSat));
      return;
    }
    if (c.channelType === 'anchors' && isAnchor(o.script)) {
      left.push({ vout, amountSat: o.amountSat, why: 'anchor: not swept' });
      return;
    }
    const known = commitment?.outputs[vout];
    let placeholderWitness: Uint8Array[];
    if (known?.kind === 'to_local') placeholderWitness = toLocalPenaltyWitness(PLACEHOLDER_SIGNATURE, known.witnessScript);
    else if (known?.kind === 'htlc') placeholderWitness = [PLACEHOLDER_SIGNATURE, new Uint8Array(33), known.witnessScript];
    else placeholderWitness = [PLACEHOLDER_SIGNATURE, new Uint8Array(33), new Uint8Array(LONGEST_REVOKED_SCRIPT)];
    claims.push({ kind: 'justice', vout, amountSat: o.amountSat, csvDelay: 0, placeholderWitness });
  });
  return { kind: 'revoked', commitmentNumber: n, claims, left };
}

/**
 * What the transaction `closing` (which spent the funding output of channel `c`) leaves us to claim.
 * `localPoint` is our per-commitment point of c.localCommit.number (GetPerCommitmentPoint).
 */
export function classifyClosing(c: RecoveredChannel, localPoint: Uint8Array, closing: Transaction): ClosingOutputs {
  let number: bigint;
  try {
    number = decodeCommitmentNumber(closing, obscuringFactorOf(c));
  } catch (e) {
    if (e instanceof CommitmentError) return { kind: 'mutual' };
    throw e;
  }
  const n = Number(number);
  const txid = transactionId(closing);
  // Ours: only our latest commitment can be on chain (the signer signs no other for broadcast).
  if (n === c.localCommit.number) {
    const ours = rebuilt(() => holderCommitment(c, c.localCommit, localPoint));
    if (ours !== null && equal(ours.txid, txid)) return localOutputs(c, n, ours);
  }
  // Theirs: one of the two we signed last, or an older one.
  let theirs: CommitmentTransaction | null = null;
  for (const commit of [c.remoteCommit, c.previousRemoteCommit]) {
    if (commit === null || commit.number !== n) continue;
    const built = rebuilt(() => counterpartyCommitment(c, commit, commit.point));
    if (built !== null && equal(built.txid, txid)) theirs = built;
  }
  if (n <= revokedThrough(c)) return revokedOutputs(c, n, closing, theirs);
  if (theirs !== null) return remoteOutputs(c, n, theirs);
  return {
    kind: 'unknown',
    commitmentNumber: n,
    reason: `commitment number ${n} is neither our commitment ${c.localCommit.number} nor a peer commitment the signer holds (latest ${c.remoteCommit.number}, revoked through ${revokedThrough(c)})`,
  };
}
