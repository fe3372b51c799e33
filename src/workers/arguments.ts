/**
 * Up-front checks of the arguments of every public call that takes a get's options, SQL or a
 * callback. Each bad value gets a PoolOptionError naming the argument and the value, before the
 * call touches shared memory (no counter moves, no waiter is queued, nothing is dialled).
 */
import { PoolOptionError } from '../core/errors.ts';
import { Setting } from './setting.ts';

/** setTimeout holds at most 2^31−1 ms; a larger delay fires after 1 ms. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

const GET_KEYS = new Set(['setting', 'signal', 'timeoutMs']);

/** Throws for anything but undefined or `{ setting?, signal?, timeoutMs? }` with valid values. */
export function checkGetOptions(options: unknown): void {
  if (options === undefined || options === null) return;
  if (typeof options !== 'object' || Array.isArray(options)) throw new PoolOptionError('get options', options, 'an object { setting?, signal?, timeoutMs? } or undefined');
  // for-in, not Object.keys: no array allocated on the get path.
  for (const key in options) {
    if (!GET_KEYS.has(key)) throw new PoolOptionError('get option name', key, 'one of setting, signal, timeoutMs');
  }
  const { setting, signal, timeoutMs } = options as { setting?: unknown; signal?: unknown; timeoutMs?: unknown };
  if (setting !== undefined && setting !== null && !(setting instanceof Setting)) {
    throw new PoolOptionError('setting', setting, 'a Setting made by pool.setting() in this thread');
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new PoolOptionError('signal', signal, 'an AbortSignal');
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs >= 0 && timeoutMs <= MAX_TIMEOUT_MS)) {
    throw new PoolOptionError('timeoutMs', timeoutMs, `a number from 0 to ${MAX_TIMEOUT_MS} (0 = no deadline)`);
  }
}

const QUERY_KEYS = new Set(['setting', 'signal', 'timeoutMs', 'queryTimeoutMs']);

/** query()/execute() options: a get's options plus queryTimeoutMs. */
export function checkQueryOptions(options: unknown): void {
  if (options === undefined || options === null) return;
  if (typeof options !== 'object' || Array.isArray(options)) throw new PoolOptionError('query options', options, 'an object { setting?, signal?, timeoutMs?, queryTimeoutMs? } or undefined');
  for (const key in options) {
    if (!QUERY_KEYS.has(key)) throw new PoolOptionError('query option name', key, 'one of setting, signal, timeoutMs, queryTimeoutMs');
  }
  const { queryTimeoutMs } = options as { queryTimeoutMs?: unknown };
  if (queryTimeoutMs !== undefined && !(typeof queryTimeoutMs === 'number' && queryTimeoutMs >= 0 && queryTimeoutMs <= MAX_TIMEOUT_MS)) {
    throw new PoolOptionError('queryTimeoutMs', queryTimeoutMs, `a number from 0 to ${MAX_TIMEOUT_MS} (0 = none)`);
  }
  checkGetOptions(getOptionsOf(options as { queryTimeoutMs?: number }));
}

/** The get's part of query options (the same object when it has no queryTimeoutMs). */
export function getOptionsOf<T extends { queryTimeoutMs?: number }>(options: T | undefined): Omit<T, 'queryTimeoutMs'> | undefined {
  if (options === undefined || options === null || !('queryTimeoutMs' in options)) return options;
  const { queryTimeoutMs: _, ...rest } = options;
  return rest;
}

/** mysql2 takes SQL text or `{ sql, ... }` query options; params are an array or an object of named values. */
export function checkSql(what: string, sql: unknown, params: unknown): void {
  const options = typeof sql === 'object' && sql !== null ? (sql as { sql?: unknown; timeout?: unknown }) : null;
  const text = options !== null ? options.sql : sql;
  if (typeof text !== 'string' || text.trim() === '') throw new PoolOptionError(`${what} sql`, sql, 'a non-empty SQL string or { sql: string, ... }');
  // mysql2's own per-query timeout (ms), which the pool times itself: a bad one would fire at once.
  const timeout = options?.timeout;
  if (timeout !== undefined && timeout !== null && !(Number.isInteger(timeout) && (timeout as number) >= 0 && (timeout as number) <= 2 ** 31 - 1)) {
    throw new PoolOptionError(`${what} sql.timeout`, timeout, 'an integer number of ms from 0 to 2147483647, or undefined (null: the default)');
  }
  if (params !== undefined && params !== null && typeof params !== 'object') {
    throw new PoolOptionError(`${what} params`, params, 'an array of values, an object of named values, or undefined');
  }
}

export function checkWork(work: unknown): void {
  if (typeof work !== 'function') throw new PoolOptionError('withConnection work', work, 'a function (conn) => Promise');
}
