// BOLT 2 §Channel Establishment v1, single-funded:
//   opener:   open -> NewChannel -> open_channel -> accept_channel -> create-funding -> funding-built
//             -> SetupChannel -> SignCounterpartyCommitment(0) -> funding_created -> funding_signed
//             -> ValidateHolderCommitment(0) -> publish-funding
//   acceptor: open_channel -> NewChannel -> accept_channel -> funding_created -> SetupChannel
//             -> ValidateHolderCommitment(0) -> SignCounterpartyCommitment(0) -> funding_signed
//   both:     minimum_depth -> FundingConfirmed -> GetPerCommitmentPoint(1) -> channel_ready
import { fundingScript, p2wsh } from '../../bolt/bolt3/index.js';
import { equal } from '../../bolt/bytes.js';
import type { Effect } from './effects.js';
import type { FundingBuiltCommand, FundingDepthEvent, OpenCommand } from './events.js';
import { channelTypeBits } from './channel-type.js';
import { initialCommitments, type Commitments } from './commitments.js';
import { ChannelProtocolError, refuse, protocolError } from './errors.js';
import { ask, changed, errorMessage, notify, NO_EFFECTS, patch, persist, reply, replyError, sendTo, type Step } from './machine.js';
import {
  channelIdFromFunding,
  localSide,
  MAX_FUNDING_SAT,
  validateAcceptChannel,
  validateOpenChannel,
  type AcceptChannel,
  type ChannelParams,
  type OpenChannel,
} from './params.js';
import {
  fundingConfirmedCall,
  newChannelCall,
  perCommitmentPointCall,
  readCommitSignatures,
  readNewChannel,
  readPoint,
  setupChannelCall,
  signCounterpartyCall,
  validateHolderCall,
} from './signer-requests.js';
import type { SignerAnswer } from './resume.js';
import type {
  ChannelReady,
  ChannelState,
  Closed,
  FundingCreated,
  FundingSigned,
  Idle,
  Normal,
  Purpose,
  WaitForAcceptChannel,
  WaitForChannelReady,
  WaitForFundingConfirmed,
  WaitForFundingCreated,
  WaitForFundingSigned,
  WaitForFundingTx,
} from './states.js';

const EMPTY = new Uint8Array(0);

/** Abandon a channel that never reached the chain: nothing to broadcast. */
export function abandon(s: ChannelState, channelId: Uint8Array, reason: string, extra: readonly Effect[] = NO_EFFECTS): Step {
  const closed: Closed = { ...baseOf(s), pending: null, kind: 'closed', channelId, reason, closingTxid: null };
  return [closed, [...extra, ...changed(s, closed)]];
}

// ---------------------------------------------------------------- opener

export function onOpen(s: ChannelState, cmd: OpenCommand): Step {
  if (s.kind !== 'idle') refuse(`open: this channel is already ${s.kind}`);
  if (s.connection !== 'online') refuse('open: the peer is not connected');
  const { config } = s;
  if (cmd.temporaryChannelId.length !== 32) refuse(`open: temporary_channel_id must be 32 bytes, got ${cmd.temporaryChannelId.length}`);
  if (cmd.fundingSat < config.minFundingSat || cmd.fundingSat > MAX_FUNDING_SAT) {
    refuse(`open: funding ${cmd.fundingSat} sat is outside ${config.minFundingSat}..${MAX_FUNDING_SAT}`);
  }
  if (cmd.pushMsat < 0n || cmd.pushMsat > cmd.fundingSat * 1000n) refuse(`open: push_msat ${cmd.pushMsat} is outside 0..${cmd.fundingSat * 1000n}`);
  if (cmd.feeratePerKw < config.minFeeratePerKw || cmd.feeratePerKw > config.maxFeeratePerKw) {
    refuse(`open: feerate_per_kw ${cmd.feeratePerKw} is outside ${config.minFeeratePerKw}..${config.maxFeeratePerKw}`);
  }
  const channelType = cmd.channelType ?? config.channelTypes[0];
  if (channelType === undefined || !config.channelTypes.includes(channelType)) refuse(`open: channel type ${String(cmd.channelType)} is not enabled`);
  const [next, effect] = ask(s, newChannelCall(cmd.temporaryChannelId, s.remoteNodeId, true), { step: 'open-new-channel', command: cmd, channelType });
  return [next, [effect]];
}

export function resumeOpenNewChannel(s: ChannelState, purpose: Extract<Purpose, { step: 'open-new-channel' }>, answer: SignerAnswer): Step {
  const { command } = purpose;
  if (s.kind !== 'idle') throw new Error(`NewChannel answered in state ${s.kind}`);
  if (!answer.ok) return [s, [replyError(command.commandId, `signer refused NewChannel: ${answer.message}`)]];
  const { basepoints, firstPoint } = readNewChannel(answer.response);
  const { config } = s;
  const local = localSide(config, command.fundingSat);
  const open: OpenChannel = {
    type: 'open_channel',
    chainHash: config.chainHash,
    temporaryChannelId: command.temporaryChannelId,
    fundingSatoshis: command.fundingSat,
    pushMsat: command.pushMsat,
    dustLimitSatoshis: local.dustLimitSat,
    maxHtlcValueInFlightMsat: local.maxHtlcValueInFlightMsat,
    channelReserveSatoshis: local.channelReserveSat,
    htlcMinimumMsat: local.htlcMinimumMsat,
    feeratePerKw: command.feeratePerKw,
    toSelfDelay: local.toSelfDelay,
    maxAcceptedHtlcs: local.maxAcceptedHtlcs,
    fundingPubkey: basepoints.fundingPubkey,
    revocationBasepoint: basepoints.revocationBasepoint,
    paymentBasepoint: basepoints.paymentBasepoint,
    delayedPaymentBasepoint: basepoints.delayedPaymentBasepoint,
    htlcBasepoint: basepoints.htlcBasepoint,
    firstPerCommitmentPoint: firstPoint,
    channelFlags: command.announce === true ? 1 : 0,
    // BOLT 2: with TLVs, upfront_shutdown_script is included (empty: no commitment to a script).
    tlvs: { upfrontShutdownScript: config.upfrontShutdownScript ? config.shutdownScript : EMPTY, channelType: channelTypeBits(purpose.channelType) },
  };
  const next: WaitForAcceptChannel = {
    ...s,
    kind: 'wait-for-accept-channel',
    commandId: command.commandId,
    channelType: purpose.channelType,
    open,
    localBasepoints: basepoints,
    localFirstPoint: firstPoint,
  };
  return [next, [...sendTo(next, open), ...changed(s, next)]];
}

export function onAcceptChannel(s: ChannelState, accept: AcceptChannel): Step {
  if (s.kind !== 'wait-for-accept-channel') protocolError(`accept_channel in state ${s.kind}`);
  if (!equal(accept.temporaryChannelId, s.open.temporaryChannelId)) protocolError('accept_channel: temporary_channel_id does not match open_channel');
  const remote = validateAcceptChannel(s.config, s.open, accept, s.channelType);
  const next: WaitForFundingTx = { ...s, kind: 'wait-for-funding-tx', accept, remote };
  const script = p2wsh(fundingScript(s.localBasepoints.fundingPubkey, accept.fundingPubkey));
  return [next, [{ kind: 'create-funding', temporaryChannelId: s.open.temporaryChannelId, scriptPubkey: script, amountSat: s.open.fundingSatoshis }, ...changed(s, next)]];
}

export function onFundingBuilt(s: ChannelState, cmd: FundingBuiltCommand): Step {
  if (s.kind !== 'wait-for-funding-tx') refuse(`funding-built: the channel is ${s.kind}, not waiting for its funding transaction`);
  if (cmd.fundingTxid.length !== 32) refuse(`funding-built: funding txid must be 32 bytes, got ${cmd.fundingTxid.length}`);
  if (!Number.isInteger(cmd.fundingVout) || cmd.fundingVout < 0 || cmd.fundingVout > 0xffff) refuse(`funding-built: output index ${cmd.fundingVout} does not fit in 2 bytes`);
  const { open, accept } = s;
  const params: ChannelParams = {
    channelId: channelIdFromFunding(cmd.fundingTxid, cmd.fundingVout),
    temporaryChannelId: open.temporaryChannelId,
    remoteNodeId: s.remoteNodeId,
    channelType: s.channelType,
    isOpener: true,
    fundingTxid: Uint8Array.from(cmd.fundingTxid),
    fundingVout: cmd.fundingVout,
    fundingSat: open.fundingSatoshis,
    pushMsat: open.pushMsat,
    local: localSide(s.config, open.fundingSatoshis),
    remote: s.remote,
    localBasepoints: s.localBasepoints,
    remoteBasepoints: basepointsOf(accept),
    remoteFirstPoint: accept.firstPerCommitmentPoint,
    localUpfrontScript: open.tlvs.upfrontShutdownScript ?? EMPTY,
    remoteUpfrontScript: accept.tlvs.upfrontShutdownScript ?? EMPTY,
    minimumDepth: accept.minimumDepth,
    config: s.config,
  };
  const commitments = initialCommitments(params, open.feeratePerKw, s.localFirstPoint);
  const waiting: WaitForFundingSigned = { ...baseOf(s), kind: 'wait-for-funding-signed', commitments, commandId: s.commandId };
  const [next, effect] = ask(waiting, setupChannelCall(params), { step: 'opener-setup', commitments });
  return [
    next,
    [
      reply(cmd.commandId, { ok: true, channelId: params.channelId }),
      notify({ kind: 'channel-id', temporaryChannelId: params.temporaryChannelId, channelId: params.channelId }),
      effect,
      ...changed(s, next),
    ],
  ];
}

export function resumeOpenerSetup(s: ChannelState, purpose: Extract<Purpose, { step: 'opener-setup' }>, answer: SignerAnswer): Step {
  if (!answer.ok) return openerFailed(s, `signer refused SetupChannel: ${answer.message}`);
  const c = purpose.commitments;
  const { remoteCommit } = c;
  const [next, effect] = ask(s, signCounterpartyCall(c.params.channelId, 0, remoteCommit.spec, remoteCommit.point), { step: 'opener-sign-first', commitments: c });
  return [next, [effect]];
}

export function resumeOpenerSignFirst(s: ChannelState, purpose: Extract<Purpose, { step: 'opener-sign-first' }>, answer: SignerAnswer): Step {
  if (!answer.ok) return openerFailed(s, `signer refused to sign the peer's commitment 0: ${answer.message}`);
  const { signature } = readCommitSignatures(answer.response);
  const p = purpose.commitments.params;
  return [
    s,
    sendTo(s, { type: 'funding_created', temporaryChannelId: p.temporaryChannelId, fundingTxid: p.fundingTxid, fundingOutputIndex: p.fundingVout, signature }),
  ];
}

export function onFundingSigned(s: ChannelState, m: FundingSigned): Step {
  if (s.kind !== 'wait-for-funding-signed') protocolError(`funding_signed in state ${s.kind}`);
  const c = s.commitments;
  if (!equal(m.channelId, c.params.channelId)) protocolError('funding_signed: channel_id is not funding_txid XOR funding_output_index');
  const [next, effect] = ask(s, validateHolderCall(c.params.channelId, 0, c.localCommit.spec, m.signature, []), { step: 'opener-validate-first', signature: m.signature });
  return [next, [effect]];
}

export function resumeOpenerValidateFirst(s: ChannelState, answer: SignerAnswer): Step {
  if (s.kind !== 'wait-for-funding-signed') throw new Error(`funding_signed validated in state ${s.kind}`);
  if (!answer.ok) return openerFailed(s, `funding_signed: the signer refused the signature on our commitment 0: ${answer.message}`, true);
  const c = s.commitments;
  const next: WaitForFundingConfirmed = { ...baseOf(s), kind: 'wait-for-funding-confirmed', commitments: c, remoteReady: null, fundingHeight: null };
  return [
    next,
    [
      persist(next),
      // BOLT 2: broadcast the funding transaction only after a valid funding_signed.
      { kind: 'publish-funding', channelId: c.params.channelId, fundingTxid: c.params.fundingTxid },
      watchFunding(c),
      reply(s.commandId, { ok: true, channelId: c.params.channelId }),
      ...changed(s, next),
    ],
  ];
}

function openerFailed(s: ChannelState, reason: string, tellPeer = false): Step {
  const commandId = s.kind === 'wait-for-funding-signed' || s.kind === 'wait-for-accept-channel' || s.kind === 'wait-for-funding-tx' ? s.commandId : null;
  const id = s.kind === 'wait-for-funding-signed' ? s.commitments.params.channelId : s.kind === 'idle' ? new Uint8Array(32) : channelIdOfOpening(s);
  const effects: Effect[] = [];
  if (tellPeer) effects.push(...sendTo(s, errorMessage(id, reason)));
  if (commandId !== null) effects.push(replyError(commandId, reason));
  effects.push(notify({ kind: 'channel-error', channelId: id, direction: 'sent', message: reason }));
  return abandon(s, id, reason, effects);
}

function channelIdOfOpening(s: ChannelState): Uint8Array {
  return 'open' in s ? s.open.temporaryChannelId : new Uint8Array(32);
}

// ---------------------------------------------------------------- acceptor

export function onOpenChannel(s: ChannelState, open: OpenChannel): Step {
  if (s.kind !== 'idle') {
    // BOLT 2: a new open_channel after a reconnection before funding_created replaces the previous one.
    if (s.kind === 'wait-for-funding-created' && equal(s.open.temporaryChannelId, open.temporaryChannelId)) return onOpenChannel({ ...baseOf(s), kind: 'idle', config: s.config, remoteNodeId: s.remoteNodeId }, open);
    protocolError(`open_channel in state ${s.kind}`);
  }
  let accepted;
  try {
    accepted = validateOpenChannel(s.config, open);
  } catch (e) {
    if (!(e instanceof ChannelProtocolError)) throw e;
    const reason = e.message;
    return abandon(s, open.temporaryChannelId, reason, [...sendTo(s, errorMessage(open.temporaryChannelId, reason)), notify({ kind: 'channel-error', channelId: open.temporaryChannelId, direction: 'sent', message: reason })]);
  }
  const [next, effect] = ask(s, newChannelCall(open.temporaryChannelId, s.remoteNodeId, false), { step: 'accept-new-channel', open, accepted });
  return [next, [effect]];
}

export function resumeAcceptNewChannel(s: ChannelState, purpose: Extract<Purpose, { step: 'accept-new-channel' }>, answer: SignerAnswer): Step {
  if (s.kind !== 'idle') throw new Error(`NewChannel answered in state ${s.kind}`);
  const { open, accepted } = purpose;
  if (!answer.ok) {
    const reason = `cannot open: ${answer.message}`;
    return abandon(s, open.temporaryChannelId, reason, [
      ...sendTo(s, errorMessage(open.temporaryChannelId, 'internal error')),
      notify({ kind: 'signer-refused', channelId: open.temporaryChannelId, method: 'NewChannel', message: answer.message }),
    ]);
  }
  const { basepoints, firstPoint } = readNewChannel(answer.response);
  const { config } = s;
  const local = localSide(config, open.fundingSatoshis, open.dustLimitSatoshis);
  const accept: AcceptChannel = {
    type: 'accept_channel',
    temporaryChannelId: open.temporaryChannelId,
    dustLimitSatoshis: local.dustLimitSat,
    maxHtlcValueInFlightMsat: local.maxHtlcValueInFlightMsat,
    channelReserveSatoshis: local.channelReserveSat,
    htlcMinimumMsat: local.htlcMinimumMsat,
    minimumDepth: config.minimumDepth,
    toSelfDelay: local.toSelfDelay,
    maxAcceptedHtlcs: local.maxAcceptedHtlcs,
    fundingPubkey: basepoints.fundingPubkey,
    revocationBasepoint: basepoints.revocationBasepoint,
    paymentBasepoint: basepoints.paymentBasepoint,
    delayedPaymentBasepoint: basepoints.delayedPaymentBasepoint,
    htlcBasepoint: basepoints.htlcBasepoint,
    firstPerCommitmentPoint: firstPoint,
    tlvs: { upfrontShutdownScript: config.upfrontShutdownScript ? config.shutdownScript : EMPTY, channelType: channelTypeBits(accepted.channelType) },
  };
  const next: WaitForFundingCreated = {
    ...s,
    kind: 'wait-for-funding-created',
    channelType: accepted.channelType,
    open,
    accept,
    remote: accepted.remote,
    localBasepoints: basepoints,
    localFirstPoint: firstPoint,
  };
  return [next, [...sendTo(next, accept), ...changed(s, next)]];
}

export function onFundingCreated(s: ChannelState, m: FundingCreated): Step {
  if (s.kind !== 'wait-for-funding-created') protocolError(`funding_created in state ${s.kind}`);
  if (!equal(m.temporaryChannelId, s.open.temporaryChannelId)) protocolError('funding_created: temporary_channel_id does not match open_channel');
  const { open, accept } = s;
  const params: ChannelParams = {
    channelId: channelIdFromFunding(m.fundingTxid, m.fundingOutputIndex),
    temporaryChannelId: open.temporaryChannelId,
    remoteNodeId: s.remoteNodeId,
    channelType: s.channelType,
    isOpener: false,
    fundingTxid: m.fundingTxid,
    fundingVout: m.fundingOutputIndex,
    fundingSat: open.fundingSatoshis,
    pushMsat: open.pushMsat,
    local: localSide(s.config, open.fundingSatoshis, open.dustLimitSatoshis),
    remote: s.remote,
    localBasepoints: s.localBasepoints,
    remoteBasepoints: basepointsOf(open),
    remoteFirstPoint: open.firstPerCommitmentPoint,
    localUpfrontScript: accept.tlvs.upfrontShutdownScript ?? EMPTY,
    remoteUpfrontScript: open.tlvs.upfrontShutdownScript ?? EMPTY,
    minimumDepth: accept.minimumDepth,
    config: s.config,
  };
  const commitments = initialCommitments(params, open.feeratePerKw, s.localFirstPoint);
  const [next, effect] = ask(s, setupChannelCall(params), { step: 'acceptor-setup', commitments, signature: m.signature });
  return [next, [notify({ kind: 'channel-id', temporaryChannelId: params.temporaryChannelId, channelId: params.channelId }), effect]];
}

function acceptorFailed(s: ChannelState, c: Commitments, reason: string): Step {
  const id = c.params.channelId;
  // BOLT 1: before (not including) funding_signed the fundee names the channel by its temporary_channel_id.
  const told = errorMessage(c.params.temporaryChannelId, reason);
  return abandon(s, id, reason, [...sendTo(s, told), notify({ kind: 'channel-error', channelId: id, direction: 'sent', message: reason })]);
}

export function resumeAcceptorSetup(s: ChannelState, purpose: Extract<Purpose, { step: 'acceptor-setup' }>, answer: SignerAnswer): Step {
  const c = purpose.commitments;
  if (!answer.ok) return acceptorFailed(s, c, `signer refused SetupChannel: ${answer.message}`);
  const [next, effect] = ask(s, validateHolderCall(c.params.channelId, 0, c.localCommit.spec, purpose.signature, []), { step: 'acceptor-validate-first', commitments: c });
  return [next, [effect]];
}

export function resumeAcceptorValidateFirst(s: ChannelState, purpose: Extract<Purpose, { step: 'acceptor-validate-first' }>, answer: SignerAnswer): Step {
  const c = purpose.commitments;
  if (!answer.ok) return acceptorFailed(s, c, `funding_created: the signature on our commitment 0 was refused: ${answer.message}`);
  const [next, effect] = ask(s, signCounterpartyCall(c.params.channelId, 0, c.remoteCommit.spec, c.remoteCommit.point), { step: 'acceptor-sign-first', commitments: c });
  return [next, [effect]];
}

export function resumeAcceptorSignFirst(s: ChannelState, purpose: Extract<Purpose, { step: 'acceptor-sign-first' }>, answer: SignerAnswer): Step {
  const c = purpose.commitments;
  if (!answer.ok) return acceptorFailed(s, c, `signer refused to sign the peer's commitment 0: ${answer.message}`);
  const { signature } = readCommitSignatures(answer.response);
  const next: WaitForFundingConfirmed = { ...baseOf(s), kind: 'wait-for-funding-confirmed', commitments: c, remoteReady: null, fundingHeight: null };
  // BOLT 2 §Message Retransmission: once funding_signed is sent the channel must be remembered: persist first.
  return [next, [persist(next), ...sendTo(next, { type: 'funding_signed', channelId: c.params.channelId, signature }), watchFunding(c), ...changed(s, next)]];
}

// ---------------------------------------------------------------- funding depth and channel_ready

function watchFunding(c: Commitments): Effect {
  const p = c.params;
  return {
    kind: 'watch-funding',
    channelId: p.channelId,
    fundingTxid: p.fundingTxid,
    fundingVout: p.fundingVout,
    scriptPubkey: p2wsh(fundingScript(p.localBasepoints.fundingPubkey, p.remoteBasepoints.fundingPubkey)),
    minDepth: p.minimumDepth,
  };
}

/** BOLT 2 §The channel_ready Message: once minimum_depth is reached, tell the signer, then send our point for commitment 1. */
export function onFundingDepth(s: ChannelState, e: FundingDepthEvent): Step {
  const withHeight = e.height > s.blockHeight ? patch(s, { blockHeight: e.height }) : s;
  if (withHeight.kind !== 'wait-for-funding-confirmed') return [withHeight, NO_EFFECTS];
  const c = withHeight.commitments;
  if (e.depth < Math.max(1, c.params.minimumDepth)) return [withHeight, NO_EFFECTS];
  const fundingHeight = e.height - e.depth + 1;
  const waiting: WaitForFundingConfirmed = { ...withHeight, fundingHeight };
  const [next, effect] = ask(waiting, fundingConfirmedCall(c.params.channelId, fundingHeight), { step: 'funding-confirmed' });
  return [next, [effect]];
}

export function resumeFundingConfirmed(s: ChannelState, answer: SignerAnswer): Step {
  if (s.kind !== 'wait-for-funding-confirmed') return [s, NO_EFFECTS];
  const c = s.commitments;
  const effects: Effect[] = [];
  if (!answer.ok) effects.push(notify({ kind: 'signer-refused', channelId: c.params.channelId, method: 'FundingConfirmed', message: answer.message }));
  const [next, effect] = ask(s, perCommitmentPointCall(c.params.channelId, 1), { step: 'first-point' });
  return [next, [...effects, effect]];
}

export function resumeFirstPoint(s: ChannelState, answer: SignerAnswer): Step {
  if (s.kind !== 'wait-for-funding-confirmed') return [s, NO_EFFECTS];
  const c0 = s.commitments;
  if (!answer.ok) {
    return [s, [notify({ kind: 'signer-refused', channelId: c0.params.channelId, method: 'GetPerCommitmentPoint', message: answer.message })]];
  }
  const point = readPoint(answer.response);
  const c: Commitments = { ...c0, localPoints: { current: c0.localPoints.current, next: point } };
  const ready: ChannelReady = { type: 'channel_ready', channelId: c.params.channelId, secondPerCommitmentPoint: point, tlvs: {} };
  if (s.remoteReady !== null) {
    const next = normalOf(s, { ...c, remoteNextPoint: s.remoteReady.secondPerCommitmentPoint });
    return [next, [persist(next), ...sendTo(next, ready), ...changed(s, next)]];
  }
  const next: WaitForChannelReady = { ...baseOf(s), kind: 'wait-for-channel-ready', commitments: c };
  return [next, [persist(next), ...sendTo(next, ready), ...changed(s, next)]];
}

export function onChannelReady(s: ChannelState, m: ChannelReady): Step {
  switch (s.kind) {
    case 'wait-for-funding-confirmed':
      checkReady(s.commitments, m);
      return [{ ...s, remoteReady: m }, NO_EFFECTS];
    case 'wait-for-channel-ready': {
      checkReady(s.commitments, m);
      const next = normalOf(s, { ...s.commitments, remoteNextPoint: m.secondPerCommitmentPoint });
      return [next, [persist(next), ...changed(s, next)]];
    }
    case 'normal': {
      // A channel rebuilt from the signer (restore.ts) learns the peer's point for commitment 1 again here.
      const c = s.commitments;
      if (c.remoteNextPoint !== null || c.remoteNext !== null || c.remoteCommit.number !== 0) return [s, NO_EFFECTS];
      checkReady(c, m);
      const next: Normal = { ...s, commitments: { ...c, remoteNextPoint: m.secondPerCommitmentPoint } };
      return [next, [persist(next)]];
    }
    default:
      // BOLT 2: upon reconnection, MUST ignore any redundant channel_ready.
      return [s, NO_EFFECTS];
  }
}

function checkReady(c: Commitments, m: ChannelReady): void {
  if (!equal(m.channelId, c.params.channelId)) protocolError('channel_ready: channel_id does not match');
}

function normalOf(s: ChannelState, commitments: Commitments): Normal {
  return { ...baseOf(s), kind: 'normal', commitments, localShutdown: null, remoteShutdown: null, close: null };
}

function basepointsOf(m: OpenChannel | AcceptChannel): ChannelParams['remoteBasepoints'] {
  return {
    fundingPubkey: m.fundingPubkey,
    revocationBasepoint: m.revocationBasepoint,
    paymentBasepoint: m.paymentBasepoint,
    delayedPaymentBasepoint: m.delayedPaymentBasepoint,
    htlcBasepoint: m.htlcBasepoint,
  };
}

/** The bookkeeping fields alone, to build a state of another kind without carrying the old kind's fields. */
export function baseOf(s: ChannelState): Pick<Idle, 'pending' | 'deferred' | 'nextRequestId' | 'connection' | 'blockHeight'> {
  return { pending: s.pending, deferred: s.deferred, nextRequestId: s.nextRequestId, connection: s.connection, blockHeight: s.blockHeight };
}
