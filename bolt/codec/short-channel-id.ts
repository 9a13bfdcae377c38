// BOLT 7 §Definition of short_channel_id: block height (3 bytes) || tx index (3 bytes) || output index (2 bytes),
// held as a bigint so it is one comparable value (Map key, sort order = chain order).

export type ShortChannelId = bigint;

export interface ShortChannelIdParts {
  readonly blockHeight: number;
  readonly txIndex: number;
  readonly outputIndex: number;
}

export function shortChannelIdFromParts(blockHeight: number, txIndex: number, outputIndex: number): ShortChannelId {
  checkPart('block height', blockHeight, 0xffffff);
  checkPart('transaction index', txIndex, 0xffffff);
  checkPart('output index', outputIndex, 0xffff);
  return (BigInt(blockHeight) << 40n) | (BigInt(txIndex) << 16n) | BigInt(outputIndex);
}

export function shortChannelIdParts(scid: ShortChannelId): ShortChannelIdParts {
  if (scid < 0n || scid >= 1n << 64n) throw new Error(`short_channel_id ${scid} is not a u64`);
  return {
    blockHeight: Number(scid >> 40n),
    txIndex: Number((scid >> 16n) & 0xffffffn),
    outputIndex: Number(scid & 0xffffn),
  };
}

/** BOLT 7: the human-readable form, e.g. `539268x845x1`. */
export function formatShortChannelId(scid: ShortChannelId): string {
  const p = shortChannelIdParts(scid);
  return `${p.blockHeight}x${p.txIndex}x${p.outputIndex}`;
}

export function parseShortChannelId(text: string): ShortChannelId {
  const m = /^(\d{1,8})x(\d{1,8})x(\d{1,5})$/.exec(text);
  if (m === null) throw new Error(`short_channel_id "${text}" is not of the form BLOCKxTXxOUTPUT`);
  return shortChannelIdFromParts(Number(m[1]), Number(m[2]), Number(m[3]));
}

function checkPart(what: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new Error(`short_channel_id ${what} ${value} is outside 0..${max}`);
  }
}
