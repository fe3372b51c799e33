/**
 * Helpers of the interleaved-window scenarios (queries, service): variants take turns in short
 * windows, and a variant is compared with another by the median of their per-window ratios
 * (windows of one cycle ran back to back, so a drift in machine load hits both alike).
 */

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median over cycles of a[i] ÷ b[i] (same length: one value per cycle). */
export function pairedRatio(a: readonly number[], b: readonly number[]): number {
  return median(a.map((x, i) => x / b[i]));
}
