// ListChannels: what a wiped node needs to rebuild its channels (DESIGN: the node is a cache). Commitments
// are given as proto CommitmentInfo, seen from their owner: `holder_commitment` is ours (the latest the
// signer validated), `counterparty_commitment` theirs (the latest it signed), with the one before it,
// the points they were built with and the counterparty's most recent secrets, so the node can resume
// exactly where the signer stands and let channel_reestablish fill in the rest (BOLT 2 §Message
// Retransmission).
import { indexFromCommitmentNumber } from '../../bolt/bolt3/index.js';
import type { ChannelSetup } from '../store/records.js';
import { basepointsMessage } from './channel-setup.js';
import type { LiveChannel } from './channels.js';
import { commitmentInfoMessage } from './commitments.js';
import type { Handler, ServiceContext } from './context.js';
import { counterpartyCommitment } from './counterparty.js';
import { out, requestObject } from './fields.js';

function channelTypeName(setup: ChannelSetup | null): string {
  if (setup === null) return 'CHANNEL_TYPE_UNSPECIFIED';
  return setup.channelType === 'anchors' ? 'CHANNEL_TYPE_ANCHORS' : 'CHANNEL_TYPE_STATIC_REMOTEKEY';
}

/** The SetupChannelRequest that fixed this channel, as the node sent it. */
function setupMessage(ch: LiveChannel, setup: ChannelSetup): object {
  return {
    channel: { channel_id: out(ch.record.temporaryChannelId) },
    channel_id: out(setup.channelId),
    channel_type: channelTypeName(setup),
    holder_is_opener: ch.record.holderIsOpener,
    funding_outpoint: { txid: out(setup.fundingTxid), vout: setup.fundingVout },
    funding_sat: setup.fundingSat.toString(),
    push_msat: setup.pushMsat.toString(),
    counterparty_basepoints: basepointsMessage(setup.counterparty),
    counterparty_first_per_commitment_point: out(setup.counterpartyFirstPoint),
    holder_to_self_delay: setup.holderToSelfDelay,
    counterparty_to_self_delay: setup.counterpartyToSelfDelay,
    holder_dust_limit_sat: setup.holderDustLimitSat.toString(),
    counterparty_dust_limit_sat: setup.counterpartyDustLimitSat.toString(),
    holder_channel_reserve_sat: setup.holderChannelReserveSat.toString(),
    counterparty_channel_reserve_sat: setup.counterpartyChannelReserveSat.toString(),
    max_accepted_htlcs: setup.maxAcceptedHtlcs,
    htlc_minimum_msat: setup.htlcMinimumMsat.toString(),
    holder_shutdown_script: out(setup.holderShutdownScript),
    counterparty_shutdown_script: out(setup.counterpartyShutdownScript),
  };
}

/** The counterparty's two most recent revealed secrets (BOLT 3 §Per-commitment Secret Requirements). */
function recentSecrets(ch: LiveChannel): object[] {
  const through = ch.record.revokedCounterpartyThrough;
  if (through === null) return [];
  const secrets = [];
  for (const n of [through - 1, through]) {
    if (n < 0) continue;
    const secret = ch.shachain.get(indexFromCommitmentNumber(BigInt(n)));
    if (secret !== undefined) secrets.push({ commitment_number: String(n), secret: out(secret) });
  }
  return secrets;
}

function summary(ctx: ServiceContext, ch: LiveChannel): object {
  const { record } = ch;
  const setup = record.setup;
  const holder = ch.latestHolder() ?? (record.nextHolderNumber > 0 ? ctx.store.getHolderCommitment(record.rowId, record.nextHolderNumber - 1) : undefined);
  const latest = record.nextCounterpartyNumber - 1;
  const counterparty = latest >= 0 ? counterpartyCommitment(ctx, ch, latest) : undefined;
  const previous = latest >= 1 ? counterpartyCommitment(ctx, ch, latest - 1) : undefined;
  const ceilings = ctx.store.htlcIdCeilings(record.rowId);
  // The counterparty's latest offers may sit in our commitment only, not yet in one we signed.
  let nextCounterpartyHtlcId = ceilings.offered;
  for (const h of holder?.info.htlcs ?? []) if (h.direction === 'received' && h.id >= nextCounterpartyHtlcId) nextCounterpartyHtlcId = h.id + 1n;
  return {
    channel_id: out(ch.displayId),
    peer_node_id: out(record.peerNodeId),
    state: record.state,
    channel_type: channelTypeName(setup),
    funding_outpoint: setup === null ? null : { txid: out(setup.fundingTxid), vout: setup.fundingVout },
    funding_sat: (setup?.fundingSat ?? 0n).toString(),
    next_holder_commitment_number: String(record.nextHolderNumber),
    next_counterparty_commitment_number: String(record.nextCounterpartyNumber),
    holder_commitment: holder ? commitmentInfoMessage(holder.info) : null,
    counterparty_commitment: counterparty ? commitmentInfoMessage(counterparty.info) : null,
    setup: setup === null ? null : setupMessage(ch, setup),
    holder_basepoints: basepointsMessage(record.holder),
    temporary_channel_id: out(record.temporaryChannelId),
    counterparty_commitment_point: counterparty ? out(counterparty.perCommitmentPoint) : Buffer.alloc(0),
    previous_counterparty_commitment: previous ? commitmentInfoMessage(previous.info) : null,
    previous_counterparty_commitment_point: previous ? out(previous.perCommitmentPoint) : Buffer.alloc(0),
    revoked_counterparty_through: String(record.revokedCounterpartyThrough ?? -1),
    counterparty_secrets: recentSecrets(ch),
    next_holder_htlc_id: ceilings.received.toString(),
    next_counterparty_htlc_id: nextCounterpartyHtlcId.toString(),
    funding_height: record.fundingHeight ?? 0,
  };
}

export const listChannels: Handler = async (ctx, request) => {
  requestObject(request);
  const channels = [...ctx.channels.all()].map((ch) => summary(ctx, ch));
  return { response: { channels }, reason: `${channels.length} channels listed` };
};
