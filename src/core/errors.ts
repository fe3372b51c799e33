/**
 * Every error the pool raises is a PoolError with a stable `code`. Messages name the value that was
 * wrong and never contain credentials.
 */
export type PoolErrorCode =
  | 'POOL_CLOSED'
  | 'POOL_TIMEOUT'
  | 'POOL_CTX_EXPIRED'
  | 'POOL_WAITER_CAP'
  | 'POOL_DRAIN_TIMEOUT'
  | 'POOL_BAD_OPTION'
  | 'POOL_STALE_HANDLE'
  | 'POOL_LAYOUT_MISMATCH'
  | 'POOL_LIMIT'
  | 'POOL_UNKNOWN_THREAD'
  | 'POOL_QUERY_TIMEOUT'
  | 'POOL_INVARIANT';

export class PoolError extends Error {
  readonly code: PoolErrorCode;
  constructor(code: PoolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The pool is closed, or paused at capacity 0 ("connection pool is closed"). */
export class PoolClosedError extends PoolError {
  constructor(message = 'connection pool is closed', options?: { cause?: unknown }) {
    super('POOL_CLOSED', message, options);
  }
}

/**
 * A query or execute ran past its timeout (the pool's queryTimeoutMs, or the call's own). Its
 * connection was destroyed (mysql2 gives up on it); giving the handle back refills the unit.
 */
export class QueryTimeoutError extends PoolError {
  readonly timeoutMs: number;
  /** The connection is gone: treat like any fatal driver error. */
  readonly fatal = true;
  /** `sibling`: this command did not time out, another one on the same connection did. */
  constructor(timeoutMs: number, options?: { cause?: unknown; sibling?: boolean }) {
    super('POOL_QUERY_TIMEOUT', options?.sibling === true
      ? `another command on this connection timed out after ${timeoutMs} ms; the connection was closed`
      : `query timed out after ${timeoutMs} ms; its connection was closed`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.timeoutMs = timeoutMs;
  }
}

/** A wait for a connection ended without one ("connection pool timed out"). */
export class PoolTimeoutError extends PoolError {
  constructor(message = 'connection pool timed out', options?: { cause?: unknown }) {
    super('POOL_TIMEOUT', message, options);
  }
}

/** get() was called with a signal that had already ended. */
export class PoolContextExpiredError extends PoolError {
  constructor() {
    super('POOL_CTX_EXPIRED', 'connection pool context already expired');
  }
}

/** maxWaiters requests are already waiting. */
export class PoolWaiterCapError extends PoolError {
  constructor(maxWaiters: number) {
    super('POOL_WAITER_CAP', `connection pool waiter cap reached (maxWaiters = ${maxWaiters})`);
  }
}

/** A thread still holding units when a drain timed out (see PoolDrainTimeoutError.holders). */
export interface UnitHolder {
  /** Registry index. */
  index: number;
  threadId: number;
  /** Slots (open, opening or closing connections) it holds. */
  units: number;
  /** False if it has not handled its latest doorbell ring: it exited without reap() or its event loop is stuck. */
  answered: boolean;
}

/** setCapacity/close could not drain to the target before its deadline. */
export class PoolDrainTimeoutError extends PoolError {
  readonly capacity: number;
  readonly active: number;
  readonly borrowed: number;
  /** Threads that still hold units, and whether each answers its doorbell. */
  readonly holders: readonly UnitHolder[];
  constructor(what: string, capacity: number, active: number, borrowed: number, holders: readonly UnitHolder[] = []) {
    super(
      'POOL_DRAIN_TIMEOUT',
      `${what} timed out waiting for connections to be returned to the pool ` +
        `(capacity = ${capacity}, active = ${active}, borrowed = ${borrowed})` +
        holders.map((t) => `; thread index ${t.index} (threadId ${t.threadId}) holds ${t.units} unit${t.units === 1 ? '' : 's'}` +
          (t.answered ? '' : ' and has not answered its doorbell (exited without watch()/reap(), or its event loop is blocked)')).join(''),
    );
    this.capacity = capacity;
    this.active = active;
    this.borrowed = borrowed;
    this.holders = holders;
  }
}

/** An option or argument is invalid. */
export class PoolOptionError extends PoolError {
  constructor(name: string, value: unknown, expected: string) {
    super('POOL_BAD_OPTION', `invalid ${name}: ${describe(value)} (expected ${expected})`);
  }
}

/** A connection handle was used after recycle()/taint(), or returned twice. */
export class StaleHandleError extends PoolError {
  constructor(what: string, slot: number) {
    super('POOL_STALE_HANDLE', `${what} on a connection handle that was already returned (slot ${slot})`);
  }
}

/** A handle built by another version/layout of this library, or a buffer that is not a pool. */
export class LayoutMismatchError extends PoolError {
  constructor(message: string) {
    super('POOL_LAYOUT_MISMATCH', message);
  }
}

/** A fixed limit of the shared buffer (maxThreads, maxSettings, setting text size) was exceeded. */
export class PoolLimitError extends PoolError {
  constructor(message: string) {
    super('POOL_LIMIT', message);
  }
}

/** A thread index / threadId the registry does not know. */
export class UnknownThreadError extends PoolError {
  constructor(what: string) {
    super('POOL_UNKNOWN_THREAD', what);
  }
}

/**
 * The pool's shared state broke one of its own invariants (a unit released twice, a slot pushed idle
 * without a time, …). It is a bug in the pool or a handle used wrongly across threads, never bad input;
 * the message names the word and the value found.
 */
export class PoolInvariantError extends PoolError {
  constructor(message: string) {
    super('POOL_INVARIANT', message);
  }
}

/** Stands for a value an error must not show (it may hold credentials): only its type is named. */
export class Hidden {
  readonly type: string;
  constructor(type: string) {
    this.type = type;
  }
}

function describe(value: unknown): string {
  if (value instanceof Hidden) return `a ${value.type} (not shown: it may hold credentials)`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
