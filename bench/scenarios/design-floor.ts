/**
 * The floor of this pool's checkout: the shared-memory work one warm get + recycle pair must do
 * under the pool's rules, written inline without the library (no classes, checks, handles of its
 * own), plus the one `await` of a resolved promise every async get costs. What the pool's row costs
 * above this is its structure; what this costs above the raw Treiber pair is the rules:
 *
 *   get      pop the thread's stack (64-bit tagged head: load, low word, link, CAS, link cleared),
 *            take the ownership token (exchange of the slot's 64-bit time word, smartconnpool's
 *            timeUsed.borrow), one clock read (aliveBypassWindowMs: ping a connection idle past it),
 *            capacity and setting loads, state store, borrowed counter add
 *   recycle  borrowed counter sub, one clock read (time used: idle timeout, max lifetime, the
 *            thread's recent demand), the time word stored, capacity/active/waiters/max-idle loads
 *            (over capacity? a waiter anywhere? past the idle limit?), state store, push (load, low
 *            word, link store, CAS)
 *
 * Imports nothing from src/: a model of the rules, so a regression in the library cannot move it.
 * The stack is raw-treiber.ts's; the pool's pop also clears the popped link, modelled by one store.
 */
import { RawTreiber } from './raw-treiber.ts';

const BUSY = -(2n ** 63n);

/** Int32 words of the model (one cache line apart where the pool keeps them apart). */
const W = { CAPACITY: 0, ACTIVE: 1, BORROWED: 2, MAX_IDLE: 3, WAITERS: 16, STATE: 32, SETTING: 33 } as const;

export class DesignFloor {
  private readonly stack: RawTreiber;
  /** Stands for the pool's link array: its pop clears the popped slot's link. */
  private readonly links: Int32Array;
  private readonly timeUsed: BigInt64Array;
  private readonly words: Int32Array;
  private readonly origin = performance.now();

  constructor(size: number) {
    this.stack = new RawTreiber(size);
    this.links = new Int32Array(new SharedArrayBuffer(Math.max(4, size * 4)));
    this.timeUsed = new BigInt64Array(new SharedArrayBuffer(Math.max(8, size * 8)));
    this.words = new Int32Array(new SharedArrayBuffer(64 * 4));
    Atomics.store(this.words, W.CAPACITY, size);
    Atomics.store(this.words, W.ACTIVE, size);
    this.timeUsed.fill(1n);
  }

  /** get's shared-memory work; the slot, or -1 when none is idle. */
  take(): number {
    const { words } = this;
    if (Atomics.load(words, W.CAPACITY) === 0) return -1;
    const slot = this.stack.pop();
    if (slot < 0) return -1;
    Atomics.store(this.links, slot, 0);
    Atomics.exchange(this.timeUsed, slot, BUSY);
    const nowMs = performance.now() - this.origin;
    if (Atomics.load(words, W.SETTING) !== 0 || nowMs < 0) return -1;
    Atomics.store(words, W.STATE, 3);
    Atomics.add(words, W.BORROWED, 1);
    return slot;
  }

  /** recycle's shared-memory work. */
  giveBack(slot: number): void {
    const { words } = this;
    Atomics.sub(words, W.BORROWED, 1);
    const nowMs = performance.now() - this.origin;
    Atomics.store(this.timeUsed, slot, this.nsAt(nowMs));
    if (Atomics.load(words, W.ACTIVE) > Atomics.load(words, W.CAPACITY)) throw new Error('design floor: over capacity');
    if (Atomics.load(words, W.WAITERS) !== 0) throw new Error('design floor: a waiter');
    if (Atomics.load(words, W.SETTING) !== 0 || Atomics.load(words, W.MAX_IDLE) < 0) throw new Error('design floor: unexpected word');
    Atomics.store(words, W.STATE, 2);
    this.stack.push(slot);
  }

  /** A clock reading as a 64-bit ns value, made once per 0.1 ms (BigInts allocate), as the pool does. */
  private nsAt(ms: number): bigint {
    const tick = Math.floor(ms * 10);
    if (tick !== this.lastTick) {
      this.lastTick = tick;
      this.lastTickNs = BigInt(tick) * 100_000n;
    }
    return this.lastTickNs;
  }
  private lastTick = -1;
  private lastTickNs = 0n;
}

/** What a get hands out: one small object per pair, as the pool's handle is. */
export class FloorHandle {
  constructor(readonly slot: number) {}
}
