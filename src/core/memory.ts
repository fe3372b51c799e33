/**
 * SharedPoolMemory: the typed views over one pool's SharedArrayBuffer. Created once by the host,
 * attached by every thread from the buffer alone (the header carries the limits).
 */
import { LayoutMismatchError, PoolError } from './errors.ts';
import {
  computeLayout, HEADER, HEADER_WORDS, LAYOUT_VERSION, MAGIC, ORIGIN_BYTE,
  type Layout, type LayoutLimits, SLOT_WORDS, THREAD_WORDS, WAITER_WORDS, SETTING_WORDS, SETTING_TEXT_BYTES,
} from './layout.ts';
import { STAT_COUNT } from './stats.ts';
import { PoolLifecycle } from './lifecycle.ts';
// node:perf_hooks' object, not the global: in Node 20 the global `performance` is a lazy getter,
// a call per read on the get and recycle paths.
import { performance } from 'node:perf_hooks';

export class SharedPoolMemory {
  readonly buffer: SharedArrayBuffer;
  readonly layout: Layout;
  readonly header: Int32Array;
  readonly origin: Float64Array;
  readonly heads: BigInt64Array;
  readonly timeUsed: BigInt64Array;
  readonly timeCreated: BigInt64Array;
  readonly threadStats: Float64Array;
  readonly next: Int32Array;
  readonly slots: Int32Array;
  readonly threads: Int32Array;
  readonly waiters: Int32Array;
  readonly settings: Int32Array;
  readonly settingText: Uint8Array;

  private constructor(buffer: SharedArrayBuffer, layout: Layout) {
    this.buffer = buffer;
    this.layout = layout;
    const l = layout;
    this.header = new Int32Array(buffer, 0, HEADER_WORDS);
    this.origin = new Float64Array(buffer, ORIGIN_BYTE, 1);
    this.heads = new BigInt64Array(buffer, l.heads, l.headCount);
    this.timeUsed = new BigInt64Array(buffer, l.timeUsed, l.maxCapacity);
    this.timeCreated = new BigInt64Array(buffer, l.timeCreated, l.maxCapacity);
    this.threadStats = new Float64Array(buffer, l.threadStats, (l.maxThreads + 1) * STAT_COUNT);
    this.next = new Int32Array(buffer, l.next, l.maxCapacity);
    this.slots = new Int32Array(buffer, l.slots, l.maxCapacity * SLOT_WORDS);
    this.threads = new Int32Array(buffer, l.threads, l.maxThreads * THREAD_WORDS);
    this.waiters = new Int32Array(buffer, l.waiters, l.maxWaiters * WAITER_WORDS);
    this.settings = new Int32Array(buffer, l.settings, l.maxSettings * SETTING_WORDS);
    this.settingText = new Uint8Array(buffer, l.settingText, l.maxSettings * SETTING_TEXT_BYTES);
    this.clockOffset = performance.timeOrigin - this.origin[0];
  }

  /** Allocates and initialises a new pool buffer: every slot on the free stack, pool state NEW. */
  static create(limits: LayoutLimits): SharedPoolMemory {
    const layout = computeLayout(limits, STAT_COUNT);
    const mem = new SharedPoolMemory(new SharedArrayBuffer(layout.byteLength), layout);
    const h = mem.header;
    h[HEADER.VERSION] = LAYOUT_VERSION;
    h[HEADER.MAX_CAPACITY] = layout.maxCapacity;
    h[HEADER.MAX_THREADS] = layout.maxThreads;
    h[HEADER.MAX_WAITERS] = layout.maxWaiters;
    h[HEADER.MAX_SETTINGS] = layout.maxSettings;
    PoolLifecycle.initialize(h);
    mem.origin[0] = performance.timeOrigin + performance.now();
    mem.clockOffset = performance.timeOrigin - mem.origin[0];
    // Free stack: slot 0 on top, then 1, 2, ... (head word: tag 0, index + 1).
    for (let i = 0; i < layout.maxCapacity; i++) mem.next[i] = i + 1 < layout.maxCapacity ? i + 2 : 0;
    mem.heads[0] = 1n;
    // Magic last: a buffer with a magic word is fully initialised.
    Atomics.store(h, HEADER.MAGIC, MAGIC);
    return mem;
  }

  /** Attaches to an existing pool buffer, rejecting anything that is not one of ours. */
  static attach(buffer: unknown): SharedPoolMemory {
    if (!(buffer instanceof SharedArrayBuffer)) {
      throw new LayoutMismatchError(`pool handle buffer is ${buffer === null ? 'null' : typeof buffer}, not a SharedArrayBuffer`);
    }
    if (buffer.byteLength < HEADER_WORDS * 4) {
      throw new LayoutMismatchError(`pool buffer is ${buffer.byteLength} bytes, smaller than the ${HEADER_WORDS * 4}-byte header`);
    }
    const h = new Int32Array(buffer, 0, HEADER_WORDS);
    const magic = Atomics.load(h, HEADER.MAGIC);
    if (magic !== MAGIC) {
      throw new LayoutMismatchError(`pool buffer magic is 0x${(magic >>> 0).toString(16)}, expected 0x${MAGIC.toString(16)}: not a shared pool buffer`);
    }
    if (h[HEADER.VERSION] !== LAYOUT_VERSION) {
      throw new LayoutMismatchError(`pool buffer layout version is ${h[HEADER.VERSION]}, this build reads version ${LAYOUT_VERSION}: the handle comes from another version of the library`);
    }
    let layout: Layout;
    try {
      layout = computeLayout({
        maxCapacity: h[HEADER.MAX_CAPACITY], maxThreads: h[HEADER.MAX_THREADS],
        maxWaiters: h[HEADER.MAX_WAITERS], maxSettings: h[HEADER.MAX_SETTINGS],
      }, STAT_COUNT);
    } catch (e) {
      // Limits in the header were checked when the buffer was created: a bad one means a corrupt buffer,
      // not a bad option of the caller.
      if (e instanceof PoolError) throw new LayoutMismatchError(`pool buffer header is corrupt: ${e.message}`);
      throw e;
    }
    if (layout.byteLength !== buffer.byteLength) {
      throw new LayoutMismatchError(`pool buffer is ${buffer.byteLength} bytes, its header implies ${layout.byteLength}`);
    }
    return new SharedPoolMemory(buffer, layout);
  }

  /** Milliseconds since this pool's time origin; the same clock in every thread. */
  nowMs(): number {
    return performance.now() + this.clockOffset;
  }

  /** timeOrigin is a getter with some cost and never changes within a thread: read it once. */
  private clockOffset = 0;
}

