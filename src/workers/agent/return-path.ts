/**
 * ReturnPath: a connection coming back (smartconnpool's put, §3.7 and §3.10). recycle() checks it
 * is clean (recycle-guard.ts), the max lifetime with jitter (§3.8) may replace it, and then
 * tryReturnConn decides where it goes, in this order: closed at once over capacity (fix 1); a
 * starved waiter of another thread; a waiter of this thread; a waiter elsewhere that needs it, or
 * released early if this thread did not need it lately (recent-demand.ts); closed past the idle
 * limit; else pushed on this thread's stack for its setting. taint() closes and refills instead.
 *
 * Owns: the decision for every returned, redialled or swept connection, and grants (a unit moved
 * to a waiter in another thread: its socket is closed first, then the cell is granted).
 * Touches: the capacity counters (giveBack), slot state and times, this thread's stacks, other
 * threads' waiter cells and doorbells (GRANT).
 */
import { SLOT_STATE } from '../../core/slot-table.ts';
import { STAT } from '../../core/stats.ts';
import { REQUEST } from '../../core/thread-registry.ts';
import { settingBucket } from '../../core/stack-ids.ts';
import type { PoolConnection } from '../connector.ts';
import { publishGrant } from '../diagnostics.ts';
import type { LocalWaiter } from '../local-waitlist.ts';
import { CLEANUP, type Cleanup } from '../recycle-guard.ts';
import { type AgentContext, closeQuietly } from './context.ts';

export class ReturnPath {
  private readonly ctx: AgentContext;

  constructor(ctx: AgentContext) {
    this.ctx = ctx;
  }

  /** The holder gave the connection back (PooledConnection.recycle). */
  recycleSlot(slot: number, conn: PoolConnection): void {
    const ctx = this.ctx;
    const closed = conn.isClosed();
    if (!ctx.detached && !closed) {
      const cleanup = ctx.guard.needed(conn, ctx.core.slots.setting(slot));
      if (cleanup !== CLEANUP.NONE) {
        this.cleanThenReturn(slot, conn, cleanup);
        return;
      }
    }
    this.returnSlot(slot, conn, closed);
  }

  /**
   * A connection back inside a transaction or with changed session state is cleaned before it may
   * be lent again (recycle-guard.ts); it stays counted as borrowed meanwhile. Failing that, it is
   * closed and its slot refilled.
   */
  private cleanThenReturn(slot: number, conn: PoolConnection, cleanup: Cleanup): void {
    const ctx = this.ctx;
    // No longer the holder's: close()'s forced end (abortBorrowed) must not count it a second time;
    // close() aborts the cleanup through the lifetime signal instead.
    ctx.lent[slot] = undefined;
    const startNs = ctx.core.nowNs();
    ctx.track(ctx.guard.run(conn, cleanup, ctx.lifetime.signal).then((clean) => {
      if (!clean) return this.taintSlot(slot, conn);
      if (cleanup === CLEANUP.RESET && !ctx.detached) ctx.core.slots.setSetting(slot, 0);
      // Its answer may have waited unread (a blocked event loop) beside a FIN: validate as if idle.
      ctx.validation.slow(slot, startNs, ctx.core.nowNs());
      this.returnSlot(slot, conn);
    }));
  }

  private returnSlot(slot: number, conn: PoolConnection, closed = conn.isClosed()): void {
    const ctx = this.ctx;
    const core = ctx.core;
    ctx.lent[slot] = undefined;
    if (ctx.detached) {
      // The slot was reclaimed when this thread detached; only the socket is left to close.
      closeQuietly(conn);
      return;
    }
    core.counters.giveBack();
    const nowMs = core.memory.nowMs();
    ctx.demand.returned(nowMs);
    core.threads.markUsed(ctx.index, nowMs, ctx.config.handoffDelayMs);
    // The slot stays BORROWED until tryReturnConn puts it somewhere (a stack, a waiter, closed).
    if (closed) {
      ctx.units.closeConn(slot); // destroys whatever is left of the socket
      ctx.dialling.refill(slot);
      return;
    }
    const now = core.nsAt(nowMs);
    core.slots.setTimeUsed(slot, now);
    ctx.validation.usedAt(slot, nowMs);
    // Jitter is drawn only for a connection already past maxLifetimeMs: younger ones cannot exceed
    // 1×–2× of it, and the common return then costs no random draw and no BigInt arithmetic.
    const ageMs = (Number(now) - ctx.createdNs[slot]) / 1e6;
    if (ctx.config.maxLifetimeMs > 0 && ageMs > ctx.config.maxLifetimeMs && ageMs > this.extendedMaxLifetimeMs()) {
      core.stats.add(ctx.index, STAT.MAX_LIFETIME_CLOSED);
      const setting = core.slots.setting(slot);
      ctx.units.closeConn(slot);
      ctx.dialling.refill(slot, setting);
      return;
    }
    this.tryReturnConn(slot, false, nowMs);
  }

  /** MaxLifetime plus uniform jitter in [0, MaxLifetime), drawn on every return past it (§3.8); 0 = none. */
  extendedMaxLifetimeMs(): number {
    const lifetime = this.ctx.config.maxLifetimeMs;
    if (!(lifetime > 0)) return 0;
    return lifetime + Math.random() * lifetime;
  }

  /** The holder says the connection is broken (PooledConnection.taint): closed and refilled. */
  taintSlot(slot: number, conn: PoolConnection): void {
    const ctx = this.ctx;
    ctx.lent[slot] = undefined;
    if (ctx.detached) {
      closeQuietly(conn);
      return;
    }
    ctx.core.counters.giveBack();
    ctx.demand.returned(ctx.core.memory.nowMs());
    ctx.units.closeConn(slot);
    ctx.dialling.refill(slot);
  }

  /**
   * Every connection coming back goes through here (§3.10): eager close over capacity (fix 1),
   * a local waiter, a waiter in another thread (by granting the unit), the idle limit, a stack.
   * Returns true if it was handed to a waiter. `callerMs`: a caller gave it back (recycle) at this
   * pool-clock time, so it may be surplus to what this thread used lately and is released early
   * (recent-demand.ts); -1 for a connection coming from elsewhere (a dial, the sweep).
   */
  tryReturnConn(slot: number, updateIdleTime: boolean, callerMs = -1): boolean {
    const ctx = this.ctx;
    const core = ctx.core;
    const units = ctx.units;
    if (ctx.detached) {
      units.closeConn(slot);
      return false;
    }
    const counters = core.counters;
    if (counters.active > counters.capacity) {
      units.closeOverCapacity(slot);
      return false;
    }
    if (updateIdleTime) {
      const now = core.nowNs();
      core.slots.setTimeUsed(slot, now);
      ctx.validation.used(slot, now);
    }
    const setting = core.slots.setting(slot);
    // Every waiting get() anywhere, published or not, counts in waitersTotal: while it is 0 (one
    // load) there is no waiter to serve or grant to, and nothing is surplus (see below).
    const waiting = core.threads.waitersTotal !== 0;
    const foreignWaiting = waiting ? core.waiters.waiting - core.waiters.waitingOf(ctx.index) : 0;
    const waitlist = ctx.waitlist;
    if (waiting && waitlist.length > 0) {
      // A starved or poorer foreign thread's waiter goes first; the grant closes and frees this
      // slot, so stop here (falling through would free the slot and grant its unit twice).
      if (foreignWaiting > 0 && this.grantCell(ctx.handoff.pickOverLocal(), slot)) return true;
      const nowMs = callerMs >= 0 ? callerMs : core.memory.nowMs();
      const waiter = waitlist.take(setting, this.evictDeadWaiter, nowMs);
      if (waiter) {
        if (foreignWaiting > 0) ctx.handoff.ageForeignWaiters(waiter.cell);
        ctx.waiting.endCell(waiter);
        core.slots.setState(slot, SLOT_STATE.DIALING);
        waiter.serve(slot, nowMs);
        return true;
      }
    }
    // Released only while a get elsewhere waits: with nobody to use the unit, the next get here
    // would dial it again (smartconnpool dials before it resets another setting's connection).
    const surplus = waiting && callerMs >= 0 && core.threads.waitersTotal > waitlist.length &&
      ctx.demand.isSurplus(core.threads.slotsHeld(ctx.index) - ctx.inTransit);
    if (foreignWaiting > 0 && this.grantCell(ctx.handoff.pickForeign(setting, core.memory.nowMs(), surplus), slot)) return true;
    if (surplus) {
      units.discard(slot);
      return false;
    }
    // With maxIdle 0 the idle limit is capacity, which the check above already enforces.
    if (counters.maxIdle !== 0 && counters.active - counters.borrowed > counters.idleAllowed) {
      core.stats.add(ctx.index, STAT.IDLE_CLOSED);
      units.closeConn(slot);
      units.freeSlot(slot);
      if (!counters.releaseUnitIfOverIdleLimit()) units.passUnit();
      return false;
    }
    core.slots.setState(slot, SLOT_STATE.IDLE);
    if (setting === 0) {
      core.stacks.push(ctx.cleanStack, slot);
    } else {
      ctx.usedSettingStacks = true;
      core.stacks.push(core.settingStack(ctx.index, setting), slot);
      core.threads.setFreshStack(ctx.index, settingBucket(setting));
    }
    return false;
  }

  /** A waiter whose signal ended, found by a returner before its own handler ran. */
  private readonly evictDeadWaiter = (waiter: LocalWaiter): void => this.ctx.waiting.leave(waiter);

  /**
   * Moves this slot's unit to the waiter of another thread in `cell` (-1: the policy picked none;
   * returns false). The socket is closed before the grant is visible, so the waiter's dial can
   * never make the process exceed capacity. If the waiter left meanwhile, the unit goes to the
   * next waiter (or is released) like any freed unit.
   */
  private grantCell(cell: number, slot: number): boolean {
    if (cell < 0) return false;
    const ctx = this.ctx;
    const core = ctx.core;
    ctx.units.closeConn(slot);
    ctx.units.freeSlot(slot);
    const owner = core.waiters.grantOwner(cell);
    if (owner === -2) {
      ctx.units.passUnit();
      return true;
    }
    core.stats.add(ctx.index, STAT.GRANTS);
    publishGrant(ctx.index, owner);
    core.threads.ring(owner, REQUEST.GRANT);
    return true;
  }
}
