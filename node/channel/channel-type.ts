// BOLT 2 §Defined Channel Types: the `channel_type` TLV of open_channel / accept_channel is a BOLT 9
// feature bitmap naming exactly one type. Vigil builds two of them (bolt/bolt3 ChannelType):
//   option_static_remotekey                    bit 12
//   option_anchors + option_static_remotekey   bits 22 and 12 (zero-fee HTLC transactions)
import type { ChannelType } from '../../bolt/bolt3/index.js';
import { fromBits, listBits } from '../../bolt/features.js';

export const OPTION_STATIC_REMOTEKEY_BIT = 12;
export const OPTION_ANCHORS_BIT = 22;

/** The minimal bitmap for a channel type (BOLT 2: MUST use the smallest bitmap possible). */
export function channelTypeBits(type: ChannelType): Uint8Array {
  return type === 'anchors' ? fromBits([OPTION_STATIC_REMOTEKEY_BIT, OPTION_ANCHORS_BIT]) : fromBits([OPTION_STATIC_REMOTEKEY_BIT]);
}

/** The channel type a bitmap names, or null when it is not one Vigil builds (scid_alias, zeroconf, legacy...). */
export function parseChannelType(bits: Uint8Array): ChannelType | null {
  const set = listBits(bits);
  if (set.length === 1 && set[0] === OPTION_STATIC_REMOTEKEY_BIT) return 'static_remotekey';
  if (set.length === 2 && set[0] === OPTION_STATIC_REMOTEKEY_BIT && set[1] === OPTION_ANCHORS_BIT) return 'anchors';
  return null;
}

/** How a bitmap reads in an error message: its set bits. */
export function describeChannelType(bits: Uint8Array): string {
  const set = listBits(bits);
  return set.length === 0 ? 'no bits' : `bits ${set.join('+')}`;
}
