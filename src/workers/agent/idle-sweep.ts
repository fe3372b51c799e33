/**
 * The idle sweep (smartconnpool §3.13), all of it: a timer every idleTimeout/10 runs sweep(),
 * which selects expired idle connections of this thread (IdleSelection), closes them, and reopens
 * them one by one with their setting (fix 4) under the lifetime signal (fix 3) while there is room.
 *
 * IdleSelection detaches each of the thread's stacks in one CAS, walks it oldest first, claims
 * (timeUsed → EXPIRED) at most half of it among connections idle longer than the timeout, and
 * hands every other one back at once. Scratch arrays are preallocated, so a sweep allocates
 * nothing per connection.
 *
 * Owns: the sweep timer and its scratch arrays. Touches: this thread's stacks and the slots on
 * them; hands claimed units to held units and kept connections to the return path.
 */
import { SETTING_STACKS } from '../../core/layout.ts';
import { type SharedCore } from '../../core/shared-core.ts';
import { SLOT_STATE } from '../../core/slot-table.ts';
import { STAT } from '../../core/stats.ts';
import { EMPTY } from '../../core/treiber-stack.ts';
import type { AgentContext } from './context.ts';

export class IdleSweep {
  private readonly ctx: AgentContext;
  private readonly selection: IdleSelection;
  private timer: NodeJS.Timeout | null = null;
  private sweeping = false;

  constructor(ctx: AgentContext) {
    this.ctx = ctx;
    this.selection = new IdleSelection(ctx.core, ctx.index);
    const idleTimeout = ctx.core.lifecycle.idleTimeoutMs;
    if (idleTimeout > 0) {
      this.timer = setInterval(() => this.sweep(), Math.max(1, Math.floor(idleTimeout / 10)));
      this.timer.unref();
    }
  }

  /** Stops the timer (detach). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One sweep of this thread's stacks; at most half of each stack's idle connections expire. */
  sweep(): void {
    const ctx = this.ctx;
    const core = ctx.core;
    if (this.sweeping || ctx.detached) return;
    const timeoutMs = core.lifecycle.idleTimeoutMs;
    if (timeoutMs === 0 || core.counters.capacity === 0) return;
    const selection = this.selection;
    const claimed = selection.collect(core.nowNs(), BigInt(timeoutMs) * 1_000_000n, this.keepIdle);
    if (claimed === 0) return;
    // Close first: the dip in active lets a concurrent get dial into the freed unit.
    for (let i = 0; i < claimed; i++) {
      core.stats.add(ctx.index, STAT.IDLE_CLOSED);
      ctx.units.discard(selection.claimed[i]);
    }
    const settings = Array.from(selection.claimedSetting.subarray(0, claimed));
    this.sweeping = true;
    ctx.track(this.reopenAfterSweep(settings).finally(() => {
      this.sweeping = false;
    }));
  }

  /** A swept connection that stays: back through the return path, without touching its idle time. */
  private readonly keepIdle = (slot: number): void => {
    this.ctx.core.slots.setState(slot, SLOT_STATE.DIALING);
    this.ctx.returns.tryReturnConn(slot, false);
  };

  /** Reopens swept connections one by one, keeping each one's setting (fix 4), while there is room. */
  private async reopenAfterSweep(settings: number[]): Promise<void> {
    const ctx = this.ctx;
    const { core, units } = ctx;
    for (const setting of settings) {
      if (ctx.lifetime.signal.aborted || ctx.detached) return;
      if (!core.counters.reserve()) return;
      const slot = units.takeFreeSlot();
      const dial = ctx.dials.start(true);
      try {
        await ctx.dialling.dialInto(slot, AbortSignal.any([ctx.lifetime.signal, dial.signal]), setting);
      } catch {
        units.freeAndPassOn(slot);
        // Yielded to a waiting get: the rest of the sweep's reopens would only compete with it.
        if (dial.yielded) return;
        continue;
      } finally {
        ctx.dials.end(dial);
      }
      if (ctx.lifetime.signal.aborted) {
        units.discard(slot);
        return;
      }
      ctx.returns.tryReturnConn(slot, false);
    }
  }
}

/** The selection half of the sweep: which idle connections of one thread expire now. */
export class IdleSelection {
  private readonly core: SharedCore;
  private readonly thread: number;
  private readonly chain: Int32Array;
  /** Slots claimed by the last collect(), and the setting each carried. */
  readonly claimed: Int32Array;
  readonly claimedSetting: Int32Array;

  constructor(core: SharedCore, thread: number) {
    const size = core.memory.layout.maxCapacity;
    this.core = core;
    this.thread = thread;
    this.chain = new Int32Array(size);
    this.claimed = new Int32Array(size);
    this.claimedSetting = new Int32Array(size);
  }

  /**
   * Claims expired connections from the 8 setting stacks, then the clean one; calls `keep` for
   * every connection it does not claim (oldest first, so the newest end up on top again).
   * Returns how many were claimed (in claimed / claimedSetting).
   */
  collect(nowNs: bigint, timeoutNs: bigint, keep: (slot: number) => void): number {
    const { stacks, slots } = this.core;
    let claimed = 0;
    for (let k = 0; k <= SETTING_STACKS; k++) {
      const stack = k < SETTING_STACKS ? this.core.settingStackAt(this.thread, k) : this.core.cleanStack(this.thread);
      let slot = stacks.popAll(stack);
      let n = 0;
      while (slot !== EMPTY) {
        const next = stacks.nextOf(slot);
        stacks.unlink(slot);
        this.chain[n++] = slot;
        slot = next;
      }
      if (n === 0) continue;
      // Budget per stack, not from Active: a stack with 2 expired connections loses 1 per sweep.
      const budget = Math.max(n >> 1, 1);
      let taken = 0;
      // The chain came newest first: walk it oldest first.
      for (let i = n - 1; i >= 0; i--) {
        const s = this.chain[i];
        if (taken < budget && slots.expired(s, nowNs, timeoutNs)) {
          this.claimed[claimed] = s;
          this.claimedSetting[claimed++] = slots.setting(s);
          taken++;
        } else {
          keep(s);
        }
      }
    }
    return claimed;
  }
}
