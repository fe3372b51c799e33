/**
 * Dials that hold a unit nobody is waiting for: background reopens (idle sweep, max lifetime,
 * refill after a taint or a dead connection) from the start, and a dial made for a waiter once that
 * waiter has gone (timed out, aborted). Against a backend that hangs, such a dial would keep its
 * unit until the driver's connectTimeout while foreground gets time out beside it (the shape of
 * Vitess issue #20080). So a get that would otherwise wait aborts one (the connector destroys its
 * socket before the unit moves, so the process never exceeds capacity); the freed unit goes to the
 * oldest waiter, whose own dial starts afresh. Other threads ask through the YIELD request bit;
 * each thread's count of yieldable dials is kept in shared memory so they know whom to ask.
 */
import { type ThreadRegistry } from '../core/thread-registry.ts';

/** The reason a yielding dial is aborted with (internal: nobody waits for that dial). */
export class DialYielded extends Error {
  constructor() {
    super('dial aborted: a waiting get needs its unit');
    this.name = 'DialYielded';
  }
}

export class YieldingDial {
  readonly controller = new AbortController();
  yieldable: boolean;
  constructor(yieldable: boolean) {
    this.yieldable = yieldable;
  }
  get signal(): AbortSignal {
    return this.controller.signal;
  }
  /** Aborted because a waiting get took its unit. */
  get yielded(): boolean {
    return this.controller.signal.reason instanceof DialYielded;
  }
}

export class YieldingDials {
  private readonly threads: ThreadRegistry;
  private readonly index: number;
  /** In-flight dials that nobody waits for, oldest first. */
  private readonly yieldable = new Set<YieldingDial>();
  /**
   * Dials aborted for a waiter whose unit has not moved on yet: still counted as yieldable, so a
   * waiter's tick in that window rings this thread again instead of evicting a connection as well.
   */
  private readonly yielding = new Set<YieldingDial>();

  constructor(threads: ThreadRegistry, index: number) {
    this.threads = threads;
    this.index = index;
  }

  /** A dial starting now; `yieldable` for background work, false for a dial with a waiter. */
  start(yieldable: boolean): YieldingDial {
    const dial = new YieldingDial(false);
    if (yieldable) this.orphan(dial);
    return dial;
  }

  /** Nobody waits for this dial any more (its waiter left): it may yield from now on. */
  orphan(dial: YieldingDial): void {
    if (dial.yieldable || dial.signal.aborted) return;
    dial.yieldable = true;
    this.yieldable.add(dial);
    this.threads.addYieldable(this.index, 1);
  }

  /** The dial ended (either way) and, if it failed, its unit was passed on. */
  end(dial: YieldingDial): void {
    if (this.yieldable.delete(dial) || this.yielding.delete(dial)) this.threads.addYieldable(this.index, -1);
  }

  /** Forgets every dial (the thread detaches; its lifetime signal aborts them). */
  clear(): void {
    for (const dial of [...this.yieldable, ...this.yielding]) this.end(dial);
  }

  /** Aborts the oldest yieldable dial of this thread; false if there is none. */
  abortOne(): boolean {
    for (const dial of this.yieldable) {
      this.yieldable.delete(dial);
      this.yielding.add(dial);
      dial.controller.abort(new DialYielded());
      return true;
    }
    return false;
  }

  /** Asks for a unit for a waiter here: aborts a dial of this thread, or rings a thread that has one. */
  yieldForWaiter(ringYield: (owner: number) => void): boolean {
    const threads = this.threads;
    if (threads.yieldableTotal === 0) return false;
    if (this.abortOne()) return true;
    for (let n = 1; n < threads.maxThreads; n++) {
      const owner = (this.index + n) % threads.maxThreads;
      if (threads.isAttached(owner) && threads.yieldableOf(owner) > 0) {
        ringYield(owner);
        return true;
      }
    }
    return false;
  }
}
