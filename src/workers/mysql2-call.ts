/**
 * One query, prepared statement or command (BEGIN, COMMIT, ROLLBACK, ping, reset) on a mysql2
 * connection, as cheaply as the callback API allows: one promise around mysql2's callback (none for
 * the pool's query path, send()), and the caller's stack attached only when it fails.
 *
 * mysql2's promise API captures a stack trace before every command (its `trace` option, on by
 * default: several µs per query) so that an error names the caller. Here the failing promise
 * gets one reaction with a module-level handler; V8 runs that handler with the awaiting async
 * functions as its async stack ("at async handler", "at async route", ...), so the error's stack
 * is rewritten from there, on the error path only. The error object itself (code, errno,
 * sqlMessage, fatal, ...) is kept.
 *
 * Stack modes (from the connection option `trace`, mysql2's name for it):
 *   'caller'  (trace not set)  the caller's async stack on errors, nothing captured otherwise
 *   'mysql2'  (trace: true)    mysql2's promise API: its stack captured before every command
 *   'off'     (trace: false)   mysql2's errors as they are
 */
import type { Connection as CallbackConnection } from 'mysql2';
import type { Connection as PromiseConnection } from 'mysql2/promise';
import type { QueryText } from './connector-contract.ts';
import { callerStack } from './caller-stack.ts';

export type StackMode = 'caller' | 'mysql2' | 'off';

/** The mode a connection option `trace` selects (see the file comment). */
export function stackModeOf(trace: unknown): StackMode {
  if (trace === undefined) return 'caller';
  return trace === false ? 'off' : 'mysql2';
}

type Method = 'query' | 'execute';
type Callback = (error: Error | null, rows?: unknown, fields?: unknown) => void;
type Raw = Record<Method, (sql: string | QueryText, ...args: unknown[]) => unknown>;

/**
 * Runs `raw[method](sql, params)` (`sql`: text or mysql2's query-options object); resolves with
 * `[rows, fields]` like mysql2's promise API.
 * `promise` is mysql2's promise wrapper of `raw`, used only in mode 'mysql2'.
 */
export function call(raw: CallbackConnection, promise: PromiseConnection, mode: StackMode, method: Method, sql: string | QueryText, params: unknown): Promise<unknown> {
  if (mode === 'mysql2') return method === 'query' ? promise.query(sql as never, params as never) : promise.execute(sql as never, params as never);
  const result = new Promise<unknown>((resolve, reject) => {
    send(raw, method, sql, params, (error, result) => {
      if (error) reject(error);
      else resolve(result);
    });
  });
  return mode === 'caller' ? result.then(undefined, withCallerStack) : result;
}

/** mysql2 commands without SQL text of the caller's. */
export type Command = 'beginTransaction' | 'commit' | 'rollback' | 'ping' | 'reset';

/**
 * `raw[name](callback)` as a promise, with the stack handling of `mode` (as call()): mode 'mysql2'
 * is mysql2's promise API (its capture before the command); the pool's own commands pass 'off'
 * (their errors are translated or swallowed, never shown with a caller).
 */
export function command(raw: CallbackConnection, promise: PromiseConnection, mode: StackMode, name: Command): Promise<void> {
  if (mode === 'mysql2') return (promise as unknown as Record<Command, () => Promise<void>>)[name]();
  const result = new Promise<void>((resolve, reject) => {
    (raw as unknown as Record<Command, (cb: (error: Error | null) => void) => void>)[name]((error) => {
      if (error) reject(error);
      else resolve();
    });
  });
  return mode === 'caller' ? result.then(undefined, withCallerStack) : result;
}

/**
 * Callback form of call() for the pool's own query path (query-timeout.ts): no promise at all and
 * no stack capture; `done(null, [rows, fields])` or `done(error)` with mysql2's error as it is (the
 * pool gives it the caller's stack: connector `callerStack`, `captureStack`).
 */
export function send(raw: CallbackConnection, method: Method, sql: string | QueryText, params: unknown, done: SendCallback): void {
  const callback: Callback = (error, rows, fields) => {
    if (error) done(error);
    else done(null, [rows, fields]);
  };
  const r = raw as unknown as Raw;
  if (params === undefined) r[method](sql, callback);
  else r[method](sql, params, callback);
}

/** What send() calls back with: an error, or `[rows, fields]`. */
export type SendCallback = (error: Error | null, result?: unknown) => void;

/** Rejection handler of call(): the caller's stack in place of mysql2's frames. */
function withCallerStack(error: unknown): never {
  callerStack(error, withCallerStack);
  throw error;
}
