/**
 * Reaping a thread that has exited (HikariCP's "evict" of a dead owner, here a whole thread):
 * every registration of that threadId gives back its slots, borrowed units, waiter cells and
 * grants (core/reclaim.ts), and each one is published on the diagnostics channel.
 */
import { PoolOptionError, UnknownThreadError } from '../core/errors.ts';
import { reclaimThread, type Reclaimed } from '../core/reclaim.ts';
import { type SharedCore } from '../core/shared-core.ts';
import { publishReap } from '../workers/diagnostics.ts';

/**
 * Reclaims every registration of `deadThreadId`. Throws PoolOptionError for a threadId that is not
 * an integer ≥ 0, UnknownThreadError when no attached thread has it or it is the host's own
 * (`ownIndex`: close() ends that one).
 */
export function reapThread(core: SharedCore, deadThreadId: number, ownIndex: number): Reclaimed {
  if (typeof deadThreadId !== 'number' || !Number.isInteger(deadThreadId) || deadThreadId < 0) {
    throw new PoolOptionError('threadId', deadThreadId, 'a worker threadId (an integer ≥ 0)');
  }
  let index = core.threads.lookup(deadThreadId);
  if (index < 0) throw new UnknownThreadError(`no attached thread has threadId ${deadThreadId}`);
  if (index === ownIndex) throw new UnknownThreadError(`threadId ${deadThreadId} is the pool's own thread; use close()`);
  const total: Reclaimed = { slots: 0, borrowed: 0, waiters: 0, grants: 0 };
  // Every registration of the thread: one left by an attach that failed half-way must not keep
  // the real one (and its units) from being reaped.
  while (index >= 0) {
    const r = reclaimThread(core, index, ownIndex);
    publishReap(deadThreadId, index, r);
    total.slots += r.slots;
    total.borrowed += r.borrowed;
    total.waiters += r.waiters;
    total.grants += r.grants;
    index = core.threads.lookup(deadThreadId);
  }
  return total;
}
