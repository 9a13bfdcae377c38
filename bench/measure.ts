// Rate and latency measurement shared by bench sections.

/** Runs `op` repeatedly for about `seconds` (after a short warm-up) and returns operations per second. */
export function ratePerSecond(op: () => void, seconds = 0.5): number {
  const warmUntil = performance.now() + 50;
  while (performance.now() < warmUntil) op();
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let count = 0;
  while (performance.now() < deadline) {
    for (let i = 0; i < 16; i++) op();
    count += 16;
  }
  return Math.round((count * 1000) / (performance.now() - start));
}

/** p-th percentile (0..100) of a list of samples, nearest-rank. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new Error('percentile of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
