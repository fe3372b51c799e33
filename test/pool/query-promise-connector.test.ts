/**
 * The query path with a connector that offers only promise-returning query() (no send(), as a
 * custom connector may): results, errors and bounds are those of the mysql2 connector's callback
 * path (test/mysql/query-path.test.ts, test/mysql/hang-free.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSharedPool, PoolOptionError, QueryTimeoutError, type SharedPool, StaleHandleError } from '../../src/index.ts';
import { FAKE_FIELD, FAKE_SQL, fakeConnector, until } from '../support/fake-connector.ts';

let pool: SharedPool | null = null;
afterEach(async () => {
  await pool?.close({ timeoutMs: 2000 }).catch(() => {});
  pool = null;
});

async function queryingHandler(p: SharedPool): Promise<unknown> {
  return await p.query(FAKE_SQL.HANG);
}

describe('query through a promise-only connector', () => {
  it('resolves with what query() resolved with; the connection goes back', async () => {
    const { control, connector } = fakeConnector();
    pool = await createSharedPool({ connector, capacity: 1 });
    const [rows] = await pool.query<never>('SELECT 1');
    expect(rows).toEqual([{ id: 1, sql: 'SELECT 1', setting: null }]);
    expect(control.get(FAKE_FIELD.QUERIES)).toBe(1);
    expect(pool.stats().InUse).toBe(0);
    expect(pool.verify()).toEqual([]);
  });

  it('a rejection reaches the caller as it is (same object); the connection is recycled, not closed', async () => {
    const { control, connector } = fakeConnector();
    pool = await createSharedPool({ connector, capacity: 1 });
    const error = await pool.query(FAKE_SQL.REJECT).catch((e: unknown) => e);
    expect(error).toMatchObject({ message: 'fake query failed', code: 'ER_FAKE' });
    expect(pool.stats().InUse).toBe(0);
    expect(control.closed).toBe(0);
    const conn = await pool.get();
    await expect(conn.query(FAKE_SQL.REJECT)).rejects.toMatchObject({ code: 'ER_FAKE' });
    conn.recycle();
    expect(control.opened).toBe(1);
  });

  it('a query() that throws synchronously rejects (never throws); the connection is recycled', async () => {
    const { control, connector } = fakeConnector();
    pool = await createSharedPool({ connector, capacity: 1, queryTimeoutMs: 60_000 });
    const pending = pool.query(FAKE_SQL.THROW);
    expect(pending).toBeInstanceOf(Promise);
    await expect(pending).rejects.toThrow(TypeError);
    expect(pool.stats().InUse).toBe(0);
    expect(control.closed).toBe(0);
  });

  it('taint() while a command is in flight on the handle: the command rejects (StaleHandleError) instead of waiting forever', async () => {
    const { control, connector } = fakeConnector();
    pool = await createSharedPool({ connector, capacity: 1 });
    const conn = await pool.get();
    const pending = conn.query(FAKE_SQL.HANG).catch((e: unknown) => e);
    conn.taint();
    expect(await pending).toBeInstanceOf(StaleHandleError);
    expect(control.closed).toBe(1);
    await pool.settled();
    expect(pool.stats().InUse).toBe(0);
    expect(pool.verify()).toEqual([]);
  });

  it('a query never answered rejects with QueryTimeoutError at queryTimeoutMs; its connection is closed and the unit refilled', async () => {
    const { control, connector } = fakeConnector();
    pool = await createSharedPool({ connector, capacity: 1, queryTimeoutMs: 30 });
    const error = await queryingHandler(pool).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueryTimeoutError);
    // The pool's own error names the caller with any connector (it is made in a timer callback).
    expect((error as Error).stack).toContain('queryingHandler');
    expect(control.closed).toBe(1);
    await until(() => pool!.stats().Active === 1 && control.opened === 2, 5000, 'the unit refilled');
    const [rows] = await pool.query<never>('SELECT 2');
    expect(rows).toEqual([{ id: 2, sql: 'SELECT 2', setting: null }]);
    expect(pool.verify()).toEqual([]);
  });

  it('a connector whose connections lack query()/execute()/transactions: a typed error naming the command, nothing sent, the connection back', async () => {
    const { control, connector } = fakeConnector(['query', 'execute', 'beginTransaction', 'commit', 'rollback']);
    pool = await createSharedPool({ connector, capacity: 1 });
    const viaPool = await pool.query('SELECT 1').catch((e: unknown) => e);
    expect(viaPool).toBeInstanceOf(PoolOptionError);
    expect((viaPool as Error).message).toMatch(/connector.*without query.*query\(\) or send\(\)/);
    expect(pool.stats().InUse).toBe(0);
    const conn = await pool.get();
    await expect(conn.execute('SELECT 1')).rejects.toThrow(/without execute/);
    await expect(conn.beginTransaction()).rejects.toThrow(/without beginTransaction/);
    await expect(conn.commit()).rejects.toBeInstanceOf(PoolOptionError);
    expect(() => conn.mysql2).toThrow(PoolOptionError);
    conn.recycle();
    expect(control.get(FAKE_FIELD.QUERIES)).toBe(0);
    expect(control.closed).toBe(0);
    expect(pool.verify()).toEqual([]);
  });
});
