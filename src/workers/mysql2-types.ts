/**
 * The mysql2 types the pool's API is written in: query()/execute() resolve like mysql2/promise's
 * (`[rows | ResultSetHeader, FieldPacket[]]`), and the `connection` option is mysql2's
 * ConnectionOptions minus what cannot be copied to other threads or means nothing for one
 * connection.
 */
import type { ConnectionOptions, FieldPacket, QueryResult } from 'mysql2';

export type {
  ConnectionOptions, FieldPacket, QueryOptions, QueryResult, QueryValues, ResultSetHeader, RowDataPacket,
} from 'mysql2';

/**
 * mysql2 options whose values are functions (or objects of functions). They cannot travel to other
 * threads; createSharedPool rejects them (PoolOptionError naming the option). Wrap the mysql2
 * connector to set them in every thread.
 */
export type FunctionValuedOption =
  | 'typeCast' | 'queryFormat' | 'authPlugins' | 'authSwitchHandler' | 'infileStreamFactory' | 'stream' | 'Promise';

/** mysql2 pool options: the shared pool has its own (capacity, maxIdle, idleTimeoutMs, ...). */
export type Mysql2PoolSizingOption = 'connectionLimit' | 'queueLimit' | 'waitForConnections' | 'maxIdle' | 'idleTimeout' | 'pool';

/** mysql2 ConnectionOptions that can be copied to every thread. */
export type SharedConnectionOptions = Omit<ConnectionOptions, FunctionValuedOption | Mysql2PoolSizingOption>;

/** What query() and execute() resolve to, as in mysql2/promise. */
export type QueryResultTuple<T extends QueryResult> = [T, FieldPacket[]];
