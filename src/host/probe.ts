/**
 * The liveness probe: rings every attached thread (no request bits, just the doorbell) and waits
 * for each to answer. A registration that holds units but does not answer belongs to no live agent
 * (a thread that exited without watch()/reap(), or one whose event loop is blocked): its units are
 * stranded until it is reaped. verify() cannot see this: it reads memory, and a dead thread's
 * memory looks like a live one's.
 */
import { type UnitHolder } from '../core/errors.ts';
import { type SharedCore } from '../core/shared-core.ts';

/** Threads (other than `self`) that did not answer within `timeoutMs`, with the units each holds. */
export async function probeThreads(core: SharedCore, self: number, timeoutMs: number): Promise<UnitHolder[]> {
  const threads = core.threads;
  const deadline = core.memory.nowMs() + timeoutMs;
  const rung: { index: number; target: number }[] = [];
  for (let index = 0; index < threads.maxThreads; index++) {
    if (index === self || !threads.isAttached(index)) continue;
    threads.ring(index, 0);
    rung.push({ index, target: threads.doorbell(index) });
  }
  // The deadline keeps the process alive while the probe waits (waitAsync alone does not).
  const keepAlive = setTimeout(() => {}, timeoutMs + 1);
  try {
    const answered = await Promise.all(rung.map((r) => threads.waitAnswered(r.index, r.target, deadline, () => core.memory.nowMs())));
    return rung.filter((_, i) => !answered[i] && threads.isAttached(rung[i].index)).map(({ index }) => ({
      index, threadId: threads.threadId(index), units: threads.slotsHeld(index), answered: false,
    }));
  } finally {
    clearTimeout(keepAlive);
  }
}
