/**
 * Waiting for `active` to fall to a target: on the drain bell (every release rings it), never by
 * polling, with a ref'd timer so the deadline is honoured even if nothing else keeps the loop alive.
 */
import { PoolDrainTimeoutError, type UnitHolder } from '../core/errors.ts';
import { type SharedCore } from '../core/shared-core.ts';

export async function drainTo(core: SharedCore, target: number, deadlineMs: number, what: string): Promise<void> {
  const counters = core.counters;
  const keepAlive = setTimeout(() => {}, Math.max(0, deadlineMs - core.memory.nowMs()) + 1);
  try {
    for (;;) {
      const seen = counters.drainBell;
      if (counters.active <= target) return;
      const remaining = deadlineMs - core.memory.nowMs();
      if (remaining <= 0) throw new PoolDrainTimeoutError(what, counters.capacity, counters.active, counters.borrowed, unitHolders(core));
      await counters.waitDrainBell(seen, remaining);
    }
  } finally {
    clearTimeout(keepAlive);
  }
}

/** Every attached thread holding slots, with whether it answered its latest doorbell ring. */
export function unitHolders(core: SharedCore): UnitHolder[] {
  const out: UnitHolder[] = [];
  const threads = core.threads;
  for (let index = 0; index < threads.maxThreads; index++) {
    if (!threads.isAttached(index)) continue;
    const units = threads.slotsHeld(index);
    if (units > 0) out.push({ index, threadId: threads.threadId(index), units, answered: threads.hasAnswered(index) });
  }
  return out;
}
