/**
 * createSharedPool() options, validated up front: every bad value gets a PoolOptionError naming the
 * option and the value (never a credential).
 */
import { PoolOptionError } from '../core/errors.ts';
import { LIMITS } from '../core/layout.ts';
import type { ConnectorSpec } from '../workers/connector.ts';
import { RESET_MODES, type ResetOnRecycle } from '../workers/recycle-guard.ts';
import { assertCloneable } from './cloneable.ts';
import { connectionOptions } from './connection-options.ts';
import type { SharedConnectionOptions } from '../workers/mysql2-types.ts';

export interface SharedPoolOptions {
  /**
   * mysql2 connection options (host, port, user, password, database, ...) or a connection URI
   * (`mysql://user:password@host:3306/db?ssl=...`, as mysql2 takes it). They travel to every thread
   * sealed (see sealed-options.ts): no handle, error or log line shows them. Two defaults differ
   * from mysql2's: `maxPreparedStatements` 256 (mysql2: 16000, preallocated per connect), and
   * `trace` unset means a failed query carries its caller's async stack, captured only on failure
   * (`trace: true`: mysql2's capture before every query; `false`: none). See mysql2-connector.ts.
   * Typed as mysql2's ConnectionOptions minus the function-valued ones (typeCast, queryFormat, ...):
   * functions cannot be copied to other threads, and a function anywhere in the options is rejected
   * with PoolOptionError naming it; to use one, wrap the mysql2 connector (README: "Function-valued
   * mysql2 options").
   */
  connection?: SharedConnectionOptions | string;
  /** A custom connector module instead of mysql2 (tests use fakes). */
  connector?: ConnectorSpec;
  /** Connections the whole process may hold. Default 10. */
  capacity?: number;
  /** Upper bound for setCapacity (sizes the shared buffer). Default: capacity. */
  maxCapacity?: number;
  /** Idle connections kept (0 = capacity). Default 0. */
  maxIdle?: number;
  /** Idle connections unused this long are closed (and reopened). 0 = never. Default 600 000 (10 min, HikariCP's idleTimeout). */
  idleTimeoutMs?: number;
  /** Connections are reopened after 1×–2× this. 0 = never. Default 1 800 000 (30 min, HikariCP's maxLifetime). */
  maxLifetimeMs?: number;
  /**
   * What a connection returned without a setting goes through before it is lent again:
   * 'auto' (default) COM_RESET_CONNECTION only when the server reported a session state change
   * (user variable, temporary table, session variable, prepared statement, schema) or a statement
   * took a GET_LOCK; 'always' COM_RESET_CONNECTION on every return (mysql2's resetOnRelease);
   * 'never' no reset. In every mode a connection inside a transaction is rolled back first.
   */
  resetOnRecycle?: ResetOnRecycle;
  /**
   * A connection idle longer than this is validated (COM_PING) before it is lent; a failed one is
   * closed and replaced within the get's deadline. 0 = validate every lend. Default 500
   * (HikariCP's aliveBypassWindowMs).
   */
  aliveBypassWindowMs?: number;
  /** Deadline of a validation ping and of a recycle-time rollback/reset. Default 1000. */
  validationTimeoutMs?: number;
  /**
   * A connection borrowed longer than this is reported once as a possible leak, with the stack of
   * the get() that borrowed it (diagnostics channel 'shared-mysql-pool:leak'; a process warning
   * when nobody subscribes), and again when it comes back. 0 = off. Default 0 (HikariCP's
   * leakDetectionThreshold).
   */
  leakDetectionMs?: number;
  /** Default deadline of get() (0 = none). Default 10 000. */
  getTimeoutMs?: number;
  /**
   * Timeout of every query/execute through the pool and its connections, in ms (0 = none, the
   * default). A query past it rejects with QueryTimeoutError (POOL_QUERY_TIMEOUT) and its
   * connection is closed, its unit refilled. Per call: query(sql, params, { queryTimeoutMs }), or a
   * `timeout` in mysql2's query-options object. Uses mysql2's per-query timeout underneath.
   */
  queryTimeoutMs?: number;
  /**
   * Default deadline of close() and of a refresh's drain. Default 10 000. When close() reaches it
   * with connections still borrowed, it destroys them (their holders get PoolClosedError) and
   * then rejects with PoolDrainTimeoutError.
   */
  closeTimeoutMs?: number;
  /** How often refresh() is asked whether to reopen the pool. 0 = never. */
  refreshIntervalMs?: number;
  /** Says whether the pool should be drained and reopened (e.g. after a DNS change). Main thread only. */
  refresh?: () => boolean | Promise<boolean>;
  /**
   * Patience of a waiter, in ms: once it has waited this long, any thread may close a connection
   * to hand it the unit (a reconnect). Before that, units move between threads only where that
   * pays: to a thread holding none, to a thread holding two fewer, from a thread idle for 20 ms;
   * a busy thread's last connection stays. Default 100.
   */
  handoffDelayMs?: number;
  /** Threads that may attach at once (sizes the shared buffer). Default 64. */
  maxThreads?: number;
  /** Waiters over all threads (0 = as many as the waiter table holds: 65 536). Default 4096. */
  maxWaiters?: number;
  /** Distinct settings. Default 64. */
  maxSettings?: number;
}

export interface ResolvedOptions {
  connector: ConnectorSpec;
  resetOnRecycle: ResetOnRecycle;
  aliveBypassWindowMs: number;
  validationTimeoutMs: number;
  leakDetectionMs: number;
  capacity: number;
  maxCapacity: number;
  maxIdle: number;
  idleTimeoutMs: number;
  maxLifetimeMs: number;
  getTimeoutMs: number;
  queryTimeoutMs: number;
  closeTimeoutMs: number;
  refreshIntervalMs: number;
  handoffDelayMs: number;
  refresh: (() => boolean | Promise<boolean>) | null;
  maxThreads: number;
  maxWaiters: number;
  waiterTable: number;
  maxSettings: number;
}

const UNLIMITED_WAITERS = 65_536;
const KNOWN = new Set([
  'connection', 'connector', 'capacity', 'maxCapacity', 'maxIdle', 'idleTimeoutMs', 'maxLifetimeMs', 'getTimeoutMs',
  'queryTimeoutMs', 'closeTimeoutMs', 'refreshIntervalMs', 'refresh', 'handoffDelayMs', 'maxThreads', 'maxWaiters', 'maxSettings',
  'resetOnRecycle', 'aliveBypassWindowMs', 'validationTimeoutMs', 'leakDetectionMs',
]);

/** HikariCP's defaults (idleTimeout 10 min, maxLifetime 30 min); MySQL's wait_timeout is 8 h. */
export const DEFAULT_IDLE_TIMEOUT_MS = 600_000;
export const DEFAULT_MAX_LIFETIME_MS = 1_800_000;

function int(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new PoolOptionError(name, value, `an integer from ${min} to ${max}`);
  }
  return value;
}

/** Milliseconds: a finite integer ≥ 0 that setTimeout can hold. */
export function ms(name: string, value: unknown, fallback: number): number {
  return int(name, value, fallback, 0, 2 ** 31 - 1);
}

export function resolveOptions(options: SharedPoolOptions, defaultConnector: string): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new PoolOptionError('options', options, 'an object');
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new PoolOptionError('option name', key, `one of ${[...KNOWN].join(', ')}`);
  }
  const capacity = int('capacity', options.capacity, 10, 0, LIMITS.maxCapacity.max);
  const maxCapacity = int('maxCapacity', options.maxCapacity, Math.max(capacity, 1), 1, LIMITS.maxCapacity.max);
  if (capacity > maxCapacity) throw new PoolOptionError('capacity', capacity, `at most maxCapacity (${maxCapacity})`);
  const maxWaiters = int('maxWaiters', options.maxWaiters, 4096, 0, UNLIMITED_WAITERS);
  let connector: ConnectorSpec;
  if (options.connector !== undefined) {
    const c = options.connector;
    if (typeof c !== 'object' || c === null || typeof c.module !== 'string' || c.module === '') {
      throw new PoolOptionError('connector.module', (c as { module?: unknown } | null)?.module, 'a module path or file: URL string');
    }
    if (options.connection !== undefined) throw new PoolOptionError('connection', 'given with connector', 'either connection or connector, not both');
    connector = { module: c.module, options: c.options };
  } else {
    connector = { module: defaultConnector, options: connectionOptions(options.connection) };
  }
  assertCloneable(options.connector !== undefined ? 'connector.options' : 'connection', connector.options);
  if (options.refresh !== undefined && typeof options.refresh !== 'function') {
    throw new PoolOptionError('refresh', options.refresh, 'a function returning a boolean or a promise of one');
  }
  const resetOnRecycle = options.resetOnRecycle ?? 'auto';
  if (!RESET_MODES.includes(resetOnRecycle)) throw new PoolOptionError('resetOnRecycle', resetOnRecycle, `one of ${RESET_MODES.join(', ')}`);
  return {
    connector,
    resetOnRecycle,
    aliveBypassWindowMs: ms('aliveBypassWindowMs', options.aliveBypassWindowMs, 500),
    validationTimeoutMs: int('validationTimeoutMs', options.validationTimeoutMs, 1000, 1, 2 ** 31 - 1),
    leakDetectionMs: ms('leakDetectionMs', options.leakDetectionMs, 0),
    capacity,
    maxCapacity,
    maxIdle: int('maxIdle', options.maxIdle, 0, 0, LIMITS.maxCapacity.max),
    idleTimeoutMs: ms('idleTimeoutMs', options.idleTimeoutMs, DEFAULT_IDLE_TIMEOUT_MS),
    maxLifetimeMs: ms('maxLifetimeMs', options.maxLifetimeMs, DEFAULT_MAX_LIFETIME_MS),
    getTimeoutMs: ms('getTimeoutMs', options.getTimeoutMs, 10_000),
    queryTimeoutMs: ms('queryTimeoutMs', options.queryTimeoutMs, 0),
    closeTimeoutMs: ms('closeTimeoutMs', options.closeTimeoutMs, 10_000),
    refreshIntervalMs: ms('refreshIntervalMs', options.refreshIntervalMs, 0),
    handoffDelayMs: ms('handoffDelayMs', options.handoffDelayMs, 100),
    refresh: options.refresh ?? null,
    maxThreads: int('maxThreads', options.maxThreads, 64, LIMITS.maxThreads.min, LIMITS.maxThreads.max),
    maxWaiters: maxWaiters === 0 ? UNLIMITED_WAITERS : maxWaiters,
    waiterTable: maxWaiters === 0 ? UNLIMITED_WAITERS : maxWaiters,
    maxSettings: int('maxSettings', options.maxSettings, 64, LIMITS.maxSettings.min, LIMITS.maxSettings.max),
  };
}
