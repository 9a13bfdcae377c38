// BOLT 2 §Channel Close: shutdown, the legacy closing_signed fee negotiation (the opener proposes,
// each answer lies strictly between the last two until both name the same fee), and failing the
// channel (BOLT 5 §Failing a Channel): `error` to the peer and our latest commitment, signed by the
// signer, broadcast.
import { equal } from '../../bolt/bytes.js';
import {
  buildLegacyClosing,
  ClosingError,
  encodeScriptSignature,
  finalizeClosing,
  parseTransaction,
  segwitV0Sighash,
  serializeTransaction,
  SIGHASH_ALL,
  transactionId,
  transactionWeight,
  withWitness,
  type ClosingTransaction,
} from '../../bolt/bolt3/index.js';
import { secp } from '../../bolt/crypto/secp256k1.js';
import type { MessageNamed } from '../../bolt/messages/index.js';
import type { Effect } from './effects.js';
import type { BlockEvent, CloseCommand, ForceCloseCommand, FundingSpentEvent } from './events.js';
import { expiredOutgoing, isQuiet } from './commitments.js';
import { protocolError, refuse } from './errors.js';
import { ask, changed, errorMessage, notify, NO_EFFECTS, patch, persist, reply, replyError, sendTo, type Step } from './machine.js';
import { abandon, baseOf } from './opening.js';
import { isValidShutdownScript } from './params.js';
import type { SignerAnswer } from './resume.js';
import { channelClosedCall, forceCloseCall, readSignature, readTransaction, signMutualCloseCall } from './signer-requests.js';
import {
  channelIdOf,
  hasCommitments,
  type ChannelState,
  type Closed,
  type Closing,
  type ClosingSigned,
  type Negotiating,
  type Normal,
  type Purpose,
  type Shutdown,
  type ShuttingDown,
} from './states.js';

const EMPTY = new Uint8Array(0);
/** A DER signature with its sighash byte at its longest, as the signer's fee check assumes. */
const DUMMY_SIGNATURE = new Uint8Array(73);
/** BOLT 2 §cltv_expiry_delta Selection: blocks after an offered HTLC's expiry before we fail the channel. */
const OFFERED_HTLC_GRACE_BLOCKS = 1;

// ---------------------------------------------------------------- failing the channel

/**
 * Fail the channel: tell the peer (`error`, unless it told us) and have the signer sign our latest
 * commitment for broadcast. Before funding there is nothing to broadcast: the channel is abandoned.
 */
export function failChannel(state: ChannelState, reason: string, tellPeer = true, commandId: string | null = null): Step {
  const s = state.pending === null ? state : patch(state, { pending: null });
  const channelId = channelIdOf(s);
  const told: Effect[] = tellPeer ? [...sendTo(s, errorMessage(channelId, reason))] : [];
  const noted = notify({ kind: 'channel-error', channelId, direction: tellPeer ? 'sent' : 'received', message: reason });
  switch (s.kind) {
    case 'idle':
      return [s, [noted]];
    case 'wait-for-accept-channel':
    case 'wait-for-funding-tx':
    case 'wait-for-funding-created':
    case 'wait-for-funding-signed': {
      const replies = s.kind === 'wait-for-funding-created' ? [] : [replyError(s.commandId, reason)];
      return abandon(s, channelId, reason, [...told, noted, ...replies]);
    }
    case 'closing':
    case 'closed':
    case 'wait-for-remote-publish':
      return [s, [noted]];
    default: {
      const closing: Closing = { ...baseOf(s), kind: 'closing', commitments: s.commitments, closeType: 'local', published: null, errorMessage: tellPeer ? reason : null };
      const [next, effect] = ask(closing, forceCloseCall(channelId), { step: 'force-close' });
      const replies = commandId === null ? [] : [reply(commandId, { ok: true })];
      return [next, [...told, noted, persist(next), effect, ...replies, ...changed(s, next)]];
    }
  }
}

export function onForceClose(s: ChannelState, cmd: ForceCloseCommand): Step {
  if (!hasCommitments(s) || s.kind === 'closing' || s.kind === 'wait-for-remote-publish' || s.kind === 'wait-for-funding-signed') {
    refuse(`force-close: the channel is ${s.kind}, there is no commitment to broadcast`);
  }
  return failChannel(s, 'force close requested by the user', true, cmd.commandId);
}

export function resumeForceClose(s: ChannelState, answer: SignerAnswer): Step {
  if (s.kind !== 'closing') return [s, NO_EFFECTS];
  const channelId = s.commitments.params.channelId;
  if (!answer.ok) return [s, [notify({ kind: 'signer-refused', channelId, method: 'SignHolderCommitmentForBroadcast', message: answer.message })]];
  const tx = readTransaction(answer.response, 'SignHolderCommitmentForBroadcast');
  const txid = transactionId(parseTransaction(tx));
  const next: Closing = { ...s, published: { tx, txid } };
  return [next, [persist(next), { kind: 'broadcast', what: 'commitment', tx, txid }]];
}

/** BOLT 1: an `error` for this channel (or for all, zero channel_id) fails it; we broadcast our commitment. */
export function onPeerError(s: ChannelState, m: MessageNamed<'error'>): Step {
  const ours = channelIdOf(s);
  if (!m.channelId.every((b) => b === 0) && !equal(m.channelId, ours)) return [s, NO_EFFECTS];
  const text = new TextDecoder().decode(m.data).replace(/[^\x20-\x7e]/g, '?').slice(0, 300);
  return failChannel(s, `the peer sent an error: ${text}`, false);
}

// ---------------------------------------------------------------- shutdown

function closingScript(s: Normal): Uint8Array {
  const upfront = s.commitments.params.localUpfrontScript;
  return upfront.length > 0 ? upfront : s.commitments.params.config.shutdownScript;
}

export function onClose(state: ChannelState, cmd: CloseCommand): Step {
  if (state.kind === 'shutting-down' || state.kind === 'negotiating') refuse('close: the channel is already closing');
  if (state.kind !== 'normal') refuse(`close: the channel is ${state.kind}, not in normal operation`);
  const s = state;
  if (s.localShutdown !== null) refuse('close: shutdown was already sent');
  if (s.connection !== 'online') refuse('close: the peer is not connected');
  const p = s.commitments.params;
  const script = cmd.scriptPubkey ?? closingScript(s);
  if (!isValidShutdownScript(script)) refuse('close: the script is not a P2WPKH, P2WSH or witness v1+ program (BOLT 2 §shutdown)');
  if (p.localUpfrontScript.length > 0 && !equal(script, p.localUpfrontScript)) refuse('close: the script differs from the upfront_shutdown_script we committed to');
  // BOLT 2: MUST NOT send shutdown while updates are pending on the peer's commitment.
  if (s.commitments.localChanges.proposed.length > 0) refuse('close: updates are not signed yet; sign them first');
  const feeratePerKw = cmd.feeratePerKw ?? p.config.closingFeeratePerKw;
  if (feeratePerKw < p.config.minFeeratePerKw || feeratePerKw > p.config.maxFeeratePerKw) {
    refuse(`close: feerate_per_kw ${feeratePerKw} is outside ${p.config.minFeeratePerKw}..${p.config.maxFeeratePerKw}`);
  }
  const shutdown: Shutdown = { type: 'shutdown', channelId: p.channelId, scriptpubkey: script, tlvs: {} };
  const next: Normal = { ...s, localShutdown: shutdown, close: { commandId: cmd.commandId, feeratePerKw } };
  return afterCommitmentChange(next, [persist(next), ...sendTo(next, shutdown), reply(cmd.commandId, { ok: true, channelId: p.channelId })]);
}

export function onShutdown(state: ChannelState, m: Shutdown): Step {
  if (state.kind === 'shutting-down' || state.kind === 'negotiating' || (state.kind === 'normal' && state.remoteShutdown !== null)) {
    // BOLT 2 §Message Retransmission: shutdown is retransmitted after a reconnection.
    if (equal(state.remoteShutdown!.scriptpubkey, m.scriptpubkey)) return [state, NO_EFFECTS];
    protocolError('shutdown: a second shutdown with another script');
  }
  if (state.kind !== 'normal') {
    if (state.kind === 'closing' || state.kind === 'closed' || state.kind === 'wait-for-remote-publish') return [state, NO_EFFECTS];
    protocolError(`shutdown in state ${state.kind} (closing before channel_ready is not supported)`);
  }
  const s = state;
  const p = s.commitments.params;
  if (!isValidShutdownScript(m.scriptpubkey)) protocolError('shutdown: scriptpubkey is not P2WPKH, P2WSH or a witness v1+ program');
  if (p.remoteUpfrontScript.length > 0 && !equal(p.remoteUpfrontScript, m.scriptpubkey)) protocolError('shutdown: scriptpubkey differs from the peer\'s upfront_shutdown_script');
  if (s.commitments.remoteChanges.proposed.some((u) => u.type === 'update_add_htlc')) protocolError('shutdown with unsigned update_add_htlc pending (BOLT 2: MUST NOT)');
  const next: Normal = { ...s, remoteShutdown: m };
  return afterCommitmentChange(next, [persist(next)]);
}

/**
 * After anything that moves commitments: answer a received shutdown once our updates are signed,
 * move to shutting-down once both shutdowns are exchanged, and to negotiation once no HTLC and no
 * update is left anywhere (the opener then proposes the first fee).
 */
export function afterCommitmentChange(state: ChannelState, effects: Effect[]): Step {
  let s = state;
  if (s.kind === 'normal') {
    if (s.remoteShutdown !== null && s.localShutdown === null && s.commitments.localChanges.proposed.length === 0 && s.connection === 'online') {
      const shutdown: Shutdown = { type: 'shutdown', channelId: s.commitments.params.channelId, scriptpubkey: closingScript(s), tlvs: {} };
      s = { ...s, localShutdown: shutdown };
      effects.push(...sendTo(s, shutdown));
    }
    if (s.localShutdown !== null && s.remoteShutdown !== null) {
      const down: ShuttingDown = { ...s, kind: 'shutting-down', localShutdown: s.localShutdown, remoteShutdown: s.remoteShutdown };
      effects.push(persist(down), ...changed(s, down));
      s = down;
    }
  }
  if (s.kind === 'shutting-down' && s.pending === null && isQuiet(s.commitments)) {
    const negotiating: Negotiating = { ...s, kind: 'negotiating', lastSent: null };
    effects.push(persist(negotiating), ...changed(s, negotiating));
    return startNegotiation(negotiating, effects);
  }
  return [s, effects];
}

// ---------------------------------------------------------------- closing_signed (BOLT 2 §Legacy Closing Negotiation)

/** BOLT 3 §Legacy Closing Transaction for a fee, from our side. */
function closingTx(s: Negotiating, feeSat: bigint): ClosingTransaction {
  const c = s.commitments;
  const p = c.params;
  return buildLegacyClosing({
    funding: { txid: Uint8Array.from(p.fundingTxid).reverse(), vout: p.fundingVout, amountSat: p.fundingSat },
    localFundingPubkey: p.localBasepoints.fundingPubkey,
    remoteFundingPubkey: p.remoteBasepoints.fundingPubkey,
    localScript: s.localShutdown.scriptpubkey,
    remoteScript: s.remoteShutdown.scriptpubkey,
    localBalanceMsat: c.localCommit.spec.toLocalMsat,
    remoteBalanceMsat: c.localCommit.spec.toRemoteMsat,
    localIsFunder: p.isOpener,
    feeSat,
    dustLimitSat: p.local.dustLimitSat,
  });
}

/** The fee for a closing transaction at a feerate: its weight with two maximal signatures. */
function feeAt(s: Negotiating, feeratePerKw: number): bigint {
  const closing = closingTx(s, 0n);
  const weight = transactionWeight(withWitness(closing.tx, 0, [EMPTY, DUMMY_SIGNATURE, DUMMY_SIGNATURE, closing.fundingWitnessScript]));
  return (BigInt(feeratePerKw) * BigInt(weight) + 999n) / 1000n;
}

function targetFee(s: Negotiating): bigint {
  return feeAt(s, s.close?.feeratePerKw ?? s.commitments.params.config.closingFeeratePerKw);
}

/** The opener proposes first (BOLT 2: the funding node SHOULD send closing_signed). */
export function startNegotiation(s: Negotiating, effects: Effect[]): Step {
  if (!s.commitments.params.isOpener || s.connection !== 'online' || s.pending !== null) return [s, effects];
  const feeSat = targetFee(s);
  return askToSign(s, feeSat, null, effects);
}

function askToSign(s: Negotiating, feeSat: bigint, agreed: ClosingSigned | null, effects: Effect[]): Step {
  const closing = closingTx(s, feeSat);
  const p = s.commitments.params;
  const local = closing.outputs.find((o) => o.owner === 'local');
  const remote = closing.outputs.find((o) => o.owner === 'remote');
  const outputsSat = (local?.amountSat ?? 0n) + (remote?.amountSat ?? 0n);
  const call = signMutualCloseCall(
    p.channelId,
    { script: local?.script ?? EMPTY, sat: local?.amountSat ?? 0n },
    { script: remote?.script ?? EMPTY, sat: remote?.amountSat ?? 0n },
    p.fundingSat - outputsSat,
  );
  const [next, effect] = ask(s, call, { step: 'sign-closing', feeSat, agreed });
  return [next, [...effects, effect]];
}

export function onClosingSigned(state: ChannelState, m: ClosingSigned): Step {
  if (state.kind !== 'negotiating') {
    if (state.kind === 'closing' || state.kind === 'closed') return [state, NO_EFFECTS];
    protocolError(`closing_signed in state ${state.kind} (HTLCs or updates are still pending)`);
  }
  const s = state;
  const c = s.commitments;
  const fee = m.feeSatoshis;
  let closing: ClosingTransaction;
  try {
    closing = closingTx(s, fee);
  } catch (e) {
    if (e instanceof ClosingError) protocolError(`closing_signed: fee ${fee} sat: ${e.message}`);
    throw e;
  }
  const digest = segwitV0Sighash(closing.tx, 0, closing.fundingWitnessScript, c.params.fundingSat, SIGHASH_ALL);
  if (!secp.verify(m.signature, digest, c.params.remoteBasepoints.fundingPubkey)) protocolError(`closing_signed: the signature is not valid for the closing transaction with fee ${fee} sat`);
  if (s.lastSent !== null && s.lastSent.feeSat === fee) return finalizeMutual(s, closing, s.lastSent.signature, m.signature, []);
  const floor = feeAt(s, c.params.config.minFeeratePerKw);
  let next = s.lastSent === null ? targetFee(s) : (s.lastSent.feeSat + fee) / 2n;
  if (next < floor) next = floor;
  if (s.lastSent !== null && next === s.lastSent.feeSat) {
    // Nothing lies strictly between the two fees: take theirs if we can, else give up.
    if (fee < floor) return failChannel(s, `closing fee negotiation failed: the peer insists on ${fee} sat, below our minimum ${floor} sat`);
    next = fee;
  }
  return askToSign(s, next, next === fee ? m : null, []);
}

export function resumeSignClosing(state: ChannelState, purpose: Extract<Purpose, { step: 'sign-closing' }>, answer: SignerAnswer): Step {
  if (state.kind !== 'negotiating') return [state, NO_EFFECTS];
  const s = state;
  if (!answer.ok) return failChannel(s, `the signer refused the closing transaction with fee ${purpose.feeSat} sat: ${answer.message}`);
  const signature = readSignature(answer.response, 'SignMutualClose');
  const message: ClosingSigned = { type: 'closing_signed', channelId: s.commitments.params.channelId, feeSatoshis: purpose.feeSat, signature, tlvs: {} };
  const sent = sendTo(s, message);
  if (purpose.agreed !== null) return finalizeMutual(s, closingTx(s, purpose.feeSat), signature, purpose.agreed.signature, sent);
  const next: Negotiating = { ...s, lastSent: { feeSat: purpose.feeSat, signature } };
  return [next, sent];
}

function finalizeMutual(s: Negotiating, closing: ClosingTransaction, ours: Uint8Array, theirs: Uint8Array, effects: readonly Effect[]): Step {
  const signed = finalizeClosing(closing, encodeScriptSignature(ours, SIGHASH_ALL), encodeScriptSignature(theirs, SIGHASH_ALL));
  const tx = serializeTransaction(signed);
  const txid = transactionId(signed);
  const next: Closing = { ...baseOf(s), kind: 'closing', commitments: s.commitments, closeType: 'mutual', published: { tx, txid }, errorMessage: null };
  return [next, [...effects, persist(next), { kind: 'broadcast', what: 'mutual-close', tx, txid }, ...changed(s, next)]];
}

// ---------------------------------------------------------------- the chain

/** A transaction spending the funding output confirmed: the channel is closed (BOLT 5 handles its outputs). */
export function onFundingSpent(s: ChannelState, e: FundingSpentEvent): Step {
  if (!hasCommitments(s)) return [s, NO_EFFECTS];
  const channelId = s.commitments.params.channelId;
  const ours = s.kind === 'closing' && s.published !== null && equal(s.published.txid, e.txid);
  const reason = ours ? `${s.kind === 'closing' ? s.closeType : ''} close confirmed at height ${e.height}` : `funding output spent by a transaction we did not publish (${s.kind}), height ${e.height}`;
  const closed: Closed = { ...baseOf(s), pending: null, kind: 'closed', channelId, reason, closingTxid: e.txid, blockHeight: Math.max(s.blockHeight, e.height) };
  const effects: Effect[] = [];
  if (s.kind === 'negotiating' || s.kind === 'normal' || s.kind === 'shutting-down') {
    // HTLCs we offered are settled on chain now (BOLT 5); report them to the payer as not settled here.
    for (const h of s.commitments.localCommit.spec.htlcs) {
      if (h.direction === 'offered') {
        effects.push(notify({ kind: 'payment-failed', channelId, htlcId: h.id, paymentHash: h.paymentHash, amountMsat: h.amountMsat, failure: { kind: 'local', message: 'channel closed on chain; the HTLC resolves on chain' } }));
      }
    }
  }
  const [next, effect] = ask(closed, channelClosedCall(channelId, e.txid), { step: 'channel-closed' });
  return [next, [...effects, persist(next), effect, ...changed(s, next)]];
}

export function resumeChannelClosed(s: ChannelState, answer: SignerAnswer): Step {
  if (answer.ok) return [s, NO_EFFECTS];
  return [s, [notify({ kind: 'signer-refused', channelId: channelIdOf(s), method: 'ChannelClosed', message: answer.message })]];
}

/** BOLT 2 §cltv_expiry_delta Selection: an offered HTLC past its deadline in a current commitment fails the channel. */
export function onBlock(state: ChannelState, e: BlockEvent): Step {
  if (e.height <= state.blockHeight) return [state, NO_EFFECTS];
  const s = patch(state, { blockHeight: e.height });
  if (s.kind !== 'normal' && s.kind !== 'shutting-down' && s.kind !== 'negotiating') return [s, NO_EFFECTS];
  const expired = expiredOutgoing(s.commitments, e.height, OFFERED_HTLC_GRACE_BLOCKS);
  if (expired.length === 0) return [s, NO_EFFECTS];
  return failChannel(s, `offered HTLC ${expired[0]!.id} expired at ${expired[0]!.cltvExpiry}, height is ${e.height}`);
}

