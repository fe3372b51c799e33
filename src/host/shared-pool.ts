/**
 * The main-thread coordinator. It owns the shared buffer, decides capacity (setCapacity, drain),
 * holds the lifetime cancel flag (close), runs the refresh check, and is itself attached as a
 * thread, so the pool works from the main thread as from any worker.
 */
import { threadId, type Worker } from 'node:worker_threads';
import { PoolClosedError, PoolError, PoolOptionError, type UnitHolder } from '../core/errors.ts';
import { type Reclaimed } from '../core/reclaim.ts';
import { SharedCore } from '../core/shared-core.ts';
import { snapshotStats, type PoolStats } from '../core/stats-snapshot.ts';
import { REQUEST } from '../core/thread-registry.ts';
import { CELL_STATE } from '../core/waiter-cells.ts';
import { verify, type VerifyOptions } from '../core/verify.ts';
import { type ThreadAgent } from '../workers/agent.ts';
import { joinAsThread } from '../workers/attach.ts';
import { DEFAULT_CONNECTOR, loadConnector } from '../workers/connector.ts';
import { type SharedPoolClient } from '../workers/pool-client.ts';
import { HANDLE_KIND, type GetOptions, type PoolHandle } from '../workers/types.ts';
import { type PooledConnection } from '../workers/pooled-connection.ts';
import { type Setting } from '../workers/setting.ts';
import { type QueryCallOptions, type Sql } from '../workers/query-timeout.ts';
import type { QueryResult, QueryResultTuple, QueryValues } from '../workers/mysql2-types.ts';
import { drainTo } from './drain.ts';
import { probeThreads } from './probe.ts';
import { reapThread } from './reap.ts';
import { ms, resolveOptions, type ResolvedOptions, type SharedPoolOptions } from './options.ts';
import { Serial } from './serial.ts';
import { type PiscinaLike, watchThreadExits } from './thread-watch.ts';
import { seal } from '../workers/sealed-options.ts';

/** How long close() waits for threads to give up borrowed connections after its deadline (at most timeoutMs). */
const FORCED_END_GRACE_MS = 1000;

export class SharedPool {
  readonly core: SharedCore;
  /** Structured-cloneable: hand it to workers (workerData) and call attachSharedPool(handle) there. */
  readonly handle: PoolHandle;
  readonly options: Readonly<Omit<ResolvedOptions, 'connector' | 'refresh'>>;
  readonly #client: SharedPoolClient;
  /** The main thread's agent (this.#client's), called directly on the hot path and by close/drain. */
  readonly #agent: ThreadAgent;
  readonly #capacityMu = new Serial();
  readonly #refresh: ResolvedOptions['refresh'];
  #refreshTimer: NodeJS.Timeout | null = null;
  #refreshing = false;
  #closing: Promise<void> | null = null;

  /** @internal use createSharedPool(). */
  constructor(options: ResolvedOptions) {
    const { connector, refresh, ...rest } = options;
    this.options = rest;
    this.#refresh = refresh;
    this.core = SharedCore.create({
      maxCapacity: options.maxCapacity,
      maxThreads: options.maxThreads,
      maxWaiters: options.waiterTable,
      maxSettings: options.maxSettings,
    });
    this.handle = {
      kind: HANDLE_KIND,
      buffer: this.core.buffer,
      config: {
        // The mysql2 options (credentials) travel sealed; a custom connector's options as given.
        connector: connector.module === DEFAULT_CONNECTOR ? { module: connector.module, sealed: seal(connector.options ?? {}) } : connector,
        resetOnRecycle: options.resetOnRecycle,
        aliveBypassWindowMs: options.aliveBypassWindowMs,
        validationTimeoutMs: options.validationTimeoutMs,
        leakDetectionMs: options.leakDetectionMs,
        maxLifetimeMs: options.maxLifetimeMs,
        getTimeoutMs: options.getTimeoutMs,
        maxWaiters: options.maxWaiters,
        handoffDelayMs: options.handoffDelayMs,
        queryTimeoutMs: options.queryTimeoutMs,
      },
    };
    // Open (smartconnpool §3.2): lifetime first, then capacity, then the background work.
    this.core.lifecycle.renewLifetime(options.idleTimeoutMs);
    this.core.counters.setMaxIdle(options.maxIdle);
    this.core.counters.setCapacity(options.capacity);
    this.core.lifecycle.markOpen();
    const index = this.core.threads.attach(threadId);
    this.#client = joinAsThread(this.core, index, this.handle.config);
    this.#agent = this.#client.agent;
    if (options.refreshIntervalMs > 0 && refresh) {
      this.#refreshTimer = setInterval(() => void this.#refreshTick(), options.refreshIntervalMs);
      this.#refreshTimer.unref();
    }
  }

  /** The main thread's client (what attachSharedPool(pool.handle) gives in the main thread). */
  get client(): SharedPoolClient {
    return this.#client;
  }

  get isOpen(): boolean {
    return this.core.lifecycle.isOpen;
  }

  setting(applySql: string, resetSql: string | null = null): Setting {
    return this.#client.setting(applySql, resetSql);
  }

  get(options?: GetOptions): Promise<PooledConnection> {
    return this.#agent.get(options);
  }

  /** get + query + recycle (see SharedPoolClient.query: mysql2 query options, queryTimeoutMs). */
  query<T extends QueryResult>(sql: Sql, values?: QueryValues, options?: GetOptions & QueryCallOptions): Promise<QueryResultTuple<T>> {
    return this.#client.query<T>(sql, values, options);
  }

  /** get + execute + recycle (see SharedPoolClient.execute). */
  execute<T extends QueryResult>(sql: Sql, values?: QueryValues, options?: GetOptions & QueryCallOptions): Promise<QueryResultTuple<T>> {
    return this.#client.execute<T>(sql, values, options);
  }

  /** Borrows a connection for `work`; recycled afterwards, or tainted after a fatal error. */
  withConnection<T>(options: GetOptions | undefined, work: (conn: PooledConnection) => Promise<T>): Promise<T> {
    return this.#client.withConnection(options, work);
  }

  stats(): PoolStats {
    return snapshotStats(this.core);
  }

  /** Every broken invariant of the shared buffer (empty when healthy). Call it when quiescent. */
  verify(options?: VerifyOptions): string[] {
    if (options !== undefined && (typeof options !== 'object' || options === null || !['undefined', 'boolean'].includes(typeof options.allowOverCapacity))) {
      throw new PoolOptionError('verify options', options, '{ allowOverCapacity?: boolean } or undefined');
    }
    return verify(this.core, options);
  }

  /**
   * Liveness probe: rings every attached thread's doorbell and resolves with those that did not
   * answer within `timeoutMs` (default 1000), each with the units it holds. Such a registration
   * has no live agent (its thread exited without watch()/reap(), or its event loop is blocked):
   * reap() it to get its units back. `[]` when every thread answers.
   */
  probe(options: { timeoutMs?: number } = {}): Promise<UnitHolder[]> {
    let timeoutMs: number;
    try {
      timeoutMs = ms('timeoutMs', options.timeoutMs, 1000);
    } catch (error) {
      return Promise.reject(error);
    }
    return probeThreads(this.core, this.#agent.index, timeoutMs);
  }

  /** Changes the idle timeout in every thread (0 stops sweeping; the sweep period is fixed at open). */
  setIdleTimeout(timeoutMs: number): void {
    this.core.lifecycle.idleTimeoutMs = ms('idleTimeoutMs', timeoutMs, 0);
  }

  /**
   * Sets the capacity. A decrease closes idle connections at once (in every thread) and borrowed
   * ones as they come back; it resolves when active ≤ capacity, or rejects with
   * PoolDrainTimeoutError at its deadline (the new capacity stays in force).
   */
  setCapacity(capacity: number, options: { timeoutMs?: number } = {}): Promise<void> {
    const max = this.core.memory.layout.maxCapacity;
    if (typeof capacity !== 'number' || !Number.isInteger(capacity) || capacity < 0 || capacity > max) {
      return Promise.reject(new PoolOptionError('capacity', capacity, `an integer from 0 to maxCapacity (${max})`));
    }
    let timeoutMs: number;
    try {
      timeoutMs = ms('timeoutMs', timeoutOption('setCapacity', options), this.options.closeTimeoutMs);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#capacityMu.run(async () => {
      if (!this.isOpen || this.#closing) throw new PoolClosedError();
      await this.#setCapacity(capacity, this.core.memory.nowMs() + timeoutMs, 'setCapacity');
    });
  }

  /** No early exit when unchanged: an earlier timed-out drain may have left active > capacity. */
  async #setCapacity(capacity: number, deadlineMs: number, what: string): Promise<void> {
    this.core.counters.setCapacity(capacity);
    this.core.threads.ringAll(REQUEST.DRAIN);
    this.#agent.drainIdle();
    await drainTo(this.core, capacity, deadlineMs, what);
  }

  /**
   * Closes the pool. First thing, the lifetime flag is cancelled in every thread (fix 2), so every
   * background and refill connect aborts at once (fix 3) and waiters are rejected with
   * PoolClosedError; then capacity goes to 0 and close resolves when active reaches 0. At its
   * deadline (timeoutMs, default closeTimeoutMs) connections still borrowed are destroyed in every
   * thread (as HikariCP aborts active connections at shutdown): their holders' queries reject with
   * PoolClosedError, their units come back (close waits up to min(timeoutMs, 1 s) more for threads
   * to do so); then it rejects with PoolDrainTimeoutError (naming capacity, active, borrowed, and
   * each thread still holding units, with whether it answers its doorbell). Idempotent.
   */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.#closing) return this.#closing;
    let timeoutMs: number;
    try {
      timeoutMs = ms('timeoutMs', timeoutOption('close', options), this.options.closeTimeoutMs);
    } catch (error) {
      return Promise.reject(error);
    }
    const deadline = this.core.memory.nowMs() + timeoutMs;
    this.core.lifecycle.cancelLifetime();
    this.core.threads.ringAll(REQUEST.LIFETIME);
    this.#agent.handleRequests(REQUEST.LIFETIME);
    if (this.#refreshTimer) clearInterval(this.#refreshTimer);
    this.#closing = this.#capacityMu.run(async () => {
      let failure: unknown = null;
      try {
        await this.#setCapacity(0, deadline, 'close');
      } catch (error) {
        failure = error;
        await this.#abortBorrowed(Math.min(timeoutMs, FORCED_END_GRACE_MS));
      }
      this.core.lifecycle.markClosed();
      // Waiters that slipped in between the flag and their thread's turn.
      for (const cell of this.core.waiters.waitingInOrder()) this.core.waiters.reject(cell);
      this.core.threads.ringAll(REQUEST.LIFETIME);
      if (failure) throw failure;
    });
    return this.#closing;
  }

  /** Ends every borrowed connection (all threads), then waits up to graceMs for the units to come back. */
  async #abortBorrowed(graceMs: number): Promise<void> {
    this.core.threads.ringAll(REQUEST.ABORT_BORROWED);
    this.#agent.handleRequests(REQUEST.ABORT_BORROWED);
    await drainTo(this.core, 0, this.core.memory.nowMs() + graceMs, 'close').catch(() => {});
  }

  /** Resolves when the main thread's background work (reopens, refills, closes) has finished. */
  settled(): Promise<void> {
    return this.#client.settled();
  }

  async #refreshTick(): Promise<void> {
    if (this.#refreshing || this.#closing || !this.#refresh) return;
    this.#refreshing = true;
    try {
      if (await this.#refresh()) await this.reopen();
    } catch {
      // A failing refresh check is not fatal; the next tick asks again.
    } finally {
      this.#refreshing = false;
    }
  }

  /**
   * Replaces every connection of an open pool (what `refresh` triggers, smartconnpool's reopen):
   * drains them (capacity 0, closeTimeoutMs deadline) and restores the capacity, so new ones are
   * dialled. It does not reopen a closed pool: after close() it rejects with PoolClosedError.
   */
  reopen(): Promise<void> {
    const closed = (): PoolClosedError => new PoolClosedError('connection pool is closed: reopen() replaces the connections of an open pool; create a new pool instead');
    if (!this.isOpen || this.#closing) return Promise.reject(closed());
    return this.#capacityMu.run(async () => {
      if (!this.isOpen || this.#closing) throw closed();
      const capacity = this.core.counters.capacity;
      if (capacity === 0) return;
      try {
        await this.#setCapacity(0, this.core.memory.nowMs() + this.options.closeTimeoutMs, 'reopen');
      } catch (error) {
        if (!(error instanceof PoolError)) throw error;
      }
      await this.#setCapacity(capacity, this.core.memory.nowMs() + this.options.closeTimeoutMs, 'reopen');
    });
  }

  /**
   * Reclaims every slot and unit of a thread that has exited (reaping). `watch()` calls it for you.
   * Throws UnknownThreadError if no attached thread has this threadId.
   */
  reap(deadThreadId: number): Reclaimed {
    return reapThread(this.core, deadThreadId, this.#agent.index);
  }

  #reapIfAttached(deadThreadId: number): void {
    if (deadThreadId >= 0 && this.core.threads.lookup(deadThreadId) >= 0) this.reap(deadThreadId);
  }

  /**
   * Reaps threads when they exit: a Worker on its 'exit' event; a piscina pool on 'workerDestroy'
   * (once that worker's thread has exited). Refuses piscina with atomics 'sync' (its default),
   * which parks idle workers in Atomics.wait and would freeze the sockets they own.
   */
  watch(target: Worker | PiscinaLike): this {
    watchThreadExits(target, (id) => this.#reapIfAttached(id));
    return this;
  }

  /** @internal count of waiter cells granted but not yet taken (tests). */
  grantedUnits(): number {
    return this.core.waiters.count(CELL_STATE.GRANTED);
  }
}

/** The `{ timeoutMs }` of setCapacity/close, checked to be an object first. */
function timeoutOption(what: string, options: unknown): unknown {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new PoolOptionError(`${what} options`, options, '{ timeoutMs?: number }');
  return (options as { timeoutMs?: unknown }).timeoutMs;
}

/** Creates and opens a pool shared by every thread of this process. */
export async function createSharedPool(options: SharedPoolOptions): Promise<SharedPool> {
  const resolved = resolveOptions(options, DEFAULT_CONNECTOR);
  try {
    await loadConnector(resolved.connector);
  } catch (error) {
    if (error instanceof PoolOptionError) throw error;
    throw new PoolOptionError('connector.module', resolved.connector.module, `an importable module (${(error as Error).message})`);
  }
  return new SharedPool(resolved);
}
