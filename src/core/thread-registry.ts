/**
 * The thread registry: one entry per attached thread, found by its registry index or threadId.
 * Each entry has a doorbell word: other threads set request bits and bump it; the owner waits on it
 * with Atomics.waitAsync (which keeps no event loop alive) and handles the requests on its turn.
 */
import { PoolLimitError, UnknownThreadError } from './errors.ts';
import { HEADER, THREAD_FIELD, THREAD_WORDS } from './layout.ts';

export const THREAD_STATE = { FREE: 0, ATTACHED: 1, LEAVING: 2 } as const;

/** Request bits a doorbell carries. */
export const REQUEST = {
  /** Capacity changed or a drain runs: close idle connections while active > capacity. */
  DRAIN: 1,
  /** The lifetime signal was cancelled (close): abort background connects, reject waiters. */
  LIFETIME: 2,
  /** One of this thread's idle slots was claimed for eviction: close it and pass the unit on. */
  EVICT: 4,
  /** One of this thread's waiter cells was granted a unit. */
  GRANT: 8,
  /** A get elsewhere would wait: abort a dial nobody waits for, so its unit moves (YieldingDials). */
  YIELD: 16,
  /** close() reached its deadline: destroy every borrowed connection and take its unit back. */
  ABORT_BORROWED: 32,
} as const;

export class ThreadRegistry {
  private readonly threads: Int32Array;
  private readonly header: Int32Array;
  readonly maxThreads: number;

  constructor(threads: Int32Array, header: Int32Array) {
    this.threads = threads;
    this.header = header;
    this.maxThreads = threads.length / THREAD_WORDS;
  }

  /** Claims a free entry for `threadId`; throws PoolLimitError when all maxThreads are taken. */
  attach(threadId: number): number {
    for (let i = 0; i < this.maxThreads; i++) {
      const base = i * THREAD_WORDS;
      if (Atomics.compareExchange(this.threads, base + THREAD_FIELD.STATE, THREAD_STATE.FREE, THREAD_STATE.LEAVING) === THREAD_STATE.FREE) {
        Atomics.store(this.threads, base + THREAD_FIELD.THREAD_ID, threadId);
        Atomics.store(this.threads, base + THREAD_FIELD.REQUESTS, 0);
        Atomics.store(this.threads, base + THREAD_FIELD.FRESH_STACK, 0);
        Atomics.store(this.threads, base + THREAD_FIELD.WAITING, 0);
        Atomics.store(this.threads, base + THREAD_FIELD.SLOTS, 0);
        Atomics.store(this.threads, base + THREAD_FIELD.YIELDABLE, 0);
        Atomics.store(this.threads, base + THREAD_FIELD.WAITERS, 0);
        Atomics.store(this.threads, base + THREAD_FIELD.LAST_USED, 0);
        Atomics.store(this.threads, base + THREAD_FIELD.ANSWERED, Atomics.load(this.threads, base + THREAD_FIELD.DOORBELL));
        Atomics.add(this.threads, base + THREAD_FIELD.GEN, 1);
        Atomics.store(this.threads, base + THREAD_FIELD.STATE, THREAD_STATE.ATTACHED);
        Atomics.add(this.header, HEADER.THREADS_ATTACHED, 1);
        return i;
      }
    }
    throw new PoolLimitError(`all ${this.maxThreads} thread entries are taken (maxThreads = ${this.maxThreads}); raise maxThreads`);
  }

  /** Marks an entry as being reaped: nobody grants to it or rings it any more. */
  beginDetach(index: number): boolean {
    this.check(index);
    return Atomics.compareExchange(this.threads, index * THREAD_WORDS + THREAD_FIELD.STATE, THREAD_STATE.ATTACHED, THREAD_STATE.LEAVING) === THREAD_STATE.ATTACHED;
  }

  /** Frees an entry after its slots and units were reclaimed. */
  finishDetach(index: number): void {
    this.check(index);
    const base = index * THREAD_WORDS;
    Atomics.store(this.threads, base + THREAD_FIELD.THREAD_ID, -1);
    Atomics.store(this.threads, base + THREAD_FIELD.SLOTS, 0);
    // A thread that died mid-dial leaves its count behind: take it out of the total.
    Atomics.sub(this.header, HEADER.YIELDABLE, Atomics.exchange(this.threads, base + THREAD_FIELD.YIELDABLE, 0));
    // Its waiters left with it (cells are reclaimed separately; this is the count of every waiter).
    Atomics.sub(this.header, HEADER.WAITERS, Atomics.exchange(this.threads, base + THREAD_FIELD.WAITERS, 0));
    Atomics.store(this.threads, base + THREAD_FIELD.STATE, THREAD_STATE.FREE);
    Atomics.sub(this.header, HEADER.THREADS_ATTACHED, 1);
  }

  /** Threads attached now. */
  get attachedCount(): number {
    return Atomics.load(this.header, HEADER.THREADS_ATTACHED);
  }

  state(index: number): number {
    return Atomics.load(this.threads, index * THREAD_WORDS + THREAD_FIELD.STATE);
  }

  isAttached(index: number): boolean {
    return index >= 0 && index < this.maxThreads && this.state(index) === THREAD_STATE.ATTACHED;
  }

  threadId(index: number): number {
    return Atomics.load(this.threads, index * THREAD_WORDS + THREAD_FIELD.THREAD_ID);
  }

  /** Registry index of an attached threadId, or -1. */
  lookup(threadId: number): number {
    for (let i = 0; i < this.maxThreads; i++) {
      const base = i * THREAD_WORDS;
      if (Atomics.load(this.threads, base + THREAD_FIELD.STATE) === THREAD_STATE.ATTACHED && Atomics.load(this.threads, base + THREAD_FIELD.THREAD_ID) === threadId) return i;
    }
    return -1;
  }

  /** Sets request bits and wakes the thread. */
  ring(index: number, requests: number): void {
    this.check(index);
    const base = index * THREAD_WORDS;
    Atomics.or(this.threads, base + THREAD_FIELD.REQUESTS, requests);
    Atomics.add(this.threads, base + THREAD_FIELD.DOORBELL, 1);
    Atomics.notify(this.threads, base + THREAD_FIELD.DOORBELL);
  }

  /** Rings every attached thread. */
  ringAll(requests: number): void {
    for (let i = 0; i < this.maxThreads; i++) if (this.state(i) === THREAD_STATE.ATTACHED) this.ring(i, requests);
  }

  /** Takes (and clears) the pending request bits of an entry. */
  takeRequests(index: number): number {
    return Atomics.exchange(this.threads, index * THREAD_WORDS + THREAD_FIELD.REQUESTS, 0);
  }

  doorbell(index: number): number {
    return Atomics.load(this.threads, index * THREAD_WORDS + THREAD_FIELD.DOORBELL);
  }

  /** Waits (asynchronously) for the doorbell to move past `seen`. */
  waitDoorbell(index: number, seen: number): { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> } {
    return Atomics.waitAsync(this.threads, index * THREAD_WORDS + THREAD_FIELD.DOORBELL, seen) as never;
  }

  /** The owner has handled every ring up to doorbell value `seen`. */
  answer(index: number, seen: number): void {
    const at = index * THREAD_WORDS + THREAD_FIELD.ANSWERED;
    if (Atomics.exchange(this.threads, at, seen) !== seen) Atomics.notify(this.threads, at);
  }

  /** Resolves true once the owner has answered doorbell value `target`, false after `timeoutMs`. */
  async waitAnswered(index: number, target: number, deadlineMs: number, now: () => number): Promise<boolean> {
    const at = index * THREAD_WORDS + THREAD_FIELD.ANSWERED;
    for (;;) {
      const answered = Atomics.load(this.threads, at);
      if (((answered - target) | 0) >= 0) return true;
      const remaining = deadlineMs - now();
      if (remaining <= 0) return false;
      const result = Atomics.waitAsync(this.threads, at, answered, remaining);
      if (result.async) await result.value;
    }
  }

  /** Whether the owner has finished handling every ring up to doorbell value `target` (wrap-safe). */
  answeredUpTo(index: number, target: number): boolean {
    return ((Atomics.load(this.threads, index * THREAD_WORDS + THREAD_FIELD.ANSWERED) - target) | 0) >= 0;
  }

  /** Whether the owner has handled every ring so far (false: a ring is pending, or nobody serves this entry). */
  hasAnswered(index: number): boolean {
    const base = index * THREAD_WORDS;
    return Atomics.load(this.threads, base + THREAD_FIELD.ANSWERED) === Atomics.load(this.threads, base + THREAD_FIELD.DOORBELL);
  }

  /** In-flight dials of this thread that nobody waits for (kept by YieldingDials). */
  yieldableOf(index: number): number {
    return Atomics.load(this.threads, index * THREAD_WORDS + THREAD_FIELD.YIELDABLE);
  }
  addYieldable(index: number, delta: number): void {
    Atomics.add(this.threads, index * THREAD_WORDS + THREAD_FIELD.YIELDABLE, delta);
    Atomics.add(this.header, HEADER.YIELDABLE, delta);
  }

  /** Dials nobody waits for, over all threads: one load, so a waiting get pays nothing when 0. */
  get yieldableTotal(): number {
    return Atomics.load(this.header, HEADER.YIELDABLE);
  }

  freshStack(index: number): number {
    return Atomics.load(this.threads, index * THREAD_WORDS + THREAD_FIELD.FRESH_STACK);
  }
  setFreshStack(index: number, stack: number): void {
    Atomics.store(this.threads, index * THREAD_WORDS + THREAD_FIELD.FRESH_STACK, stack);
  }

  /**
   * Slots a thread holds (open, opening or closing connections), kept by SlotTable claim/release. A thread holding none cannot serve
   * its own waiters, so only its waiters age when other threads serve theirs first.
   */
  slotsHeld(index: number): number {
    return Atomics.load(this.threads, index * THREAD_WORDS + THREAD_FIELD.SLOTS);
  }

  /**
   * Admits one waiting get() of thread `index` if fewer than `cap` wait over all threads (published
   * as a waiter cell or not): the maxWaiters cap. Returns false, changing nothing, at the cap.
   */
  admitWaiter(index: number, cap: number): boolean {
    if (Atomics.add(this.header, HEADER.WAITERS, 1) >= cap) {
      Atomics.sub(this.header, HEADER.WAITERS, 1);
      return false;
    }
    Atomics.add(this.threads, index * THREAD_WORDS + THREAD_FIELD.WAITERS, 1);
    return true;
  }

  /** A waiter admitted by admitWaiter() was served or failed. */
  dismissWaiter(index: number): void {
    Atomics.sub(this.threads, index * THREAD_WORDS + THREAD_FIELD.WAITERS, 1);
    Atomics.sub(this.header, HEADER.WAITERS, 1);
  }

  /** Waiting get()s over all threads (published or not). */
  get waitersTotal(): number {
    return Atomics.load(this.header, HEADER.WAITERS);
  }

  /** When thread `index` last got a connection back from its caller (pool-clock ms, truncated to int32). */
  lastUsedMs(index: number): number {
    return Atomics.load(this.threads, index * THREAD_WORDS + THREAD_FIELD.LAST_USED);
  }
  /**
   * Thread `index` got a connection back at `nowMs`. Also keeps when any thread last did, and when
   * returns resumed after none anywhere for `pauseMs` (the whole process paused).
   */
  markUsed(index: number, nowMs: number, pauseMs: number): void {
    // Most returns of a busy thread fall in the same ms: a load then, not a store (a locked xchg).
    // This thread's own word equal to ms means it already updated the process-wide ones this ms.
    const at = index * THREAD_WORDS + THREAD_FIELD.LAST_USED;
    const ms = nowMs | 0;
    if (Atomics.load(this.threads, at) === ms) return;
    Atomics.store(this.threads, at, ms);
    // LAST_RETURN_MS only moves forward: a return whose clock read was delayed (descheduled, a GC)
    // would otherwise set it back, and the next return would see a pause that never happened.
    // RESUMED_MS goes first, so a reader that sees the fresh return also sees the resume.
    for (;;) {
      const last = Atomics.load(this.header, HEADER.LAST_RETURN_MS);
      const gap = (ms - last) | 0;
      if (gap <= 0) return;
      if (gap >= pauseMs) Atomics.store(this.header, HEADER.RESUMED_MS, ms);
      if (Atomics.compareExchange(this.header, HEADER.LAST_RETURN_MS, last, ms) === last) return;
    }
  }

  /** When any thread last got a connection back (pool-clock ms, truncated to int32). */
  get lastReturnMs(): number {
    return Atomics.load(this.header, HEADER.LAST_RETURN_MS);
  }

  /** When returns last resumed after a pause of the whole process (see markUsed). */
  get resumedMs(): number {
    return Atomics.load(this.header, HEADER.RESUMED_MS);
  }

  /** This thread's count of WAITING cells (kept by WaiterCells). */
  waitingOf(index: number): number {
    return Atomics.load(this.threads, index * THREAD_WORDS + THREAD_FIELD.WAITING);
  }

  private check(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.maxThreads) {
      throw new UnknownThreadError(`thread index ${index} is outside the registry (maxThreads = ${this.maxThreads})`);
    }
  }
}
