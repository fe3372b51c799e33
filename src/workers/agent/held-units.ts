/**
 * HeldUnits: the slots and units this thread holds, and where a spare unit goes.
 *
 * A unit is one connection's worth of the pool's capacity; a slot is the shared-memory record of
 * one connection. This thread takes a free slot for every unit it dials into, closes a
 * connection while keeping its unit (CLOSING), frees the slot, and then passes the unit on: to a
 * waiter of its own (dialling for it), to a waiter in another thread (a grant, core/unit-flow.ts),
 * or back to the shared pool.
 *
 * Owns: closing this thread's sockets. Touches: the free stack, slot states, waiter cells of this
 * thread (takeGrant), the capacity counters through passUnitOn; hands units to dialling.
 */
import { PoolInvariantError } from '../../core/errors.ts';
import { SLOT_STATE } from '../../core/slot-table.ts';
import { STAT } from '../../core/stats.ts';
import { EMPTY } from '../../core/treiber-stack.ts';
import { passUnitOn, RELEASED } from '../../core/unit-flow.ts';
import { publishClose, publishGrant } from '../diagnostics.ts';
import { isDead, type LocalWaiter } from '../local-waitlist.ts';
import type { AgentContext } from './context.ts';

export class HeldUnits {
  private readonly ctx: AgentContext;
  /** passUnitOn's out-parameter, reused (one grant at a time per thread). */
  private readonly granted = { cell: -1 };

  constructor(ctx: AgentContext) {
    this.ctx = ctx;
  }

  /** Takes a slot off the free stack for a unit this thread holds. */
  takeFreeSlot(): number {
    const core = this.ctx.core;
    const slot = core.stacks.pop(core.freeStack);
    if (slot === EMPTY) {
      throw new PoolInvariantError('no free slot although a unit is held: slots and units are out of step');
    }
    core.slots.claim(slot, this.ctx.index);
    return slot;
  }

  /** Closes the connection of a held slot (not its unit). */
  closeConn(slot: number): void {
    const ctx = this.ctx;
    const conn = ctx.conns[slot];
    ctx.conns[slot] = undefined;
    ctx.core.slots.setState(slot, SLOT_STATE.CLOSING);
    if (conn) {
      ctx.core.stats.add(ctx.index, STAT.CLOSED);
      publishClose(ctx.index, slot);
      try {
        const done = conn.close();
        if (done && typeof (done as Promise<void>).then === 'function') ctx.track((done as Promise<void>).catch(() => {}));
      } catch {
        // close() must not throw; a connector that does is treated as closed.
      }
    }
  }

  /** Returns a slot whose connection is closed to the free stack. */
  freeSlot(slot: number): void {
    const ctx = this.ctx;
    ctx.conns[slot] = undefined;
    if (ctx.detached) return;
    ctx.core.slots.free(slot);
    ctx.core.stacks.push(ctx.core.freeStack, slot);
  }

  /** Close a held connection, free its slot, and pass its unit on. */
  discard(slot: number): void {
    this.closeConn(slot);
    this.freeAndPassOn(slot);
  }

  /** A held slot whose connection is closed (or never came): free it and pass its unit on. */
  freeAndPassOn(slot: number): void {
    this.freeSlot(slot);
    this.passUnit();
  }

  /** Over capacity (fix 1): close, free, and release the unit (passed on if capacity came back meanwhile). */
  closeOverCapacity(slot: number): void {
    this.closeConn(slot);
    this.freeSlot(slot);
    if (!this.ctx.core.counters.releaseUnitIfOverCapacity()) this.passUnit();
  }

  /**
   * This thread holds a unit whose connection is closed and slot freed. Over capacity, the unit is
   * released (fix 1); otherwise it goes to the oldest waiter in any thread; else it is released.
   */
  passUnit(): void {
    const ctx = this.ctx;
    if (ctx.detached) return;
    const core = ctx.core;
    // No published waiter anywhere: a waiter of this thread that is not published takes it.
    if (core.waiters.waiting === 0 && core.counters.active <= core.counters.capacity) {
      const waiter = ctx.waitlist.firstUnserved(core.memory.nowMs());
      if (waiter && !ctx.lifetime.signal.aborted && core.lifecycle.isOpen) {
        ctx.dialling.dialForWaiter(waiter);
        return;
      }
    }
    const granted = this.granted;
    granted.cell = -1;
    const owner = passUnitOn(core, ctx.index, granted);
    if (owner === RELEASED) return;
    if (owner === ctx.index) this.takeGrant(granted.cell);
    else {
      core.stats.add(ctx.index, STAT.GRANTS);
      publishGrant(ctx.index, owner);
    }
  }

  /** A cell of ours was granted a unit: dial for its waiter (or the oldest one if it left). */
  takeGrant(cell: number): void {
    const ctx = this.ctx;
    const waiter = ctx.waitlist.byCell(cell);
    ctx.core.waiters.free(cell);
    if (waiter) {
      waiter.cell = -1;
      waiter.granted = true;
    }
    // A waiter past its deadline is not dialled for (its timer, not yet run, fails it): the oldest live one is.
    // Kept as an idle connection only when its waiter is being served by a dial of its own.
    this.useUnit(waiter && !waiter.dialing && !isDead(waiter, ctx.core.memory.nowMs()) ? waiter : null, waiter?.dialing === true);
  }

  /**
   * This thread holds a spare unit: dial for a waiter, or pass it on. `keep`: it was granted to
   * this thread for a waiter now served by a dial of its own: unless a waiter elsewhere is published, it
   * stays here as an idle connection (released again if this thread does not use it, see
   * recent-demand.ts) rather than going back to the shared pool, where the thread it was moved
   * away from would dial it again first.
   */
  useUnit(waiter: LocalWaiter | null, keep = false): void {
    const ctx = this.ctx;
    const target = waiter ?? ctx.waitlist.firstUnserved(ctx.core.memory.nowMs());
    if (target) {
      ctx.dialling.dialForWaiter(target);
    } else if (keep && ctx.core.waiters.waiting === 0 && !ctx.dialling.cannotRefill()) {
      ctx.dialling.reopenInBackground(this.takeFreeSlot(), 0);
    } else {
      this.passUnit();
    }
  }
}
