// Channels the node's store does not know, rebuilt from the signer (DESIGN: the node is a cache; a
// fresh node against the same signer gets its channels back). The signer's ListChannels gives the
// channel; our per-commitment points and the last revocation come from GetPerCommitmentPoint and
// RevokeHolderCommitment (which the signer answers again for a revocation already given).
// node/channel/restore.ts says what is rebuilt and how channel_reestablish fills in the rest.
import { hex, reversedHex } from '../../../bolt/bytes.js';
import {
  perCommitmentPointCall,
  readPoint,
  readRecoveredChannels,
  readRevocation,
  restoredChannel,
  revokeHolderCall,
  type ChannelState,
  type LocalConfig,
  type RecoveredChannel,
  type RecoveredLocalPoints,
} from '../../channel/index.js';
import type { Logger } from '../../log.js';
import type { ChannelInfo } from '../channels.js';
import type { SignerCall } from './invoice.js';

export interface RestoredChannel {
  readonly state: ChannelState;
  readonly peerNodeId: string;
  /** For a channel the signer knows as closed: what listchannels shows of it (its last balances). */
  readonly closedInfo: ChannelInfo | null;
}

function closedInfo(r: RecoveredChannel): ChannelInfo {
  return {
    channelId: hex(r.channelId),
    peerNodeId: hex(r.remoteNodeId),
    state: 'closed',
    channelType: r.channelType,
    fundingTxid: reversedHex(r.fundingTxid),
    fundingOutputIndex: r.fundingVout,
    capacitySat: r.fundingSat,
    localBalanceMsat: r.localCommit.spec.toLocalMsat,
    remoteBalanceMsat: r.localCommit.spec.toRemoteMsat,
    shortChannelId: null,
    pendingHtlcs: 0,
    opener: r.isOpener,
  };
}

async function localPoints(call: SignerCall, r: RecoveredChannel): Promise<RecoveredLocalPoints> {
  const L = r.localCommit.number;
  const point = async (n: number): Promise<Uint8Array> => {
    const c = perCommitmentPointCall(r.channelId, n);
    return readPoint(await call(c.method, c.request));
  };
  let revocation: RecoveredLocalPoints['revocation'] = null;
  if (L > 0 && r.lifecycle !== 'closed') {
    const c = revokeHolderCall(r.channelId, L - 1);
    revocation = readRevocation(await call(c.method, c.request));
  }
  return { current: await point(L), next: await point(L + 1), revocation };
}

/** Every channel the signer holds that `known` does not, as a state to resume. One unreadable channel is logged and skipped. */
export async function channelsFromSigner(call: SignerCall, known: (channelIdHex: string) => boolean, config: () => Promise<LocalConfig>, blockHeight: number, log: Logger): Promise<RestoredChannel[]> {
  const recovered = readRecoveredChannels(await call('ListChannels', {})).filter((r) => !known(hex(r.channelId)));
  const out: RestoredChannel[] = [];
  for (const r of recovered) {
    try {
      const state = restoredChannel(r, await config(), await localPoints(call, r), blockHeight);
      out.push({ state, peerNodeId: hex(r.remoteNodeId), closedInfo: r.lifecycle === 'closed' ? closedInfo(r) : null });
      log.info({ channel: hex(r.channelId), state: state.kind, localCommitment: r.localCommit.number, remoteCommitment: r.remoteCommit.number }, 'channel rebuilt from the signer');
    } catch (e) {
      log.error({ channel: hex(r.channelId), err: e instanceof Error ? e.message : String(e) }, 'channel could not be rebuilt from the signer');
    }
  }
  return out;
}
