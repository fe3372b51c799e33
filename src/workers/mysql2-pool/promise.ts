/**
 * `.promise()` of the mysql2-compatible pool and its connections: mysql2/promise's own PromisePool
 * and PromisePoolConnection classes (so query/execute resolve to `[rows, fields]` and reject
 * exactly as mysql2's do), with the helpers mysql2 implements by reaching into its own connection
 * internals (escape, escapeId, format, unprepare) sent to our objects instead.
 */
import type { EventEmitter } from 'node:events';
import mysqlPromise from 'mysql2/promise';
import type { Pool as PromisePoolType, PoolConnection as PromisePoolConnectionType } from 'mysql2/promise';

interface Formatting {
  escape(value: unknown): string;
  escapeId(value: string | string[]): string;
  format(sql: string, values?: unknown): string;
}

/** The callback-API objects the promise wrappers sit on. */
interface CoreConnection extends Formatting, EventEmitter {
  unprepare(sql: unknown): unknown;
}
interface CorePool extends Formatting, EventEmitter {
  getConnection(callback: (error: Error | null, connection?: CoreConnection) => void): void;
}

// mysql2/promise exports both classes at runtime; its typings declare them only as interfaces.
const runtime = mysqlPromise as unknown as {
  PromisePool: new (pool: CorePool, promiseImpl?: PromiseConstructor) => PromisePoolType;
  PromisePoolConnection: new (connection: CoreConnection, promiseImpl?: PromiseConstructor) => PromisePoolConnectionType;
};

export class SharedPromisePoolConnection extends runtime.PromisePoolConnection {
  declare connection: PromisePoolConnectionType['connection'];

  constructor(connection: CoreConnection, promiseImpl?: PromiseConstructor) {
    super(connection, promiseImpl);
  }

  private get core(): CoreConnection {
    return this.connection as unknown as CoreConnection;
  }

  override escape(value: unknown): string {
    return this.core.escape(value);
  }

  override escapeId(value: string | string[]): string {
    return this.core.escapeId(value);
  }

  override format(sql: string, values?: unknown): string {
    return this.core.format(sql, values);
  }

  override unprepare(sql: unknown): void {
    this.core.unprepare(sql);
  }
}

export class SharedPromisePool extends runtime.PromisePool {
  readonly #core: CorePool;
  readonly #promiseImpl: PromiseConstructor;

  constructor(pool: CorePool, promiseImpl: PromiseConstructor = Promise) {
    super(pool, promiseImpl);
    this.#core = pool;
    this.#promiseImpl = promiseImpl;
  }

  /** A connection in mysql2/promise's PoolConnection shape; release() it when done. */
  override getConnection(): Promise<SharedPromisePoolConnection> {
    return new this.#promiseImpl((resolve, reject) => {
      this.#core.getConnection((error, connection) => {
        if (error) reject(error);
        else resolve(new SharedPromisePoolConnection(connection!, this.#promiseImpl));
      });
    });
  }

  override escape(value: unknown): string {
    return this.#core.escape(value);
  }

  override escapeId(value: string | string[]): string {
    return this.#core.escapeId(value);
  }

  override format(sql: string, values?: unknown): string {
    return this.#core.format(sql, values);
  }
}
