/**
 * A latency histogram in shared memory, so worker threads record and the main thread reads any
 * window (snapshot before and after, subtract). Buckets are quarter powers of two of µs (bucket b
 * holds [2^(b/4), 2^((b+1)/4)) µs, ≤ 19 % wide); one Atomics.add per sample.
 */
export const HISTOGRAM_BUCKETS = 128;

/** Adds one sample of `us` µs to the histogram at words [offset, offset + HISTOGRAM_BUCKETS). */
export function record(words: Int32Array, offset: number, us: number): void {
  const b = us <= 1 ? 0 : Math.min(HISTOGRAM_BUCKETS - 1, Math.floor(4 * Math.log2(us)));
  Atomics.add(words, offset + b, 1);
}

export function snapshot(words: Int32Array, offset: number): number[] {
  return Array.from({ length: HISTOGRAM_BUCKETS }, (_, b) => Atomics.load(words, offset + b));
}

/** Samples added between two snapshots: n, and percentiles (bucket's geometric middle, µs). */
export function between(before: readonly number[], after: readonly number[]): { n: number; p50: number; p99: number } {
  const counts = after.map((c, b) => c - before[b]);
  const n = counts.reduce((s, c) => s + c, 0);
  const at = (p: number): number => {
    if (n === 0) return Number.NaN;
    const rank = Math.ceil((p / 100) * n);
    let seen = 0;
    for (let b = 0; b < counts.length; b++) {
      seen += counts[b];
      if (seen >= rank) return 2 ** ((b + 0.5) / 4);
    }
    return Number.NaN;
  };
  return { n, p50: at(50), p99: at(99) };
}
