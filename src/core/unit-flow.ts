/**
 * Where a freed unit goes. A thread (or the host) holds a unit whose connection is closed and
 * whose slot is free. Over capacity it is released (PR #20122 fix 1); otherwise it moves to the
 * oldest waiter of any thread (FIFO by sequence), whose owner is rung to dial with it; with no
 * waiter it is released.
 */
import { type SharedCore } from './shared-core.ts';
import { REQUEST } from './thread-registry.ts';

export const RELEASED = -1;

/**
 * Passes one held unit on. Returns RELEASED, or the thread whose cell was granted; a cell of
 * `self` is not rung (the caller serves it directly: it is in `granted.cell`).
 */
export function passUnitOn(core: SharedCore, self: number, granted?: { cell: number }): number {
  if (core.counters.releaseUnitIfOverCapacity()) return RELEASED;
  if (core.waiters.waiting > 0 && core.lifecycle.isOpen) {
    for (const cell of core.waiters.waitingInOrder()) {
      const owner = core.waiters.grantOwner(cell);
      if (owner === -2) continue;
      if (owner !== self) core.threads.ring(owner, REQUEST.GRANT);
      if (granted) granted.cell = cell;
      return owner;
    }
  }
  core.counters.releaseUnit();
  return RELEASED;
}
