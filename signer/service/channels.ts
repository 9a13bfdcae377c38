// The signer's channels in memory: each durable ChannelRecord plus what is costly to recompute
// (the deserialized shachain, the unrevoked commitments, derived keys, our per-commitment points).
// Rebuilt from SQLite at open; changed only after the SQLite transaction that records the change commits.
import { hex } from '../../bolt/bytes.js';
import { ShachainStore, commitmentObscuringFactor, type CommitmentKeys } from '../../bolt/bolt3/index.js';
import type { ChannelFacts } from '../../policy/index.js';
import type { ChannelRecord, CounterpartyCommitmentRecord, HolderCommitmentRecord } from '../store/records.js';
import type { SignerStore } from '../store/store.js';
import { notFound, precondition } from '../errors.js';
import type { ChannelSetup } from '../store/records.js';

/** Derived keys kept per channel (a few commitments' worth: the current and next of each side). */
const KEY_CACHE_LIMIT = 8;
/** Our per-commitment points kept per channel. */
const POINT_CACHE_LIMIT = 8;

export class LiveChannel {
  record: ChannelRecord;
  shachain: ShachainStore;
  /** Unrevoked holder commitments we validated (at most two), by number. */
  readonly holderCommitments = new Map<number, HolderCommitmentRecord>();
  /** Unrevoked counterparty commitments we signed (at most two), by number. */
  readonly counterpartyCommitments = new Map<number, CounterpartyCommitmentRecord>();
  readonly #keys = new Map<string, CommitmentKeys>();
  readonly #points = new Map<number, Uint8Array>();
  #facts: ChannelFacts | undefined;
  #obscuring: bigint | undefined;

  constructor(record: ChannelRecord) {
    this.record = record;
    this.shachain = ShachainStore.deserialize(record.counterpartySecrets);
  }

  get channelIdHex(): string | null {
    return this.record.setup === null ? null : hex(this.record.setup.channelId);
  }

  /** The id the audit log and ListChannels show: the final id once set up, else the temporary one. */
  get displayId(): Uint8Array {
    return this.record.setup?.channelId ?? this.record.temporaryChannelId;
  }

  /** The setup, or a refusal naming the operation that needed it. */
  requireSetup(what: string): ChannelSetup {
    const setup = this.record.setup;
    if (setup === null) throw precondition('policy-signer-channel-state', `${what}: the channel is not set up yet (SetupChannel first)`);
    return setup;
  }

  /** BOLT 3 §Commitment Transaction obscuring factor: opener's payment_basepoint first. */
  obscuringFactor(setup: ChannelSetup): bigint {
    if (this.#obscuring === undefined) {
      const ours = this.record.holder.paymentBasepoint;
      const theirs = setup.counterparty.paymentBasepoint;
      this.#obscuring = this.record.holderIsOpener ? commitmentObscuringFactor(ours, theirs) : commitmentObscuringFactor(theirs, ours);
    }
    return this.#obscuring;
  }

  /**
   * The channel parameters as policy/ reads them. SideParams hold what each side CHOSE: our
   * to_self_delay is the delay we impose on them, our channel_reserve what they must keep.
   * SetupChannel carries one max_accepted_htlcs and one htlc_minimum_msat; both sides get them.
   */
  facts(setup: ChannelSetup): ChannelFacts {
    this.#facts ??= {
      channelId: hex(setup.channelId),
      channelType: setup.channelType,
      capacitySat: setup.fundingSat,
      weFunded: this.record.holderIsOpener,
      pushMsat: setup.pushMsat,
      holder: {
        toSelfDelay: setup.counterpartyToSelfDelay,
        dustLimitSat: setup.holderDustLimitSat,
        channelReserveSat: setup.counterpartyChannelReserveSat,
        maxAcceptedHtlcs: setup.maxAcceptedHtlcs,
        htlcMinimumMsat: setup.htlcMinimumMsat,
      },
      counterparty: {
        toSelfDelay: setup.holderToSelfDelay,
        dustLimitSat: setup.counterpartyDustLimitSat,
        channelReserveSat: setup.holderChannelReserveSat,
        maxAcceptedHtlcs: setup.maxAcceptedHtlcs,
        htlcMinimumMsat: setup.htlcMinimumMsat,
      },
    };
    return this.#facts;
  }

  /** Cached per-commitment keys under `key` (side, number and point), computed by `derive` on a miss. */
  keys(key: string, derive: () => CommitmentKeys): CommitmentKeys {
    let k = this.#keys.get(key);
    if (k === undefined) {
      k = derive();
      if (this.#keys.size >= KEY_CACHE_LIMIT) this.#keys.delete(this.#keys.keys().next().value!);
      this.#keys.set(key, k);
    }
    return k;
  }

  cachedPoint(number: number): Uint8Array | undefined {
    return number === 0 ? this.record.holderFirstPoint : this.#points.get(number);
  }

  rememberPoint(number: number, point: Uint8Array): void {
    if (this.#points.size >= POINT_CACHE_LIMIT) this.#points.delete(this.#points.keys().next().value!);
    this.#points.set(number, point);
  }

  /** True once a mutual close or a holder commitment for broadcast was signed (or the channel closed). */
  get closing(): boolean {
    return this.record.state === 'closing' || this.record.state === 'closed';
  }

  /** The latest holder commitment validated, if any. */
  latestHolder(): HolderCommitmentRecord | undefined {
    return this.holderCommitments.get(this.record.nextHolderNumber - 1);
  }

  /** The latest counterparty commitment signed, if any. */
  latestCounterparty(): CounterpartyCommitmentRecord | undefined {
    return this.counterpartyCommitments.get(this.record.nextCounterpartyNumber - 1);
  }

  /** Forget commitments that are now revoked (their secrets released or received). */
  dropRevoked(): void {
    const h = this.record.revokedHolderThrough;
    if (h !== null) for (const n of [...this.holderCommitments.keys()]) if (n <= h) this.holderCommitments.delete(n);
    const c = this.record.revokedCounterpartyThrough;
    if (c !== null) for (const n of [...this.counterpartyCommitments.keys()]) if (n <= c) this.counterpartyCommitments.delete(n);
  }
}

/** Every channel by row, final id and (before setup) temporary id. */
export class ChannelRegistry {
  readonly #byRow = new Map<number, LiveChannel>();
  readonly #byId = new Map<string, LiveChannel>();

  /** Loads every channel and its unrevoked commitments from the store. */
  static load(store: SignerStore): ChannelRegistry {
    const registry = new ChannelRegistry();
    for (const record of store.loadChannels()) {
      const ch = new LiveChannel(record);
      const firstHolder = record.revokedHolderThrough === null ? 0 : record.revokedHolderThrough + 1;
      for (let n = firstHolder; n < record.nextHolderNumber; n++) {
        const c = store.getHolderCommitment(record.rowId, n);
        if (c) ch.holderCommitments.set(n, c);
      }
      const firstCounterparty = record.revokedCounterpartyThrough === null ? 0 : record.revokedCounterpartyThrough + 1;
      for (let n = firstCounterparty; n < record.nextCounterpartyNumber; n++) {
        const c = store.getCounterpartyCommitment(record.rowId, n);
        if (c) ch.counterpartyCommitments.set(n, c);
      }
      registry.add(ch);
    }
    return registry;
  }

  add(ch: LiveChannel): void {
    this.#byRow.set(ch.record.rowId, ch);
    this.#index(ch);
  }

  /** Re-indexes a channel after SetupChannel gave it its final id. */
  #index(ch: LiveChannel): void {
    if (ch.record.setup !== null) this.#byId.set(`id:${hex(ch.record.setup.channelId)}`, ch);
    else this.#byId.set(`tmp:${hex(ch.record.temporaryChannelId)}`, ch);
  }

  setUp(ch: LiveChannel): void {
    this.#byId.delete(`tmp:${hex(ch.record.temporaryChannelId)}`);
    this.#index(ch);
  }

  /** The channel with this final id, or (not set up yet) this temporary id. */
  find(channelId: Uint8Array): LiveChannel | undefined {
    const h = hex(channelId);
    return this.#byId.get(`id:${h}`) ?? this.#byId.get(`tmp:${h}`);
  }

  /** Like `find`, refusing an unknown id with NOT_FOUND. */
  get(channelId: Uint8Array, field = 'channel.channel_id'): LiveChannel {
    const ch = this.find(channelId);
    if (ch === undefined) throw notFound(field, 'no channel with this id');
    return ch;
  }

  /** A channel not set up yet with this temporary id. */
  findPending(temporaryChannelId: Uint8Array): LiveChannel | undefined {
    return this.#byId.get(`tmp:${hex(temporaryChannelId)}`);
  }

  all(): IterableIterator<LiveChannel> {
    return this.#byRow.values();
  }

  get size(): number {
    return this.#byRow.size;
  }

  /** Highest key index in use, or -1. */
  maxKeyIndex(): number {
    let max = -1;
    for (const ch of this.#byRow.values()) max = Math.max(max, ch.record.keyIndex);
    return max;
  }
}

