/**
 * The pool as a caller in one thread uses it: get / query / setting / stats. One client per thread
 * and pool; attachSharedPool() returns it.
 */
import { snapshotStats, type PoolStats } from '../core/stats-snapshot.ts';
import type { Pool as Mysql2Pool } from 'mysql2';
import { type ThreadAgent } from './agent.ts';
import { PooledConnection, RUN_CHECKED } from './pooled-connection.ts';
import { type GetOptions } from './types.ts';
import { type Setting } from './setting.ts';
import { type QueryCallOptions, type Sql, stackForCaller } from './query-timeout.ts';
import { checkGetOptions, checkQueryOptions, checkSql, checkWork, getOptionsOf } from './arguments.ts';
import type { QueryResult, QueryResultTuple, QueryValues } from './mysql2-types.ts';
import { SharedMysql2Pool } from './mysql2-pool/pool.ts';
import { dialOptions } from './connector.ts';
import { captureCaller } from './caller-stack.ts';

/**
 * What asMysql2Pool() returns, typed as mysql2's Pool. The extra end() overload is the same method
 * (it calls back with no error, as mysql2's does) in the form Knex's `connectionPool` typing asks for.
 */
export type Mysql2CompatiblePool = Mysql2Pool & { end(callback?: (error?: Error) => void): void };

export class SharedPoolClient {
  readonly #agent: ThreadAgent;
  #mysql2Pool: SharedMysql2Pool | null = null;
  readonly #onDetach: () => void;

  /** @internal attachSharedPool() makes it; `onDetach` forgets this thread's attachment. */
  constructor(agent: ThreadAgent, onDetach: () => void) {
    this.#agent = agent;
    this.#onDetach = onDetach;
  }

  /** This thread's index in the pool's thread registry. */
  get threadIndex(): number {
    return this.#agent.index;
  }

  /** Interned setting: the same SQL text is the same setting in every thread. */
  setting(applySql: string, resetSql: string | null = null): Setting {
    return this.#agent.setting(applySql, resetSql);
  }

  /** Borrows a connection; recycle() or taint() it when done (or `await using`). */
  get(options?: GetOptions): Promise<PooledConnection> {
    return this.#agent.get(options);
  }

  /**
   * get + query + recycle; resolves like mysql2/promise's query(): `[rows, fields]` for a SELECT
   * (`T` = e.g. `(RowDataPacket & { id: number })[]`), `[ResultSetHeader, undefined]` otherwise.
   * A connection that failed fatally (a QueryTimeoutError included) is tainted instead of recycled.
   * `sql`: SQL text or mysql2's query-options object; `options`: the get's options plus
   * queryTimeoutMs (see PooledConnection.query). Bad arguments reject with PoolOptionError before
   * anything is borrowed.
   */
  query<T extends QueryResult>(sql: Sql, params?: QueryValues, options?: GetOptions & QueryCallOptions): Promise<QueryResultTuple<T>> {
    return this.#run<T>('query', sql, params, options);
  }

  /** get + execute (a prepared statement, cached per connection by mysql2) + recycle; arguments as for query(). */
  execute<T extends QueryResult>(sql: Sql, params?: QueryValues, options?: GetOptions & QueryCallOptions): Promise<QueryResultTuple<T>> {
    return this.#run<T>('execute', sql, params, options);
  }

  /** query() and execute(): arguments checked before anything is borrowed, then get + call + recycle. */
  #run<T extends QueryResult>(method: 'query' | 'execute', sql: Sql, params: QueryValues | undefined, options: (GetOptions & QueryCallOptions) | undefined): Promise<QueryResultTuple<T>> {
    try {
      checkSql(method, sql, params);
      checkQueryOptions(options);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#borrowAndRun<QueryResultTuple<T>>(method, sql, params, options);
  }

  /** get + one checked call + recycle, as withConnection() does it, without its closure or checks. */
  async #borrowAndRun<R>(method: 'query' | 'execute', sql: Sql, params: QueryValues | undefined, options: (GetOptions & QueryCallOptions) | undefined): Promise<R> {
    const got = this.#agent.getNow(getOptionsOf(options));
    // An idle connection comes back as the handle itself: no await, no microtask turn.
    const conn = got instanceof PooledConnection ? got : await got;
    const raw = conn.connection;
    // trace: true: the stack above this call (or, after a wait, the async one), as mysql2's pool
    // captures it after its getConnection.
    const captured = raw.captureStack === true ? captureCaller(this.#borrowAndRun) : null;
    try {
      const result = await conn[RUN_CHECKED]<R>(method, sql, params, options?.queryTimeoutMs);
      if (conn.live) conn.recycle();
      return result;
    } catch (error) {
      stackForCaller(raw, error, captured, this.#borrowAndRun);
      if (conn.live) await giveBackAfterError(conn, error);
      throw error;
    }
  }

  /**
   * Borrows a connection for `work` and gives it back afterwards: recycled on success or on an
   * ordinary error, tainted when the error was fatal or left the connection closed. When `work`
   * throws inside a transaction, the transaction is rolled back before the error reaches the caller.
   * Throws PoolOptionError for bad options or a `work` that is not a function.
   */
  async withConnection<T>(options: GetOptions | undefined, work: (conn: PooledConnection) => Promise<T>): Promise<T> {
    checkGetOptions(options);
    checkWork(work);
    const conn = await this.#agent.get(options);
    try {
      const result = await work(conn);
      if (conn.live) conn.recycle();
      return result;
    } catch (error) {
      if (conn.live) await giveBackAfterError(conn, error);
      throw error;
    }
  }

  /**
   * This thread's view of the pool in mysql2's Pool shape (callback API; `.promise()` gives
   * mysql2/promise's Pool), for Kysely's MysqlDialect, Drizzle's mysql2 driver, Knex's
   * `connectionPool` and other code written against mysql2. Connections are borrowed from the shared
   * pool with `options` (default: the pool's getTimeoutMs, no setting); release() recycles,
   * destroy() taints. Needs the mysql2 connector. Without options, the same view on every call.
   * Its end() ends the view, not the pool.
   */
  asMysql2Pool(options?: GetOptions): Mysql2CompatiblePool {
    if (options !== undefined) {
      checkGetOptions(options);
      return this.newMysql2Pool(options) as unknown as Mysql2CompatiblePool;
    }
    this.#mysql2Pool ??= this.newMysql2Pool(undefined);
    return this.#mysql2Pool as unknown as Mysql2CompatiblePool;
  }

  private newMysql2Pool(options: GetOptions | undefined): SharedMysql2Pool {
    const agent = this.#agent;
    // The connection options as this thread dials with them (unsealed); the view keeps only format options.
    return new SharedMysql2Pool(agent, dialOptions(agent.config.connector), agent.core.memory.layout.maxCapacity, options);
  }

  stats(): PoolStats {
    return snapshotStats(this.#agent.core);
  }

  /** Waiters parked in this thread. */
  get waiting(): number {
    return this.#agent.waiting;
  }

  /** Resolves when this thread's background reopens, refills and closes have finished. */
  settled(): Promise<void> {
    return this.#agent.settled();
  }

  /** Leaves the pool: idle connections closed, units released, waiters rejected. */
  detach(): void {
    this.#agent.detach();
    this.#onDetach();
  }

  /** @internal the agent (host and tests). */
  get agent(): ThreadAgent {
    return this.#agent;
  }
}

/** After `work` failed: tainted when the error was fatal or left the connection closed, else rolled back (if in a transaction) and recycled. */
async function giveBackAfterError(conn: PooledConnection, error: unknown): Promise<void> {
  if (isFatal(error) || conn.connection.isClosed()) conn.taint();
  else await rollbackThenRecycle(conn);
}

/** The recycle guard would roll back too; doing it here means the caller's error comes after it. */
async function rollbackThenRecycle(conn: PooledConnection): Promise<void> {
  const raw = conn.connection;
  if (raw.inTransaction?.() === true && raw.rollback) {
    try {
      await conn.rollback();
    } catch {
      if (conn.live) conn.taint();
      return;
    }
  }
  if (conn.live) conn.recycle();
}

function isFatal(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { fatal?: unknown }).fatal === true;
}
