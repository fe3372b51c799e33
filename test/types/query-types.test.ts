/**
 * The public types read like mysql2/promise's: `const [rows] = await db.query(...)` compiles, rows
 * take the caller's row type, writes give a ResultSetHeader, and function-valued options do not
 * type-check in `connection`. `npm run typecheck` checks this file; vitest runs the assertions.
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { Connection as PromiseConnection } from 'mysql2/promise';
import type {
  FieldPacket, PooledConnection, ResultSetHeader, RowDataPacket, SharedConnectionOptions, SharedPool, SharedPoolClient,
  SharedPoolOptions,
} from '../../src/index.ts';

interface User extends RowDataPacket {
  id: number;
  name: string;
}

describe('query types', () => {
  it('query/execute resolve to [T, FieldPacket[]] on the pool, a client and a connection', () => {
    expectTypeOf<SharedPool['query']>().returns.resolves.toEqualTypeOf<[import('mysql2').QueryResult, FieldPacket[]]>();
    // Type-level only: never called.
    const typed = async (client: SharedPoolClient, conn: PooledConnection): Promise<void> => {
      expectTypeOf(client.query<User[]>('SELECT id, name FROM users')).resolves.toEqualTypeOf<[User[], FieldPacket[]]>();
      expectTypeOf(client.execute<ResultSetHeader>('UPDATE t SET v = ?', [1])).resolves.toEqualTypeOf<[ResultSetHeader, FieldPacket[]]>();
      expectTypeOf(conn.query<User[]>({ sql: 'SELECT 1', rowsAsArray: false })).resolves.toEqualTypeOf<[User[], FieldPacket[]]>();
      expectTypeOf(conn.mysql2).toEqualTypeOf<PromiseConnection>();
      const [rows] = await client.query<User[]>('SELECT id, name FROM users WHERE id = ?', [1]);
      expectTypeOf(rows[0].name).toEqualTypeOf<string>();
    };
    expectTypeOf(typed).toBeFunction();
  });

  it('connection options are mysql2 ConnectionOptions without the function-valued ones', () => {
    expectTypeOf<SharedPoolOptions['connection']>().toEqualTypeOf<SharedConnectionOptions | string | undefined>();
    expectTypeOf<{ host: string; enableKeepAlive: true; ssl: { ca: string } }>().toExtend<SharedConnectionOptions>();
    expectTypeOf<SharedConnectionOptions>().not.toHaveProperty('typeCast');
    expectTypeOf<SharedConnectionOptions>().not.toHaveProperty('queryFormat');
    expectTypeOf<SharedConnectionOptions>().not.toHaveProperty('authPlugins');
    expectTypeOf<SharedConnectionOptions>().not.toHaveProperty('connectionLimit');
  });
});
