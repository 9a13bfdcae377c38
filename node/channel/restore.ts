// A channel rebuilt from the signer alone, for a node whose own store was wiped (DESIGN: the node is
// a cache). The signer keeps what can lose money: the parameters SetupChannel fixed, the latest
// commitment it validated for us, the latest it signed for the peer (and the one before), the peer's
// secrets, and the HTLC ids used. What it does not keep is recovered through BOLT 2 §Message
// Retransmission:
//   - the peer's next per-commitment point: we resume as if the peer's last revoke_and_ack had not
//     arrived (remoteCommit = K-1, remoteNext = K). Our channel_reestablish then asks for it
//     (next_revocation_number = K-1) and the peer MUST send it again; the signer takes the same
//     secret twice. Before any commitment (K = 0) the peer sends channel_ready again instead.
//   - updates no commitment carried yet: both sides forget them on reconnection anyway.
// Updates carried by one side's commitment but not yet the other's (a node wiped in mid round) are
// not recovered: the rebuilt commitments are exactly the signer's, so such a channel resumes only if
// the peer agrees with them, else the peer fails it and its commitment pays both sides on chain.
import type { CommitmentSpec } from './commitment-spec.js';
import type { Commitments } from './commitments.js';
import type { ChannelParams, LocalConfig } from './params.js';
import type { ChannelState, MachineBase } from './states.js';

export interface RecoveredCommitment {
  readonly number: number;
  /** From the commitment owner's point of view. */
  readonly spec: CommitmentSpec;
}

/** Fixed for the channel's life, as in ChannelParams. */
type FixedParams = Pick<
  ChannelParams,
  'channelId' | 'temporaryChannelId' | 'remoteNodeId' | 'channelType' | 'isOpener' | 'fundingTxid' | 'fundingVout' | 'fundingSat' | 'pushMsat' | 'localBasepoints' | 'remoteBasepoints' | 'remoteFirstPoint'
>;

/** What the signer's ListChannels gives for one channel, typed (the shell decodes the proto). */
export interface RecoveredChannel extends FixedParams {
  /** The signer's lifecycle of the channel. */
  readonly lifecycle: 'opening' | 'open' | 'closing' | 'closed';
  /** The CSV delay on OUR outputs (the peer chose it) and on THEIRS (we chose it). */
  readonly localOutputsDelay: number;
  readonly remoteOutputsDelay: number;
  /** Each side's dust limit trims that side's commitment. */
  readonly localDustLimitSat: bigint;
  readonly remoteDustLimitSat: bigint;
  /** The reserve each side must keep (set by the other). */
  readonly localReserveSat: bigint;
  readonly remoteReserveSat: bigint;
  readonly maxAcceptedHtlcs: number;
  readonly htlcMinimumMsat: bigint;
  readonly localUpfrontScript: Uint8Array;
  readonly remoteUpfrontScript: Uint8Array;
  /** Our latest validated commitment (number 0 before any update). */
  readonly localCommit: RecoveredCommitment;
  /** The latest counterparty commitment signed and its point; and the one before, when number >= 1. */
  readonly remoteCommit: RecoveredCommitment & { readonly point: Uint8Array };
  readonly previousRemoteCommit: (RecoveredCommitment & { readonly point: Uint8Array }) | null;
  /** The peer's revealed secrets by commitment number (at least the latest two). */
  readonly remoteSecrets: ReadonlyMap<number, Uint8Array>;
  readonly localNextHtlcId: bigint;
  readonly remoteNextHtlcId: bigint;
  readonly fundingHeight: number | null;
}

/** Our own per-commitment data, asked of the signer by the shell before the rebuild. */
export interface RecoveredLocalPoints {
  /** Points of our commitments localCommit.number and localCommit.number + 1. */
  readonly current: Uint8Array;
  readonly next: Uint8Array;
  /** RevokeHolderCommitment(localCommit.number - 1), which the signer answers again for a retransmission; null at commitment 0. */
  readonly revocation: { readonly secret: Uint8Array; readonly nextPoint: Uint8Array } | null;
}

export class RestoreError extends Error {
  override readonly name = 'RestoreError';
}

const NONE = Object.freeze([]) as readonly never[];

export function restoredParams(r: RecoveredChannel, config: LocalConfig): ChannelParams {
  return {
    channelId: r.channelId,
    temporaryChannelId: r.temporaryChannelId,
    remoteNodeId: r.remoteNodeId,
    channelType: r.channelType,
    isOpener: r.isOpener,
    fundingTxid: r.fundingTxid,
    fundingVout: r.fundingVout,
    fundingSat: r.fundingSat,
    pushMsat: r.pushMsat,
    local: {
      dustLimitSat: r.localDustLimitSat,
      maxHtlcValueInFlightMsat: config.maxHtlcValueInFlightMsat,
      channelReserveSat: r.remoteReserveSat,
      htlcMinimumMsat: r.htlcMinimumMsat,
      toSelfDelay: r.remoteOutputsDelay,
      maxAcceptedHtlcs: r.maxAcceptedHtlcs,
    },
    remote: {
      dustLimitSat: r.remoteDustLimitSat,
      // The peer's in-flight cap is not kept by the signer: the peer enforces its own.
      maxHtlcValueInFlightMsat: r.fundingSat * 1000n,
      channelReserveSat: r.localReserveSat,
      htlcMinimumMsat: r.htlcMinimumMsat,
      toSelfDelay: r.localOutputsDelay,
      maxAcceptedHtlcs: r.maxAcceptedHtlcs,
    },
    localBasepoints: r.localBasepoints,
    remoteBasepoints: r.remoteBasepoints,
    remoteFirstPoint: r.remoteFirstPoint,
    localUpfrontScript: r.localUpfrontScript,
    remoteUpfrontScript: r.remoteUpfrontScript,
    minimumDepth: config.minimumDepth,
    config,
  };
}

export function restoredCommitments(r: RecoveredChannel, params: ChannelParams, local: RecoveredLocalPoints): Commitments {
  const L = r.localCommit.number;
  const K = r.remoteCommit.number;
  if (L > 0 && local.revocation === null) throw new RestoreError(`channel ${hexId(r)}: our revocation of commitment ${L - 1} is missing`);
  let remoteCommit: Commitments['remoteCommit'];
  let remoteNext: Commitments['remoteNext'] = null;
  if (K === 0) {
    remoteCommit = { number: 0, spec: r.remoteCommit.spec, point: r.remoteCommit.point };
  } else {
    const previous = r.previousRemoteCommit;
    if (previous === null || previous.number !== K - 1) throw new RestoreError(`channel ${hexId(r)}: the signer keeps no counterparty commitment ${K - 1}`);
    remoteCommit = { number: K - 1, spec: previous.spec, point: previous.point };
    remoteNext = { number: K, spec: r.remoteCommit.spec, point: r.remoteCommit.point, signatures: null, sentAfterLocalNumber: L };
  }
  return {
    params,
    localCommit: { number: L, spec: r.localCommit.spec },
    remoteCommit,
    remoteNext,
    localChanges: { proposed: NONE, signed: NONE, acked: NONE },
    remoteChanges: { proposed: NONE, acked: NONE, signed: NONE },
    localNextHtlcId: r.localNextHtlcId,
    remoteNextHtlcId: r.remoteNextHtlcId,
    remoteNextPoint: null,
    localPoints: { current: local.current, next: local.next },
    lastRevocationSent: L > 0 ? { number: L - 1, secret: local.revocation!.secret, nextPoint: local.revocation!.nextPoint } : null,
    lastSecretReceived: K >= 2 ? (r.remoteSecrets.get(K - 2) ?? missingSecret(r, K - 2)) : null,
    signAfterRevoke: false,
  };
}

function missingSecret(r: RecoveredChannel, n: number): never {
  throw new RestoreError(`channel ${hexId(r)}: the signer keeps no secret of counterparty commitment ${n}`);
}

function hexId(r: RecoveredChannel): string {
  return Buffer.from(r.channelId).toString('hex');
}

/**
 * The state a wiped node resumes the channel in: offline, to be fed `restarted` (which has the
 * signer sign remoteNext again, the same content) and then `connected` when the peer is back.
 */
export function restoredChannel(r: RecoveredChannel, config: LocalConfig, local: RecoveredLocalPoints, blockHeight: number): ChannelState {
  const base: MachineBase = { pending: null, deferred: null, nextRequestId: 1, connection: 'offline', blockHeight };
  if (r.lifecycle === 'closed') return { ...base, kind: 'closed', channelId: r.channelId, reason: 'closed (restored from the signer)', closingTxid: null };
  const commitments = restoredCommitments(r, restoredParams(r, config), local);
  switch (r.lifecycle) {
    case 'opening':
      // Our point for commitment 1 goes out with channel_ready, after FundingConfirmed.
      return { ...base, kind: 'wait-for-funding-confirmed', commitments: { ...commitments, localPoints: { current: local.current, next: null } }, remoteReady: null, fundingHeight: r.fundingHeight };
    case 'open':
      return { ...base, kind: 'normal', commitments, localShutdown: null, remoteShutdown: null, close: null };
    case 'closing':
      // A close was signed; which one is not kept. Wait for the funding spend the chain watcher reports.
      return { ...base, kind: 'closing', commitments, closeType: 'mutual', published: null, errorMessage: null };
  }
}
