// ListChannels: what a wiped node needs to rebuild its channels (DESIGN: the node is a cache). Commitments
// are given as proto CommitmentInfo, seen from their owner: `holder_commitment` is ours (the latest the
// signer validated), `counterparty_commitment` theirs (the latest it signed).
import { commitmentInfoMessage } from './commitments.js';
import type { Handler } from './context.js';
import { out, requestObject } from './fields.js';

export const listChannels: Handler = async (ctx, request) => {
  requestObject(request);
  const channels = [];
  for (const ch of ctx.channels.all()) {
    const { record } = ch;
    const setup = record.setup;
    const holder = ch.latestHolder();
    const counterparty = ch.latestCounterparty() ?? (record.nextCounterpartyNumber > 0 ? ctx.store.getCounterpartyCommitment(record.rowId, record.nextCounterpartyNumber - 1) : undefined);
    channels.push({
      channel_id: out(ch.displayId),
      peer_node_id: out(record.peerNodeId),
      state: record.state,
      channel_type: setup === null ? 'CHANNEL_TYPE_UNSPECIFIED' : setup.channelType === 'anchors' ? 'CHANNEL_TYPE_ANCHORS' : 'CHANNEL_TYPE_STATIC_REMOTEKEY',
      funding_outpoint: setup === null ? null : { txid: out(setup.fundingTxid), vout: setup.fundingVout },
      funding_sat: (setup?.fundingSat ?? 0n).toString(),
      next_holder_commitment_number: String(record.nextHolderNumber),
      next_counterparty_commitment_number: String(record.nextCounterpartyNumber),
      holder_commitment: holder ? commitmentInfoMessage(holder.info) : null,
      counterparty_commitment: counterparty ? commitmentInfoMessage(counterparty.info) : null,
    });
  }
  return { response: { channels }, reason: `${channels.length} channels listed` };
};
