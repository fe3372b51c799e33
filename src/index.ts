/**
 * shared-mysql-pool: one MySQL connection pool shared by every worker thread of a process.
 * Main thread: createSharedPool(). Workers: attachSharedPool(pool.handle).
 */
export { createSharedPool, SharedPool } from './host/shared-pool.ts';
export type { SharedPoolOptions } from './host/options.ts';
export { attachSharedPool } from './workers/attach.ts';
export { SharedPoolClient, type Mysql2CompatiblePool } from './workers/pool-client.ts';
export { PooledConnection } from './workers/pooled-connection.ts';
export { Setting } from './workers/setting.ts';
export type { GetOptions, PoolHandle } from './workers/types.ts';
export type { Sql, QueryCallOptions } from './workers/query-timeout.ts';
export type { PoolConnection, ConnectorModule, ConnectorSpec } from './workers/connector.ts';
export type { PoolStats } from './core/stats-snapshot.ts';
export type {
  SharedConnectionOptions, FunctionValuedOption, QueryResultTuple, ConnectionOptions, FieldPacket, QueryOptions,
  QueryResult, QueryValues, ResultSetHeader, RowDataPacket,
} from './workers/mysql2-types.ts';
export {
  PoolError, PoolClosedError, PoolTimeoutError, PoolContextExpiredError, PoolWaiterCapError,
  type UnitHolder, PoolDrainTimeoutError, PoolOptionError, StaleHandleError, LayoutMismatchError, PoolLimitError,
  UnknownThreadError, QueryTimeoutError, PoolInvariantError, type PoolErrorCode,
} from './core/errors.ts';
