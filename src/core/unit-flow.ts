/**
 * Where a freed unit goes. A thread (or the host) holds a unit whose connection is closed and
 * whose slot is free. Over capacity it is released (PR #20122 fix 1); otherwise it moves to the
 * oldest waiter of any thread (FIFO by sequence), whose owner is rung to dial with it; with no
 * waiter it is released.
 */
import { H, POOL_STATE } from './layout.ts';
import { type SharedCore } from './shared-core.ts';
import { REQUEST } from './thread-registry.ts';

/**
 * Passes one held unit on. Returns the cell granted, or -1 if the unit was released. A cell owned
 * by `self` is not rung: the caller serves it directly.
 */
export function passUnitOn(core: SharedCore, self: number): number {
  if (core.counters.releaseIfOverCapacity()) return -1;
  if (core.waiters.waiting > 0 && Atomics.load(core.memory.header, H.STATE) === POOL_STATE.OPEN) {
    for (const cell of core.waiters.waitingInOrder()) {
      if (!core.waiters.grant(cell)) continue;
      const owner = core.waiters.threadOf(cell);
      if (owner !== self) core.threads.ring(owner, REQUEST.GRANT);
      return cell;
    }
  }
  core.counters.release();
  return -1;
}
