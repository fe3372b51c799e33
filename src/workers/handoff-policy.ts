/**
 * When a unit may leave another thread for a waiter here, or leave this thread for a waiter
 * elsewhere. Moving a unit costs a reconnect (close there, dial here: sockets never cross threads),
 * and demand in a CPU-parallel service changes every few ms, so units move with hysteresis:
 *   - a thread's LAST connection is not taken (by grant or eviction) while that thread used one in
 *     the last RECENT_MS, unless the waiter has waited `patienceMs` (the handoffDelayMs option);
 *   - a waiter of a thread holding no connection is helped from any thread holding two or more;
 *   - a waiter of a thread holding some is helped only by a thread holding two more than its own
 *     (balance: one move, then stable), by a thread that got no connection back for `patienceMs`
 *     while other threads did (its connections are stranded; a thread merely descheduled keeps
 *     them, and after a pause of the whole process nobody strands until returns resume), or once
 *     it has waited `patienceMs`.
 * Waiters of the thread holding none age when other threads serve their own waiters first, and one
 * passed over more than MAX_AGE times is served next (smartconnpool's age cap).
 * A waiter is published (given a shared cell, seen by other threads) only once some other thread
 * may act for it (`othersMayHelp`): the common wait, served by its own thread, costs no shared cell
 * and no other thread scans it.
 * The policy only reads shared state and ages cells; the agent performs closes and grants.
 */
import { type SharedCore } from '../core/shared-core.ts';
import { SETTING_STACKS } from '../core/layout.ts';
import { SLOT_STATE } from '../core/slot-table.ts';
import { EMPTY } from '../core/treiber-stack.ts';
import { MAX_AGE } from '../core/waiter-cells.ts';

/** A thread that got a connection back within this many ms counts as busy (its last one stays). */
export const RECENT_MS = 20;

/** `a` waited longer than `b` (wrap-safe sequence comparison). */
const older = (seqA: number, seqB: number): boolean => ((seqA - seqB) | 0) < 0;

export class HandoffPolicy {
  private readonly core: SharedCore;
  private readonly self: number;
  private readonly patienceMs: number;

  constructor(core: SharedCore, self: number, patienceMs: number) {
    this.core = core;
    this.self = self;
    this.patienceMs = patienceMs;
  }

  /** This thread holds at least two connections more than a thread holding `theirSlots`. */
  isRicherThan(theirSlots: number): boolean {
    return theirSlots + 1 < this.core.threads.slotsHeld(this.self);
  }

  /**
   * Whether a unit of thread `owner` (holding `ownerSlots`) may go to a waiter of a thread holding
   * `waiterSlots` that has waited `waitedMs`: the hysteresis rule above. `byEviction`: the owner is
   * asked to close an idle connection, which it does only on its next turn; by then the waiter has
   * often been served by its own thread, so between threads that both hold connections an
   * eviction waits RECENT_MS. A grant (the owner closing a connection coming back to it, for a
   * cell waiting at that moment) does not.
   */
  mayTake(owner: number, ownerSlots: number, waiterSlots: number, waitedMs: number, nowMs: number, byEviction: boolean): boolean {
    if (ownerSlots === 0) return false;
    if (waitedMs >= this.patienceMs) return true;
    const lastUsed = this.core.threads.lastUsedMs(owner);
    if (waiterSlots === 0) return ownerSlots >= 2 || (((nowMs | 0) - lastUsed) | 0) >= RECENT_MS;
    // Between threads that both hold connections: a stranding owner gives its units up (a thread
    // descheduled for tens of ms under load keeps them), else balance.
    if (this.isStranding(lastUsed, nowMs | 0)) return true;
    return waiterSlots + 1 < ownerSlots && (!byEviction || waitedMs >= RECENT_MS);
  }

  /**
   * Whether a thread that last got a connection back at `lastUsed` strands its connections: it got
   * none back for `patienceMs` while the rest of the process did. After a pause of the whole
   * process every thread looks quiet, and the first waiter anywhere would take connections their
   * owners are about to use (a reconnect each, per restart: seen as 1-7 per window in the service
   * bench). So while nothing anywhere came back for `patienceMs` no owner strands, and in the
   * `patienceMs` after returns resumed, an owner last used before the pause strands once RECENT_MS
   * have passed (a thread that is part of the resumed load borrows its connections within a few
   * ms; one that is not stays quiet). The window is bounded, so a resume long ago (or ms counts
   * that wrapped after 24.8 days) changes nothing, and two threads resuming a ms apart do not make
   * the first look unused.
   */
  private isStranding(lastUsed: number, now: number): boolean {
    const threads = this.core.threads;
    const patience = this.patienceMs;
    if (((now - threads.lastReturnMs) | 0) >= patience) return false;
    const resumed = threads.resumedMs;
    const sinceResume = (now - resumed) | 0;
    if (sinceResume >= 0 && sinceResume < patience && ((resumed - lastUsed) | 0) >= patience) return sinceResume >= RECENT_MS;
    return ((now - lastUsed) | 0) >= patience;
  }

  /**
   * Whether some other thread may give a unit to a waiter here that has waited `waitedMs`: only
   * then is the waiter published. One pass over the registry, no allocation.
   */
  othersMayHelp(waitedMs: number, nowMs: number): boolean {
    const threads = this.core.threads;
    const mine = threads.slotsHeld(this.self);
    // Entries are taken lowest first: the scan stops once it has seen every attached thread.
    let others = threads.attachedCount - 1;
    for (let owner = 0, n = threads.maxThreads; owner < n && others > 0; owner++) {
      if (owner === this.self || !threads.isAttached(owner)) continue;
      others--;
      if (this.mayTake(owner, threads.slotsHeld(owner), mine, waitedMs, nowMs, false)) return true;
    }
    return false;
  }

  /**
   * A foreign waiter that should get this thread's returning unit even though local waiters wait:
   * the oldest one past the age cap, else the oldest of a thread two connections poorer; -1 if
   * none. One allocation-free pass; it runs only while some waiter is published elsewhere.
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

  /**
   * Whether a foreign waiter should get a unit this thread has no local waiter for. `surplus`: the
   * unit is beyond what this thread used recently (it would be released anyway).
   */
  needsHandoff(cell: number, nowMs: number, surplus: boolean): boolean {
    const owner = this.core.waiters.threadOf(cell);
    if (owner < 0) return false;
    if (surplus) return true;
    const threads = this.core.threads;
    return this.mayTake(this.self, threads.slotsHeld(this.self), threads.slotsHeld(owner), this.core.waiters.waitedMs(cell, nowMs), nowMs, false);
  }

  /**
   * The foreign waiter for a unit returning with no local waiter (carrying `setting`): among those
   * that need a handoff, smartconnpool's choice rule (same setting or past the age cap first, else
   * the oldest; the ones skipped age). -1 if none needs it.
   */
  pickForeign(setting: number, nowMs: number, surplus: boolean): number {
    const cells = this.core.waiters;
    const order = cells.waitingInOrder(this.self).filter((cell) => this.needsHandoff(cell, nowMs, surplus));
    if (order.length === 0) return -1;
    for (const cell of order) {
      if (cells.ageOf(cell) > MAX_AGE || cells.settingOf(cell) === setting) return cell;
      cells.bumpAge(cell);
    }
    return order[0];
  }

  /**
   * Claims one idle connection of another thread that the rule lets go to a waiter here that has
   * waited `waitedMs`, and returns its slot and owner (who closes it on its next turn and passes
   * the unit on), or null if no thread has one.
   */
  claimIdleElsewhere(waitedMs: number, nowMs: number): { slot: number; owner: number } | null {
    const core = this.core;
    const threads = core.threads;
    const maxThreads = threads.maxThreads;
    const mine = threads.slotsHeld(this.self);
    for (let n = 1; n < maxThreads; n++) {
      const owner = (this.self + n) % maxThreads;
      if (!threads.isAttached(owner)) continue;
      if (!this.mayTake(owner, threads.slotsHeld(owner), mine, waitedMs, nowMs, true)) continue;
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
