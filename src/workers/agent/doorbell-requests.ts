/**
 * DoorbellRequests: what other threads and the host ask of this thread (core/thread-registry.ts
 * REQUEST bits), handled on this thread's event loop because only it can close its sockets.
 * The loop that waits for them is doorbell.ts; the host calls handleRequests() directly for its
 * own thread.
 *
 *   LIFETIME        close() cancelled the pool's lifetime (fix 2): abort every connect, fail waiters
 *   EVICT           another thread claimed idle connections of ours for its waiters: close them
 *   GRANT           a returner elsewhere granted a unit to one of our waiter cells: dial for it
 *   DRAIN           setCapacity() lowered capacity: close idle connections while over it
 *   YIELD           a get elsewhere needs a unit held by one of our yieldable dials: abort one
 *   ABORT_BORROWED  close() reached its deadline: destroy every connection this thread has lent
 *
 * Owns: nothing of its own. Touches: slots owned by this thread (EVICTED ones), this thread's
 * waiter cells (GRANTED ones), lent handles; hands units to held units and waiters.
 */
import { PoolClosedError } from '../../core/errors.ts';
import { SLOT_STATE } from '../../core/slot-table.ts';
import { REQUEST } from '../../core/thread-registry.ts';
import { EMPTY } from '../../core/treiber-stack.ts';
import { CELL_STATE } from '../../core/waiter-cells.ts';
import type { AgentContext } from './context.ts';

export class DoorbellRequests {
  private readonly ctx: AgentContext;

  constructor(ctx: AgentContext) {
    this.ctx = ctx;
  }

  /** Handles request bits now. */
  handleRequests(requests: number): void {
    if (requests & REQUEST.LIFETIME) this.onLifetimeCancelled();
    if (requests & REQUEST.EVICT) this.handleEvictions();
    if (requests & REQUEST.GRANT) this.handleGrants();
    if (requests & REQUEST.DRAIN) this.drainIdle();
    if (requests & REQUEST.YIELD && this.ctx.core.threads.waitersTotal > 0) this.ctx.dials.abortOne();
    if (requests & REQUEST.ABORT_BORROWED) this.abortBorrowed();
  }

  /** Takes the units granted to this thread's waiter cells (also run by the starvation tick). */
  handleGrants(): void {
    for (const cell of this.ctx.core.waiters.cellsOf(this.ctx.index, CELL_STATE.GRANTED)) this.ctx.units.takeGrant(cell);
  }

  /** Closes this thread's idle connections while the pool is over capacity. */
  drainIdle(): void {
    const { core, checkout, units } = this.ctx;
    const counters = core.counters;
    while (counters.active > counters.capacity) {
      let slot = checkout.popFromSettingStacks(0);
      if (slot === EMPTY) slot = checkout.popIdle(this.ctx.cleanStack);
      if (slot === EMPTY) return;
      units.closeOverCapacity(slot);
    }
  }

  /** Close (fix 2): abort every background and foreground connect of this thread, reject waiters. */
  private onLifetimeCancelled(): void {
    const ctx = this.ctx;
    if (!ctx.lifetime.signal.aborted) ctx.lifetime.abort(new PoolClosedError());
    ctx.waiting.failAll(() => new PoolClosedError());
    this.drainIdle();
  }

  /** Closes idle connections claimed by other threads and passes their units on. */
  private handleEvictions(): void {
    const slots = this.ctx.core.slots;
    for (let slot = 0; slot < slots.size; slot++) {
      if (slots.state(slot) === SLOT_STATE.EVICTED && slots.owner(slot) === this.ctx.index) this.ctx.units.discard(slot);
    }
  }

  /**
   * close() reached its deadline (HikariCP aborts active connections at shutdown likewise): every
   * connection this thread has lent is destroyed, its handle revoked (its holder's query rejects
   * with PoolClosedError; recycle()/taint() do nothing), its unit passed on (released at capacity 0).
   */
  private abortBorrowed(): void {
    const ctx = this.ctx;
    for (let slot = 0; slot < ctx.lent.length; slot++) {
      const handle = ctx.lent[slot];
      if (!handle) continue;
      ctx.lent[slot] = undefined;
      handle.revoke();
      ctx.core.counters.giveBack();
      ctx.demand.returned(ctx.core.memory.nowMs());
      ctx.units.discard(slot);
    }
  }
}
