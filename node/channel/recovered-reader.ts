// A strict reader for the signer's ListChannels answer (proto ChannelSummary, proto-loader shapes):
// the typed RecoveredChannel a wiped node rebuilds from (restore.ts). Channels never set up (no
// SetupChannel: nothing was funded) are skipped. Every malformed field is named.
import type { Htlc } from '../../bolt/bolt3/index.js';
import type { CommitmentSpec } from './commitment-spec.js';
import type { RecoveredChannel, RecoveredCommitment } from './restore.js';
import { bytesField, fields, readBasepoints, SignerReplyError, type Fields } from './signer-requests.js';

const LIFECYCLES = ['opening', 'open', 'closing', 'closed'] as const;

function str(obj: Fields, field: string, what: string): string {
  const v = obj[field];
  if (typeof v !== 'string') throw new SignerReplyError(`${what}.${field}: expected a decimal string, got ${typeof v}`);
  return v;
}

function int(obj: Fields, field: string, what: string): number {
  const v = obj[field];
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw new SignerReplyError(`${what}.${field}: expected an integer, got ${String(v)}`);
  return n;
}

function big(obj: Fields, field: string, what: string): bigint {
  const v = str(obj, field, what);
  if (!/^-?\d+$/.test(v)) throw new SignerReplyError(`${what}.${field}: ${v} is not an integer`);
  return BigInt(v);
}

function script(obj: Fields, field: string, what: string): Uint8Array {
  const v = obj[field];
  if (!(v instanceof Uint8Array)) throw new SignerReplyError(`${what}.${field}: expected bytes`);
  return Uint8Array.from(v);
}

function commitment(v: unknown, what: string): RecoveredCommitment {
  const c = fields(v, what);
  const list = c['htlcs'] ?? [];
  if (!Array.isArray(list)) throw new SignerReplyError(`${what}.htlcs: expected a list`);
  const htlcs: Htlc[] = list.map((h, i) => {
    const w = `${what}.htlcs[${i}]`;
    const m = fields(h, w);
    const direction = m['direction'] === 'HTLC_DIRECTION_OFFERED' ? 'offered' : m['direction'] === 'HTLC_DIRECTION_RECEIVED' ? 'received' : null;
    if (direction === null) throw new SignerReplyError(`${w}.direction: ${String(m['direction'])}`);
    return { direction, id: big(m, 'id', w), amountMsat: big(m, 'amount_msat', w), paymentHash: bytesField(m, 'payment_hash', 32, w), cltvExpiry: int(m, 'cltv_expiry', w) };
  });
  const spec: CommitmentSpec = { feeratePerKw: int(c, 'feerate_per_kw', what), toLocalMsat: big(c, 'to_holder_msat', what), toRemoteMsat: big(c, 'to_counterparty_msat', what), htlcs };
  return { number: int(c, 'commitment_number', what), spec };
}

function readOne(v: unknown, index: number): RecoveredChannel | null {
  const what = `ListChannels.channels[${index}]`;
  const s = fields(v, what);
  if (s['setup'] === null || s['setup'] === undefined) return null;
  const setup = fields(s['setup'], `${what}.setup`);
  const w = `${what}.setup`;
  const lifecycle = LIFECYCLES.find((l) => l === s['state']);
  if (lifecycle === undefined) throw new SignerReplyError(`${what}.state: ${String(s['state'])}`);
  const channelType = setup['channel_type'] === 'CHANNEL_TYPE_ANCHORS' ? 'anchors' : setup['channel_type'] === 'CHANNEL_TYPE_STATIC_REMOTEKEY' ? 'static_remotekey' : null;
  if (channelType === null) throw new SignerReplyError(`${w}.channel_type: ${String(setup['channel_type'])}`);
  const outpoint = fields(setup['funding_outpoint'], `${w}.funding_outpoint`);
  const counterparty = s['counterparty_commitment'];
  const previous = s['previous_counterparty_commitment'];
  if (s['holder_commitment'] === null || s['holder_commitment'] === undefined) throw new SignerReplyError(`${what}.holder_commitment: missing for a channel that was set up`);
  if (counterparty === null || counterparty === undefined) throw new SignerReplyError(`${what}.counterparty_commitment: missing for a channel that was set up`);
  const secretsList = s['counterparty_secrets'] ?? [];
  if (!Array.isArray(secretsList)) throw new SignerReplyError(`${what}.counterparty_secrets: expected a list`);
  const remoteSecrets = new Map<number, Uint8Array>();
  secretsList.forEach((x, i) => {
    const m = fields(x, `${what}.counterparty_secrets[${i}]`);
    remoteSecrets.set(int(m, 'commitment_number', `${what}.counterparty_secrets[${i}]`), bytesField(m, 'secret', 32, `${what}.counterparty_secrets[${i}]`));
  });
  const fundingHeight = int(s, 'funding_height', what);
  return {
    channelId: bytesField(s, 'channel_id', 32, what),
    temporaryChannelId: bytesField(s, 'temporary_channel_id', 32, what),
    remoteNodeId: bytesField(s, 'peer_node_id', 33, what),
    lifecycle,
    channelType,
    isOpener: setup['holder_is_opener'] === true,
    fundingTxid: bytesField(outpoint, 'txid', 32, `${w}.funding_outpoint`),
    fundingVout: int(outpoint, 'vout', `${w}.funding_outpoint`),
    fundingSat: big(setup, 'funding_sat', w),
    pushMsat: big(setup, 'push_msat', w),
    localBasepoints: readBasepoints(s['holder_basepoints'], `${what}.holder_basepoints`),
    remoteBasepoints: readBasepoints(setup['counterparty_basepoints'], `${w}.counterparty_basepoints`),
    remoteFirstPoint: bytesField(setup, 'counterparty_first_per_commitment_point', 33, w),
    localOutputsDelay: int(setup, 'holder_to_self_delay', w),
    remoteOutputsDelay: int(setup, 'counterparty_to_self_delay', w),
    localDustLimitSat: big(setup, 'holder_dust_limit_sat', w),
    remoteDustLimitSat: big(setup, 'counterparty_dust_limit_sat', w),
    localReserveSat: big(setup, 'holder_channel_reserve_sat', w),
    remoteReserveSat: big(setup, 'counterparty_channel_reserve_sat', w),
    maxAcceptedHtlcs: int(setup, 'max_accepted_htlcs', w),
    htlcMinimumMsat: big(setup, 'htlc_minimum_msat', w),
    localUpfrontScript: script(setup, 'holder_shutdown_script', w),
    remoteUpfrontScript: script(setup, 'counterparty_shutdown_script', w),
    localCommit: commitment(s['holder_commitment'], `${what}.holder_commitment`),
    remoteCommit: { ...commitment(counterparty, `${what}.counterparty_commitment`), point: bytesField(s, 'counterparty_commitment_point', 33, what) },
    previousRemoteCommit:
      previous === null || previous === undefined ? null : { ...commitment(previous, `${what}.previous_counterparty_commitment`), point: bytesField(s, 'previous_counterparty_commitment_point', 33, what) },
    remoteSecrets,
    localNextHtlcId: big(s, 'next_holder_htlc_id', what),
    remoteNextHtlcId: big(s, 'next_counterparty_htlc_id', what),
    fundingHeight: fundingHeight === 0 ? null : fundingHeight,
  };
}

/** The channels a ListChannels answer describes, those that were set up. */
export function readRecoveredChannels(response: unknown): RecoveredChannel[] {
  const list = fields(response, 'ListChannels')['channels'] ?? [];
  if (!Array.isArray(list)) throw new SignerReplyError('ListChannels.channels: expected a list');
  return list.map(readOne).filter((c): c is RecoveredChannel => c !== null);
}
