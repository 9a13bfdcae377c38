// Feature bits: the BOLT 9 table, bitfields in BOLT 1 bit order, validation and init negotiation.
// BOLT 9 §Assigned Feature Flags and §Requirements; BOLT 1 §The init Message; BOLT 11 §Feature Bits;
// BOLT 2 §Defined Channel Types; BOLT 4 §Route Blinding (allowed_features).

/** Where a feature vector appears (BOLT 9 Context column). `C-`/`C+` are parity rules inside `C`. */
export type FeatureContext = 'I' | 'N' | 'C' | '9' | 'B' | 'T';

export const CONTEXT_NAMES: Readonly<Record<FeatureContext, string>> = {
  I: 'init',
  N: 'node_announcement',
  C: 'channel_announcement',
  9: 'BOLT 11 invoice',
  B: 'blinded path allowed_features',
  T: 'channel_type',
};

/** Which bit of the pair a context accepts: either, only the odd (`C-`), or only the even (`C+`). */
export type ContextParity = 'any' | 'odd' | 'even';

export interface FeatureDefinition<Name extends string = string> {
  /** The even (compulsory) bit; the odd (optional) bit is `even + 1`. */
  readonly even: number;
  readonly name: Name;
  /** The table's Context column as written ('' when it lists none). */
  readonly context: string;
  readonly dependencies: readonly string[];
  readonly description: string;
}

function row<const Name extends string>(
  bits: `${number}/${number}`,
  name: Name,
  context: string,
  dependencies: readonly string[],
  description: string,
): FeatureDefinition<Name> {
  const [even, odd] = bits.split('/').map(Number) as [number, number];
  if (even % 2 !== 0 || odd !== even + 1) throw new Error(`BOLT 9 table: ${name} has bits ${bits}, not an even/odd pair`);
  return { even, name, context, dependencies, description };
}

// BOLT 9 §Assigned Feature Flags, row by row (the Link column is left out).
// prettier-ignore
export const FEATURES = [
  //  bits     name                               context  dependencies                     description
  row('0/1',   'option_data_loss_protect',        '',      [],                              'ASSUMED'),
  row('4/5',   'option_upfront_shutdown_script',  'IN',    [],                              'Commits to a shutdown scriptpubkey when opening channel'),
  row('6/7',   'gossip_queries',                  '',      [],                              'Peer has useful gossip to share'),
  row('8/9',   'var_onion_optin',                 '',      [],                              'ASSUMED'),
  row('10/11', 'gossip_queries_ex',               'IN',    [],                              'Gossip queries can include additional information'),
  row('12/13', 'option_static_remotekey',         '',      [],                              'ASSUMED'),
  row('14/15', 'payment_secret',                  '',      [],                              'ASSUMED'),
  row('16/17', 'basic_mpp',                       'IN9',   ['payment_secret'],              'Node can receive basic multi-part payments'),
  row('18/19', 'option_support_large_channel',    'IN',    [],                              'Can create large channels'),
  row('22/23', 'option_anchors',                  'INT',   [],                              'Anchor commitment type with zero fee HTLC transactions'),
  row('24/25', 'option_route_blinding',           'IN9',   [],                              'Node supports blinded paths'),
  row('26/27', 'option_shutdown_anysegwit',       'IN',    [],                              'Future segwit versions allowed in `shutdown`'),
  row('28/29', 'option_dual_fund',                'IN',    [],                              'Use v2 of channel open, enables dual funding'),
  row('34/35', 'option_quiesce',                  'IN',    [],                              'Support for `stfu` message'),
  row('36/37', 'option_attribution_data',         'IN9',   [],                              'Can generate/relay attribution data in `update_fail_htlc` and `update_fulfill_htlc`'),
  row('38/39', 'option_onion_messages',           'IN',    [],                              'Can forward onion messages'),
  row('42/43', 'option_provide_storage',          'IN',    [],                              "Can store other nodes' encrypted backup data"),
  row('44/45', 'option_channel_type',             '',      [],                              'ASSUMED'),
  row('46/47', 'option_scid_alias',               'INT',   [],                              'Supply channel aliases for routing'),
  row('48/49', 'option_payment_metadata',         '9',     [],                              'Payment metadata in tlv record'),
  row('50/51', 'option_zeroconf',                 'INT',   ['option_scid_alias'],           'Understands zeroconf channel types'),
  row('60/61', 'option_simple_close',             'IN',    ['option_shutdown_anysegwit'],   'Simplified closing negotiation'),
  row('62/63', 'option_splice',                   'IN',    [],                              'Allows replacing the funding transaction with a new one'),
] as const;

export type FeatureName = (typeof FEATURES)[number]['name'];

/** Parses a Context column ('IN9', 'INT', 'IC-9', ...) into the contexts it allows and their parity. */
export function parseContexts(column: string): ReadonlyMap<FeatureContext, ContextParity> {
  const out = new Map<FeatureContext, ContextParity>();
  for (let i = 0; i < column.length; i++) {
    const c = column[i]!;
    if (!'INC9BT'.includes(c)) throw new Error(`BOLT 9 context column '${column}': unknown code '${c}'`);
    const sign = column[i + 1];
    if (c === 'C' && (sign === '-' || sign === '+')) {
      out.set('C', sign === '-' ? 'odd' : 'even');
      i++;
    } else {
      out.set(c as FeatureContext, 'any');
    }
  }
  return out;
}

interface Known {
  readonly def: FeatureDefinition<FeatureName>;
  readonly contexts: ReadonlyMap<FeatureContext, ContextParity>;
  /** BOLT 9: "ASSUMED to be present by all nodes, and can be safely ignored". */
  readonly assumed: boolean;
}

const BY_PAIR = new Map<number, Known>();
const BY_NAME = new Map<string, Known>();
for (const def of FEATURES) {
  const known: Known = { def, contexts: parseContexts(def.context), assumed: def.description === 'ASSUMED' };
  BY_PAIR.set(def.even, known);
  BY_NAME.set(def.name, known);
}
for (const def of FEATURES) {
  for (const dep of def.dependencies) if (!BY_NAME.has(dep)) throw new Error(`BOLT 9 table: ${def.name} depends on unknown ${dep}`);
}

const pairOf = (bit: number): number => bit & ~1;
const knownFor = (bit: number): Known | undefined => BY_PAIR.get(pairOf(bit));

/** The BOLT 9 name for either bit of a pair, e.g. 12 and 13 -> 'option_static_remotekey'. */
export function featureName(bit: number): FeatureName | undefined {
  return knownFor(bit)?.def.name;
}

export function featureByName(name: string): FeatureDefinition<FeatureName> | undefined {
  return BY_NAME.get(name)?.def;
}

/** Whether the table marks the feature ASSUMED (every node has it; its bits can be ignored). */
export function isAssumed(name: FeatureName): boolean {
  return BY_NAME.get(name)!.assumed;
}

// ---------------------------------------------------------------------------------------------------------
// Bitfields. BOLT 1 §The init Message / BOLT 9: bits are numbered from the least-significant bit of the
// last byte (big-endian), bit 0 is even. Functions never modify their input.

/** The u16 length prefix of every feature field bounds the bit numbers. */
export const MAX_FEATURE_BIT = 8 * 0xffff - 1;

function checkBit(bit: number): void {
  if (!Number.isSafeInteger(bit) || bit < 0 || bit > MAX_FEATURE_BIT) {
    throw new RangeError(`feature bit ${bit} is not an integer in 0..${MAX_FEATURE_BIT}`);
  }
}

export function hasFeature(bits: Uint8Array, bit: number): boolean {
  checkBit(bit);
  const byte = bits.length - 1 - (bit >> 3);
  return byte >= 0 && ((bits[byte]! >> (bit & 7)) & 1) === 1;
}

/** A copy of `bits` with `bit` set, grown on the left as needed. */
export function setFeature(bits: Uint8Array, bit: number): Uint8Array {
  checkBit(bit);
  const length = Math.max(bits.length, (bit >> 3) + 1);
  const out = new Uint8Array(length);
  out.set(bits, length - bits.length);
  out[length - 1 - (bit >> 3)]! |= 1 << (bit & 7);
  return out;
}

/** A copy of `bits` with `bit` cleared (same length; see `minimalFeatures`). */
export function clearFeature(bits: Uint8Array, bit: number): Uint8Array {
  checkBit(bit);
  const out = Uint8Array.from(bits);
  const byte = out.length - 1 - (bit >> 3);
  if (byte >= 0) out[byte]! &= ~(1 << (bit & 7)) & 0xff;
  return out;
}

/** The set bits, ascending. */
export function listBits(bits: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = bits.length - 1; i >= 0; i--) {
    const byte = bits[i]!;
    if (byte === 0) continue;
    const base = (bits.length - 1 - i) * 8;
    for (let b = 0; b < 8; b++) if ((byte >> b) & 1) out.push(base + b);
  }
  return out;
}

/** The minimal bitfield with exactly these bits set (BOLT 1: SHOULD use the minimum length). */
export function fromBits(list: Iterable<number>): Uint8Array {
  const bits = [...list];
  for (const bit of bits) checkBit(bit);
  const length = bits.length === 0 ? 0 : (Math.max(...bits) >> 3) + 1;
  const out = new Uint8Array(length);
  for (const bit of bits) out[length - 1 - (bit >> 3)]! |= 1 << (bit & 7);
  return out;
}

/** Drops leading zero bytes. */
export function minimalFeatures(bits: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bits.length && bits[start] === 0) start++;
  return bits.slice(start);
}

/** Bitfield, or list of bit numbers (as BOLT 11 decoding yields). */
export type FeatureBits = Uint8Array | readonly number[];
const asBitfield = (bits: FeatureBits): Uint8Array => (bits instanceof Uint8Array ? bits : fromBits(bits));

/** BOLT 1: a feature is offered when either bit of its pair is set. */
export function offersFeature(bits: FeatureBits, name: FeatureName): boolean {
  const field = asBitfield(bits);
  const even = BY_NAME.get(name)!.def.even;
  return hasFeature(field, even) || hasFeature(field, even + 1);
}

/** The even bit is set (BOLT 9: when both bits are set the feature is treated as mandatory). */
export function requiresFeature(bits: FeatureBits, name: FeatureName): boolean {
  return hasFeature(asBitfield(bits), BY_NAME.get(name)!.def.even);
}

// ---------------------------------------------------------------------------------------------------------
// Validation.
//
// Features whose Context column is empty (the ASSUMED ones, and gossip_queries) are tolerated in I, N, C and
// 9: the spec removed their contexts while nodes still set them (BOLT 11's examples set bits 8 and 14,
// BOLT 7 asks peers whether they offer gossip_queries). A dependency on an ASSUMED feature is satisfied
// without its bits. Not in B: BOLT 4 refuses any allowed_features bit it does not know. In T only the even
// bits of the T features, plus option_static_remotekey, which BOLT 2 §Defined Channel Types names.

export type FeatureProblemKind =
  | 'unknown-bit' // origin set a bit the table does not define (BOLT 1: MUST set undefined bits to 0)
  | 'unknown-required' // an even bit the reader does not know in this context (BOLT 1, 7, 11: fail)
  | 'both-bits' // BOLT 9: MUST NOT set both the optional and mandatory bits
  | 'context' // BOLT 9: MUST NOT set feature bits in fields not specified by the table
  | 'parity' // C- / C+ / channel_type: the wrong bit of the pair
  | 'dependency'; // BOLT 9: MUST set all transitive feature dependencies

export interface FeatureProblem {
  readonly kind: FeatureProblemKind;
  readonly bit: number;
  readonly message: string;
}

export class FeatureError extends Error {
  override readonly name = 'FeatureError';
  constructor(
    message: string,
    readonly problems: readonly FeatureProblem[] = [],
  ) {
    super(message);
  }
}

/** `sender`: we are the origin (BOLT 9 origin rules). `receiver`: we read a peer's vector (BOLT 1/11 reader rules). */
export type FeatureRole = 'sender' | 'receiver';

const CHANNEL_TYPE_BASE: readonly FeatureName[] = ['option_static_remotekey']; // BOLT 2 §Defined Channel Types

function describe(bit: number): string {
  const name = featureName(bit);
  return name ? `${name} (bit ${bit})` : `bit ${bit}`;
}

function where(context: FeatureContext): string {
  return `${CONTEXT_NAMES[context]} (context ${context})`;
}

/** The parity a known feature may use in this context, or undefined when the context does not allow it. */
function allowedParity(known: Known, context: FeatureContext): ContextParity | undefined {
  const listed = known.contexts.get(context);
  if (listed !== undefined) return context === 'T' ? 'even' : listed;
  if (context === 'T') return CHANNEL_TYPE_BASE.includes(known.def.name) ? 'even' : undefined;
  if (known.contexts.size === 0 && context !== 'B') return 'any';
  return undefined;
}

function dependencySatisfied(field: Uint8Array, dep: string): boolean {
  const known = BY_NAME.get(dep)!;
  return known.assumed || hasFeature(field, known.def.even) || hasFeature(field, known.def.even + 1);
}

/**
 * Every problem with a feature vector in a context; empty when it is valid.
 * As `sender` all BOLT 9 origin rules apply. As `receiver` only what makes a reader fail: unknown even bits
 * (any unknown bit in B), and missing dependencies; both bits set then means compulsory.
 */
export function validateFeatures(bits: FeatureBits, context: FeatureContext, role: FeatureRole = 'sender'): FeatureProblem[] {
  const field = asBitfield(bits);
  const problems: FeatureProblem[] = [];
  const set = listBits(field);
  for (const bit of set) {
    const known = knownFor(bit);
    const parity = known ? allowedParity(known, context) : undefined;
    if (parity === undefined) {
      if (role === 'sender') {
        problems.push(
          known
            ? { kind: 'context', bit, message: `${describe(bit)} is not allowed in ${where(context)}` }
            : { kind: 'unknown-bit', bit, message: `unknown feature bit ${bit} set in ${where(context)}` },
        );
      } else if (bit % 2 === 0 || context === 'B') {
        const what = known ? `${describe(bit)}, not allowed in ${where(context)}` : `unknown feature bit ${bit} in ${where(context)}`;
        problems.push({ kind: 'unknown-required', bit, message: `${bit % 2 === 0 ? 'required ' : ''}${what}` });
      }
      continue;
    }
    if (role === 'sender' && bit % 2 === 1 && hasFeature(field, bit - 1)) {
      problems.push({ kind: 'both-bits', bit: bit - 1, message: `both bits of ${known!.def.name} (${bit - 1}/${bit}) are set` });
    }
    const wrongParity = (parity === 'odd' && bit % 2 === 0) || (parity === 'even' && bit % 2 === 1);
    if (wrongParity) {
      problems.push({
        kind: 'parity',
        bit,
        message: `${describe(bit)} in ${where(context)} must use the ${parity} bit ${parity === 'odd' ? bit + 1 : bit - 1}`,
      });
    }
  }
  // Dependencies, once per feature (a pair may have both bits set). channel_type is an enumeration (BOLT 2),
  // not a feature vector, so BOLT 9 dependencies do not apply to it.
  if (context !== 'T') {
    const pairs = new Set(set.map(pairOf));
    for (const even of pairs) {
      const known = BY_PAIR.get(even);
      if (!known || allowedParity(known, context) === undefined) continue;
      for (const dep of known.def.dependencies) {
        if (!dependencySatisfied(field, dep)) {
          problems.push({ kind: 'dependency', bit: even, message: `${known.def.name} requires ${dep}, which is not set (${where(context)})` });
        }
      }
    }
  }
  return problems;
}

/** Throws a FeatureError listing every problem `validateFeatures` finds. */
export function assertValidFeatures(bits: FeatureBits, context: FeatureContext, role: FeatureRole = 'sender'): void {
  const problems = validateFeatures(bits, context, role);
  if (problems.length > 0) {
    throw new FeatureError(`invalid ${CONTEXT_NAMES[context]} features: ${problems.map((p) => p.message).join('; ')}`, problems);
  }
}

/**
 * Even bits the BOLT 9 table does not define: BOLT 1 says close the connection, BOLT 11 fail the payment.
 * With a context, a known feature not allowed there counts as unknown too. Unknown odd bits are fine.
 */
export function unknownRequiredBits(bits: FeatureBits, context?: FeatureContext): number[] {
  return listBits(asBitfield(bits)).filter((bit) => {
    if (bit % 2 !== 0) return false;
    const known = knownFor(bit);
    if (!known) return true;
    return context !== undefined && allowedParity(known, context) === undefined;
  });
}

/** BOLT 2 §Defined Channel Types: static_remotekey, optionally with anchors; each may add scid_alias and/or zeroconf. */
export function isDefinedChannelType(bits: FeatureBits): boolean {
  const set = listBits(asBitfield(bits));
  const allowed = new Set([12, 22, 46, 50]);
  return set.includes(12) && set.every((bit) => allowed.has(bit));
}

// ---------------------------------------------------------------------------------------------------------
// BOLT 1 §The init Message: negotiation.

export interface NegotiatedFeatures {
  /** Features in effect for this connection, ASSUMED ones included. */
  readonly active: ReadonlySet<FeatureName>;
  /** Optional features only the remote offered (we may not rely on them, they are listed for logs). */
  readonly remoteOnly: readonly FeatureName[];
}

/**
 * Decides which features are in effect, given our init features and the peer's.
 * BOLT 1: a feature is negotiated when both peers offered it, or the local node offered it as even.
 * Throws a FeatureError, meaning "close the connection", when the peer requires a feature we do not offer
 * (unknown to us, or known but not supported here), or leaves out a dependency of a feature it sets.
 */
export function negotiate(local: FeatureBits, remote: FeatureBits): NegotiatedFeatures {
  const ours = asBitfield(local);
  const theirs = asBitfield(remote);
  const localProblems = validateFeatures(ours, 'I', 'sender');
  if (localProblems.length > 0) {
    throw new FeatureError(`our init features are invalid: ${localProblems.map((p) => p.message).join('; ')}`, localProblems);
  }
  const problems: FeatureProblem[] = [];
  for (const bit of listBits(theirs)) {
    if (bit % 2 !== 0) continue; // BOLT 1: unknown odd bits are ignored
    const known = knownFor(bit);
    if (known?.assumed) continue;
    if (!known) {
      problems.push({ kind: 'unknown-required', bit, message: `peer requires unknown feature bit ${bit}` });
    } else if (!hasFeature(ours, bit) && !hasFeature(ours, bit + 1)) {
      problems.push({ kind: 'unknown-required', bit, message: `peer requires ${describe(bit)}, which we do not support` });
    }
  }
  problems.push(...validateFeatures(theirs, 'I', 'receiver').filter((p) => p.kind === 'dependency'));
  if (problems.length > 0) {
    throw new FeatureError(`incompatible peer features: ${problems.map((p) => p.message).join('; ')}`, problems);
  }
  const active = new Set<FeatureName>();
  const remoteOnly: FeatureName[] = [];
  for (const { def, assumed } of BY_NAME.values()) {
    const localOffers = hasFeature(ours, def.even) || hasFeature(ours, def.even + 1);
    const remoteOffers = hasFeature(theirs, def.even) || hasFeature(theirs, def.even + 1);
    if (assumed || (localOffers && remoteOffers) || hasFeature(ours, def.even)) active.add(def.name);
    else if (remoteOffers) remoteOnly.push(def.name);
  }
  return { active, remoteOnly };
}
