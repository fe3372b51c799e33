/**
 * Which foreign waiter (a waiter of another thread) should receive a unit from this thread, and
 * which idle connection of another thread a waiter here may evict. Moving a unit between threads
 * costs a reconnect (close here, dial there: sockets never cross threads), so units move only
 * where that pays:
 *   - to a thread holding no connection: it cannot progress on its own. Its waiters age when this
 *     thread serves its own waiters first, and one passed over more than MAX_AGE times is served
 *     next (smartconnpool's age cap);
 *   - to a thread holding two connections fewer than this one (balance: one move, then stable);
 *   - from a return with no local waiter, or by eviction of an idle connection, to a waiter that
 *     has waited handoffDelayMs.
 * The policy only reads shared state and ages cells; the agent performs closes and grants.
 */
import { type SharedCore } from '../core/shared-core.ts';
import { SETTING_STACKS } from '../core/layout.ts';
import { SLOT_STATE } from '../core/slot-table.ts';
import { EMPTY } from '../core/treiber-stack.ts';
import { MAX_AGE } from '../core/waiter-cells.ts';

/** `a` waited longer than `b` (wrap-safe sequence comparison). */
const older = (seqA: number, seqB: number): boolean => ((seqA - seqB) | 0) < 0;

export class HandoffPolicy {
  private readonly core: SharedCore;
  private readonly self: number;
  private readonly handoffDelayMs: number;

  constructor(core: SharedCore, self: number, handoffDelayMs: number) {
    this.core = core;
    this.self = self;
    this.handoffDelayMs = handoffDelayMs;
  }

  /** This thread holds at least two connections more than a thread holding `theirSlots`. */
  isRicherThan(theirSlots: number): boolean {
    return theirSlots + 1 < this.core.threads.slotsHeld(this.self);
  }

  /**
   * A foreign waiter that should get this thread's returning unit even though local waiters wait:
   * the oldest one past the age cap, else the oldest of a thread two connections poorer; -1 if
   * none. One allocation-free pass: this runs on every return while other threads wait.
   */
  pickOverLocal(): number {
    const { waiters: cells, threads } = this.core;
    const mine = threads.slotsHeld(this.self);
    let starved = -1;
    let poorer = -1;
    for (let cell = 0, high = cells.high(); cell < high; cell++) {
      if (!cells.isForeignWaiting(cell, this.self)) continue;
      if (cells.ageOf(cell) > MAX_AGE) {
        if (starved < 0 || older(cells.seqOf(cell), cells.seqOf(starved))) starved = cell;
      } else if (starved < 0 && mine >= 2 && (poorer < 0 || older(cells.seqOf(cell), cells.seqOf(poorer)))) {
        const owner = cells.threadOf(cell);
        if (owner >= 0 && this.isRicherThan(threads.slotsHeld(owner))) poorer = cell;
      }
    }
    return starved >= 0 ? starved : poorer;
  }

  /**
   * A local waiter (cell `servedCell`, -1 if it has none) was just served: foreign waiters older
   * than it were passed over once more, if their thread holds no connection at all. Ageing busy
   * threads' waiters would move units back and forth whenever a thread is descheduled or slow.
   */
  ageForeignWaiters(servedCell: number): void {
    const { waiters: cells, threads } = this.core;
    const seq = servedCell >= 0 ? cells.seqOf(servedCell) : Number.NaN;
    for (let cell = 0, high = cells.high(); cell < high; cell++) {
      if (!cells.isForeignWaiting(cell, this.self)) continue;
      if (!Number.isNaN(seq) && !older(cells.seqOf(cell), seq)) continue;
      const owner = cells.threadOf(cell);
      if (owner >= 0 && threads.slotsHeld(owner) === 0) cells.bumpAge(cell);
    }
  }

  /** Whether a foreign waiter should get a unit this thread does not need right now. */
  needsHandoff(cell: number, nowMs: number): boolean {
    const owner = this.core.waiters.threadOf(cell);
    if (owner < 0) return false;
    const theirs = this.core.threads.slotsHeld(owner);
    return theirs === 0 || this.isRicherThan(theirs) || this.core.waiters.waitedMs(cell, nowMs) >= this.handoffDelayMs;
  }

  /**
   * The foreign waiter for a unit returning with no local waiter (carrying `setting`): among those
   * that need a handoff, smartconnpool's choice rule (same setting or past the age cap first, else
   * the oldest; the ones skipped age). -1 if none needs it.
   */
  pickForeign(setting: number, nowMs: number): number {
    const cells = this.core.waiters;
    const order = cells.waitingInOrder(this.self).filter((cell) => this.needsHandoff(cell, nowMs));
    if (order.length === 0) return -1;
    for (const cell of order) {
      if (cells.ageOf(cell) > MAX_AGE || cells.settingOf(cell) === setting) return cell;
      cells.bumpAge(cell);
    }
    return order[0];
  }

  /** Whether a waiter here may evict an idle connection elsewhere now. */
  mayEvict(waitedMs: number): boolean {
    return this.core.threads.slotsHeld(this.self) === 0 || waitedMs >= this.handoffDelayMs;
  }

  /**
   * Claims one idle connection of another thread for eviction and returns its slot and owner (who
   * closes it on its next turn and passes the unit on), or null if no thread has one idle.
   */
  claimIdleElsewhere(): { slot: number; owner: number } | null {
    const core = this.core;
    const maxThreads = core.threads.maxThreads;
    for (let n = 1; n < maxThreads; n++) {
      const owner = (this.self + n) % maxThreads;
      if (!core.threads.isAttached(owner)) continue;
      for (let k = 0; k <= SETTING_STACKS; k++) {
        const stack = k === 0 ? core.cleanStack(owner) : core.settingStackAt(owner, k - 1);
        const slot = core.stacks.pop(stack);
        if (slot === EMPTY) continue;
        // Time first, then state: once EVICTED, the owner may free and reuse the slot at any
        // moment. The state CAS fails only if the host is reclaiming a dead owner, which then owns
        // the slot (so it must not go back on the stack).
        core.slots.claimForEviction(slot);
        if (core.slots.casState(slot, SLOT_STATE.IDLE, SLOT_STATE.EVICTED)) return { slot, owner };
      }
    }
    return null;
  }
}
