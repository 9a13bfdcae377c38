// Absolute and relative lock times. Bitcoin Core: src/consensus/tx_verify.cpp (IsFinalTx,
// CalculateSequenceLocks, EvaluateSequenceLocks), src/primitives/transaction.h (SEQUENCE_*),
// BIP 65/68/112/113.
import type { TxParts } from './tx.js';

/** nLockTime below this is a block height, at or above it a Unix time (script.h LOCKTIME_THRESHOLD). */
export const LOCKTIME_THRESHOLD = 500_000_000;
/** BIP 68: when set in nSequence, no relative lock time applies to the input. */
export const SEQUENCE_LOCKTIME_DISABLE_FLAG = 0x80000000;
/** BIP 68: when set, the relative lock is in units of 512 seconds; else in blocks. */
export const SEQUENCE_LOCKTIME_TYPE_FLAG = 0x00400000;
export const SEQUENCE_LOCKTIME_MASK = 0x0000ffff;
export const SEQUENCE_LOCKTIME_GRANULARITY = 9;

/**
 * IsFinalTx: may `tx` be in a block at `blockHeight` whose locktime clock reads `blockTime`
 * (BIP 113: the median time past of the block before it)?
 */
export function isFinalTx(tx: TxParts, blockHeight: number, blockTime: number): boolean {
  if (tx.lockTime === 0) return true;
  if (tx.lockTime < (tx.lockTime < LOCKTIME_THRESHOLD ? blockHeight : blockTime)) return true;
  // A lock time not reached is ignored when every input opted out with a final sequence.
  return tx.inputs.every((i) => i.sequence === 0xffffffff);
}

export interface SequenceLock {
  /** The last height at which the transaction is still locked (-1: none). */
  readonly minHeight: number;
  /** The last median-time-past at which it is still locked (-1: none). */
  readonly minTime: number;
}

/**
 * CalculateSequenceLocks (BIP 68). `coinHeights[i]` is the height of the block holding the output
 * input i spends (the next block's height for an unconfirmed parent); `medianTimePast(h)` is the
 * median time past of block h.
 */
export function sequenceLocks(tx: TxParts, coinHeights: readonly number[], medianTimePast: (height: number) => number): SequenceLock {
  let minHeight = -1;
  let minTime = -1;
  // BIP 68 applies to version 2 and above, version read as unsigned.
  if (tx.version >>> 0 < 2) return { minHeight, minTime };
  tx.inputs.forEach((input, i) => {
    if (input.sequence & SEQUENCE_LOCKTIME_DISABLE_FLAG) return;
    const coinHeight = coinHeights[i]!;
    const value = input.sequence & SEQUENCE_LOCKTIME_MASK;
    if (input.sequence & SEQUENCE_LOCKTIME_TYPE_FLAG) {
      // Time locks count from the median time past of the block before the one holding the coin.
      const coinTime = medianTimePast(Math.max(coinHeight - 1, 0));
      minTime = Math.max(minTime, coinTime + (value << SEQUENCE_LOCKTIME_GRANULARITY) - 1);
    } else {
      minHeight = Math.max(minHeight, coinHeight + value - 1);
    }
  });
  return { minHeight, minTime };
}

/** EvaluateSequenceLocks: is the lock satisfied in a block at `blockHeight` whose previous block's MTP is `prevMedianTimePast`? */
export function sequenceLocksSatisfied(lock: SequenceLock, blockHeight: number, prevMedianTimePast: number): boolean {
  return lock.minHeight < blockHeight && lock.minTime < prevMedianTimePast;
}
