/**
 * The query path of the mysql2 connector (src/workers/mysql2-call.ts) against the real server:
 * no stack captured for a query that succeeds, the caller's async functions in the stack of one
 * that fails (error fields kept), mysql2's own capture with `trace: true`, none with
 * `trace: false`; the promises a query makes (no async layers beyond mysql2's own callback); and
 * the prepared-statement cache bound (256 unless the caller sets one).
 */
import { createHook } from 'node:async_hooks';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSharedPool, type PooledConnection, type SharedPool } from '../../src/index.ts';
import { DEFAULT_MAX_PREPARED_STATEMENTS, type Mysql2PoolConnection } from '../../src/workers/mysql2-connector.ts';
import { type MysqlEnv, mysqlSkip, setupMysql, endTestPool } from '../support/mysql.ts';

const skip = await mysqlSkip();

let env: MysqlEnv;
let pool: SharedPool | null = null;

async function open(connection: Record<string, unknown> = {}, options: Record<string, unknown> = {}): Promise<SharedPool> {
  pool = await createSharedPool({ capacity: 1, connection: env.connection(connection), ...options });
  return pool;
}

function raw(conn: PooledConnection): Mysql2PoolConnection {
  return conn.connection as Mysql2PoolConnection;
}

/** Counts Error.captureStackTrace calls while `run` runs. */
async function captures(run: () => Promise<unknown>): Promise<number> {
  const spy = vi.spyOn(Error, 'captureStackTrace');
  try {
    await run();
    return spy.mock.calls.length;
  } finally {
    spy.mockRestore();
  }
}

/**
 * Promises created per call of `run` (the awaiting loop's own included): the least over 10 batches
 * of `n` sequential calls, so a promise of something else running meanwhile (a timer's, the test
 * runner's) does not count.
 */
async function promisesPerCall(n: number, run: () => Promise<unknown>): Promise<number> {
  let count = 0;
  let least = Number.POSITIVE_INFINITY;
  const hook = createHook({ init(_id, type) { if (type === 'PROMISE') count++; } });
  hook.enable();
  try {
    for (let batch = 0; batch < 10; batch++) {
      count = 0;
      for (let i = 0; i < n; i++) await run();
      least = Math.min(least, count / n);
    }
  } finally {
    hook.disable();
  }
  return least;
}

// Named async functions: the stack of a failed query must lead back to them.
async function handlerUsingPoolQuery(p: SharedPool): Promise<unknown> {
  return await p.query('SELECT * FROM no_such_table_here');
}

async function handlerQueryingConnection(conn: PooledConnection): Promise<unknown> {
  return await conn.query('SELECT * FROM no_such_table_here');
}

async function handlerCommitting(conn: PooledConnection): Promise<unknown> {
  return await conn.commit();
}

async function handlerUsingConnection(conn: PooledConnection): Promise<unknown> {
  return await conn.execute('SELECT * FROM no_such_table_here WHERE id = ?', [1]);
}

async function failure(run: () => Promise<unknown>): Promise<Error & { code?: string; errno?: number }> {
  try {
    await run();
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a failure');
}

describe.skipIf(skip)('mysql2 connector: the query path', () => {
  beforeAll(async () => {
    env = await setupMysql();
  });

  afterAll(async () => {
    await env?.close();
  });

  afterEach(async () => {
    if (pool) {
      const p = pool;
      pool = null;
      await endTestPool(p, 2000);
    }
    expect(await env.untilSessions(0, 3000)).toBe(0);
  });

  it('a query that succeeds captures no stack (mysql2 would capture one per query)', async () => {
    await open();
    const conn = await pool!.get();
    await conn.query('SELECT 1'); // connection warm
    expect(await captures(async () => {
      for (let i = 0; i < 20; i++) {
        await conn.query('SELECT ?', [i]);
        await conn.execute('SELECT ?', [i]);
      }
    })).toBe(0);
    conn.recycle();
    expect(await captures(() => pool!.query('SELECT 1'))).toBe(0);
  });

  it("transactions and pings through the handle capture no stack either; the pool's own commands (session tracking, settings, resets, rollbacks, validation pings) none ever", async () => {
    await open({}, { aliveBypassWindowMs: 0, resetOnRecycle: 'always' });
    const conn = await pool!.get();
    await conn.query('SELECT 1');
    expect(await captures(async () => {
      for (let i = 0; i < 5; i++) {
        await conn.beginTransaction();
        await conn.query('SELECT ?', [i]);
        await conn.commit();
        await conn.beginTransaction();
        await conn.rollback();
        await raw(conn).ping();
      }
    })).toBe(0);
    conn.recycle();
    const setting = pool!.setting('SET SESSION sql_mode = ANSI', 'SET SESSION sql_mode = DEFAULT');
    expect(await captures(async () => {
      for (let i = 0; i < 3; i++) {
        // Each get pings first (window 0); each return resets (always) and re-arms tracking.
        const c = await pool!.get({ setting: i % 2 === 0 ? setting : undefined });
        await c.query('SELECT 1');
        if (i === 1) await c.beginTransaction(); // returned inside it: rolled back by the pool
        c.recycle();
        await pool!.settled();
      }
    })).toBe(0);
  });

  it("a failed commit's stack names the caller (no capture before it)", async () => {
    await open();
    const conn = await pool!.get();
    await conn.beginTransaction();
    raw(conn).raw.destroy();
    const error = await failure(() => handlerCommitting(conn));
    expect(error.stack).toContain('handlerCommitting');
    conn.taint();
  });

  it('a query makes a handful of promises, not a chain: conn.query 4, pool.query 4 (the loop await included; before: 9 and 13)', async () => {
    await open();
    await pool!.query('SELECT 1'); // dialled and warm
    const conn = await pool!.get();
    // The mysql2 connector's send(): no promise of the query itself; runQuery awaits one promise.
    expect(await promisesPerCall(10, () => conn.query('SELECT 1'))).toBeLessThanOrEqual(4);
    expect(await promisesPerCall(10, () => conn.execute('SELECT 1'))).toBeLessThanOrEqual(4);
    conn.recycle();
    expect(await promisesPerCall(10, () => pool!.query('SELECT 1'))).toBeLessThanOrEqual(4);
  });

  it("a failed query's stack names the caller's async functions; the error keeps its fields", async () => {
    await open();
    const viaPool = await failure(() => handlerUsingPoolQuery(pool!));
    expect(viaPool).toMatchObject({ code: 'ER_NO_SUCH_TABLE', errno: 1146 });
    expect(viaPool.stack).toMatch(/^Error: .*no_such_table_here/);
    expect(viaPool.stack).toContain('handlerUsingPoolQuery');
    expect(viaPool.stack).not.toContain('mysql2/lib');

    const conn = await pool!.get();
    const viaConnection = await failure(() => handlerUsingConnection(conn));
    expect(viaConnection.code).toBe('ER_NO_SUCH_TABLE');
    expect(viaConnection.stack).toContain('handlerUsingConnection');
    conn.recycle();
  });

  it("trace: true keeps mysql2's capture before every command; trace: false leaves its errors as they are", async () => {
    await open({ trace: true });
    expect(await captures(() => pool!.query('SELECT 1'))).toBeGreaterThanOrEqual(1);
    expect((await failure(() => handlerUsingPoolQuery(pool!))).stack).toContain('handlerUsingPoolQuery');
    // Captured at the handle's own query()/execute(): the pool's frames between it and mysql2 must
    // not push the caller past Error.stackTraceLimit (10), as a capture inside mysql2 would.
    const conn = await pool!.get();
    expect(await captures(() => conn.query('SELECT 1'))).toBeGreaterThanOrEqual(1);
    const viaConnection = await failure(() => handlerUsingConnection(conn));
    expect(viaConnection.code).toBe('ER_NO_SUCH_TABLE');
    expect(viaConnection.stack).toContain('handlerUsingConnection');
    expect(viaConnection.stack).not.toContain('mysql2-call');
    expect((await failure(() => handlerQueryingConnection(conn))).stack).toContain('handlerQueryingConnection');
    conn.recycle();
    await pool!.close();
    pool = null;

    await open({ trace: false });
    expect(await captures(() => pool!.query('SELECT 1'))).toBe(0);
    const plain = await failure(() => handlerUsingPoolQuery(pool!));
    expect(plain.code).toBe('ER_NO_SUCH_TABLE');
    expect(plain.stack).not.toContain('handlerUsingPoolQuery');
  });

  it('the prepared-statement cache holds 256 statements unless maxPreparedStatements is given', async () => {
    await open();
    let conn = await pool!.get();
    const config = (c: PooledConnection): { maxPreparedStatements: number } => (raw(c).raw as unknown as { config: { maxPreparedStatements: number } }).config;
    expect(config(conn).maxPreparedStatements).toBe(DEFAULT_MAX_PREPARED_STATEMENTS);
    expect(DEFAULT_MAX_PREPARED_STATEMENTS).toBe(256);
    conn.recycle();
    await pool!.close();
    pool = null;

    await open({ maxPreparedStatements: 1000 });
    conn = await pool!.get();
    expect(config(conn).maxPreparedStatements).toBe(1000);
    conn.recycle();
  });
});
