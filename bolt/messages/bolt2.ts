// BOLT 2 messages: channel establishment (v1 and v2 / interactive-tx), quiescence, splicing,
// closing, normal operation and reestablishment. Field keys are the spec names in camelCase.
import { message, type MessageOf } from '../codec/message.js';
import { array, arrayFixed, struct } from '../codec/compound.js';
import {
  bytes, bytesRest, chainHash, channelId, point, present, s64, sha256, shortChannelId, signature,
  u16, u32, u64, u8, varBytes,
} from '../codec/primitives.js';
import { tlv } from '../codec/tlv.js';

/** `upfront_shutdown_script` and `channel_type`, shared by every opening message. */
const openingTlvs = {
  upfrontShutdownScript: tlv(0, bytesRest), // empty: the sender commits to no closing script
  channelType: tlv(1, bytesRest), // a BOLT 9 feature bitmap naming the channel type
};

/** BOLT 2 §Fee Bumping, §Splicing: the record asking for confirmed inputs only. */
const requireConfirmedInputs = tlv(2, present);

/** BOLT 2 §Removing an HTLC: `attribution_data` (BOLT 4 attributable failures). */
const attributionData = tlv(1, struct({
  htlcHoldTimes: arrayFixed(20, u32), // hold time per hop, in units of 100 ms
  truncatedHmacs: arrayFixed(210, bytes(4)), // `210*sha256[..4]`: the first 4 bytes of each HMAC
}));

// ---- Interactive Transaction Construction ----

// BOLT 2 §The tx_add_input Message
export const txAddInput = message(66, 'tx_add_input', {
  channelId,
  serialId: u64, // even when the initiator adds the input, odd for the non-initiator
  prevtx: varBytes, // the whole previous transaction; empty for a shared input
  prevtxVout: u32,
  sequence: u32,
}, {
  tlvs: {
    sharedInputTxid: tlv(0, sha256), // the current funding txid when splicing
  },
});

// BOLT 2 §The tx_add_output Message
export const txAddOutput = message(67, 'tx_add_output', {
  channelId,
  serialId: u64,
  sats: u64,
  script: varBytes,
});

// BOLT 2 §The tx_remove_input and tx_remove_output Messages
export const txRemoveInput = message(68, 'tx_remove_input', {
  channelId,
  serialId: u64,
});

// BOLT 2 §The tx_remove_input and tx_remove_output Messages
export const txRemoveOutput = message(69, 'tx_remove_output', {
  channelId,
  serialId: u64,
});

// BOLT 2 §The tx_complete Message
export const txComplete = message(70, 'tx_complete', {
  channelId,
});

// BOLT 2 §The tx_signatures Message
export const txSignatures = message(71, 'tx_signatures', {
  channelId,
  txid: sha256,
  witnesses: array(u16, varBytes), // subtype `witness`: [u16:len][len*byte:witness_data], one per own input
}, {
  tlvs: {
    sharedInputSignature: tlv(0, signature), // signature for the shared (previous funding) input
  },
});

// BOLT 2 §The tx_init_rbf Message
export const txInitRbf = message(72, 'tx_init_rbf', {
  channelId,
  locktime: u32,
  feerate: u32, // sat per 1000 weight
}, {
  tlvs: {
    fundingOutputContribution: tlv(0, s64), // signed: a splice may take funds out
    requireConfirmedInputs,
  },
});

// BOLT 2 §The tx_ack_rbf Message
export const txAckRbf = message(73, 'tx_ack_rbf', {
  channelId,
}, {
  tlvs: {
    fundingOutputContribution: tlv(0, s64),
    requireConfirmedInputs,
  },
});

// BOLT 2 §The tx_abort Message
export const txAbort = message(74, 'tx_abort', {
  channelId,
  data: varBytes,
});

// ---- Channel Establishment v1 ----

// BOLT 2 §The open_channel Message
export const openChannel = message(32, 'open_channel', {
  chainHash,
  temporaryChannelId: bytes(32),
  fundingSatoshis: u64,
  pushMsat: u64,
  dustLimitSatoshis: u64,
  maxHtlcValueInFlightMsat: u64,
  channelReserveSatoshis: u64,
  htlcMinimumMsat: u64,
  feeratePerKw: u32,
  toSelfDelay: u16,
  maxAcceptedHtlcs: u16,
  fundingPubkey: point,
  revocationBasepoint: point,
  paymentBasepoint: point,
  delayedPaymentBasepoint: point,
  htlcBasepoint: point,
  firstPerCommitmentPoint: point,
  channelFlags: u8, // bit 0: announce_channel
}, { tlvs: openingTlvs });

// BOLT 2 §The accept_channel Message
export const acceptChannel = message(33, 'accept_channel', {
  temporaryChannelId: bytes(32),
  dustLimitSatoshis: u64,
  maxHtlcValueInFlightMsat: u64,
  channelReserveSatoshis: u64,
  htlcMinimumMsat: u64,
  minimumDepth: u32,
  toSelfDelay: u16,
  maxAcceptedHtlcs: u16,
  fundingPubkey: point,
  revocationBasepoint: point,
  paymentBasepoint: point,
  delayedPaymentBasepoint: point,
  htlcBasepoint: point,
  firstPerCommitmentPoint: point,
}, { tlvs: openingTlvs });

// BOLT 2 §The funding_created Message
export const fundingCreated = message(34, 'funding_created', {
  temporaryChannelId: bytes(32),
  fundingTxid: sha256,
  fundingOutputIndex: u16,
  signature, // the opener's signature on the acceptor's first commitment
});

// BOLT 2 §The funding_signed Message
export const fundingSigned = message(35, 'funding_signed', {
  channelId,
  signature,
});

// BOLT 2 §The channel_ready Message
export const channelReady = message(36, 'channel_ready', {
  channelId,
  secondPerCommitmentPoint: point,
}, {
  tlvs: {
    shortChannelId: tlv(1, shortChannelId), // data `alias`: the scid alias the peer should use
  },
});

// ---- Channel Establishment v2 ----

// BOLT 2 §The open_channel2 Message
export const openChannel2 = message(64, 'open_channel2', {
  chainHash,
  temporaryChannelId: channelId, // derived from the opener's revocation_basepoint
  fundingFeeratePerkw: u32,
  commitmentFeeratePerkw: u32,
  fundingSatoshis: u64,
  dustLimitSatoshis: u64,
  maxHtlcValueInFlightMsat: u64,
  htlcMinimumMsat: u64,
  toSelfDelay: u16,
  maxAcceptedHtlcs: u16,
  locktime: u32,
  fundingPubkey: point,
  revocationBasepoint: point,
  paymentBasepoint: point,
  delayedPaymentBasepoint: point,
  htlcBasepoint: point,
  firstPerCommitmentPoint: point,
  secondPerCommitmentPoint: point,
  channelFlags: u8,
}, { tlvs: { ...openingTlvs, requireConfirmedInputs } });

// BOLT 2 §The accept_channel2 Message
export const acceptChannel2 = message(65, 'accept_channel2', {
  temporaryChannelId: channelId,
  fundingSatoshis: u64, // the accepter's contribution
  dustLimitSatoshis: u64,
  maxHtlcValueInFlightMsat: u64,
  htlcMinimumMsat: u64,
  minimumDepth: u32,
  toSelfDelay: u16,
  maxAcceptedHtlcs: u16,
  fundingPubkey: point,
  revocationBasepoint: point,
  paymentBasepoint: point,
  delayedPaymentBasepoint: point,
  htlcBasepoint: point,
  firstPerCommitmentPoint: point,
  secondPerCommitmentPoint: point,
}, { tlvs: { ...openingTlvs, requireConfirmedInputs } });

// ---- Channel Quiescence and Splicing ----

// BOLT 2 §Channel Quiescence: stfu
export const stfu = message(2, 'stfu', {
  channelId,
  initiator: u8, // 1 if the sender started quiescence
});

// BOLT 2 §The splice_init Message
export const spliceInit = message(80, 'splice_init', {
  channelId,
  fundingContributionSatoshis: s64, // negative for a splice-out
  fundingFeeratePerkw: u32,
  locktime: u32,
  fundingPubkey: point,
}, { tlvs: { requireConfirmedInputs } });

// BOLT 2 §The splice_ack Message
export const spliceAck = message(81, 'splice_ack', {
  channelId,
  fundingContributionSatoshis: s64,
  fundingPubkey: point,
}, { tlvs: { requireConfirmedInputs } });

// BOLT 2 §The splice_locked Message
export const spliceLocked = message(77, 'splice_locked', {
  channelId,
  spliceTxid: sha256,
});

// ---- Channel Close ----

// BOLT 2 §Closing Initiation: shutdown
export const shutdown = message(38, 'shutdown', {
  channelId,
  scriptpubkey: varBytes,
});

/** BOLT 2 §Closing Negotiation: one signature per closing-transaction shape. */
const closingTlvs = {
  closerOutputOnly: tlv(1, signature),
  closeeOutputOnly: tlv(2, signature),
  closerAndCloseeOutputs: tlv(3, signature),
};

// BOLT 2 §Closing Negotiation: closing_complete and closing_sig
export const closingComplete = message(40, 'closing_complete', {
  channelId,
  closerScriptpubkey: varBytes,
  closeeScriptpubkey: varBytes,
  feeSatoshis: u64,
  locktime: u32,
}, { tlvs: closingTlvs });

// BOLT 2 §Closing Negotiation: closing_complete and closing_sig
export const closingSig = message(41, 'closing_sig', {
  channelId,
  closerScriptpubkey: varBytes,
  closeeScriptpubkey: varBytes,
  feeSatoshis: u64,
  locktime: u32,
}, { tlvs: closingTlvs });

// BOLT 2 §Legacy Closing Negotiation: closing_signed
export const closingSigned = message(39, 'closing_signed', {
  channelId,
  feeSatoshis: u64,
  signature,
}, {
  tlvs: {
    feeRange: tlv(1, struct({ minFeeSatoshis: u64, maxFeeSatoshis: u64 })),
  },
});

// ---- Normal Operation ----

// BOLT 2 §Adding an HTLC: update_add_htlc
export const updateAddHtlc = message(128, 'update_add_htlc', {
  channelId,
  id: u64,
  amountMsat: u64,
  paymentHash: sha256,
  cltvExpiry: u32,
  onionRoutingPacket: bytes(1366), // BOLT 4 onion: version, public key, 1300-byte payload, HMAC
}, {
  tlvs: {
    blindedPath: tlv(0, point), // data `path_key`: the route-blinding key for this hop
  },
});

// BOLT 2 §Removing an HTLC: update_fulfill_htlc
export const updateFulfillHtlc = message(130, 'update_fulfill_htlc', {
  channelId,
  id: u64,
  paymentPreimage: bytes(32),
}, { tlvs: { attributionData } });

// BOLT 2 §Removing an HTLC: update_fail_htlc
export const updateFailHtlc = message(131, 'update_fail_htlc', {
  channelId,
  id: u64,
  reason: varBytes, // BOLT 4 encrypted failure onion
}, { tlvs: { attributionData } });

// BOLT 2 §Removing an HTLC: update_fail_malformed_htlc
export const updateFailMalformedHtlc = message(135, 'update_fail_malformed_htlc', {
  channelId,
  id: u64,
  sha256OfOnion: sha256,
  failureCode: u16, // must have the BADONION bit set
});

// BOLT 2 §Batching channel messages: start_batch
export const startBatch = message(127, 'start_batch', {
  channelId,
  batchSize: u16, // number of messages that follow in this batch
}, {
  tlvs: {
    messageType: tlv(1, u16), // the type every batched message has
  },
});

// BOLT 2 §Committing Updates So Far: commitment_signed
export const commitmentSigned = message(132, 'commitment_signed', {
  channelId,
  signature,
  htlcSignature: array(u16, signature), // `num_htlcs` signatures, in commitment output order
}, {
  tlvs: {
    fundingTxid: tlv(1, sha256), // which funding transaction this commitment spends (splicing)
  },
});

// BOLT 2 §Completing the Transition to the Updated State: revoke_and_ack
export const revokeAndAck = message(133, 'revoke_and_ack', {
  channelId,
  perCommitmentSecret: bytes(32),
  nextPerCommitmentPoint: point,
});

// BOLT 2 §Updating Fees: update_fee
export const updateFee = message(134, 'update_fee', {
  channelId,
  feeratePerKw: u32,
});

// ---- Message Retransmission ----

// BOLT 2 §Message Retransmission: channel_reestablish
export const channelReestablish = message(136, 'channel_reestablish', {
  channelId,
  nextCommitmentNumber: u64,
  nextRevocationNumber: u64,
  yourLastPerCommitmentSecret: bytes(32), // all zero when no revocation was received yet
  myCurrentPerCommitmentPoint: point,
}, {
  tlvs: {
    nextFunding: tlv(1, struct({ nextFundingTxid: sha256, retransmitFlags: u8 })), // interactive tx in progress
    myCurrentFundingLocked: tlv(5, struct({ myCurrentFundingLockedTxid: sha256, retransmitFlags: u8 })),
  },
});

export type TxAddInput = MessageOf<typeof txAddInput>;
export type TxAddOutput = MessageOf<typeof txAddOutput>;
export type TxRemoveInput = MessageOf<typeof txRemoveInput>;
export type TxRemoveOutput = MessageOf<typeof txRemoveOutput>;
export type TxComplete = MessageOf<typeof txComplete>;
export type TxSignatures = MessageOf<typeof txSignatures>;
export type TxInitRbf = MessageOf<typeof txInitRbf>;
export type TxAckRbf = MessageOf<typeof txAckRbf>;
export type TxAbort = MessageOf<typeof txAbort>;
export type OpenChannel = MessageOf<typeof openChannel>;
export type AcceptChannel = MessageOf<typeof acceptChannel>;
export type FundingCreated = MessageOf<typeof fundingCreated>;
export type FundingSigned = MessageOf<typeof fundingSigned>;
export type ChannelReady = MessageOf<typeof channelReady>;
export type OpenChannel2 = MessageOf<typeof openChannel2>;
export type AcceptChannel2 = MessageOf<typeof acceptChannel2>;
export type Stfu = MessageOf<typeof stfu>;
export type SpliceInit = MessageOf<typeof spliceInit>;
export type SpliceAck = MessageOf<typeof spliceAck>;
export type SpliceLocked = MessageOf<typeof spliceLocked>;
export type Shutdown = MessageOf<typeof shutdown>;
export type ClosingComplete = MessageOf<typeof closingComplete>;
export type ClosingSig = MessageOf<typeof closingSig>;
export type ClosingSigned = MessageOf<typeof closingSigned>;
export type UpdateAddHtlc = MessageOf<typeof updateAddHtlc>;
export type UpdateFulfillHtlc = MessageOf<typeof updateFulfillHtlc>;
export type UpdateFailHtlc = MessageOf<typeof updateFailHtlc>;
export type UpdateFailMalformedHtlc = MessageOf<typeof updateFailMalformedHtlc>;
export type StartBatch = MessageOf<typeof startBatch>;
export type CommitmentSigned = MessageOf<typeof commitmentSigned>;
export type RevokeAndAck = MessageOf<typeof revokeAndAck>;
export type UpdateFee = MessageOf<typeof updateFee>;
export type ChannelReestablish = MessageOf<typeof channelReestablish>;

export const bolt2Messages = [
  txAddInput, txAddOutput, txRemoveInput, txRemoveOutput, txComplete, txSignatures, txInitRbf, txAckRbf, txAbort,
  openChannel, acceptChannel, fundingCreated, fundingSigned, channelReady,
  openChannel2, acceptChannel2,
  stfu, spliceInit, spliceAck, spliceLocked,
  shutdown, closingComplete, closingSig, closingSigned,
  updateAddHtlc, updateFulfillHtlc, updateFailHtlc, updateFailMalformedHtlc, startBatch,
  commitmentSigned, revokeAndAck, updateFee,
  channelReestablish,
] as const;
