/**
 * One query through a pooled connection, bounded (issue: nothing hangs forever):
 *   - by a timeout: the call's sql-object `timeout` (mysql2's own field), else the call's
 *     queryTimeoutMs, else the pool's. Past it the connection is closed (its socket destroyed)
 *     and the query rejects with QueryTimeoutError. The pool times it itself rather than relying on
 *     mysql2's per-query timeout alone, which does not cover the PREPARE step of execute();
 *   - by the handle's end: close() at its deadline revokes the handle and the query rejects with
 *     its PoolClosedError; a timeout ends the handle too (a mysql2 connection destroyed on purpose
 *     never answers pending commands), so the others in flight reject with QueryTimeoutError.
 */
import type { QueryOptions } from 'mysql2';
import { PoolError, QueryTimeoutError } from '../core/errors.ts';
import type { PoolConnection, QueryText } from './connector.ts';
import type { HandleEnd } from './handle-end.ts';
import { applyCaller, callerStack, type StackHolder } from './caller-stack.ts';

/** SQL text, or mysql2's query-options object ({ sql, values, timeout, rowsAsArray, ... }). */
export type Sql = string | QueryOptions;

/** Per-call options of query()/execute(). */
export interface QueryCallOptions {
  /** Overrides the pool's queryTimeoutMs for this call (0 = none). A `timeout` in the sql object wins over both. */
  queryTimeoutMs?: number;
}

/** mysql2's code for a query past its own `timeout`. */
const TIMEOUT_CODE = 'PROTOCOL_SEQUENCE_TIMEOUT';

/** Starts one command on the connection; calls back once with its result or its error. */
type Start = (done: (failed: boolean, error: unknown, result: unknown) => void) => void;

/** A Start for a command a connector offers as a promise. */
function fromPromise(command: () => Promise<unknown>): Start {
  return (done) => command().then((result) => done(false, null, result), (error: unknown) => done(true, error, undefined));
}

/**
 * Runs `conn[method](sql, params)` bounded as the file comment says: one promise settled from
 * whichever ends first (the answer, the timer, the handle's end). With a connector offering send()
 * (the mysql2 connector) the query itself adds no promise. A failure keeps the driver's stack:
 * awaiters that want the caller's use runQuery(), or stackForCaller() in their own catch.
 */
export function boundedCall<T>(
  conn: PoolConnection, method: 'query' | 'execute', sql: Sql, params: unknown, defaultTimeoutMs: number, ended: HandleEnd,
): Promise<T> {
  const own = typeof sql === 'string' ? undefined : (sql as QueryText).timeout;
  const start: Start = conn.send
    ? (done) => conn.send!(method, sql as string | QueryText, params, (error, result) => done(error !== null && error !== undefined, error, result))
    : fromPromise(() => conn[method]!(sql as string | QueryText, params));
  return bounded<T>(conn, start, own ?? defaultTimeoutMs, ended);
}

/**
 * BEGIN / COMMIT / ROLLBACK through a handle, bounded like a query (queryTimeoutMs, the handle's
 * end), with the caller's async stack on a failure (see stackForCaller()).
 */
export async function runCommand(conn: PoolConnection, name: 'beginTransaction' | 'commit' | 'rollback', timeoutMs: number, ended: HandleEnd): Promise<void> {
  try {
    await bounded<void>(conn, fromPromise(() => conn[name]!()), timeoutMs, ended);
  } catch (error) {
    stackForCaller(conn, error, null, runCommand);
    throw error;
  }
}

/** boundedCall(), awaited here so that a failure gets the caller's stack (see stackForCaller()). */
export async function runQuery<T>(
  conn: PoolConnection, method: 'query' | 'execute', sql: Sql, params: unknown, defaultTimeoutMs: number, ended: HandleEnd,
  captured: StackHolder | null,
): Promise<T> {
  try {
    return await boundedCall<T>(conn, method, sql, params, defaultTimeoutMs, ended);
  } catch (error) {
    stackForCaller(conn, error, captured, runQuery);
    throw error;
  }
}

/**
 * Gives a failed command of `conn` its caller's stack: `captured` at the caller's entry when the
 * connector asks for a capture per call (`captureStack`), else the async stack above `from` (an
 * awaiting function's catch) when the connector leaves it to the pool (`callerStack`), and always
 * for the pool's own errors (made in a timer or by close()).
 */
export function stackForCaller(conn: PoolConnection, error: unknown, captured: StackHolder | null, from: (...args: never[]) => unknown): void {
  if (captured !== null) applyCaller(error, captured);
  else if (conn.callerStack === true || error instanceof PoolError) callerStack(error, from);
}

/**
 * Starts `start` and its bounds: the returned promise settles once, from the first of them. A
 * timeout closes the connection, which ends the handle: every other command in flight on it
 * rejects too (mysql2 never answers the commands of a connection destroyed on purpose), and so
 * does every later one.
 */
function bounded<T>(conn: PoolConnection, start: Start, timeoutMs: number, ended: HandleEnd): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (ended.ended) {
      reject(ended.reason);
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const onEnd = (reason: unknown): void => {
      clearTimeout(timer);
      reject(reason);
    };
    ended.on(onEnd);
    const timedOut = (cause?: unknown): void => {
      ended.off(onEnd);
      closeNow(conn);
      reject(new QueryTimeoutError(timeoutMs, cause === undefined ? undefined : { cause }));
      ended.end(new QueryTimeoutError(timeoutMs, { sibling: true }));
    };
    if (timeoutMs > 0) timer = setTimeout(timedOut, timeoutMs);
    const settle = (failed: boolean, error: unknown, result: unknown): void => {
      clearTimeout(timer);
      ended.off(onEnd);
      if (!failed) resolve(result as T);
      else if (ended.ended) reject(ended.reason);
      else if ((error as { code?: unknown } | null)?.code === TIMEOUT_CODE) timedOut(error);
      else reject(error);
    };
    try {
      start(settle);
    } catch (error) {
      settle(true, error, undefined);
    }
  });
}

/** close() must not throw (connector contract); a connector that does is treated as closed. */
function closeNow(conn: PoolConnection): void {
  try {
    void Promise.resolve(conn.close()).catch(() => {});
  } catch {
    // see above
  }
}
