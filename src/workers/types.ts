/**
 * The public shapes a thread sees: the pool handle (what travels to workers), its config, and the
 * options of one get(). Types only, so any file may import them without an import cycle.
 */
import type { HandleConnector } from './connector.ts';
import type { ResetOnRecycle } from './recycle-guard.ts';
import type { Setting } from './setting.ts';

/** Marks an object as a pool handle (attachSharedPool checks it before anything else). */
export const HANDLE_KIND = 'shared-mysql-pool';

/** pool.handle: structured-cloneable (the SharedArrayBuffer plus plain options); pass it whole. */
export interface PoolHandle {
  readonly kind: typeof HANDLE_KIND;
  readonly buffer: SharedArrayBuffer;
  readonly config: HandleConfig;
}

/**
 * The per-thread part of the pool's options, carried in the handle (plain, structured-cloneable):
 * every thread's agent reads its settings from it.
 */
export interface HandleConfig {
  connector: HandleConnector;
  /** 0 = no max lifetime; otherwise each connection lives between 1× and 2× this. */
  maxLifetimeMs: number;
  /** Default wait deadline of get() when the caller gives none (0 = no deadline). */
  getTimeoutMs: number;
  /** Most waiters at once, over all threads. */
  maxWaiters: number;
  /**
   * A waiter of a thread that holds connections of its own is served by that thread's returns;
   * only once it has waited this long may another thread close a connection to hand it the unit
   * (which costs a reconnect). Waiters of threads holding none are helped at once.
   */
  handoffDelayMs: number;
  /** Default timeout of every query/execute through this pool's connections (0 or absent = none). */
  queryTimeoutMs?: number;
  /** See SharedPoolOptions (absent: the defaults): recycle-time reset, idle validation, leak detection. */
  resetOnRecycle?: ResetOnRecycle;
  aliveBypassWindowMs?: number;
  validationTimeoutMs?: number;
  leakDetectionMs?: number;
}

/** Options of one get(): the setting wanted, an abort signal, and the wait deadline. */
export interface GetOptions {
  setting?: Setting | null;
  signal?: AbortSignal;
  /** Overrides the pool's getTimeoutMs for this call (0 = no deadline). */
  timeoutMs?: number;
}
