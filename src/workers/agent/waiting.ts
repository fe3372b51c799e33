/**
 * Waiting: the gets of this thread that found nothing to lend (smartconnpool's waitlist, §3.5,
 * and starvation re-offer, §3.14). A waiter is first served by this thread's own returns; once
 * other threads may act for it (handoff-policy.ts) it is published in a shared waiter cell, where
 * a returner elsewhere can grant it a unit, and it may evict another thread's idle connection.
 * Waiters are served through served() (the WaiterHost of waiter.ts), never through a closure.
 *
 * Owns: the waitlist's timers (one deadline timer and one tick per thread, ref'd only while
 * someone waits), publishing waiters to cells and ending those cells, evictions in flight.
 * Touches: this thread's waiter cells, other threads' doorbells (EVICT, YIELD), the capacity
 * counters (reserve); hands units to dialling and lends through checkout.
 */
import { PoolClosedError, PoolTimeoutError, PoolWaiterCapError } from '../../core/errors.ts';
import { describePoolState } from '../../core/pool-state-text.ts';
import { STAT } from '../../core/stats.ts';
import { REQUEST } from '../../core/thread-registry.ts';
import { EMPTY } from '../../core/treiber-stack.ts';
import { CELL_STATE } from '../../core/waiter-cells.ts';
import type { Deadline } from '../deadline.ts';
import { publishEvict, traceWait } from '../diagnostics.ts';
import { EvictionsInFlight } from '../evictions-in-flight.ts';
import type { LocalWaiter } from '../local-waitlist.ts';
import type { PooledConnection } from '../pooled-connection.ts';
import type { Setting } from '../setting.ts';
import { Waiter, type WaiterHost } from '../waiter.ts';
import type { AgentContext } from './context.ts';

/** The tick (while waiters wait) also publishes waiters and serves evictions and free capacity. */
const MAX_TICK_MS = 5;
const MIN_TICK_MS = 2;

export class Waiting implements WaiterHost {
  private readonly ctx: AgentContext;
  private readonly evictions: EvictionsInFlight;
  private waitTimer: NodeJS.Timeout | null = null;
  private deadlineTimer: NodeJS.Timeout | null = null;
  private deadlineAt = Number.POSITIVE_INFINITY;

  constructor(ctx: AgentContext) {
    this.ctx = ctx;
    this.evictions = new EvictionsInFlight(ctx.core.slots, ctx.core.threads);
  }

  /** Enqueues a get that found nothing (§3.4 step 4): the returned promise settles when it is served or fails. */
  waitForConn(setting: Setting | null, wanted: number, deadline: Deadline): Promise<PooledConnection> {
    const ctx = this.ctx;
    const core = ctx.core;
    if (!core.lifecycle.isOpen || ctx.lifetime.signal.aborted || core.lifecycle.lifetimeCancelled) {
      deadline.dispose();
      return Promise.reject(new PoolClosedError());
    }
    const startMs = deadline.startMs;
    if (!core.threads.admitWaiter(ctx.index, ctx.config.maxWaiters)) {
      core.stats.add(ctx.index, STAT.WAITER_CAP_REJECTED);
      deadline.dispose();
      return Promise.reject(new PoolWaiterCapError(ctx.config.maxWaiters));
    }
    core.stats.add(ctx.index, STAT.WAIT_COUNT);
    const waiter = new Waiter(this, setting, wanted, startMs, deadline);
    ctx.waitlist.push(waiter);
    // Shared only once another thread may act for it: most waits are served by this thread.
    if (ctx.handoff.othersMayHelp(0, startMs)) this.publish(waiter);
    this.afterWaitersChanged();
    if (waiter.deadlineMs < this.deadlineAt) this.armDeadline(waiter.deadlineMs);
    // A unit may have been freed between getNew() and the enqueue: the starvation tick and this
    // check make sure the waiter does not sit next to free capacity.
    if (core.counters.active < core.counters.capacity) this.tryServeWithCapacity();
    else if (!this.yieldForWaiter() && waiter.cell >= 0) this.evictForWaiter(0, startMs);
    return traceWait(ctx.index, wanted, waiter.promise);
  }

  /** WaiterHost: a waiter got `slot`; a claimed waiter takes the connection now, even if its caller gives up next. */
  served(waiter: Waiter, slot: number, nowMs: number): PooledConnection | Promise<PooledConnection> {
    const ctx = this.ctx;
    const core = ctx.core;
    core.threads.dismissWaiter(ctx.index);
    const waitedNs = ((nowMs >= 0 ? nowMs : core.memory.nowMs()) - waiter.startMs) * 1e6;
    core.stats.addWait(ctx.index, waitedNs);
    if (waiter.granted) {
      core.stats.add(ctx.index, STAT.CROSS_WAIT_COUNT);
      core.stats.add(ctx.index, STAT.CROSS_WAIT_TIME_NS, waitedNs);
    }
    this.afterWaitersChanged();
    if (core.slots.setting(slot) !== waiter.setting) return ctx.checkout.fitAndLend(slot, waiter.want, waiter.deadline);
    waiter.deadline.dispose();
    return ctx.checkout.lend(slot, waiter.setting);
  }

  /** WaiterHost: a waiter fails. A dial in flight for it keeps going (its connection may serve the next waiter) but yields. */
  failed(waiter: Waiter): void {
    this.ctx.core.threads.dismissWaiter(this.ctx.index);
    if (waiter.dial) this.ctx.dials.orphan(waiter.dial);
    this.afterWaitersChanged();
    waiter.deadline.dispose();
  }

  /** WaiterHost: the caller's signal ended while its get waited. */
  aborted(waiter: Waiter): void {
    if (this.ctx.waitlist.remove(waiter)) this.leave(waiter);
  }

  /** Gives a waiter a shared cell, so other threads can grant it a unit (see handoff-policy.ts). */
  private publish(waiter: LocalWaiter): void {
    const ctx = this.ctx;
    waiter.cell = ctx.core.waiters.enqueue(ctx.index, waiter.setting, ctx.config.maxWaiters, waiter.startMs);
  }

  /** Publishes the waiters other threads may act for now (they waited long enough, or this thread holds none). */
  private publishWaiters(now: number): void {
    const { waitlist, handoff } = this.ctx;
    const unpublished = waitlist.unpublished(now);
    if (unpublished === undefined || !handoff.othersMayHelp(now - unpublished.startMs, now)) return;
    waitlist.forEachUnpublished(now, (waiter) => {
      if (handoff.othersMayHelp(now - waiter.startMs, now)) this.publish(waiter);
    });
  }

  /** A waiter unlinked because its signal ended or its deadline passed: end its cell, fail it. */
  leave(waiter: LocalWaiter): void {
    const closed = this.endCell(waiter);
    waiter.fail(closed || this.ctx.lifetime.signal.aborted ? new PoolClosedError() : this.timeoutError(waiter));
  }

  /** A waiter's timeout, saying what held the capacity. */
  private timeoutError(waiter: LocalWaiter): PoolTimeoutError {
    const core = this.ctx.core;
    const waited = Math.round(core.memory.nowMs() - waiter.startMs);
    return new PoolTimeoutError(`connection pool timed out after ${waited} ms (${describePoolState(core)}; this is thread #${this.ctx.index})`);
  }

  /**
   * One timer per thread times out its waiters: armed for the earliest deadline, re-armed when it
   * fires. With the usual single getTimeoutMs, later waiters never need to re-arm it.
   */
  private armDeadline(at: number): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineAt = at;
    this.deadlineTimer = null;
    if (at === Number.POSITIVE_INFINITY) return;
    this.deadlineTimer = setTimeout(() => this.expireWaiters(), Math.max(0, at - this.ctx.core.memory.nowMs()));
    if (this.ctx.waitlist.length === 0) this.deadlineTimer.unref();
  }

  private expireWaiters(): void {
    const ctx = this.ctx;
    this.deadlineTimer = null;
    this.deadlineAt = Number.POSITIVE_INFINITY;
    // Several leave together: end every cell before using a unit granted to one of them (see endCells).
    const expired = ctx.waitlist.takeExpired(ctx.core.memory.nowMs());
    const rejected = this.endCells(expired);
    expired.forEach((waiter, i) => waiter.fail(rejected[i] || ctx.lifetime.signal.aborted ? new PoolClosedError() : this.timeoutError(waiter)));
    this.armDeadline(ctx.waitlist.earliestDeadline());
  }

  /**
   * Ends a waiter's shared cell because it leaves (timeout, abort, close) or is served. Returns
   * true if the pool rejected it. A cell granted at the same moment leaves this thread holding a
   * unit: use it.
   */
  endCell(waiter: LocalWaiter): boolean {
    const cells = this.ctx.core.waiters;
    const cell = waiter.cell;
    if (cell < 0) return false;
    waiter.cell = -1;
    if (cells.cancel(cell)) {
      cells.free(cell);
      return false;
    }
    const state = cells.state(cell);
    cells.free(cell);
    if (state === CELL_STATE.GRANTED) this.ctx.units.useUnit(null);
    return state === CELL_STATE.REJECTED;
  }

  /**
   * Ends the cells of waiters leaving together (close, detach): every cell first, then the units of
   * those that were granted. Passing a unit on mid-way (endCell → useUnit → passUnit) could grant it
   * to the cell of a waiter already drained from the local list but not yet ended; takeGrant cannot
   * find that waiter, frees the cell, and the waiter's own endCell then frees it a second time.
   */
  endCells(waiters: LocalWaiter[]): boolean[] {
    const cells = this.ctx.core.waiters;
    const rejected = waiters.map(() => false);
    let units = 0;
    waiters.forEach((waiter, i) => {
      const cell = waiter.cell;
      if (cell < 0) return;
      waiter.cell = -1;
      if (cells.cancel(cell)) {
        cells.free(cell);
        return;
      }
      const state = cells.state(cell);
      if (state === CELL_STATE.GRANTED) units++;
      rejected[i] = state === CELL_STATE.REJECTED;
      cells.free(cell);
    });
    while (units-- > 0) this.ctx.units.useUnit(null);
    return rejected;
  }

  /** Fails every waiter of this thread with `error` (close, detach): cells first (see endCells). */
  failAll(error: () => Error): void {
    const leaving = this.ctx.waitlist.drain();
    this.endCells(leaving);
    for (const waiter of leaving) waiter.fail(error());
    this.afterWaitersChanged();
  }

  /**
   * Keeps the event loop alive exactly while waiters wait: the tick (starvation re-offer, handoffs)
   * runs, ref'd, only then, and the deadline timer is ref'd then, unref'd otherwise. The tick is
   * stopped as soon as the last waiter leaves: most waits are served by this thread within a
   * millisecond, and a tick left to fire once more afterwards woke an idle thread for nothing
   * (once per wait in the service group's cpu load, see docs/service-load.md).
   */
  private afterWaitersChanged(): void {
    if (this.ctx.waitlist.length > 0) {
      if (this.waitTimer === null) {
        const period = Math.max(MIN_TICK_MS, Math.min(MAX_TICK_MS, this.ctx.config.handoffDelayMs));
        this.waitTimer = setInterval(() => this.starvationTick(), period);
        this.deadlineTimer?.ref();
      }
    } else if (this.waitTimer !== null) {
      clearInterval(this.waitTimer);
      this.waitTimer = null;
      this.deadlineTimer?.unref();
    }
  }

  /** Stops both timers (detach). */
  stop(): void {
    if (this.waitTimer) clearInterval(this.waitTimer);
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
  }

  /** smartconnpool's starvation worker, plus: free capacity or evictable connections for waiters. */
  starvationTick(): void {
    const ctx = this.ctx;
    if (ctx.waitlist.length === 0) {
      if (this.waitTimer) clearInterval(this.waitTimer);
      this.waitTimer = null;
      return;
    }
    // Units already granted to our cells are taken first: the tick can run before the doorbell's
    // turn (a timer expiring before the waitAsync settles), and must not ask for them a second time.
    ctx.requests.handleGrants();
    const core = ctx.core;
    const now = core.memory.nowMs();
    let n = ctx.waitlist.maybeStarvingCount(now);
    while (n-- > 0) {
      let slot = ctx.checkout.popIdle(ctx.cleanStack);
      if (slot === EMPTY) slot = ctx.checkout.popFromSettingStacks(0);
      if (slot === EMPTY) break;
      if (!ctx.returns.tryReturnConn(slot, true)) break;
    }
    this.publishWaiters(now);
    const oldest = ctx.waitlist.firstUnserved(now);
    if (oldest) {
      if (core.counters.active < core.counters.capacity) this.tryServeWithCapacity();
      else if (!this.yieldForWaiter() && oldest.cell >= 0) {
        // One eviction per published waiter (bounded in evictForWaiter): a burst of waiters in a
        // thread facing another's idle connections is not served one tick at a time.
        for (let n = core.waiters.waitingOf(ctx.index); n > 0 && this.evictForWaiter(now - oldest.startMs, now); n--);
      }
    }
  }

  /** Reserves a free unit for the oldest unserved waiter, if capacity allows. */
  private tryServeWithCapacity(): void {
    const ctx = this.ctx;
    const waiter = ctx.waitlist.firstUnserved(ctx.core.memory.nowMs());
    if (!waiter || !ctx.core.counters.reserve()) return;
    ctx.dialling.dialForWaiter(waiter);
  }

  /** All capacity is held: a dial nobody waits for (here or in another thread) gives its unit up. */
  private yieldForWaiter(): boolean {
    return this.ctx.dials.yieldForWaiter(this.ringYield);
  }

  private readonly ringYield = (owner: number): void => this.ctx.core.threads.ring(owner, REQUEST.YIELD);

  /**
   * All capacity is held: take one idle connection of another thread for eviction. Its owner closes
   * it on its next turn and passes the unit to the oldest waiter (doorbell-requests.ts).
   */
  private evictForWaiter(waitedMs: number, now: number): boolean {
    const ctx = this.ctx;
    // At most one eviction in flight per published waiter that still needs a unit: one dialling,
    // or whose cell was granted a unit its doorbell has not taken yet, needs none; the evicted
    // unit goes to a published waiter (passUnitOn). See evictions-in-flight.ts.
    const needing = Math.min(ctx.core.waiters.waitingOf(ctx.index), ctx.waitlist.unservedCount(now, this.hasGrantedCell));
    if (this.evictions.pending() >= needing) {
      this.evictions.forEachOwner(this.ringEvict);
      return false;
    }
    const claimed = ctx.handoff.claimIdleElsewhere(waitedMs, now);
    if (!claimed) return false;
    ctx.core.stats.add(ctx.index, STAT.EVICTIONS);
    publishEvict(ctx.index, claimed.owner);
    this.ringEvict(claimed.owner);
    this.evictions.add(claimed.slot, claimed.owner);
    return true;
  }

  private readonly ringEvict = (owner: number): void => this.ctx.core.threads.ring(owner, REQUEST.EVICT);

  private readonly hasGrantedCell = (w: LocalWaiter): boolean => w.cell >= 0 && this.ctx.core.waiters.state(w.cell) === CELL_STATE.GRANTED;
}
