/**
 * How many connections this thread has used at once lately: the most borrowed at the same time
 * over the last one to two windows of WINDOW_MS. A connection coming back while the thread holds
 * more than that is surplus: it is released at once (closed, its unit back in the shared pool or
 * to a waiter elsewhere) instead of sitting idle here while this thread computes or stays quiet.
 * Counting costs an increment per lend and a compare per return; the clock is read by the return
 * path anyway.
 */

/** Length of one demand window (ms). */
export const WINDOW_MS = 100;

export class RecentDemand {
  private borrowed = 0;
  /** Peak of the current window and of the one before it. */
  private peak = 0;
  private previousPeak = 0;
  private windowStart = Number.NEGATIVE_INFINITY;

  /** A connection was lent to a caller. */
  lent(): void {
    if (++this.borrowed > this.peak) this.peak = this.borrowed;
  }

  /** A lent connection came back (or was revoked) at `nowMs`. */
  returned(nowMs: number): void {
    const before = this.borrowed;
    this.borrowed = before > 0 ? before - 1 : 0;
    const elapsed = nowMs - this.windowStart;
    if (elapsed < WINDOW_MS) return;
    // A quiet gap of two windows or more leaves only what was in use just now.
    this.previousPeak = elapsed >= 2 * WINDOW_MS ? before : this.peak;
    this.peak = before;
    this.windowStart = nowMs;
  }

  /** Most connections borrowed at once lately. */
  get recentPeak(): number {
    return this.peak > this.previousPeak ? this.peak : this.previousPeak;
  }

  /** Whether holding `held` connections is more than this thread used lately. */
  isSurplus(held: number): boolean {
    return held > this.recentPeak;
  }
}
