/**
 * Monotonic counters. Each thread owns one Float64 row and is its only writer, so counting costs a
 * plain add (no atomics, no BigInt); readers sum the rows. Aligned 8-byte stores are not torn on
 * the platforms Node supports, and a stat read racing a write is at worst one event behind. The
 * last row belongs to the host: it holds the rows of threads that left (folded in when reaped).
 */
export const STAT = {
  GET: 0,
  GET_SETTING: 1,
  WAIT_COUNT: 2,
  WAIT_TIME_NS: 3,
  IDLE_CLOSED: 4,
  MAX_LIFETIME_CLOSED: 5,
  DIFF_SETTING: 6,
  RESET_SETTING: 7,
  WAITER_CAP_REJECTED: 8,
  GRANTS: 9,
  EVICTIONS: 10,
  CROSS_WAIT_COUNT: 11,
  CROSS_WAIT_TIME_NS: 12,
  DIALS: 13,
  DIAL_FAILURES: 14,
  CLOSED: 15,
  REAPED_THREADS: 16,
} as const;
export type StatName = keyof typeof STAT;

/**
 * Upper bounds (ms) of the wait-time histogram's buckets: one counter per bucket (not cumulative)
 * after the named counters, and one more for longer waits. A wait is counted when it is served.
 */
export const WAIT_BUCKETS_MS: readonly number[] = [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000];
export const WAIT_BUCKET_FIRST = 17;
export const STAT_COUNT = WAIT_BUCKET_FIRST + WAIT_BUCKETS_MS.length + 1;

export class ThreadStats {
  private readonly rows: Float64Array;
  private readonly maxThreads: number;
  constructor(rows: Float64Array, maxThreads: number) {
    this.rows = rows;
    this.maxThreads = maxThreads;
  }

  /** Index of the first cell of a thread's row (the host/retired row is maxThreads). */
  row(thread: number): number {
    return thread * STAT_COUNT;
  }

  add(thread: number, stat: number, by = 1): void {
    this.rows[thread * STAT_COUNT + stat] += by;
  }

  /** A served wait of `waitedNs`: its time and its histogram bucket. */
  addWait(thread: number, waitedNs: number): void {
    const row = thread * STAT_COUNT;
    this.rows[row + STAT.WAIT_TIME_NS] += waitedNs;
    const ms = waitedNs / 1e6;
    let bucket = 0;
    while (bucket < WAIT_BUCKETS_MS.length && ms > WAIT_BUCKETS_MS[bucket]) bucket++;
    this.rows[row + WAIT_BUCKET_FIRST + bucket] += 1;
  }

  /** One thread's value of one counter. */
  of(thread: number, stat: number): number {
    return this.rows[thread * STAT_COUNT + stat];
  }

  /** Sum of one counter over every row. */
  total(stat: number): number {
    let sum = 0;
    for (let t = 0; t <= this.maxThreads; t++) sum += this.rows[t * STAT_COUNT + stat];
    return sum;
  }

  /** Moves a departed thread's counts into the retired row and zeroes its row. Host only. */
  retire(thread: number): void {
    const from = thread * STAT_COUNT;
    const to = this.maxThreads * STAT_COUNT;
    for (let i = 0; i < STAT_COUNT; i++) {
      this.rows[to + i] += this.rows[from + i];
      this.rows[from + i] = 0;
    }
  }

  snapshot(): Record<StatName, number> {
    const out = {} as Record<StatName, number>;
    for (const [name, index] of Object.entries(STAT) as [StatName, number][]) out[name] = this.total(index);
    return out;
  }
}
