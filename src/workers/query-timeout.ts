/**
 * One query through a pooled connection, bounded (issue: nothing hangs forever):
 *   - by a timeout: the call's sql-object `timeout` (mysql2's own field), else the call's
 *     queryTimeoutMs, else the pool's. Past it the connection is closed (its socket destroyed)
 *     and the query rejects with QueryTimeoutError. The pool times it itself rather than relying on
 *     mysql2's per-query timeout alone, which does not cover the PREPARE step of execute();
 *   - by the handle's end: close() at its deadline revokes the handle and the query rejects with
 *     its PoolClosedError (a mysql2 connection destroyed on purpose never answers pending queries).
 */
import type { QueryOptions } from 'mysql2';
import { QueryTimeoutError } from '../core/errors.ts';
import type { PoolConnection, QueryText } from './connector.ts';
import type { HandleEnd } from './handle-end.ts';

/** SQL text, or mysql2's query-options object ({ sql, values, timeout, rowsAsArray, ... }). */
export type Sql = string | QueryOptions;

/** Per-call options of query()/execute(). */
export interface QueryCallOptions {
  /** Overrides the pool's queryTimeoutMs for this call (0 = none). A `timeout` in the sql object wins over both. */
  queryTimeoutMs?: number;
}

/** mysql2's code for a query past its own `timeout`. */
const TIMEOUT_CODE = 'PROTOCOL_SEQUENCE_TIMEOUT';

export async function runQuery<T>(
  conn: PoolConnection, method: 'query' | 'execute', sql: Sql, params: unknown, defaultTimeoutMs: number, ended: HandleEnd,
): Promise<T> {
  const own = typeof sql === 'string' ? undefined : (sql as QueryText).timeout;
  const timeoutMs = own ?? defaultTimeoutMs;
  let timer: NodeJS.Timeout | undefined;
  let onEnd: ((reason: unknown) => void) | undefined;
  const bounds = new Promise<never>((_, reject) => {
    onEnd = reject;
    ended.on(onEnd);
    if (timeoutMs > 0) {
      timer = setTimeout(() => {
        closeNow(conn);
        reject(new QueryTimeoutError(timeoutMs));
      }, timeoutMs);
    }
  });
  try {
    return (await Promise.race([conn[method]!(sql as string | QueryText, params), bounds])) as T;
  } catch (error) {
    if (ended.ended) throw ended.reason;
    if ((error as { code?: unknown })?.code === TIMEOUT_CODE) {
      closeNow(conn);
      throw new QueryTimeoutError(timeoutMs, { cause: error });
    }
    throw error;
  } finally {
    clearTimeout(timer);
    ended.off(onEnd!);
  }
}

/** close() must not throw (connector contract); a connector that does is treated as closed. */
function closeNow(conn: PoolConnection): void {
  try {
    void Promise.resolve(conn.close()).catch(() => {});
  } catch {
    // see above
  }
}
