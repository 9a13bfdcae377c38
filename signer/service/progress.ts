// Small helpers over a channel's progress record, shared by the commitment handlers.
import type { ChannelProgress, ChannelRecord } from '../store/records.js';

/** The progress columns of a record, with `changes` applied. */
export function progressOf(record: ChannelRecord, changes: Partial<ChannelProgress> = {}): ChannelProgress {
  return {
    state: record.state,
    nextHolderNumber: record.nextHolderNumber,
    revokedHolderThrough: record.revokedHolderThrough,
    nextCounterpartyNumber: record.nextCounterpartyNumber,
    revokedCounterpartyThrough: record.revokedCounterpartyThrough,
    counterpartySecrets: record.counterpartySecrets,
    fundingHeight: record.fundingHeight,
    closingTxid: record.closingTxid,
    ...changes,
  };
}
