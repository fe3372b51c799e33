/**
 * The shared buffer's layout, computed in one place from the pool's limits.
 *
 * | region          | view          | size (elements)                       | contents                                  |
 * |-----------------|---------------|---------------------------------------|-------------------------------------------|
 * | header          | Int32Array    | HEADER_WORDS (64)                     | magic, version, limits, counters (HEADER.*)    |
 * | origin          | Float64Array  | 1 (inside the header, byte 248)       | pool time origin, ms since the Unix epoch |
 * | heads           | BigInt64Array | 1 + maxThreads × 9                    | free stack, then per thread clean + 8     |
 * | timeUsed        | BigInt64Array | maxCapacity                           | ns since origin, or BUSY / EXPIRED        |
 * | timeCreated     | BigInt64Array | maxCapacity                           | ns since origin                           |
 * | threadStats     | Float64Array  | (maxThreads + 1) × STAT_COUNT         | per-thread counters, last row = retired   |
 * | next            | Int32Array    | maxCapacity                           | stack links: index + 1, 0 = end           |
 * | slots           | Int32Array    | maxCapacity × SLOT_WORDS              | state, owner, generation, setting, ...    |
 * | threads         | Int32Array    | maxThreads × THREAD_WORDS (64-B lines)| state, threadId, doorbell, requests, ...  |
 * | waiters         | Int32Array    | maxWaiters × WAITER_WORDS (64-B lines)| state, thread, setting, seq, age, start   |
 * | settings        | Int32Array    | maxSettings × SETTING_WORDS           | byte length, hash of each interned text   |
 * | settingText     | Uint8Array    | maxSettings × SETTING_TEXT_BYTES      | UTF-8 text of each interned setting       |
 *
 * Every 64-bit region starts at an 8-byte-aligned offset (checked: a misaligned BigInt64Array view
 * throws RangeError, and on ARM64 a misaligned 64-bit atomic is a fault). The 64-bit regions come
 * first, right after the 256-byte header, so their alignment never depends on the 32-bit regions.
 */
import { LayoutMismatchError, PoolLimitError, PoolOptionError } from './errors.ts';

export const MAGIC = 0x53_4d_43_50; // "SMCP"
export const LAYOUT_VERSION = 5;

/** Header words (Int32 indices). */
export const HEADER = {
  MAGIC: 0,
  VERSION: 1,
  MAX_CAPACITY: 2,
  MAX_THREADS: 3,
  MAX_WAITERS: 4,
  MAX_SETTINGS: 5,
  /** Current capacity: the most units (open or opening connections) the pool may hold. */
  CAPACITY: 6,
  /** Units held: connections open, dialling, or being closed; plus units granted but not yet used. */
  ACTIVE: 7,
  /** Connections handed to callers and not yet returned. */
  BORROWED: 8,
  /** Idle connections allowed (smartconnpool's idleCount). */
  IDLE_ALLOWED: 9,
  /** maxIdle option (0 = capacity). */
  MAX_IDLE: 10,
  /** Pool state: see POOL_STATE (read and written only through lifecycle.ts). */
  STATE: 11,
  /** Bumped (and notified) each time ACTIVE falls or a drain-relevant event happens. */
  DRAIN_BELL: 12,
  /** Monotonic sequence for waiter FIFO order across threads. */
  WAITER_SEQ: 13,
  /** Waiter cells currently WAITING (cross-thread waitlist length). */
  WAITING: 14,
  /** Spin lock guarding the settings registry (interning is rare and short). */
  SETTINGS_LOCK: 15,
  /** Interned settings so far. */
  SETTINGS_COUNT: 16,
  /** Lifetime cancel flag: 1 while cancelled (closed or never opened); lifecycle.ts. */
  LIFETIME_CANCELLED: 17,
  /** Threads attached. */
  THREADS_ATTACHED: 18,
  /** Idle timeout in ms, shared so setIdleTimeout reaches every thread; lifecycle.ts. */
  IDLE_TIMEOUT_MS: 19,
  /** Highest waiter cell ever used + 1: cells are taken lowest-first, so scans stop here. */
  WAITER_HIGH: 20,
  /** Dials nobody waits for, over all threads (each thread's own count is THREAD_FIELD.YIELDABLE). */
  YIELDABLE: 21,
  /** Waiting get()s over all threads, published as a cell or not (maxWaiters caps this; stats' Waiting). */
  WAITERS: 22,
  /** When any thread last got a connection back from its caller (pool-clock ms, int32): thread-registry.ts markUsed. */
  LAST_RETURN_MS: 23,
  /** When returns resumed after a pause of the whole process (handoff patience without any): handoff-policy.ts. */
  RESUMED_MS: 24,
} as const;
export const HEADER_WORDS = 64;
/** Byte offset of the Float64 time origin inside the header. */
export const ORIGIN_BYTE = 248;

export const POOL_STATE = { NEW: 0, OPEN: 1, CLOSED: 2 } as const;

/** Stacks per thread: clean + 8 setting buckets. */
export const SETTING_STACKS = 8;
export const STACK_MASK = SETTING_STACKS - 1;
export const STACKS_PER_THREAD = 1 + SETTING_STACKS;
export const FREE_STACK = 0;

/** Slot words. */
export const SLOT_FIELD = { STATE: 0, OWNER: 1, GEN: 2, SETTING: 3, FLAGS: 4, AUX: 5 } as const;
export const SLOT_WORDS = 6;

/** Thread registry words: 16 words = one 64-byte line per thread, so threads never share a line. */
export const THREAD_FIELD = { STATE: 0, THREAD_ID: 1, DOORBELL: 2, REQUESTS: 3, GEN: 4, FRESH_STACK: 5, WAITING: 6, SLOTS: 7, ANSWERED: 8, YIELDABLE: 9, WAITERS: 10, LAST_USED: 11 } as const;
export const THREAD_WORDS = 16;

/** Waiter cell words: padded to one 64-byte line per cell (cells of different threads sit side by side). */
export const WAITER_FIELD = { STATE: 0, THREAD: 1, SETTING: 2, SEQ: 3, AGE: 4, GEN: 5, START: 6 } as const;
export const WAITER_WORDS = 16;

/** Settings registry words. */
export const SETTING_FIELD = { LENGTH: 0, HASH: 1 } as const;
export const SETTING_WORDS = 2;
export const SETTING_TEXT_BYTES = 1024;

export const LIMITS = {
  maxCapacity: { min: 1, max: 1 << 20 },
  maxThreads: { min: 1, max: 4096 },
  maxWaiters: { min: 1, max: 1 << 20 },
  maxSettings: { min: 1, max: 4096 },
} as const;

export interface LayoutLimits {
  maxCapacity: number;
  maxThreads: number;
  maxWaiters: number;
  maxSettings: number;
}

export interface Layout extends LayoutLimits {
  byteLength: number;
  /** Byte offsets of each region. */
  heads: number;
  timeUsed: number;
  timeCreated: number;
  threadStats: number;
  next: number;
  slots: number;
  threads: number;
  waiters: number;
  settings: number;
  settingText: number;
  headCount: number;
}

export function checkLimit(name: keyof typeof LIMITS, value: unknown): number {
  const { min, max } = LIMITS[name];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new PoolOptionError(name, value, `an integer from ${min} to ${max}`);
  }
  return value;
}

const align8 = (n: number): number => (n + 7) & ~7;
/** Cache-line alignment for regions whose entries different threads write. */
const align64 = (n: number): number => (n + 63) & ~63;

/** Computes the layout for these limits. Throws PoolOptionError naming a limit out of range. */
export function computeLayout(limits: LayoutLimits, statCount: number): Layout {
  const maxCapacity = checkLimit('maxCapacity', limits.maxCapacity);
  const maxThreads = checkLimit('maxThreads', limits.maxThreads);
  const maxWaiters = checkLimit('maxWaiters', limits.maxWaiters);
  const maxSettings = checkLimit('maxSettings', limits.maxSettings);
  const headCount = 1 + maxThreads * STACKS_PER_THREAD;
  let at = HEADER_WORDS * 4;
  const heads = at;
  at += headCount * 8;
  const timeUsed = at;
  at += maxCapacity * 8;
  const timeCreated = at;
  at += maxCapacity * 8;
  const threadStats = at;
  at += (maxThreads + 1) * statCount * 8;
  const next = at;
  at += maxCapacity * 4;
  const slots = at;
  at += maxCapacity * SLOT_WORDS * 4;
  at = align64(at);
  const threads = at;
  at += maxThreads * THREAD_WORDS * 4;
  at = align64(at);
  const waiters = at;
  at += maxWaiters * WAITER_WORDS * 4;
  const settings = at;
  at += maxSettings * SETTING_WORDS * 4;
  const settingText = at;
  at += maxSettings * SETTING_TEXT_BYTES;
  const layout: Layout = {
    maxCapacity, maxThreads, maxWaiters, maxSettings, headCount,
    heads, timeUsed, timeCreated, threadStats, next, slots, threads, waiters, settings, settingText,
    byteLength: align8(at),
  };
  assertAligned(layout);
  if (layout.byteLength > 2 ** 31 - 1) {
    throw new PoolLimitError(`shared buffer would be ${layout.byteLength} bytes; lower maxCapacity, maxThreads or maxWaiters`);
  }
  return layout;
}

/** Rejects any layout whose 64-bit regions are not 8-byte aligned. */
export function assertAligned(layout: Pick<Layout, 'heads' | 'timeUsed' | 'timeCreated' | 'threadStats'>): void {
  for (const name of ['heads', 'timeUsed', 'timeCreated', 'threadStats'] as const) {
    const offset = layout[name];
    if (offset % 8 !== 0) {
      throw new LayoutMismatchError(`64-bit region "${name}" at byte offset ${offset} is not 8-byte aligned`);
    }
  }
  if (ORIGIN_BYTE % 8 !== 0) throw new LayoutMismatchError(`time origin at byte ${ORIGIN_BYTE} is not 8-byte aligned`);
}
