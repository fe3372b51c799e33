/**
 * Checkout: get() as smartconnpool orders it (§3.4, §3.6). An idle connection of this thread with
 * the right setting is lent at once, touching only shared memory; otherwise a free unit is dialled
 * with the caller's deadline, then an idle connection of another setting is fitted, and only then
 * does the caller wait (waiting.ts).
 *
 * Owns: the get() entry points, lending (a slot becomes BORROWED and gets a handle), popping this
 * thread's idle stacks, the leak detector. Touches: this thread's stacks and slots, the capacity
 * counters (reserve, borrow); hands off to dialling (dial, fit setting), waiting, held units.
 */
import { PoolClosedError, PoolContextExpiredError } from '../../core/errors.ts';
import { SETTING_STACKS } from '../../core/layout.ts';
import { SLOT_STATE } from '../../core/slot-table.ts';
import { STAT } from '../../core/stats.ts';
import { EMPTY } from '../../core/treiber-stack.ts';
import { checkGetOptions } from '../arguments.ts';
import { Deadline } from '../deadline.ts';
import { traceGet, tracingGet } from '../diagnostics.ts';
import { LEAK_WATCH, LeakDetector } from '../leak-detector.ts';
import { PooledConnection } from '../pooled-connection.ts';
import type { Setting } from '../setting.ts';
import type { GetOptions } from '../types.ts';
import type { AgentContext } from './context.ts';

export class Checkout {
  private readonly ctx: AgentContext;
  private readonly leaks: LeakDetector | null;

  constructor(ctx: AgentContext) {
    this.ctx = ctx;
    const leakMs = ctx.config.leakDetectionMs ?? 0;
    this.leaks = leakMs > 0 ? new LeakDetector(leakMs, ctx.index) : null;
  }

  /**
   * Borrows a connection. A get that finds an idle connection of this thread completes without
   * touching anything but shared memory.
   */
  get(options?: GetOptions): Promise<PooledConnection> {
    return tracingGet() ? traceGet(this.ctx.index, options, this.getUntraced, this) : this.getUntraced(options);
  }

  /**
   * get() for the pool's own query path: an idle connection of this thread is returned as the handle
   * itself (no promise, no microtask turn), anything else as get()'s promise. Traced and
   * leak-detected gets always take get().
   */
  getNow(options?: GetOptions): PooledConnection | Promise<PooledConnection> {
    if (this.leaks !== null || tracingGet()) return this.get(options);
    const bad = optionsError(options);
    if (bad !== null) return Promise.reject(bad);
    return this.acquire(options);
  }

  private getUntraced(options?: GetOptions): Promise<PooledConnection> {
    const bad = optionsError(options);
    if (bad !== null) return Promise.reject(bad);
    if (this.leaks === null) return this.getChecked(options);
    // Leak detection: the borrower's stack, taken now (the caller's frames are still on it).
    const origin = this.leaks.capture(this.get);
    return this.getChecked(options).then((conn) => {
      conn[LEAK_WATCH] = this.leaks!.watch(conn.slot, origin);
      return conn;
    });
  }

  private getChecked(options?: GetOptions): Promise<PooledConnection> {
    const got = this.acquire(options);
    return got instanceof PooledConnection ? Promise.resolve(got) : got;
  }

  /** get() once its options are checked: the handle at once when an idle connection fits, else a promise of it. */
  private acquire(options?: GetOptions): PooledConnection | Promise<PooledConnection> {
    const ctx = this.ctx;
    const setting = options?.setting ?? null;
    if (options?.signal?.aborted) return Promise.reject(new PoolContextExpiredError());
    const core = ctx.core;
    if (core.counters.capacity === 0 || ctx.detached) return Promise.reject(new PoolClosedError());
    const wanted = setting === null ? 0 : setting.id;
    core.stats.add(ctx.index, wanted === 0 ? STAT.GET : STAT.GET_SETTING);
    const first = this.popIdle(wanted === 0 ? ctx.cleanStack : core.settingStack(ctx.index, wanted));
    if (first !== EMPTY && core.slots.setting(first) === wanted && !ctx.validation.isDue(first)) return this.lend(first, wanted);
    return this.getSlow(setting, wanted, first, options);
  }

  private getSlow(setting: Setting | null, wanted: number, first: number, options?: GetOptions): Promise<PooledConnection> {
    const ctx = this.ctx;
    const core = ctx.core;
    const deadline = new Deadline(options?.signal, options?.timeoutMs ?? ctx.config.getTimeoutMs, ctx.clock);
    let slot = first;
    if (slot === EMPTY && wanted !== 0) slot = this.popIdle(ctx.cleanStack);
    // Reserve synchronously and await only a real dial: a yield here would let a return in this
    // thread push to a stack already checked, leaving the enqueued waiter beside an idle conn.
    if (slot === EMPTY && core.counters.reserve()) return this.afterDial(this.getNew(deadline), setting, wanted, deadline);
    // Only this thread pushes to its setting stacks: if it never did, the ring scan finds nothing.
    if (slot === EMPTY && ctx.usedSettingStacks) slot = this.popFromSettingStacks(wanted === 0 ? core.threads.freshStack(ctx.index) : wanted);
    if (slot === EMPTY) return ctx.waiting.waitForConn(setting, wanted, deadline);
    return this.handOut(slot, setting, wanted, deadline);
  }

  /**
   * Lends a held slot, after fitting its setting if it carries another one. The common case
   * (setting already right) resolves at once: a served waiter gets its handle without extra hops.
   */
  private handOut(slot: number, setting: Setting | null, wanted: number, deadline: Deadline): Promise<PooledConnection> {
    if (this.ctx.validation.isDue(slot)) return this.validateAndLend(slot, setting, deadline);
    if (this.ctx.core.slots.setting(slot) === wanted) {
      deadline.dispose();
      return Promise.resolve(this.lend(slot, wanted));
    }
    return this.fitAndLend(slot, setting, deadline);
  }

  /** Fits the slot's setting (dialling.ts), then lends it; the deadline ends either way. */
  async fitAndLend(slot: number, setting: Setting | null, deadline: Deadline): Promise<PooledConnection> {
    const ctx = this.ctx;
    ctx.inTransit++;
    try {
      await ctx.dialling.fitSetting(slot, setting, deadline);
      return this.lend(slot, ctx.core.slots.setting(slot));
    } catch (error) {
      throw deadline.translate(error, ctx.lifetime.signal);
    } finally {
      ctx.inTransit--;
      deadline.dispose();
    }
  }

  /**
   * A connection idle past aliveBypassWindowMs is pinged first; a dead one is closed and the slot
   * redialled with the caller's deadline, so the caller never sees the failed validation.
   */
  private async validateAndLend(slot: number, setting: Setting | null, deadline: Deadline): Promise<PooledConnection> {
    const ctx = this.ctx;
    ctx.validation.clear(slot);
    ctx.inTransit++;
    try {
      if (!(await ctx.validation.alive(ctx.conns[slot]!, deadline.signal))) {
        ctx.units.closeConn(slot);
        await ctx.dialling.dialForCaller(slot, deadline);
      }
      await ctx.dialling.fitSetting(slot, setting, deadline);
      return this.lend(slot, ctx.core.slots.setting(slot));
    } finally {
      ctx.inTransit--;
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

  /** Dials with the caller's deadline into a unit the caller has just reserved (getNew, §3.4 step 2). */
  private async getNew(deadline: Deadline): Promise<number> {
    const slot = this.ctx.units.takeFreeSlot();
    await this.ctx.dialling.dialForCaller(slot, deadline);
    return slot;
  }

  /** Hands a held slot to the caller. */
  lend(slot: number, setting: number): PooledConnection {
    const ctx = this.ctx;
    ctx.validation.clear(slot);
    ctx.core.slots.setState(slot, SLOT_STATE.BORROWED);
    ctx.core.counters.borrow();
    ctx.demand.lent();
    const handle = new PooledConnection(ctx.owner, slot, ctx.conns[slot]!, setting);
    ctx.lent[slot] = handle;
    return handle;
  }

  /** Pops one of this thread's idle connections from `stack`, taking ownership with borrow(). */
  popIdle(stack: number): number {
    const ctx = this.ctx;
    const { stacks, slots } = ctx.core;
    for (;;) {
      const slot = stacks.pop(stack);
      if (slot === EMPTY) return EMPTY;
      // The state stays IDLE until the taker decides (lend → BORROWED, close → CLOSING, ...): one
      // store less on the hot path; off every stack, nobody else can reach the slot meanwhile.
      if (slots.borrow(slot)) {
        // Died while idle (server hung up, KILL): never handed out; the slot is refilled.
        if (ctx.conns[slot]?.isClosed()) {
          ctx.units.closeConn(slot);
          ctx.dialling.refill(slot);
          continue;
        }
        ctx.validation.popped(slot, ctx.core.memory.nowMs());
        return slot;
      }
      // Lost to an expirer: it owns the connection now.
    }
  }

  /** Ring scan of this thread's 8 setting stacks from `start` (smartconnpool getFromSettingsStack). */
  popFromSettingStacks(start: number): number {
    for (let i = 0; i < SETTING_STACKS; i++) {
      const slot = this.popIdle(this.ctx.core.settingStackAt(this.ctx.index, start + i));
      if (slot !== EMPTY) return slot;
    }
    return EMPTY;
  }
}

/** What checkGetOptions() throws for `options`, or null: a bad get is refused before anything is touched. */
function optionsError(options: GetOptions | undefined): unknown {
  if (options === undefined) return null;
  try {
    checkGetOptions(options);
    return null;
  } catch (error) {
    return error;
  }
}
