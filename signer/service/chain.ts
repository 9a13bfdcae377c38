// Chain facts the node reports (proto: AddBlock, FundingConfirmed, ChannelClosed). The tip height feeds
// the HTLC expiry rules; a confirmed funding output opens the channel (and lets channel_announcement and
// channel_update name it by short_channel_id); a spent one closes it for good.
import type { Handler } from './context.js';
import { bytes, channelRef, requestObject, u32 } from './fields.js';
import { progressOf } from './progress.js';

export const TIP_HEIGHT = 'tip_height';
export const TIP_HASH = 'tip_hash';

export const addBlock: Handler = async (ctx, request) => {
  const req = requestObject(request);
  const height = u32(req, 'height', '', { max: 0xffffff }); // BOLT 7: short_channel_id holds 3 bytes of height
  const hash = bytes(req, 'block_hash', '', 32);
  const previous = ctx.chain.height;
  return {
    response: {},
    reason: height >= previous ? `chain tip at height ${height}` : `chain tip moved back from ${previous} to ${height} (reorganisation)`,
    persist: () => {
      ctx.store.setMeta(TIP_HEIGHT, String(height));
      ctx.store.setMeta(TIP_HASH, Buffer.from(hash).toString('hex'));
    },
    commit: () => {
      ctx.chain.height = height;
      ctx.chain.hash = hash;
    },
  };
};

export const fundingConfirmed: Handler = async (ctx, request, audit) => {
  const req = requestObject(request);
  const ch = ctx.channels.get(channelRef(req));
  audit.channelId = ch.displayId;
  ch.requireSetup('FundingConfirmed');
  const height = u32(req, 'height', '', { min: 1, max: 0xffffff });
  const progress = progressOf(ch.record, { fundingHeight: height, state: ch.record.state === 'opening' ? 'open' : ch.record.state });
  return {
    response: {},
    reason: `funding confirmed at height ${height}`,
    persist: () => ctx.store.updateProgress(ch.record.rowId, progress),
    commit: () => {
      ch.record = { ...ch.record, ...progress };
    },
  };
};

export const channelClosed: Handler = async (ctx, request, audit) => {
  const req = requestObject(request);
  const ch = ctx.channels.get(channelRef(req));
  audit.channelId = ch.displayId;
  const txid = bytes(req, 'closing_txid', '', 32);
  audit.txid = txid;
  const progress = progressOf(ch.record, { state: 'closed', closingTxid: txid });
  return {
    response: {},
    reason: 'channel closed on chain',
    persist: () => ctx.store.updateProgress(ch.record.rowId, progress),
    commit: () => {
      ch.record = { ...ch.record, ...progress };
    },
  };
};
