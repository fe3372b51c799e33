/**
 * The pool's stats as one plain object, readable from any thread: smartconnpool's names (§3.16)
 * plus the cross-thread counters. Durations are in milliseconds.
 */
import { HEADER } from './layout.ts';
import { type SharedCore } from './shared-core.ts';
import { STAT, WAIT_BUCKET_FIRST, WAIT_BUCKETS_MS } from './stats.ts';
import { threadBreakdown, type ThreadStatsEntry } from './thread-breakdown.ts';

export interface PoolStats {
  Capacity: number;
  MaxCapacity: number;
  Available: number;
  Active: number;
  InUse: number;
  IdleAllowed: number;
  Waiting: number;
  WaitCount: number;
  WaitTime: number;
  IdleTimeout: number;
  IdleClosed: number;
  MaxLifetimeClosed: number;
  Get: number;
  GetSetting: number;
  DiffSetting: number;
  ResetSetting: number;
  WaiterCapRejected: number;
  Threads: number;
  Grants: number;
  Evictions: number;
  ReapedThreads: number;
  CrossThreadWaitCount: number;
  CrossThreadWaitTime: number;
  Dials: number;
  DialFailures: number;
  Closed: number;
  /**
   * Served waits by duration, cumulative like a Prometheus histogram: `[leMs, count]` pairs, the
   * last with leMs = Infinity (its count = every served wait). Their total time is WaitTime (ms).
   */
  WaitHistogram: [leMs: number, count: number][];
  /** Per attached thread: what it holds and its own counters. */
  PerThread: ThreadStatsEntry[];
}

export function snapshotStats(core: SharedCore): PoolStats {
  const h = core.memory.header;
  const s = core.stats;
  const capacity = Atomics.load(h, HEADER.CAPACITY);
  const borrowed = Atomics.load(h, HEADER.BORROWED);
  return {
    Capacity: capacity,
    MaxCapacity: core.memory.layout.maxCapacity,
    // Borrowed can exceed capacity while a shrink or close drains: nothing is available then.
    Available: Math.max(0, capacity - borrowed),
    Active: Atomics.load(h, HEADER.ACTIVE),
    InUse: borrowed,
    IdleAllowed: Atomics.load(h, HEADER.IDLE_ALLOWED),
    Waiting: Atomics.load(h, HEADER.WAITERS),
    WaitCount: s.total(STAT.WAIT_COUNT),
    WaitTime: s.total(STAT.WAIT_TIME_NS) / 1e6,
    IdleTimeout: core.lifecycle.idleTimeoutMs,
    IdleClosed: s.total(STAT.IDLE_CLOSED),
    MaxLifetimeClosed: s.total(STAT.MAX_LIFETIME_CLOSED),
    Get: s.total(STAT.GET),
    GetSetting: s.total(STAT.GET_SETTING),
    DiffSetting: s.total(STAT.DIFF_SETTING),
    ResetSetting: s.total(STAT.RESET_SETTING),
    WaiterCapRejected: s.total(STAT.WAITER_CAP_REJECTED),
    Threads: Atomics.load(h, HEADER.THREADS_ATTACHED),
    Grants: s.total(STAT.GRANTS),
    Evictions: s.total(STAT.EVICTIONS),
    ReapedThreads: s.total(STAT.REAPED_THREADS),
    CrossThreadWaitCount: s.total(STAT.CROSS_WAIT_COUNT),
    CrossThreadWaitTime: s.total(STAT.CROSS_WAIT_TIME_NS) / 1e6,
    Dials: s.total(STAT.DIALS),
    DialFailures: s.total(STAT.DIAL_FAILURES),
    Closed: s.total(STAT.CLOSED),
    WaitHistogram: waitHistogram(core),
    PerThread: threadBreakdown(core),
  };
}

function waitHistogram(core: SharedCore): [number, number][] {
  const out: [number, number][] = [];
  let cumulative = 0;
  for (let i = 0; i <= WAIT_BUCKETS_MS.length; i++) {
    cumulative += core.stats.total(WAIT_BUCKET_FIRST + i);
    out.push([i < WAIT_BUCKETS_MS.length ? WAIT_BUCKETS_MS[i] : Number.POSITIVE_INFINITY, cumulative]);
  }
  return out;
}
