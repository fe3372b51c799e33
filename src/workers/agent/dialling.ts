/**
 * Dialling: every connect of this thread, and fitting a connection's setting.
 *
 * Three kinds of dial, by whose deadline they run under: a caller's (getNew and the reopen after a
 * failed reset: dialForCaller), a waiter's unit (dialForWaiter: the pool lifetime, yieldable once
 * its waiter leaves), and background reopens (refill, max lifetime, the idle sweep:
 * reopenInBackground under the pool-wide lifetime signal, fix 3, keeping the setting, fix 4).
 * Background dials are yieldable (yielding-dials.ts): a get that would otherwise wait aborts one.
 *
 * Owns: the connector module, the dial itself (slot DIALING, then the connection in ctx.conns).
 * Touches: slot state, setting and timestamps of the slot it dials into; hands the result to the
 * waiter, the return path, or back to held units on failure.
 */
import { PoolClosedError } from '../../core/errors.ts';
import { SLOT_STATE } from '../../core/slot-table.ts';
import { STAT } from '../../core/stats.ts';
import { type ConnectorModule, dialOptions, loadConnector, type PoolConnection } from '../connector.ts';
import { asError, type Deadline } from '../deadline.ts';
import { traceDial } from '../diagnostics.ts';
import type { LocalWaiter } from '../local-waitlist.ts';
import type { Setting } from '../setting.ts';
import { type AgentContext, closeQuietly } from './context.ts';

export class Dialling {
  private readonly ctx: AgentContext;
  private connector: Promise<ConnectorModule> | null = null;

  constructor(ctx: AgentContext) {
    this.ctx = ctx;
  }

  /**
   * A foreground dial into a held slot, bare, with the caller's deadline (getNew, and the reopen
   * after a failed reset). On failure the slot and its unit are given up and the error mapped.
   */
  async dialForCaller(slot: number, deadline: Deadline): Promise<void> {
    const ctx = this.ctx;
    try {
      await this.dialInto(slot, deadline.withLifetime(ctx.lifetime.signal), 0);
    } catch (error) {
      ctx.units.freeAndPassOn(slot);
      throw deadline.translate(error, ctx.lifetime.signal);
    }
  }

  /** Dials (with the lifetime signal) into a unit this thread holds, for `waiter`. */
  dialForWaiter(waiter: LocalWaiter): void {
    const ctx = this.ctx;
    waiter.dialing = true;
    const slot = ctx.units.takeFreeSlot();
    const dial = ctx.dials.start(false);
    waiter.dial = dial;
    // The dial ends after its unit moved on (a yielded one counts until then: yielding-dials.ts).
    ctx.track(this.dialInto(slot, AbortSignal.any([ctx.lifetime.signal, dial.signal]), 0).then(
      () => {
        waiter.dial = null;
        ctx.dials.end(dial);
        waiter.dialing = false;
        if (ctx.waitlist.remove(waiter)) {
          ctx.waiting.endCell(waiter);
          waiter.serve(slot);
        } else {
          ctx.returns.tryReturnConn(slot, true);
        }
      },
      (error: unknown) => {
        waiter.dial = null;
        waiter.dialing = false;
        ctx.units.freeSlot(slot);
        if (ctx.waitlist.remove(waiter)) {
          ctx.waiting.endCell(waiter);
          waiter.fail(ctx.lifetime.signal.aborted ? new PoolClosedError() : asError(error));
        }
        ctx.units.passUnit();
        ctx.dials.end(dial);
      },
    ));
  }

  /** Reopens a held slot in the background with the lifetime signal (fix 3), keeping `settingId` (fix 4). */
  reopenInBackground(slot: number, settingId: number): void {
    const ctx = this.ctx;
    const dial = ctx.dials.start(true);
    // The dial ends after its unit moved on (a yielded one counts until then: yielding-dials.ts).
    ctx.track(this.dialInto(slot, AbortSignal.any([ctx.lifetime.signal, dial.signal]), settingId).then(
      () => {
        ctx.dials.end(dial);
        ctx.returns.tryReturnConn(slot, true);
      },
      () => {
        ctx.units.freeAndPassOn(slot);
        ctx.dials.end(dial);
      },
    ));
  }

  /**
   * put(none): a replacement for a connection that left, dialled with the lifetime signal (fix 3)
   * and carrying `settingId` (fix 4; 0 = none). When it cannot be refilled, the unit is passed on.
   */
  refill(slot: number, settingId = 0): void {
    if (this.cannotRefill()) {
      this.ctx.units.freeAndPassOn(slot);
      return;
    }
    this.reopenInBackground(slot, settingId);
  }

  /** No refill when closed or over capacity: the unit is released instead (§3.7 hardening). */
  cannotRefill(): boolean {
    const ctx = this.ctx;
    const c = ctx.core.counters;
    return ctx.lifetime.signal.aborted || ctx.detached || c.active > c.capacity;
  }

  /**
   * Throws if the dial's `signal` ended, or close() began. close() cancels the pool's lifetime in
   * shared memory first (fix 2); this thread's own signal follows on its doorbell turn. No dial may
   * start in between: it could only be aborted, and a unit passed to a waiter here after close()
   * began would start one (the signal, derived from the lifetime, then aborts the dial before the
   * connector is called).
   */
  private throwIfClosing(signal: AbortSignal): void {
    const ctx = this.ctx;
    if (ctx.core.lifecycle.lifetimeCancelled && !ctx.lifetime.signal.aborted) ctx.lifetime.abort(new PoolClosedError());
    signal.throwIfAborted();
  }

  /** Dials a connection into a held slot and applies `settingId` (0 = none). */
  async dialInto(slot: number, signal: AbortSignal, settingId: number): Promise<void> {
    this.ctx.inTransit++;
    try {
      await this.dialConn(slot, signal, settingId);
    } finally {
      this.ctx.inTransit--;
    }
  }

  private getConnector(): Promise<ConnectorModule> {
    this.connector ??= loadConnector(this.ctx.config.connector);
    return this.connector;
  }

  private async dialConn(slot: number, signal: AbortSignal, settingId: number): Promise<void> {
    const ctx = this.ctx;
    const core = ctx.core;
    core.slots.setState(slot, SLOT_STATE.DIALING);
    core.stats.add(ctx.index, STAT.DIALS);
    let conn: PoolConnection;
    try {
      this.throwIfClosing(signal);
      const connector = await this.getConnector();
      this.throwIfClosing(signal);
      conn = await traceDial(ctx.index, slot, () => connector.connect(dialOptions(ctx.config.connector), signal));
    } catch (error) {
      core.stats.add(ctx.index, STAT.DIAL_FAILURES);
      throw error;
    }
    if (signal.aborted || ctx.detached) {
      closeQuietly(conn);
      core.stats.add(ctx.index, STAT.DIAL_FAILURES);
      throw signal.aborted ? signal.reason : new PoolClosedError();
    }
    if (settingId !== 0) {
      try {
        await conn.applySetting(ctx.settings.settingById(settingId)!.applySql, signal);
      } catch (error) {
        closeQuietly(conn);
        throw error;
      }
    }
    // resetOnRecycle: from here on the server flags every session state change (queued, not
    // awaited; an untracked connection counts as changed and is reset on each return).
    if (ctx.guard.tracks) conn.trackSessionState?.().catch(() => {});
    ctx.conns[slot] = conn;
    ctx.validation.clear(slot);
    core.slots.setSetting(slot, settingId);
    const now = core.nowNs();
    core.slots.stampNew(slot, now);
    ctx.validation.used(slot, now);
    ctx.createdNs[slot] = Number(now);
  }

  /** Resets or applies so the connection in `slot` carries exactly `setting` (§3.4 step 6, §3.6 step 6). */
  async fitSetting(slot: number, setting: Setting | null, deadline: Deadline): Promise<void> {
    const ctx = this.ctx;
    const core = ctx.core;
    const current = core.slots.setting(slot);
    const wanted = setting === null ? 0 : setting.id;
    if (current === wanted) return;
    const signal = deadline.signal;
    if (current !== 0) {
      core.stats.add(ctx.index, wanted === 0 ? STAT.RESET_SETTING : STAT.DIFF_SETTING);
      try {
        await ctx.conns[slot]!.resetSetting(ctx.settings.settingById(current)!.resetSql, signal);
        core.slots.setSetting(slot, 0);
      } catch {
        // A failed reset: close and reopen bare in place, with the caller's deadline (fix 4).
        ctx.units.closeConn(slot);
        await this.dialForCaller(slot, deadline);
      }
    }
    if (setting !== null) {
      try {
        await ctx.conns[slot]!.applySetting(setting.applySql, signal);
        core.slots.setSetting(slot, setting.id);
      } catch (error) {
        ctx.units.discard(slot);
        throw error;
      }
    }
  }
}
