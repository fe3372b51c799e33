/**
 * One borrowed connection in mysql2's PoolConnection shape (callback API), as the
 * mysql2-compatible pool hands it out. Statements run on the pool's own mysql2 connection, so
 * query options objects, named placeholders, `query(...).stream()` and prepared statements behave
 * exactly as in mysql2. Like mysql2, the same object comes back for the same physical connection
 * (Kysely keys per-connection state on it); unlike mysql2, using it after release() throws
 * StaleHandleError instead of running on a connection someone else may hold.
 *
 * release() recycles the connection into the shared pool; destroy() takes it out (the pool's
 * taint(): closed, and its unit refilled or passed to a waiter).
 */
import { EventEmitter } from 'node:events';
import type { Connection as CallbackConnection } from 'mysql2';
import { StaleHandleError } from '../../core/errors.ts';
import type { PooledConnection } from '../pooled-connection.ts';
import { type Mysql2ConnectionConfig, withoutCredentials } from './connection-config.ts';
import { SharedPromisePoolConnection } from './promise.ts';

/** What a connection tells its pool view. */
export interface ConnectionOwner {
  emit(event: 'release', connection: SharedMysql2PoolConnection): boolean;
}

/** Connection events mysql2 re-emits on a promise wrapper; forwarded only while someone listens. */
const FORWARDED = ['error', 'end', 'drain', 'enqueue'] as const;

type Args = unknown[];
type Method = 'query' | 'execute' | 'prepare' | 'unprepare' | 'beginTransaction' | 'commit' | 'rollback' | 'ping';
/** mysql2's command object: an EventEmitter with `.stream()`. */
export type Query = ReturnType<CallbackConnection['query']>;

export class SharedMysql2PoolConnection extends EventEmitter {
  readonly #owner: ConnectionOwner;
  readonly #raw: CallbackConnection;
  #handle: PooledConnection | null = null;
  /** The slot of the latest borrow (for StaleHandleError). */
  #slot = -1;
  #config: Mysql2ConnectionConfig | null = null;

  constructor(owner: ConnectionOwner, raw: CallbackConnection) {
    super();
    this.#owner = owner;
    this.#raw = raw;
    for (const event of FORWARDED) {
      raw.on(event, (...args: Args) => {
        if (this.listenerCount(event) > 0) this.emit(event, ...args);
      });
    }
  }

  /** @internal the pool view lends this connection under `handle`. */
  lend(handle: PooledConnection): this {
    this.#handle = handle;
    this.#slot = handle.slot;
    return this;
  }

  /** True while borrowed (mysql2's `_released` is its negation). */
  get borrowed(): boolean {
    return this.#handle !== null;
  }

  /** The server's id of this session (CONNECTION_ID()). */
  get threadId(): number | null {
    return this.#raw.threadId;
  }

  /** mysql2's ConnectionConfig of this connection, without credentials. */
  get config(): Mysql2ConnectionConfig {
    this.#config ??= withoutCredentials((this.#raw as unknown as { config: Mysql2ConnectionConfig }).config);
    return this.#config;
  }

  /** mysql2 Connection#query: (sql | options, values?, callback?) → the Query command (`.stream()`). */
  query(...args: Args): Query {
    return this.call('query', args) as Query;
  }

  /** mysql2 Connection#execute: a prepared statement, cached per connection by mysql2. */
  execute(...args: Args): Query {
    return this.call('execute', args) as Query;
  }

  prepare(...args: Args): unknown {
    return this.call('prepare', args);
  }

  unprepare(...args: Args): unknown {
    return this.call('unprepare', args);
  }

  beginTransaction(...args: Args): void {
    this.call('beginTransaction', args);
  }

  commit(...args: Args): void {
    this.call('commit', args);
  }

  rollback(...args: Args): void {
    this.call('rollback', args);
  }

  ping(...args: Args): void {
    this.call('ping', args);
  }

  escape(value: unknown): string {
    return this.#raw.escape(value);
  }

  escapeId(value: string | string[]): string {
    return this.#raw.escapeId(value as string);
  }

  format(sql: string, values?: unknown): string {
    return this.#raw.format(sql, values as never);
  }

  /** Gives the connection back to the shared pool. A second call does nothing (as in mysql2). */
  release(): void {
    const handle = this.#handle;
    if (handle === null) return;
    this.#handle = null;
    if (handle.live) handle.recycle();
    this.#owner.emit('release', this);
  }

  /** Closes the connection and takes it out of the pool (the pool's taint()); its unit is refilled. */
  destroy(): void {
    const handle = this.#handle;
    if (handle === null) return;
    this.#handle = null;
    if (handle.live) handle.taint();
  }

  /** mysql2 (without gracefulEnd) treats end() on a pooled connection as release(). */
  end(callback?: (error?: Error | null) => void): void {
    this.release();
    if (typeof callback === 'function') callback();
  }

  /** mysql2/promise's PoolConnection over this connection. */
  promise(promiseImpl?: PromiseConstructor): SharedPromisePoolConnection {
    return new SharedPromisePoolConnection(this, promiseImpl);
  }

  [Symbol.dispose](): void {
    this.release();
  }

  /** Runs one of mysql2's methods on the connection; throws once this connection was released. */
  private call(what: Method, args: Args): unknown {
    const handle = this.#handle;
    if (handle === null || !handle.live) throw new StaleHandleError(what, this.#slot);
    return (this.#raw[what] as (...a: Args) => unknown).apply(this.#raw, args);
  }
}
