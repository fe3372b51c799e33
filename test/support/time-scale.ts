/**
 * One time-scale factor for the whole suite: TEST_TIME_SCALE (default 1; e.g. 10 under qemu
 * emulation, or on a slow or loaded runner). A slow machine changes how much work fits in a second,
 * never what the pool must guarantee, so the factor touches only the suite's own clock:
 *
 * - deadlines, waits and per-test timeouts (how long a test waits for something to happen, how long
 *   an operation may take before the test calls it hung) are multiplied: `scaled(ms)`;
 * - amounts of work tied to the clock are divided: `scaledCount(n)`. That is floors on work done in
 *   a fixed window (a stress loop's minimum count of gets) and the op counts of stress loops that
 *   must finish inside their deadline. The windows themselves stay as they are, so a slow run does
 *   not also become a long one; the invariants checked afterwards are the same.
 *
 * Timings that are the behaviour under test (a pool's idleTimeoutMs, getTimeoutMs when the test
 * expects it to fire) are not scaled.
 */

function parse(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 1) throw new RangeError(`TEST_TIME_SCALE must be a number >= 1, got ${JSON.stringify(raw)}`);
  return n;
}

/** The factor (>= 1) read from TEST_TIME_SCALE. */
export const TIME_SCALE = parse(process.env.TEST_TIME_SCALE);

/** A deadline, wait or timeout of `ms` milliseconds on this machine: ms × TEST_TIME_SCALE. */
export function scaled(ms: number): number {
  return Math.round(ms * TIME_SCALE);
}

/** An amount of work (a floor in a fixed window, a stress loop's op count): n ÷ TEST_TIME_SCALE, at least 1. */
export function scaledCount(n: number): number {
  return Math.max(1, Math.floor(n / TIME_SCALE));
}
