/** asMysql2Pool() without a server: bad input and a connector that has no mysql2 connections. */
import { afterEach, describe, expect, it } from 'vitest';
import { createSharedPool, PoolOptionError, type SharedPool } from '../../src/index.ts';
import { fakeConnector } from '../support/fake-connector.ts';

let pool: SharedPool | null = null;
afterEach(async () => {
  await pool?.close({ timeoutMs: 3000 }).catch(() => {});
  pool = null;
});

describe('asMysql2Pool() input checks', () => {
  it('getConnection without a callback throws PoolOptionError and borrows nothing', async () => {
    const { connector } = fakeConnector();
    pool = await createSharedPool({ connector, capacity: 1 });
    const view = pool.client.asMysql2Pool();
    expect(() => view.getConnection(undefined as never)).toThrow(PoolOptionError);
    expect(() => view.execute('select 1')).toThrow(/execute callback/);
    expect(pool.stats()).toMatchObject({ Get: 0, InUse: 0 });
  });

  it('a connector without mysql2 connections: getConnection fails with PoolOptionError and the connection goes back', async () => {
    const { connector } = fakeConnector();
    pool = await createSharedPool({ connector, capacity: 1 });
    const error = await new Promise<unknown>((resolve) => pool!.client.asMysql2Pool().getConnection((e) => resolve(e)));
    expect(error).toBeInstanceOf(PoolOptionError);
    expect((error as Error).message).toMatch(/mysql2 connector/);
    expect(pool.stats()).toMatchObject({ Get: 1, InUse: 0 });
    expect(pool.verify()).toEqual([]);
  });
});
