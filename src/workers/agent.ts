/**
 * ThreadAgent: the pool as seen from one thread. It owns this thread's sockets, keeps its idle
 * connections in its own shared-memory stacks, and follows smartconnpool's order of lookups
 * (§3.4, §3.6), return path (§3.7, §3.10), idle sweep (§3.13) and starvation re-offer (§3.14).
 *
 * What crosses threads is capacity, never a socket: a returner with no local waiter closes its
 * connection and grants the unit to a waiting thread; a waiter facing capacity held by idle
 * connections elsewhere evicts one, and the owner closes it and passes the unit on. Other threads
 * and the host reach this agent through its doorbell (Atomics.waitAsync, which keeps no event loop
 * alive). A waiting get() holds a ref'd timer so the process does not exit under it.
 */
import {
  PoolClosedError, PoolContextExpiredError, PoolInvariantError, PoolOptionError, PoolTimeoutError, PoolWaiterCapError,
} from '../core/errors.ts';
import { SETTING_STACKS } from '../core/layout.ts';
import { type SharedCore } from '../core/shared-core.ts';
import { SLOT_STATE } from '../core/slot-table.ts';
import { STAT } from '../core/stats.ts';
import { REQUEST } from '../core/thread-registry.ts';
import { EMPTY } from '../core/treiber-stack.ts';
import { CELL_STATE } from '../core/waiter-cells.ts';
import { passUnitOn, RELEASED } from '../core/unit-flow.ts';
import { reclaimThread } from '../core/reclaim.ts';
import { settingBucket } from '../core/stack-ids.ts';
import { describePoolState } from '../core/pool-state-text.ts';
import { checkGetOptions } from './arguments.ts';
import { IdleValidation } from './idle-validation.ts';
import { LEAK_WATCH, LeakDetector } from './leak-detector.ts';
import { CLEANUP, type Cleanup, RecycleGuard } from './recycle-guard.ts';
import { type ConnectorModule, dialOptions, loadConnector, type PoolConnection } from './connector.ts';
import { asError, Deadline } from './deadline.ts';
import { Doorbell } from './doorbell.ts';
import { YieldingDials } from './yielding-dials.ts';
import { EvictionsInFlight } from './evictions-in-flight.ts';
import { publishClose, publishEvict, publishGrant, traceDial, traceGet, traceWait, tracingGet } from './diagnostics.ts';
import { HandoffPolicy } from './handoff-policy.ts';
import { IdleSweep } from './idle-sweep.ts';
import { isDead, type LocalWaiter, LocalWaitlist } from './local-waitlist.ts';
import { RecentDemand } from './recent-demand.ts';
import { Waiter, type WaiterHost } from './waiter.ts';
import { type HandleOwner, PooledConnection } from './pooled-connection.ts';
import { Setting } from './setting.ts';
import type { GetOptions, HandleConfig } from './types.ts';

/** The tick (while waiters wait) also publishes waiters and serves evictions and free capacity. */
const MAX_TICK_MS = 5;
const MIN_TICK_MS = 2;

export class ThreadAgent implements HandleOwner, WaiterHost {
  readonly core: SharedCore;
  /** This thread's registry index. */
  readonly index: number;
  readonly config: HandleConfig;
  private readonly conns: (PoolConnection | undefined)[];
  /** The handle of each borrowed slot of this thread (close() at its deadline revokes them). */
  private readonly lent: (PooledConnection | undefined)[];
  private readonly waitlist = new LocalWaitlist();
  private readonly settingsById = new Map<number, Setting>();
  private readonly settingsByKey = new Map<string, Setting>();
  private lifetime = new AbortController();
  private connector: Promise<ConnectorModule> | null = null;
  private readonly background = new Set<Promise<unknown>>();
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweeping = false;
  private waitTimer: NodeJS.Timeout | null = null;
  private deadlineTimer: NodeJS.Timeout | null = null;
  private deadlineAt = Number.POSITIVE_INFINITY;
  private readonly clock = (): number => this.core.memory.nowMs();
  private detached = false;
  /** Set once this thread has pushed to a setting stack (nothing else ever does). */
  private usedSettingStacks = false;
  private readonly idleSweep: IdleSweep;
  private readonly cleanStack: number;
  private readonly handoff: HandoffPolicy;
  private readonly doorbell: Doorbell;
  private readonly dials: YieldingDials;
  private readonly evictions: EvictionsInFlight;
  private readonly guard: RecycleGuard;
  private readonly validation: IdleValidation;
  private readonly leaks: LeakDetector | null;
  /** When each slot's connection was dialled (pool-clock ns, a plain number; see returnSlot). */
  private readonly createdNs: Float64Array;
  private readonly demand = new RecentDemand();
  /**
   * Slots held but neither idle nor lent: dials, setting fits and validation pings in flight.
   * They count in slotsHeld, not in RecentDemand: the surplus check leaves them out.
   */
  private inTransit = 0;

  constructor(core: SharedCore, index: number, config: HandleConfig) {
    this.core = core;
    this.index = index;
    this.config = config;
    const maxCapacity = core.memory.layout.maxCapacity;
    this.conns = new Array(maxCapacity);
    this.lent = new Array(maxCapacity);
    this.idleSweep = new IdleSweep(core, index);
    this.cleanStack = core.cleanStack(index);
    this.handoff = new HandoffPolicy(core, index, config.handoffDelayMs);
    this.dials = new YieldingDials(core.threads, index);
    this.evictions = new EvictionsInFlight(core.slots, core.threads);
    this.guard = new RecycleGuard(config.resetOnRecycle ?? 'auto', config.validationTimeoutMs ?? 1000);
    this.validation = new IdleValidation(maxCapacity, config.aliveBypassWindowMs ?? 500, config.validationTimeoutMs ?? 1000);
    this.createdNs = new Float64Array(maxCapacity);
    this.leaks = (config.leakDetectionMs ?? 0) > 0 ? new LeakDetector(config.leakDetectionMs!, index) : null;
    if (core.lifecycle.lifetimeCancelled) this.lifetime.abort(new PoolClosedError());
    const idleTimeout = core.lifecycle.idleTimeoutMs;
    if (idleTimeout > 0) {
      this.sweepTimer = setInterval(() => this.sweep(), Math.max(1, Math.floor(idleTimeout / 10)));
      this.sweepTimer.unref();
    }
    this.doorbell = new Doorbell(core.threads, index, (requests) => this.handleRequests(requests));
    // Started on a later turn: a pending request must not be handled inside this constructor.
    queueMicrotask(() => this.doorbell.start());
  }

  // ------------------------------------------------------------------------------------------
  // settings

  /** The interned setting for this SQL (same text ⇒ same setting, in every thread). */
  setting(applySql: string, resetSql: string | null = null): Setting {
    if (typeof applySql !== 'string' || applySql.trim() === '') throw new PoolOptionError('setting SQL', applySql, 'a non-empty string');
    if (resetSql !== null && typeof resetSql !== 'string') throw new PoolOptionError('setting reset SQL', resetSql, 'a string or null');
    const key = Setting.key(applySql, resetSql);
    let setting = this.settingsByKey.get(key);
    if (!setting) {
      const id = this.core.settings.intern(key);
      setting = new Setting(id, applySql, resetSql);
      this.settingsByKey.set(key, setting);
      this.settingsById.set(id, setting);
    }
    return setting;
  }

  get queryTimeoutMs(): number {
    return this.config.queryTimeoutMs ?? 0;
  }

  settingById(id: number): Setting | null {
    if (id === 0) return null;
    let setting = this.settingsById.get(id);
    if (!setting) {
      const { applySql, resetSql } = Setting.parse(this.core.settings.textOf(id));
      setting = this.setting(applySql, resetSql);
    }
    return setting;
  }

  // ------------------------------------------------------------------------------------------
  // get

  /**
   * Borrows a connection. A get that finds an idle connection of this thread completes without
   * touching anything but shared memory.
   */
  get(options?: GetOptions): Promise<PooledConnection> {
    return tracingGet() ? traceGet(this.index, options, this.getUntraced, this) : this.getUntraced(options);
  }

  private getUntraced(options?: GetOptions): Promise<PooledConnection> {
    try {
      checkGetOptions(options);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.leaks === null) return this.getChecked(options);
    // Leak detection: the borrower's stack, taken now (the caller's frames are still on it).
    const origin = this.leaks.capture(this.get);
    return this.getChecked(options).then((conn) => {
      conn[LEAK_WATCH] = this.leaks!.watch(conn.slot, origin);
      return conn;
    });
  }

  private getChecked(options?: GetOptions): Promise<PooledConnection> {
    const setting = options?.setting ?? null;
    if (options?.signal?.aborted) return Promise.reject(new PoolContextExpiredError());
    const core = this.core;
    if (core.counters.capacity === 0 || this.detached) return Promise.reject(new PoolClosedError());
    const wanted = setting === null ? 0 : setting.id;
    core.stats.add(this.index, wanted === 0 ? STAT.GET : STAT.GET_SETTING);
    const first = this.popIdle(wanted === 0 ? this.cleanStack : core.settingStack(this.index, wanted));
    if (first !== EMPTY && core.slots.setting(first) === wanted && !this.validation.isDue(first)) return Promise.resolve(this.lend(first, wanted));
    return this.getSlow(setting, wanted, first, options);
  }

  private getSlow(setting: Setting | null, wanted: number, first: number, options?: GetOptions): Promise<PooledConnection> {
    const core = this.core;
    const deadline = new Deadline(options?.signal, options?.timeoutMs ?? this.config.getTimeoutMs, this.clock);
    let slot = first;
    if (slot === EMPTY && wanted !== 0) slot = this.popIdle(this.cleanStack);
    // Reserve synchronously and await only a real dial: a yield here would let a return in this
    // thread push to a stack already checked, leaving the enqueued waiter beside an idle conn.
    if (slot === EMPTY && core.counters.reserve()) return this.afterDial(this.getNew(deadline), setting, wanted, deadline);
    // Only this thread pushes to its setting stacks: if it never did, the ring scan finds nothing.
    if (slot === EMPTY && this.usedSettingStacks) slot = this.popFromSettingStacks(wanted === 0 ? core.threads.freshStack(this.index) : wanted);
    if (slot === EMPTY) return this.waitForConn(setting, wanted, deadline);
    return this.handOut(slot, setting, wanted, deadline);
  }

  /**
   * Lends a held slot, after fitting its setting if it carries another one. The common case
   * (setting already right) resolves at once: a served waiter gets its handle without extra hops.
   */
  private handOut(slot: number, setting: Setting | null, wanted: number, deadline: Deadline): Promise<PooledConnection> {
    if (this.validation.isDue(slot)) return this.validateAndLend(slot, setting, deadline);
    if (this.core.slots.setting(slot) === wanted) {
      deadline.dispose();
      return Promise.resolve(this.lend(slot, wanted));
    }
    return this.fitAndLend(slot, setting, deadline);
  }

  private async fitAndLend(slot: number, setting: Setting | null, deadline: Deadline): Promise<PooledConnection> {
    this.inTransit++;
    try {
      await this.fitSetting(slot, setting, deadline);
      return this.lend(slot, this.core.slots.setting(slot));
    } catch (error) {
      throw deadline.translate(error, this.lifetime.signal);
    } finally {
      this.inTransit--;
      deadline.dispose();
    }
  }

  /**
   * A connection idle past aliveBypassWindowMs is pinged first; a dead one is closed and the slot
   * redialled with the caller's deadline, so the caller never sees the failed validation.
   */
  private async validateAndLend(slot: number, setting: Setting | null, deadline: Deadline): Promise<PooledConnection> {
    this.validation.clear(slot);
    this.inTransit++;
    try {
      if (!(await this.validation.alive(this.conns[slot]!, deadline.signal))) {
        this.closeConn(slot);
        await this.dialForCaller(slot, deadline);
      }
      await this.fitSetting(slot, setting, deadline);
      return this.lend(slot, this.core.slots.setting(slot));
    } finally {
      this.inTransit--;
      deadline.dispose();
    }
  }

  private async afterDial(dial: Promise<number>, setting: Setting | null, wanted: number, deadline: Deadline): Promise<PooledConnection> {
    let slot: number;
    try {
      slot = await dial;
    } catch (error) {
      deadline.dispose();
      throw error;
    }
    return this.handOut(slot, setting, wanted, deadline);
  }


  /** Hands a held slot to the caller. */
  private lend(slot: number, setting: number): PooledConnection {
    this.validation.clear(slot);
    this.core.slots.setState(slot, SLOT_STATE.BORROWED);
    this.core.counters.borrow();
    this.demand.lent();
    const handle = new PooledConnection(this, slot, this.conns[slot]!, setting);
    this.lent[slot] = handle;
    return handle;
  }

  /** Pops one of this thread's idle connections from `stack`, taking ownership with borrow(). */
  private popIdle(stack: number): number {
    const { stacks, slots } = this.core;
    for (;;) {
      const slot = stacks.pop(stack);
      if (slot === EMPTY) return EMPTY;
      // The state stays IDLE until the taker decides (lend → BORROWED, close → CLOSING, ...): one
      // store less on the hot path; off every stack, nobody else can reach the slot meanwhile.
      if (slots.borrow(slot)) {
        // Died while idle (server hung up, KILL): never handed out; the slot is refilled.
        if (this.conns[slot]?.isClosed()) {
          this.closeConn(slot);
          this.refill(slot);
          continue;
        }
        this.validation.popped(slot, this.core.nowNs());
        return slot;
      }
      // Lost to an expirer: it owns the connection now.
    }
  }

  /** Ring scan of this thread's 8 setting stacks from `start` (smartconnpool getFromSettingsStack). */
  private popFromSettingStacks(start: number): number {
    for (let i = 0; i < SETTING_STACKS; i++) {
      const slot = this.popIdle(this.core.settingStackAt(this.index, start + i));
      if (slot !== EMPTY) return slot;
    }
    return EMPTY;
  }

  /** Dials with the caller's deadline into a unit the caller has just reserved (getNew, §3.4 step 2). */
  private async getNew(deadline: Deadline): Promise<number> {
    const slot = this.takeFreeSlot();
    await this.dialForCaller(slot, deadline);
    return slot;
  }

  /**
   * A foreground dial into a held slot, bare, with the caller's deadline (getNew, and the reopen
   * after a failed reset). On failure the slot and its unit are given up and the error mapped.
   */
  private async dialForCaller(slot: number, deadline: Deadline): Promise<void> {
    try {
      await this.dialInto(slot, deadline.withLifetime(this.lifetime.signal), 0);
    } catch (error) {
      this.freeSlot(slot);
      this.passUnit();
      throw deadline.translate(error, this.lifetime.signal);
    }
  }

  /** Resets or applies so the connection in `slot` carries exactly `setting` (§3.4 step 6, §3.6 step 6). */
  private async fitSetting(slot: number, setting: Setting | null, deadline: Deadline): Promise<void> {
    const core = this.core;
    const current = core.slots.setting(slot);
    const wanted = setting === null ? 0 : setting.id;
    if (current === wanted) return;
    const signal = deadline.signal;
    if (current !== 0) {
      core.stats.add(this.index, wanted === 0 ? STAT.RESET_SETTING : STAT.DIFF_SETTING);
      try {
        await this.conns[slot]!.resetSetting(this.settingById(current)!.resetSql, signal);
        core.slots.setSetting(slot, 0);
      } catch {
        // A failed reset: close and reopen bare in place, with the caller's deadline (fix 4).
        this.closeConn(slot);
        await this.dialForCaller(slot, deadline);
      }
    }
    if (setting !== null) {
      try {
        await this.conns[slot]!.applySetting(setting.applySql, signal);
        core.slots.setSetting(slot, setting.id);
      } catch (error) {
        this.closeConn(slot);
        this.freeSlot(slot);
        this.passUnit();
        throw error;
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // waiting

  private waitForConn(setting: Setting | null, wanted: number, deadline: Deadline): Promise<PooledConnection> {
    const core = this.core;
    if (!core.lifecycle.isOpen || this.lifetime.signal.aborted || core.lifecycle.lifetimeCancelled) {
      deadline.dispose();
      return Promise.reject(new PoolClosedError());
    }
    const startMs = deadline.startMs;
    if (!core.threads.admitWaiter(this.index, this.config.maxWaiters)) {
      core.stats.add(this.index, STAT.WAITER_CAP_REJECTED);
      deadline.dispose();
      return Promise.reject(new PoolWaiterCapError(this.config.maxWaiters));
    }
    core.stats.add(this.index, STAT.WAIT_COUNT);
    const waiter = new Waiter(this, setting, wanted, startMs, deadline);
    this.waitlist.push(waiter);
    // Shared only once another thread may act for it: most waits are served by this thread.
    if (this.handoff.othersMayHelp(0, startMs)) this.publish(waiter);
    this.afterWaitersChanged();
    if (waiter.deadlineMs < this.deadlineAt) this.armDeadline(waiter.deadlineMs);
    // A unit may have been freed between getNew() and the enqueue: the starvation tick and this
    // check make sure the waiter does not sit next to free capacity.
    if (core.counters.active < core.counters.capacity) this.tryServeWithCapacity();
    else if (!this.yieldForWaiter() && waiter.cell >= 0) this.evictForWaiter(0, startMs);
    return traceWait(this.index, wanted, waiter.promise);
  }

  /** WaiterHost: a waiter got `slot`; a claimed waiter takes the connection now, even if its caller gives up next. */
  served(waiter: Waiter, slot: number, nowMs: number): PooledConnection | Promise<PooledConnection> {
    const core = this.core;
    core.threads.dismissWaiter(this.index);
    const waitedNs = ((nowMs >= 0 ? nowMs : core.memory.nowMs()) - waiter.startMs) * 1e6;
    core.stats.addWait(this.index, waitedNs);
    if (waiter.granted) {
      core.stats.add(this.index, STAT.CROSS_WAIT_COUNT);
      core.stats.add(this.index, STAT.CROSS_WAIT_TIME_NS, waitedNs);
    }
    this.afterWaitersChanged();
    if (core.slots.setting(slot) !== waiter.setting) return this.fitAndLend(slot, waiter.want, waiter.deadline);
    waiter.deadline.dispose();
    return this.lend(slot, waiter.setting);
  }

  /** WaiterHost: a waiter fails. A dial in flight for it keeps going (its connection may serve the next waiter) but yields. */
  failed(waiter: Waiter): void {
    this.core.threads.dismissWaiter(this.index);
    if (waiter.dial) this.dials.orphan(waiter.dial);
    this.afterWaitersChanged();
    waiter.deadline.dispose();
  }

  /** WaiterHost: the caller's signal ended while its get waited. */
  aborted(waiter: Waiter): void {
    if (this.waitlist.remove(waiter)) this.leave(waiter);
  }

  /** Gives a waiter a shared cell, so other threads can grant it a unit (see handoff-policy.ts). */
  private publish(waiter: LocalWaiter): void {
    waiter.cell = this.core.waiters.enqueue(this.index, waiter.setting, this.config.maxWaiters, waiter.startMs);
  }

  /** Publishes the waiters other threads may act for now (they waited long enough, or this thread holds none). */
  private publishWaiters(now: number): void {
    const unpublished = this.waitlist.unpublished(now);
    if (unpublished === undefined || !this.handoff.othersMayHelp(now - unpublished.startMs, now)) return;
    this.waitlist.forEachUnpublished(now, (waiter) => {
      if (this.handoff.othersMayHelp(now - waiter.startMs, now)) this.publish(waiter);
    });
  }

  /** A waiter unlinked because its signal ended or its deadline passed: end its cell, fail it. */
  private leave(waiter: LocalWaiter): void {
    const closed = this.endCell(waiter);
    waiter.fail(closed || this.lifetime.signal.aborted ? new PoolClosedError() : this.timeoutError(waiter));
  }

  /** A waiter's timeout, saying what held the capacity. */
  private timeoutError(waiter: LocalWaiter): PoolTimeoutError {
    const waited = Math.round(this.core.memory.nowMs() - waiter.startMs);
    return new PoolTimeoutError(`connection pool timed out after ${waited} ms (${describePoolState(this.core)}; this is thread #${this.index})`);
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
    this.deadlineTimer = setTimeout(() => this.expireWaiters(), Math.max(0, at - this.core.memory.nowMs()));
    if (this.waitlist.length === 0) this.deadlineTimer.unref();
  }

  private expireWaiters(): void {
    this.deadlineTimer = null;
    this.deadlineAt = Number.POSITIVE_INFINITY;
    // Several leave together: end every cell before using a unit granted to one of them (see endCells).
    const expired = this.waitlist.takeExpired(this.core.memory.nowMs());
    const rejected = this.endCells(expired);
    expired.forEach((waiter, i) => waiter.fail(rejected[i] || this.lifetime.signal.aborted ? new PoolClosedError() : this.timeoutError(waiter)));
    this.armDeadline(this.waitlist.earliestDeadline());
  }

  /**
   * Ends a waiter's shared cell because it leaves (timeout, abort, close). Returns true if the pool
   * rejected it. A cell granted at the same moment leaves this thread holding a unit: use it.
   */
  private endCell(waiter: LocalWaiter): boolean {
    const cells = this.core.waiters;
    const cell = waiter.cell;
    if (cell < 0) return false;
    waiter.cell = -1;
    if (cells.cancel(cell)) {
      cells.free(cell);
      return false;
    }
    const state = cells.state(cell);
    cells.free(cell);
    if (state === CELL_STATE.GRANTED) this.useUnit(null);
    return state === CELL_STATE.REJECTED;
  }

  /**
   * Ends the cells of waiters leaving together (close, detach): every cell first, then the units of
   * those that were granted. Passing a unit on mid-way (endCell → useUnit → passUnit) could grant it
   * to the cell of a waiter already drained from the local list but not yet ended; takeGrant cannot
   * find that waiter, frees the cell, and the waiter's own endCell then frees it a second time.
   */
  private endCells(waiters: LocalWaiter[]): boolean[] {
    const cells = this.core.waiters;
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
    while (units-- > 0) this.useUnit(null);
    return rejected;
  }

  /**
   * Keeps the event loop alive exactly while waiters wait: the tick (starvation re-offer, handoffs)
   * and the deadline timer are ref'd then, unref'd otherwise. The tick stops itself once idle, so a
   * burst of waits creates it once.
   */
  private afterWaitersChanged(): void {
    if (this.waitlist.length > 0) {
      if (this.waitTimer === null) {
        const period = Math.max(MIN_TICK_MS, Math.min(MAX_TICK_MS, this.config.handoffDelayMs));
        this.waitTimer = setInterval(() => this.starvationTick(), period);
      } else if (!this.waitTimer.hasRef()) {
        this.waitTimer.ref();
        this.deadlineTimer?.ref();
      }
    } else if (this.waitTimer?.hasRef()) {
      this.waitTimer.unref();
      this.deadlineTimer?.unref();
    }
  }

  /** smartconnpool's starvation worker, plus: free capacity or evictable connections for waiters. */
  private starvationTick(): void {
    if (this.waitlist.length === 0) {
      if (this.waitTimer) clearInterval(this.waitTimer);
      this.waitTimer = null;
      return;
    }
    // Units already granted to our cells are taken first: the tick can run before the doorbell's
    // turn (a timer expiring before the waitAsync settles), and must not ask for them a second time.
    this.handleGrants();
    const now = this.core.memory.nowMs();
    let n = this.waitlist.maybeStarvingCount(now);
    while (n-- > 0) {
      let slot = this.popIdle(this.cleanStack);
      if (slot === EMPTY) slot = this.popFromSettingStacks(0);
      if (slot === EMPTY) break;
      if (!this.tryReturnConn(slot, true)) break;
    }
    this.publishWaiters(now);
    const oldest = this.waitlist.firstUnserved(now);
    if (oldest) {
      const core = this.core;
      if (core.counters.active < core.counters.capacity) this.tryServeWithCapacity();
      else if (!this.yieldForWaiter() && oldest.cell >= 0) {
        // One eviction per published waiter (bounded in evictForWaiter): a burst of waiters in a
        // thread facing another's idle connections is not served one tick at a time.
        for (let n = core.waiters.waitingOf(this.index); n > 0 && this.evictForWaiter(now - oldest.startMs, now); n--);
      }
    }
  }

  /** Reserves a free unit for the oldest unserved waiter, if capacity allows. */
  private tryServeWithCapacity(): void {
    const waiter = this.waitlist.firstUnserved(this.core.memory.nowMs());
    if (!waiter || !this.core.counters.reserve()) return;
    this.dialForWaiter(waiter);
  }

  /** All capacity is held: a dial nobody waits for (here or in another thread) gives its unit up. */
  private yieldForWaiter(): boolean {
    return this.dials.yieldForWaiter(this.ringYield);
  }

  private readonly ringYield = (owner: number): void => this.core.threads.ring(owner, REQUEST.YIELD);

  /**
   * All capacity is held: take one idle connection of another thread for eviction. Its owner closes
   * it on its next turn and passes the unit to the oldest waiter (see handleEvictions()).
   */
  private evictForWaiter(waitedMs: number, now: number): boolean {
    // At most one eviction in flight per published waiter that still needs a unit: one dialling,
    // or whose cell was granted a unit its doorbell has not taken yet, needs none; the evicted
    // unit goes to a published waiter (passUnitOn). See evictions-in-flight.ts.
    const needing = Math.min(this.core.waiters.waitingOf(this.index), this.waitlist.unservedCount(now, this.hasGrantedCell));
    if (this.evictions.pending() >= needing) {
      this.evictions.forEachOwner(this.ringEvict);
      return false;
    }
    const claimed = this.handoff.claimIdleElsewhere(waitedMs, now);
    if (!claimed) return false;
    this.core.stats.add(this.index, STAT.EVICTIONS);
    publishEvict(this.index, claimed.owner);
    this.ringEvict(claimed.owner);
    this.evictions.add(claimed.slot, claimed.owner);
    return true;
  }

  private readonly ringEvict = (owner: number): void => this.core.threads.ring(owner, REQUEST.EVICT);

  private readonly hasGrantedCell = (w: LocalWaiter): boolean => w.cell >= 0 && this.core.waiters.state(w.cell) === CELL_STATE.GRANTED;

  // ------------------------------------------------------------------------------------------
  // units

  /** Takes a slot off the free stack for a unit this thread holds. */
  private takeFreeSlot(): number {
    const slot = this.core.stacks.pop(this.core.freeStack);
    if (slot === EMPTY) {
      throw new PoolInvariantError('no free slot although a unit is held: slots and units are out of step');
    }
    this.core.slots.claim(slot, this.index);
    return slot;
  }

  /** Closes the connection of a held slot (not its unit). */
  private closeConn(slot: number): void {
    const conn = this.conns[slot];
    this.conns[slot] = undefined;
    this.core.slots.setState(slot, SLOT_STATE.CLOSING);
    if (conn) {
      this.core.stats.add(this.index, STAT.CLOSED);
      publishClose(this.index, slot);
      try {
        const done = conn.close();
        if (done && typeof (done as Promise<void>).then === 'function') this.track((done as Promise<void>).catch(() => {}));
      } catch {
        // close() must not throw; a connector that does is treated as closed.
      }
    }
  }

  /** Returns a slot whose connection is closed to the free stack. */
  private freeSlot(slot: number): void {
    this.conns[slot] = undefined;
    if (this.detached) return;
    this.core.slots.free(slot);
    this.core.stacks.push(this.core.freeStack, slot);
  }

  /** Close a held connection, free its slot, and pass its unit on. */
  private discard(slot: number): void {
    this.closeConn(slot);
    this.freeSlot(slot);
    this.passUnit();
  }

  /**
   * This thread holds a unit whose connection is closed and slot freed. Over capacity, the unit is
   * released (fix 1); otherwise it goes to the oldest waiter in any thread; else it is released.
   */
  private passUnit(): void {
    if (this.detached) return;
    const core = this.core;
    // No published waiter anywhere: a waiter of this thread that is not published takes it.
    if (core.waiters.waiting === 0 && core.counters.active <= core.counters.capacity) {
      const waiter = this.waitlist.firstUnserved(core.memory.nowMs());
      if (waiter && !this.lifetime.signal.aborted && core.lifecycle.isOpen) {
        this.dialForWaiter(waiter);
        return;
      }
    }
    const granted = { cell: -1 };
    const owner = passUnitOn(this.core, this.index, granted);
    if (owner === RELEASED) return;
    if (owner === this.index) this.takeGrant(granted.cell);
    else {
      this.core.stats.add(this.index, STAT.GRANTS);
      publishGrant(this.index, owner);
    }
  }

  /** A cell of ours was granted a unit: dial for its waiter (or the oldest one if it left). */
  private takeGrant(cell: number): void {
    const waiter = this.waitlist.byCell(cell);
    this.core.waiters.free(cell);
    if (waiter) {
      waiter.cell = -1;
      waiter.granted = true;
    }
    // A waiter past its deadline is not dialled for (its timer, not yet run, fails it): the oldest live one is.
    // Kept as an idle connection only when its waiter is being served by a dial of its own.
    this.useUnit(waiter && !waiter.dialing && !isDead(waiter, this.core.memory.nowMs()) ? waiter : null, waiter?.dialing === true);
  }

  /**
   * This thread holds a spare unit: dial for a waiter, or pass it on. `keep`: it was granted to
   * this thread for a waiter now served by a dial of its own: unless a waiter elsewhere is published, it
   * stays here as an idle connection (released again if this thread does not use it, see
   * recent-demand.ts) rather than going back to the shared pool, where the thread it was moved
   * away from would dial it again first.
   */
  private useUnit(waiter: LocalWaiter | null, keep = false): void {
    const target = waiter ?? this.waitlist.firstUnserved(this.core.memory.nowMs());
    if (target) {
      this.dialForWaiter(target);
    } else if (keep && this.core.waiters.waiting === 0 && !this.cannotRefill()) {
      this.reopenInBackground(this.takeFreeSlot(), 0);
    } else {
      this.passUnit();
    }
  }

  /** Dials (with the lifetime signal) into a unit this thread holds, for `waiter`. */
  private dialForWaiter(waiter: LocalWaiter): void {
    waiter.dialing = true;
    const slot = this.takeFreeSlot();
    const dial = this.dials.start(false);
    waiter.dial = dial;
    // The dial ends after its unit moved on (a yielded one counts until then: yielding-dials.ts).
    this.track(this.dialInto(slot, AbortSignal.any([this.lifetime.signal, dial.signal]), 0).then(
      () => {
        waiter.dial = null;
        this.dials.end(dial);
        waiter.dialing = false;
        if (this.waitlist.remove(waiter)) {
          this.endCell(waiter);
          waiter.serve(slot);
        } else {
          this.tryReturnConn(slot, true);
        }
      },
      (error: unknown) => {
        waiter.dial = null;
        waiter.dialing = false;
        this.freeSlot(slot);
        if (this.waitlist.remove(waiter)) {
          this.endCell(waiter);
          waiter.fail(this.lifetime.signal.aborted ? new PoolClosedError() : asError(error));
        }
        this.passUnit();
        this.dials.end(dial);
      },
    ));
  }

  // ------------------------------------------------------------------------------------------
  // dialling

  private getConnector(): Promise<ConnectorModule> {
    this.connector ??= loadConnector(this.config.connector);
    return this.connector;
  }

  /** Dials a connection into a held slot and applies `settingId` (0 = none). */
  private async dialInto(slot: number, signal: AbortSignal, settingId: number): Promise<void> {
    this.inTransit++;
    try {
      await this.dialConn(slot, signal, settingId);
    } finally {
      this.inTransit--;
    }
  }

  private async dialConn(slot: number, signal: AbortSignal, settingId: number): Promise<void> {
    const core = this.core;
    core.slots.setState(slot, SLOT_STATE.DIALING);
    core.stats.add(this.index, STAT.DIALS);
    let conn: PoolConnection;
    try {
      signal.throwIfAborted();
      const connector = await this.getConnector();
      signal.throwIfAborted();
      conn = await traceDial(this.index, slot, () => connector.connect(dialOptions(this.config.connector), signal));
    } catch (error) {
      core.stats.add(this.index, STAT.DIAL_FAILURES);
      throw error;
    }
    if (signal.aborted || this.detached) {
      closeQuietly(conn);
      core.stats.add(this.index, STAT.DIAL_FAILURES);
      throw signal.aborted ? signal.reason : new PoolClosedError();
    }
    if (settingId !== 0) {
      try {
        await conn.applySetting(this.settingById(settingId)!.applySql, signal);
      } catch (error) {
        closeQuietly(conn);
        throw error;
      }
    }
    // resetOnRecycle: from here on the server flags every session state change (queued, not
    // awaited; an untracked connection counts as changed and is reset on each return).
    if (this.guard.tracks) conn.trackSessionState?.().catch(() => {});
    this.conns[slot] = conn;
    this.validation.clear(slot);
    core.slots.setSetting(slot, settingId);
    const now = core.nowNs();
    core.slots.stampNew(slot, now);
    this.validation.used(slot, now);
    this.createdNs[slot] = Number(now);
  }

  /** Reopens a held slot in the background with the lifetime signal (fix 3), keeping `settingId` (fix 4). */
  private reopenInBackground(slot: number, settingId: number): void {
    const dial = this.dials.start(true);
    // The dial ends after its unit moved on (a yielded one counts until then: yielding-dials.ts).
    this.track(this.dialInto(slot, AbortSignal.any([this.lifetime.signal, dial.signal]), settingId).then(
      () => {
        this.dials.end(dial);
        this.tryReturnConn(slot, true);
      },
      () => {
        this.freeSlot(slot);
        this.passUnit();
        this.dials.end(dial);
      },
    ));
  }

  // ------------------------------------------------------------------------------------------
  // return path

  recycleSlot(slot: number, conn: PoolConnection): void {
    if (!this.detached && !conn.isClosed()) {
      const cleanup = this.guard.needed(conn, this.core.slots.setting(slot));
      if (cleanup !== CLEANUP.NONE) {
        this.cleanThenReturn(slot, conn, cleanup);
        return;
      }
    }
    this.returnSlot(slot, conn);
  }

  /**
   * A connection back inside a transaction or with changed session state is cleaned before it may
   * be lent again (recycle-guard.ts); it stays counted as borrowed meanwhile. Failing that, it is
   * closed and its slot refilled.
   */
  private cleanThenReturn(slot: number, conn: PoolConnection, cleanup: Cleanup): void {
    // No longer the holder's: close()'s forced end (abortBorrowed) must not count it a second time;
    // close() aborts the cleanup through the lifetime signal instead.
    this.lent[slot] = undefined;
    const startNs = this.core.nowNs();
    this.track(this.guard.run(conn, cleanup, this.lifetime.signal).then((clean) => {
      if (!clean) return this.taintSlot(slot, conn);
      if (cleanup === CLEANUP.RESET && !this.detached) this.core.slots.setSetting(slot, 0);
      // Its answer may have waited unread (a blocked event loop) beside a FIN: validate as if idle.
      this.validation.slow(slot, startNs, this.core.nowNs());
      this.returnSlot(slot, conn);
    }));
  }

  private returnSlot(slot: number, conn: PoolConnection): void {
    const core = this.core;
    this.lent[slot] = undefined;
    if (this.detached) {
      // The slot was reclaimed when this thread detached; only the socket is left to close.
      closeQuietly(conn);
      return;
    }
    core.counters.giveBack();
    const nowMs = core.memory.nowMs();
    this.demand.returned(nowMs);
    core.threads.markUsed(this.index, nowMs);
    // The slot stays BORROWED until tryReturnConn puts it somewhere (a stack, a waiter, closed).
    if (conn.isClosed()) {
      this.closeConn(slot); // destroys whatever is left of the socket
      this.refill(slot);
      return;
    }
    const now = core.nsAt(nowMs);
    core.slots.setTimeUsed(slot, now);
    this.validation.used(slot, now);
    // Jitter is drawn only for a connection already past maxLifetimeMs: younger ones cannot exceed
    // 1×–2× of it, and the common return then costs no random draw and no BigInt arithmetic.
    const ageMs = (Number(now) - this.createdNs[slot]) / 1e6;
    if (this.config.maxLifetimeMs > 0 && ageMs > this.config.maxLifetimeMs && ageMs > this.extendedMaxLifetimeMs()) {
      core.stats.add(this.index, STAT.MAX_LIFETIME_CLOSED);
      const setting = core.slots.setting(slot);
      this.closeConn(slot);
      if (this.cannotRefill()) {
        this.freeSlot(slot);
        this.passUnit();
        return;
      }
      this.reopenInBackground(slot, setting);
      return;
    }
    this.tryReturnConn(slot, false, nowMs);
  }

  taintSlot(slot: number, conn: PoolConnection): void {
    this.lent[slot] = undefined;
    if (this.detached) {
      closeQuietly(conn);
      return;
    }
    this.core.counters.giveBack();
    this.demand.returned(this.core.memory.nowMs());
    this.closeConn(slot);
    this.refill(slot);
  }

  /** put(none): a replacement for a connection that left, dialled with the lifetime signal (fix 3). */
  private refill(slot: number): void {
    if (this.cannotRefill()) {
      this.freeSlot(slot);
      this.passUnit();
      return;
    }
    this.reopenInBackground(slot, 0);
  }

  /** No refill when closed or over capacity: the unit is released instead (§3.7 hardening). */
  private cannotRefill(): boolean {
    const c = this.core.counters;
    return this.lifetime.signal.aborted || this.detached || c.active > c.capacity;
  }

  /** MaxLifetime plus uniform jitter in [0, MaxLifetime), drawn on every return (§3.8). */
  extendedMaxLifetimeMs(): number {
    const lifetime = this.config.maxLifetimeMs;
    if (!(lifetime > 0)) return 0;
    return lifetime + Math.random() * lifetime;
  }

  /**
   * Every connection coming back goes through here (§3.10): eager close over capacity (fix 1),
   * a local waiter, a waiter in another thread (by granting the unit), the idle limit, a stack.
   * Returns true if it was handed to a waiter. `callerMs`: a caller gave it back (recycle) at this
   * pool-clock time, so it may be surplus to what this thread used lately and is released early
   * (recent-demand.ts); -1 for a connection coming from elsewhere (a dial, the sweep).
   */
  private tryReturnConn(slot: number, updateIdleTime: boolean, callerMs = -1): boolean {
    const core = this.core;
    if (this.detached) {
      this.closeConn(slot);
      return false;
    }
    const counters = core.counters;
    if (counters.active > counters.capacity) {
      this.closeConn(slot);
      this.freeSlot(slot);
      if (!counters.releaseUnitIfOverCapacity()) this.passUnit();
      return false;
    }
    if (updateIdleTime) {
      const now = core.nowNs();
      core.slots.setTimeUsed(slot, now);
      this.validation.used(slot, now);
    }
    const setting = core.slots.setting(slot);
    const foreignWaiting = core.waiters.waiting - core.waiters.waitingOf(this.index);
    if (this.waitlist.length > 0) {
      // A starved or poorer foreign thread's waiter goes first; the grant closes and frees this
      // slot, so stop here (falling through would free the slot and grant its unit twice).
      if (foreignWaiting > 0 && this.grantOverLocal(slot)) return true;
      const nowMs = callerMs >= 0 ? callerMs : core.memory.nowMs();
      const waiter = this.waitlist.take(setting, this.evictDeadWaiter, nowMs);
      if (waiter) {
        if (foreignWaiting > 0) this.handoff.ageForeignWaiters(waiter.cell);
        this.endCell(waiter);
        core.slots.setState(slot, SLOT_STATE.DIALING);
        waiter.serve(slot, nowMs);
        return true;
      }
    }
    // Released only while a get elsewhere waits: with nobody to use the unit, the next get here
    // would dial it again (smartconnpool dials before it resets another setting's connection).
    const surplus = callerMs >= 0 && core.threads.waitersTotal > this.waitlist.length &&
      this.demand.isSurplus(core.threads.slotsHeld(this.index) - this.inTransit);
    if (foreignWaiting > 0 && this.grantForeign(slot, setting, surplus)) return true;
    if (surplus) {
      this.discard(slot);
      return false;
    }
    // With maxIdle 0 the idle limit is capacity, which the check above already enforces.
    if (counters.maxIdle !== 0 && counters.active - counters.borrowed > counters.idleAllowed) {
      core.stats.add(this.index, STAT.IDLE_CLOSED);
      this.closeConn(slot);
      this.freeSlot(slot);
      if (!counters.releaseUnitIfOverIdleLimit()) this.passUnit();
      return false;
    }
    core.slots.setState(slot, SLOT_STATE.IDLE);
    if (setting === 0) {
      core.stacks.push(this.cleanStack, slot);
    } else {
      this.usedSettingStacks = true;
      core.stacks.push(core.settingStack(this.index, setting), slot);
      core.threads.setFreshStack(this.index, settingBucket(setting));
    }
    return false;
  }

  /** A waiter whose signal ended, found by a returner before its own handler ran. */
  private readonly evictDeadWaiter = (waiter: LocalWaiter): void => this.leave(waiter);

  /** Hands this slot's unit to a foreign waiter over local ones, if the policy says so. */
  private grantOverLocal(slot: number): boolean {
    const cell = this.handoff.pickOverLocal();
    if (cell < 0) return false;
    this.grantCell(cell, slot);
    return true;
  }

  /** Hands this slot's unit to a foreign waiter that needs it (no local waiter wants it). */
  private grantForeign(slot: number, setting: number, surplus: boolean): boolean {
    const cell = this.handoff.pickForeign(setting, this.core.memory.nowMs(), surplus);
    if (cell < 0) return false;
    this.grantCell(cell, slot);
    return true;
  }

  /**
   * Moves this slot's unit to another thread's waiter. The socket is closed before the grant is
   * visible, so the waiter's dial can never make the process exceed capacity. If the waiter left
   * meanwhile, the unit goes to the next waiter (or is released) like any freed unit.
   */
  private grantCell(cell: number, slot: number): void {
    const core = this.core;
    this.closeConn(slot);
    this.freeSlot(slot);
    const owner = core.waiters.grantOwner(cell);
    if (owner === -2) {
      this.passUnit();
      return;
    }
    core.stats.add(this.index, STAT.GRANTS);
    publishGrant(this.index, owner);
    core.threads.ring(owner, REQUEST.GRANT);
  }

  // ------------------------------------------------------------------------------------------
  // idle sweep (§3.13)

  /** One sweep of this thread's stacks; at most half of each stack's idle connections expire. */
  sweep(): void {
    const core = this.core;
    if (this.sweeping || this.detached) return;
    const timeoutMs = core.lifecycle.idleTimeoutMs;
    if (timeoutMs === 0 || core.counters.capacity === 0) return;
    const claimed = this.idleSweep.collect(core.nowNs(), BigInt(timeoutMs) * 1_000_000n, this.keepIdle);
    if (claimed === 0) return;
    // Close first: the dip in active lets a concurrent get dial into the freed unit.
    for (let i = 0; i < claimed; i++) {
      core.stats.add(this.index, STAT.IDLE_CLOSED);
      this.discard(this.idleSweep.claimed[i]);
    }
    const settings = Array.from(this.idleSweep.claimedSetting.subarray(0, claimed));
    this.sweeping = true;
    this.track(this.reopenAfterSweep(settings).finally(() => {
      this.sweeping = false;
    }));
  }

  /** A swept connection that stays: back through the return path, without touching its idle time. */
  private readonly keepIdle = (slot: number): void => {
    this.core.slots.setState(slot, SLOT_STATE.DIALING);
    this.tryReturnConn(slot, false);
  };

  /** Reopens swept connections one by one, keeping each one's setting (fix 4), while there is room. */
  private async reopenAfterSweep(settings: number[]): Promise<void> {
    const core = this.core;
    for (const setting of settings) {
      if (this.lifetime.signal.aborted || this.detached) return;
      if (!core.counters.reserve()) return;
      const slot = this.takeFreeSlot();
      const dial = this.dials.start(true);
      try {
        await this.dialInto(slot, AbortSignal.any([this.lifetime.signal, dial.signal]), setting);
      } catch {
        this.freeSlot(slot);
        this.passUnit();
        // Yielded to a waiting get: the rest of the sweep's reopens would only compete with it.
        if (dial.yielded) return;
        continue;
      } finally {
        this.dials.end(dial);
      }
      if (this.lifetime.signal.aborted) {
        this.discard(slot);
        return;
      }
      this.tryReturnConn(slot, false);
    }
  }

  // ------------------------------------------------------------------------------------------
  // doorbell: requests from other threads and the host

  /** Handles request bits now (the host calls this directly for its own thread). */
  handleRequests(requests: number): void {
    if (requests & REQUEST.LIFETIME) this.onLifetimeCancelled();
    if (requests & REQUEST.EVICT) this.handleEvictions();
    if (requests & REQUEST.GRANT) this.handleGrants();
    if (requests & REQUEST.DRAIN) this.drainIdle();
    if (requests & REQUEST.YIELD && this.core.threads.waitersTotal > 0) this.dials.abortOne();
    if (requests & REQUEST.ABORT_BORROWED) this.abortBorrowed();
  }

  /**
   * close() reached its deadline (HikariCP aborts active connections at shutdown likewise): every
   * connection this thread has lent is destroyed, its handle revoked (its holder's query rejects
   * with PoolClosedError; recycle()/taint() do nothing), its unit passed on (released at capacity 0).
   */
  private abortBorrowed(): void {
    for (let slot = 0; slot < this.lent.length; slot++) {
      const handle = this.lent[slot];
      if (!handle) continue;
      this.lent[slot] = undefined;
      handle.revoke();
      this.core.counters.giveBack();
      this.demand.returned(this.core.memory.nowMs());
      this.discard(slot);
    }
  }

  /** Close (fix 2): abort every background and foreground connect of this thread, reject waiters. */
  private onLifetimeCancelled(): void {
    if (!this.lifetime.signal.aborted) this.lifetime.abort(new PoolClosedError());
    const leaving = this.waitlist.drain();
    this.endCells(leaving);
    for (const waiter of leaving) waiter.fail(new PoolClosedError());
    this.afterWaitersChanged();
    this.drainIdle();
  }

  /** Closes idle connections claimed by other threads and passes their units on. */
  private handleEvictions(): void {
    const slots = this.core.slots;
    for (let slot = 0; slot < slots.size; slot++) {
      if (slots.state(slot) === SLOT_STATE.EVICTED && slots.owner(slot) === this.index) this.discard(slot);
    }
  }

  private handleGrants(): void {
    for (const cell of this.core.waiters.cellsOf(this.index, CELL_STATE.GRANTED)) this.takeGrant(cell);
  }

  /** Closes this thread's idle connections while the pool is over capacity. */
  drainIdle(): void {
    const counters = this.core.counters;
    while (counters.active > counters.capacity) {
      let slot = this.popFromSettingStacks(0);
      if (slot === EMPTY) slot = this.popIdle(this.cleanStack);
      if (slot === EMPTY) return;
      this.closeConn(slot);
      this.freeSlot(slot);
      if (!counters.releaseUnitIfOverCapacity()) this.passUnit();
    }
  }

  // ------------------------------------------------------------------------------------------
  // lifecycle

  private track<T>(promise: Promise<T>): void {
    const p = promise.catch(() => {}).finally(() => this.background.delete(p));
    this.background.add(p);
  }

  /** Resolves when this thread's background work (reopens, refills, closes) has finished. */
  async settled(): Promise<void> {
    while (this.background.size > 0) await Promise.all([...this.background]);
  }

  /** Local waiters (tests, stats). */
  get waiting(): number {
    return this.waitlist.length;
  }

  /**
   * Leaves the pool (an explicit detach): rejects this thread's waiters, aborts its connects,
   * closes every connection it holds (handles still borrowed become stale), and reclaims its slots
   * and units exactly as the host does for a thread that died.
   */
  detach(): void {
    if (this.detached) return;
    const leaving = this.waitlist.drain();
    this.endCells(leaving);
    for (const waiter of leaving) waiter.fail(new PoolClosedError('connection pool is closed (this thread detached)'));
    this.afterWaitersChanged();
    this.detached = true;
    this.doorbell.stop();
    this.dials.clear();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    if (this.waitTimer) clearInterval(this.waitTimer);
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    if (!this.lifetime.signal.aborted) this.lifetime.abort(new PoolClosedError());
    // Close the sockets but leave slot states alone: reclaimThread reads them (BORROWED → borrowed--).
    for (let slot = 0; slot < this.conns.length; slot++) {
      const conn = this.conns[slot];
      this.conns[slot] = undefined;
      if (conn) closeQuietly(conn);
    }
    reclaimThread(this.core, this.index, this.core.memory.layout.maxThreads);
  }
}

/** Closes a connection the pool no longer accounts for, later and without letting it throw. */
function closeQuietly(conn: PoolConnection): void {
  void Promise.resolve().then(() => conn.close()).catch(() => {});
}
