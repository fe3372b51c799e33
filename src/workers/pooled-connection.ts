/**
 * The handle a caller holds while a connection is borrowed. It is valid until recycle() or taint();
 * any use after that throws StaleHandleError and changes nothing. Handles never cross threads.
 */
import { PoolClosedError, PoolOptionError, StaleHandleError } from '../core/errors.ts';
import type { PoolConnection } from './connector.ts';
import { HandleEnd } from './handle-end.ts';
import { boundedCall, type QueryCallOptions, runCommand, runQuery, type Sql } from './query-timeout.ts';
import { captureCaller } from './caller-stack.ts';
import { LEAK_WATCH, type LeakWatch } from './leak-detector.ts';
import { checkQueryOptions, checkSql } from './arguments.ts';
import type { Setting } from './setting.ts';
import type { Connection as PromiseConnection } from 'mysql2/promise';
import type { QueryResult, QueryResultTuple, QueryValues } from './mysql2-types.ts';

/** @internal Key of the handle's query path without argument checks (pool-client.ts). */
export const RUN_CHECKED = Symbol('runChecked');

/** What a handle needs from its thread's agent. */
export interface HandleOwner {
  recycleSlot(slot: number, conn: PoolConnection): void;
  taintSlot(slot: number, conn: PoolConnection): void;
  settingById(id: number): Setting | null;
  /** The pool's queryTimeoutMs (0 = none). */
  readonly queryTimeoutMs: number;
}

export class PooledConnection {
  readonly #owner: HandleOwner;
  readonly #slot: number;
  readonly #conn: PoolConnection;
  readonly #setting: number;
  #live = true;
  /** Ended by close() at its deadline: its socket was destroyed, its unit taken back. */
  #revoked = false;
  /**
   * Ended by revoke() or by a command's timeout (either destroys the socket): commands in flight
   * reject, since a destroyed mysql2 socket never answers them.
   */
  #ended: HandleEnd | null = null;
  /** The PoolClosedError of revoke(): every later call rejects with it. */
  #revokedBy: PoolClosedError | null = null;
  /** Set by the agent when leakDetectionMs is on (declared only: no field is defined per handle otherwise). */
  declare [LEAK_WATCH]?: LeakWatch;

  constructor(owner: HandleOwner, slot: number, conn: PoolConnection, setting: number) {
    this.#owner = owner;
    this.#slot = slot;
    this.#conn = conn;
    this.#setting = setting;
  }

  /** The slot this connection occupies (diagnostics). */
  get slot(): number {
    return this.#slot;
  }

  /** False once returned. */
  get live(): boolean {
    return this.#live;
  }

  /** The setting applied on this connection, or null. */
  get setting(): Setting | null {
    return this.#setting === 0 ? null : this.#owner.settingById(this.#setting);
  }

  /** The connector's connection object (for mysql2: a promise Connection). */
  get connection(): PoolConnection {
    this.check('connection');
    return this.#conn;
  }

  /**
   * The mysql2 promise Connection under this handle (mysql2/promise's `Connection`), for what the
   * handle does not wrap (prepare, changeUser, escape, ...).
   * It stays the pool's: give it back with recycle()/taint(), never end() or destroy() it.
   * Throws PoolOptionError with a custom connector whose connections have no `promise` connection.
   */
  get mysql2(): PromiseConnection {
    this.check('mysql2');
    const promise = (this.#conn as { promise?: unknown }).promise;
    if (typeof promise !== 'object' || promise === null) throw notOffered('promise', 'a mysql2 promise connection');
    return promise as PromiseConnection;
  }

  /**
   * Runs a query; resolves like mysql2/promise's: `[rows | ResultSetHeader, fields]`. `sql` is SQL
   * text or mysql2's query-options object ({ sql, timeout, ... }). Its
   * timeout is the object's `timeout`, else `options.queryTimeoutMs`, else the pool's
   * queryTimeoutMs (0 = none); past it the query rejects with QueryTimeoutError and the connection
   * is closed (recycling the handle then refills the unit). Rejects with PoolClosedError if close()
   * ended this connection at its deadline; a bad `sql`/`params` rejects with PoolOptionError before
   * anything is sent.
   */
  query<T extends QueryResult>(sql: Sql, params?: QueryValues, options?: QueryCallOptions): Promise<QueryResultTuple<T>> {
    return this.#run<QueryResultTuple<T>>('query', sql, params, options);
  }

  /** A prepared statement (mysql2 caches it on the connection); `sql`, timeout and errors as for query(). */
  execute<T extends QueryResult>(sql: Sql, params?: QueryValues, options?: QueryCallOptions): Promise<QueryResultTuple<T>> {
    return this.#run<QueryResultTuple<T>>('execute', sql, params, options);
  }

  /** query() and execute(): arguments checked before anything is sent, then one bounded call. */
  #run<R>(method: 'query' | 'execute', sql: Sql, params: QueryValues | undefined, options: QueryCallOptions | undefined): Promise<R> {
    if (this.#revoked) return this.#revokedCall();
    this.check(method);
    try {
      checkSql(method, sql, params);
      checkQueryOptions(options);
    } catch (error) {
      return Promise.reject(error);
    }
    const missing = this.#notOffered(method);
    if (missing !== null) return Promise.reject(missing);
    // trace: true: the stack above query()/execute() itself, so the pool's frames do not count.
    const captured = this.#conn.captureStack === true ? captureCaller(method === 'query' ? this.query : this.execute) : null;
    return runQuery<R>(this.#conn, method, sql, params, options?.queryTimeoutMs ?? this.#owner.queryTimeoutMs, this.#end(), captured);
  }

  /**
   * @internal pool.query's call: arguments checked by the pool, the caller's stack put on a failure
   * by the pool's own async function (one async layer less than query()).
   */
  [RUN_CHECKED]<R>(method: 'query' | 'execute', sql: Sql, params: QueryValues | undefined, queryTimeoutMs: number | undefined): Promise<R> {
    const missing = this.#notOffered(method);
    if (missing !== null) return Promise.reject(missing);
    return boundedCall<R>(this.#conn, method, sql, params, queryTimeoutMs ?? this.#owner.queryTimeoutMs, this.#end());
  }

  /** A connector without send() must offer the promise form of `method`: else the error to reject with. */
  #notOffered(method: 'query' | 'execute'): PoolOptionError | null {
    return this.#conn.send || typeof this.#conn[method] === 'function' ? null : notOffered(method, `${method}() or send()`);
  }

  /** The handle's end, which its commands in flight listen to (made on the first command). */
  #end(): HandleEnd {
    return (this.#ended ??= new HandleEnd());
  }

  /** START TRANSACTION (mysql2 beginTransaction). */
  beginTransaction(): Promise<void> {
    return this.pass('beginTransaction');
  }

  /** COMMIT. */
  commit(): Promise<void> {
    return this.pass('commit');
  }

  /** ROLLBACK. */
  rollback(): Promise<void> {
    return this.pass('rollback');
  }

  /** BEGIN/COMMIT/ROLLBACK, bounded like a query: the pool's queryTimeoutMs and the handle's end. */
  private pass(what: 'beginTransaction' | 'commit' | 'rollback'): Promise<void> {
    if (this.#revoked) return this.#revokedCall();
    this.check(what);
    if (typeof this.#conn[what] !== 'function') return Promise.reject(notOffered(what, `${what}()`));
    return runCommand(this.#conn, what, this.#owner.queryTimeoutMs, this.#end());
  }

  /** A call on a handle close() took back rejects with the PoolClosedError its pending calls got. */
  #revokedCall<R>(): Promise<R> {
    return Promise.reject(this.#revokedBy);
  }

  /** Gives the connection back to the pool (nothing to do if close() already ended it). */
  recycle(): void {
    if (this.#revoked) return;
    this.check('recycle');
    this.#live = false;
    this[LEAK_WATCH]?.returned();
    this.#owner.recycleSlot(this.#slot, this.#conn);
  }

  /**
   * Takes the connection out of the pool: it is closed (never reused) and its slot is refilled with
   * a fresh connection, which may go straight to a waiter.
   */
  taint(): void {
    if (this.#revoked) return;
    this.check('taint');
    this.#live = false;
    this[LEAK_WATCH]?.returned();
    // Its socket is destroyed now: a command still in flight on it would never be answered.
    this.#ended?.end(new StaleHandleError('a command in flight when taint() was called', this.#slot));
    this.#owner.taintSlot(this.#slot, this.#conn);
  }

  /** @internal close() reached its deadline: the pool took this connection back (its socket is destroyed). */
  revoke(): void {
    this.#live = false;
    this.#revoked = true;
    this[LEAK_WATCH]?.returned(); // the pool took it back: no longer a leak
    this.#revokedBy = new PoolClosedError('connection pool is closed (close() reached its deadline and closed this borrowed connection)');
    this.#ended?.end(this.#revokedBy);
  }

  /** `await using conn = await db.get()` recycles at the end of the scope (if still borrowed). */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#live) this.recycle();
  }

  [Symbol.dispose](): void {
    if (this.#live) this.recycle();
  }

  private check(what: string): void {
    if (!this.#live) throw new StaleHandleError(what, this.#slot);
  }
}

/**
 * A custom connector whose connections lack what a call needs: a typed error naming it (the
 * connector option), raised before anything is sent; the connection itself stays usable.
 */
function notOffered(name: string, expected: string): PoolOptionError {
  return new PoolOptionError('connector', `connections without ${name}`, `connections that offer ${expected}`);
}
