/**
 * The shared capacity counters (smartconnpool §2.5) and the CAS loops that keep them consistent
 * across threads. All Int32: no BigInt on these paths.
 *
 * A "unit" is the right to hold one open (or opening) connection. `active` counts units held.
 * Nothing raises active past capacity: every dial first reserves a unit with reserve().
 */
import { HEADER } from './layout.ts';
import { PoolInvariantError } from './errors.ts';

export class CapacityCounters {
  private readonly h: Int32Array;

  constructor(header: Int32Array) {
    this.h = header;
  }

  get capacity(): number {
    return Atomics.load(this.h, HEADER.CAPACITY);
  }
  get active(): number {
    return Atomics.load(this.h, HEADER.ACTIVE);
  }
  get borrowed(): number {
    return Atomics.load(this.h, HEADER.BORROWED);
  }
  get idleAllowed(): number {
    return Atomics.load(this.h, HEADER.IDLE_ALLOWED);
  }
  get maxIdle(): number {
    return Atomics.load(this.h, HEADER.MAX_IDLE);
  }

  /** Sets capacity and recomputes idleAllowed at once (so returns during a drain see the new limit). */
  setCapacity(capacity: number): number {
    const old = Atomics.exchange(this.h, HEADER.CAPACITY, capacity);
    this.recomputeIdleAllowed();
    this.ringDrain();
    return old;
  }

  setMaxIdle(maxIdle: number): void {
    Atomics.store(this.h, HEADER.MAX_IDLE, maxIdle);
    this.recomputeIdleAllowed();
  }

  private recomputeIdleAllowed(): void {
    const capacity = Atomics.load(this.h, HEADER.CAPACITY);
    const maxIdle = Atomics.load(this.h, HEADER.MAX_IDLE);
    Atomics.store(this.h, HEADER.IDLE_ALLOWED, maxIdle === 0 || maxIdle > capacity ? capacity : maxIdle);
  }

  /** Reserves one unit if active < capacity. */
  reserve(): boolean {
    const h = this.h;
    for (;;) {
      const active = Atomics.load(h, HEADER.ACTIVE);
      if (active >= Atomics.load(h, HEADER.CAPACITY)) return false;
      if (Atomics.compareExchange(h, HEADER.ACTIVE, active, active + 1) === active) return true;
    }
  }

  /** Releases one unit (its connection is closed and its slot freed). */
  releaseUnit(): void {
    const previous = Atomics.sub(this.h, HEADER.ACTIVE, 1);
    if (previous <= 0) {
      Atomics.add(this.h, HEADER.ACTIVE, 1);
      throw new PoolInvariantError(`active would go below zero (was ${previous}): a unit was released twice`);
    }
    this.ringDrain();
  }

  /**
   * Releases one unit only if active > capacity (fix 1 of PR #20122). A read-compare-decrement loop,
   * so two concurrent returns cannot both close when only one connection is surplus.
   */
  releaseUnitIfOverCapacity(): boolean {
    const h = this.h;
    for (;;) {
      const active = Atomics.load(h, HEADER.ACTIVE);
      if (active <= Atomics.load(h, HEADER.CAPACITY)) return false;
      if (Atomics.compareExchange(h, HEADER.ACTIVE, active, active - 1) === active) {
        this.ringDrain();
        return true;
      }
    }
  }

  /** Releases one unit if idle (active − borrowed) exceeds idleAllowed (closeOnIdleLimitReached). */
  releaseUnitIfOverIdleLimit(): boolean {
    const h = this.h;
    for (;;) {
      const active = Atomics.load(h, HEADER.ACTIVE);
      const idle = active - Atomics.load(h, HEADER.BORROWED);
      if (idle <= Atomics.load(h, HEADER.IDLE_ALLOWED)) return false;
      if (Atomics.compareExchange(h, HEADER.ACTIVE, active, active - 1) === active) {
        this.ringDrain();
        return true;
      }
    }
  }

  borrow(): void {
    Atomics.add(this.h, HEADER.BORROWED, 1);
  }

  giveBack(): void {
    const previous = Atomics.sub(this.h, HEADER.BORROWED, 1);
    if (previous <= 0) {
      Atomics.add(this.h, HEADER.BORROWED, 1);
      throw new PoolInvariantError(`borrowed would go below zero (was ${previous}): a connection was returned twice`);
    }
  }

  /** Wakes whoever waits for active to fall (setCapacity / close drains). */
  ringDrain(): void {
    Atomics.add(this.h, HEADER.DRAIN_BELL, 1);
    Atomics.notify(this.h, HEADER.DRAIN_BELL);
  }

  get drainBell(): number {
    return Atomics.load(this.h, HEADER.DRAIN_BELL);
  }

  /** Resolves when the drain bell moves past `seen` or after `timeoutMs` (never blocks the thread). */
  async waitDrainBell(seen: number, timeoutMs: number): Promise<void> {
    const result = Atomics.waitAsync(this.h, HEADER.DRAIN_BELL, seen, timeoutMs);
    if (result.async) await result.value;
  }
}
