/**
 * This thread's waiters, in FIFO order, and smartconnpool's handoff choice (§2.8): walk from the
 * front, drop waiters whose signal already ended, prefer the first live waiter wanting the returned
 * connection's setting, but serve a waiter skipped more than MAX_AGE times before anyone else.
 * Each waiter also holds a shared cell (see core/waiter-cells.ts) so other threads can see it.
 */
import { type YieldingDial } from './yielding-dials.ts';
import { MAX_AGE } from '../core/waiter-cells.ts';

export interface LocalWaiter {
  /** Setting id wanted (0 = none). */
  readonly setting: number;
  /**
   * Shared waiter cell, or -1: not published yet (other threads may not act for it yet, see
   * handoff-policy.ts), or its cell ended (granted: a dial for this waiter is in flight).
   */
  cell: number;
  /** Times a handoff passed this waiter over. */
  age: number;
  /** When the wait began (ms on the pool clock). */
  readonly startMs: number;
  /** A dial on this waiter's behalf is in flight. */
  dialing: boolean;
  /** That dial: it may yield once this waiter has gone. */
  dial?: YieldingDial | null;
  /** Its cell was granted a unit by another thread (counted as a cross-thread wait). */
  granted: boolean;
  /** The caller's signal, if it gave one. */
  readonly signal?: AbortSignal | null;
  /** Pool-clock ms at which the wait times out (absent or Infinity: never). */
  readonly deadlineMs?: number;
  /** Settles the wait. Exactly one of these is called, once. */
  readonly serve: (slot: number, nowMs?: number) => void;
  readonly fail: (error: Error) => void;
}

/** A waiter whose caller gave up or whose deadline passed (`now` omitted: the signal only). */
export function isDead(w: LocalWaiter, now?: number): boolean {
  return w.signal?.aborted === true || (now !== undefined && w.deadlineMs !== undefined && w.deadlineMs <= now);
}

export class LocalWaitlist {
  private readonly list: LocalWaiter[] = [];

  get length(): number {
    return this.list.length;
  }

  push(waiter: LocalWaiter): void {
    this.list.push(waiter);
  }

  remove(waiter: LocalWaiter): boolean {
    const at = this.list.indexOf(waiter);
    if (at < 0) return false;
    this.list.splice(at, 1);
    return true;
  }

  /** The waiter holding `cell`, if any. */
  byCell(cell: number): LocalWaiter | undefined {
    return this.list.find((w) => w.cell === cell);
  }

  /** Oldest waiter with no dial in flight for it. */
  firstUnserved(now?: number): LocalWaiter | undefined {
    return this.list.find((w) => !w.dialing && !isDead(w, now));
  }

  /** Live waiters with no dial in flight for them and no unit on its way (`hasUnit`, e.g. a granted cell). */
  unservedCount(now: number, hasUnit: (w: LocalWaiter) => boolean): number {
    let n = 0;
    for (const w of this.list) if (!w.dialing && !isDead(w, now) && !hasUnit(w)) n++;
    return n;
  }

  /** Oldest live waiter without a shared cell and without a dial in flight for it. */
  unpublished(now?: number): LocalWaiter | undefined {
    return this.list.find((w) => w.cell < 0 && !w.dialing && !isDead(w, now));
  }

  /** Calls `visit` with every live waiter without a shared cell and without a dial in flight, oldest first. */
  forEachUnpublished(now: number, visit: (w: LocalWaiter) => void): void {
    for (const w of this.list) if (w.cell < 0 && !w.dialing && !isDead(w, now)) visit(w);
  }

  /** Live waiters never passed over (smartconnpool's maybeStarvingCount). */
  maybeStarvingCount(now?: number): number {
    let n = 0;
    for (const w of this.list) if (w.age === 0 && !isDead(w, now)) n++;
    return n;
  }

  /** The earliest deadline of the listed waiters (Infinity if none). */
  earliestDeadline(): number {
    let min = Number.POSITIVE_INFINITY;
    for (const w of this.list) if (w.deadlineMs !== undefined && w.deadlineMs < min) min = w.deadlineMs;
    return min;
  }

  /** Unlinks and returns the waiters whose deadline has passed. */
  takeExpired(now: number): LocalWaiter[] {
    const out: LocalWaiter[] = [];
    for (let i = 0; i < this.list.length; i++) {
      const w = this.list[i];
      if (w.deadlineMs !== undefined && w.deadlineMs <= now) {
        this.list.splice(i--, 1);
        out.push(w);
      }
    }
    return out;
  }

  /**
   * Picks and unlinks the waiter that should receive a connection carrying `setting`, or returns
   * undefined. Waiters whose signal ended are unlinked and handed to `evict`.
   */
  take(setting: number, evict: (w: LocalWaiter) => void, now?: number): LocalWaiter | undefined {
    let target = -1;
    for (let i = 0; i < this.list.length; i++) {
      const w = this.list[i];
      if (isDead(w, now)) {
        this.list.splice(i--, 1);
        evict(w);
        continue;
      }
      if (target < 0) target = i;
      if (w.age > MAX_AGE || w.setting === setting) {
        target = i;
        break;
      }
      w.age++;
    }
    if (target < 0) return undefined;
    return this.list.splice(target, 1)[0];
  }

  /** Unlinks and returns every waiter (close). */
  drain(): LocalWaiter[] {
    return this.list.splice(0, this.list.length);
  }
}
