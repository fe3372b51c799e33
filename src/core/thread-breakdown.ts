/**
 * stats() per thread: for every attached thread, what it holds now (from the slot table and the
 * thread registry) and its own counters (its stats row). Threads that left are not listed; their
 * counts stay in the pool-wide totals.
 */
import { type SharedCore } from './shared-core.ts';
import { SLOT_STATE } from './slot-table.ts';
import { STAT } from './stats.ts';

export interface ThreadStatsEntry {
  /** Index in the pool's thread registry. */
  Thread: number;
  /** worker_threads threadId (0 = main thread). */
  ThreadId: number;
  /** Slots held: open, opening or closing connections. */
  Active: number;
  InUse: number;
  Idle: number;
  Waiting: number;
  Get: number;
  GetSetting: number;
  WaitCount: number;
  /** ms */
  WaitTime: number;
  CrossThreadWaitCount: number;
  /** ms */
  CrossThreadWaitTime: number;
  Grants: number;
  Evictions: number;
  Dials: number;
  DialFailures: number;
  Closed: number;
  IdleClosed: number;
  MaxLifetimeClosed: number;
}

export function threadBreakdown(core: SharedCore): ThreadStatsEntry[] {
  const { threads, slots, stats } = core;
  const maxThreads = core.memory.layout.maxThreads;
  const inUse = new Array<number>(maxThreads).fill(0);
  const idle = new Array<number>(maxThreads).fill(0);
  for (let slot = 0; slot < slots.size; slot++) {
    const state = slots.state(slot);
    if (state === SLOT_STATE.BORROWED) inUse[slots.owner(slot)]++;
    else if (state === SLOT_STATE.IDLE) idle[slots.owner(slot)]++;
  }
  const out: ThreadStatsEntry[] = [];
  for (let t = 0; t < maxThreads; t++) {
    if (!threads.isAttached(t)) continue;
    out.push({
      Thread: t,
      ThreadId: threads.threadId(t),
      Active: threads.slotsHeld(t),
      InUse: inUse[t],
      Idle: idle[t],
      Waiting: threads.waitingOf(t),
      Get: stats.of(t, STAT.GET),
      GetSetting: stats.of(t, STAT.GET_SETTING),
      WaitCount: stats.of(t, STAT.WAIT_COUNT),
      WaitTime: stats.of(t, STAT.WAIT_TIME_NS) / 1e6,
      CrossThreadWaitCount: stats.of(t, STAT.CROSS_WAIT_COUNT),
      CrossThreadWaitTime: stats.of(t, STAT.CROSS_WAIT_TIME_NS) / 1e6,
      Grants: stats.of(t, STAT.GRANTS),
      Evictions: stats.of(t, STAT.EVICTIONS),
      Dials: stats.of(t, STAT.DIALS),
      DialFailures: stats.of(t, STAT.DIAL_FAILURES),
      Closed: stats.of(t, STAT.CLOSED),
      IdleClosed: stats.of(t, STAT.IDLE_CLOSED),
      MaxLifetimeClosed: stats.of(t, STAT.MAX_LIFETIME_CLOSED),
    });
  }
  return out;
}
