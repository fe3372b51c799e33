/**
 * The shared pool in mysql2's Pool shape, for libraries written against mysql2 (Kysely's
 * MysqlDialect, Drizzle's mysql2 driver, Knex's `connectionPool`): getConnection(cb),
 * query/execute (callback; `.promise()` for mysql2/promise's Pool), escape/escapeId/format, end,
 * and the events mysql2's pool emits (`connection`, `acquire`, `enqueue`, `release`).
 *
 * It is a view of this thread's SharedPoolClient: every connection is borrowed from the shared
 * pool (its capacity, waiting, deadlines), so a transaction an ORM runs through getConnection() is
 * on one connection. end() closes the view only; the pool itself is closed by SharedPool.close().
 */
import { EventEmitter } from 'node:events';
import mysql from 'mysql2';
import type { Connection as CallbackConnection } from 'mysql2';
import { PoolClosedError, PoolOptionError } from '../../core/errors.ts';
import type { GetOptions } from '../types.ts';
import type { PoolConnection } from '../connector.ts';
import type { PooledConnection } from '../pooled-connection.ts';
import { type Mysql2ConnectionConfig, poolConnectionConfig } from './connection-config.ts';
import { type Query, SharedMysql2PoolConnection } from './pool-connection.ts';
import { SharedPromisePool } from './promise.ts';

/** What the view needs from its thread's client. */
export interface ConnectionSource {
  get(options?: GetOptions): Promise<PooledConnection>;
  /** Waiters parked in this thread (a get that enqueued raises it synchronously). */
  readonly waiting: number;
}

type Callback = (error: Error | null, ...results: unknown[]) => void;
type QueryCommand = Query & { onResult?: Callback; namedPlaceholders?: boolean };

// mysql2 exports createQuery (Connection.createQuery) at runtime; its typings do not declare it.
const createQuery = (mysql as unknown as { createQuery: (sql: unknown, values: unknown, cb: unknown, config: Mysql2ConnectionConfig) => QueryCommand }).createQuery;

/** mysql2's pool destroys a connection that failed with these (a read-only server after failover). */
const READ_ONLY_ERRNOS = new Set([1290, 1792, 1836]);

export class SharedMysql2Pool extends EventEmitter {
  /** mysql2's PoolConfig shape: what mysql2 helpers and ORMs read (never credentials). */
  readonly config: { readonly connectionConfig: Mysql2ConnectionConfig; readonly connectionLimit: number; readonly waitForConnections: true; readonly queueLimit: 0 };
  /** mysql2's name for "end() was called". */
  _closed = false;
  readonly #source: ConnectionSource;
  readonly #options: GetOptions | undefined;
  /** One object per physical connection, as mysql2 does (Kysely keys per-connection state on it). */
  readonly #wrappers = new WeakMap<PoolConnection, SharedMysql2PoolConnection>();
  #promise: SharedPromisePool | null = null;

  constructor(source: ConnectionSource, connectorOptions: unknown, capacity: number, options?: GetOptions) {
    super();
    this.#source = source;
    this.#options = options;
    this.config = { connectionConfig: poolConnectionConfig(connectorOptions), connectionLimit: capacity, waitForConnections: true, queueLimit: 0 };
  }

  /** Borrows a connection: `callback(error, connection)`; connection.release() gives it back. */
  getConnection(callback: (error: Error | null, connection?: SharedMysql2PoolConnection) => void): void {
    if (typeof callback !== 'function') throw new PoolOptionError('getConnection callback', callback, 'a function (error, connection)');
    if (this._closed) {
      process.nextTick(callback, new PoolClosedError('this mysql2 pool view was ended'));
      return;
    }
    const waitingBefore = this.#source.waiting;
    const got = this.#source.get(this.#options);
    if (this.#source.waiting > waitingBefore) this.emit('enqueue');
    got.then(
      (handle) => {
        let connection: SharedMysql2PoolConnection;
        try {
          connection = this.wrap(handle);
        } catch (error) {
          handle.recycle();
          process.nextTick(callback, error);
          return;
        }
        this.emit('acquire', connection);
        process.nextTick(callback, null, connection);
      },
      (error: unknown) => process.nextTick(callback, error),
    );
  }

  /** Gives a connection back (same as connection.release()). */
  releaseConnection(connection: { release(): void }): void {
    connection.release();
  }

  /**
   * mysql2 Pool#query: borrows a connection, runs the query, releases it. Returns the Query command
   * at once (so `pool.query(sql).stream()` works), with mysql2's argument forms and options objects.
   */
  query(sql: unknown, values?: unknown, callback?: Callback): Query {
    const command = createQuery(sql, values, callback, this.config.connectionConfig);
    if (command.namedPlaceholders === undefined) command.namedPlaceholders = this.config.connectionConfig.namedPlaceholders;
    const fail = (error: unknown): void => {
      if (typeof command.onResult === 'function') command.onResult(error as Error);
      else command.emit('error', error);
    };
    this.getConnection((error, connection) => {
      if (error) return fail(error);
      let failed: unknown = null;
      command.once('error', (e: unknown) => {
        failed = e;
      });
      const onResult = command.onResult;
      if (onResult) {
        command.onResult = (e, ...rest) => {
          failed = e ?? null;
          onResult(e, ...rest);
        };
      }
      try {
        (connection!.query(command) as unknown as EventEmitter).once('end', () => giveBack(connection!, failed));
      } catch (e) {
        connection!.release();
        fail(e);
      }
    });
    return command;
  }

  /** mysql2 Pool#execute: a prepared statement on a borrowed connection, released afterwards. */
  execute(sql: unknown, values?: unknown, callback?: Callback): void {
    if (typeof values === 'function') {
      callback = values as Callback;
      values = [];
    }
    if (typeof callback !== 'function') throw new PoolOptionError('execute callback', callback, 'a function (error, rows, fields); use pool.promise() for promises');
    const done = callback;
    this.getConnection((error, connection) => {
      if (error) return done(error);
      let failed: unknown = null;
      try {
        const command = connection!.execute(sql, values, (e: Error | null, ...rest: unknown[]) => {
          failed = e;
          done(e, ...rest);
        });
        (command as unknown as EventEmitter).once('end', () => giveBack(connection!, failed));
      } catch (e) {
        connection!.release();
        done(e as Error);
      }
    });
  }

  /**
   * Ends this view: later getConnection() calls fail with PoolClosedError; connections still
   * borrowed stay usable until released. The shared pool stays open (close it with SharedPool.close()).
   */
  end(callback?: (error?: Error) => void): void {
    this._closed = true;
    if (typeof callback === 'function') process.nextTick(callback);
  }

  escape(value: unknown): string {
    const c = this.config.connectionConfig;
    return mysql.escape(value as never, c.stringifyObjects, c.timezone as never);
  }

  escapeId(value: string | string[]): string {
    return mysql.escapeId(value as string, false);
  }

  format(sql: string, values?: unknown): string {
    const c = this.config.connectionConfig;
    return mysql.format(sql, values as never, c.stringifyObjects, c.timezone as never);
  }

  /** mysql2/promise's Pool over this view (one per view). */
  promise(promiseImpl?: PromiseConstructor): SharedPromisePool {
    if (promiseImpl) return new SharedPromisePool(this as never, promiseImpl);
    this.#promise ??= new SharedPromisePool(this as never);
    return this.#promise;
  }

  [Symbol.dispose](): void {
    this.end();
  }

  /** The mysql2-shaped object for a borrowed handle; 'connection' the first time a physical connection is seen. */
  private wrap(handle: PooledConnection): SharedMysql2PoolConnection {
    const conn = handle.connection;
    let wrapper = this.#wrappers.get(conn);
    if (!wrapper) {
      const raw = (conn as { raw?: CallbackConnection }).raw;
      if (typeof raw?.query !== 'function') {
        throw new PoolOptionError('connector', 'a connector without mysql2 connections', 'the mysql2 connector (asMysql2Pool() runs statements on mysql2 connections)');
      }
      wrapper = new SharedMysql2PoolConnection(this, raw);
      this.#wrappers.set(conn, wrapper);
      this.emit('connection', wrapper.lend(handle));
      return wrapper;
    }
    return wrapper.lend(handle);
  }
}

function giveBack(connection: SharedMysql2PoolConnection, error: unknown): void {
  const errno = (error as { errno?: number } | null)?.errno;
  if (errno !== undefined && READ_ONLY_ERRNOS.has(errno)) connection.destroy();
  else connection.release();
}
