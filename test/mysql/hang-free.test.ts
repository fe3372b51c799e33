/**
 * Nothing hangs forever (issue 9 §3), against test/support/fault-server.ts, whose hangOn rule
 * plays a proxy that stops forwarding (the socket stays open, no answer ever comes):
 *   - queryTimeoutMs (pool option, per call, or mysql2's `timeout` in a query-options object):
 *     QueryTimeoutError, the connection destroyed, its unit refilled;
 *     a timeout ends the handle, so the other commands in flight on it and later ones reject too;
 *     BEGIN/COMMIT/ROLLBACK through a handle are bounded the same way;
 *   - close() at its deadline destroys borrowed connections (their holders get PoolClosedError,
 *     for pending and later calls alike, queries and transaction commands; the units come back),
 *     in this thread and in workers, then rejects with the drain timeout.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSharedPool, PoolClosedError, PoolDrainTimeoutError, QueryTimeoutError, type SharedPool } from '../../src/index.ts';
import { type FaultServer, startFaultServer } from '../support/fault-server.ts';
import { type MysqlThread, newId, startMysqlThread } from '../support/mysql-thread.ts';
import { scaled } from '../support/time-scale.ts';

let pool: SharedPool | null = null;
let server: FaultServer | null = null;
const threads: MysqlThread[] = [];

afterEach(async () => {
  await pool?.close({ timeoutMs: 1000 }).catch(() => {});
  await Promise.all(threads.splice(0).map((t) => t.worker.terminate()));
  await server?.close();
  pool = null;
  server = null;
});

const SLEEP = /SLEEP/;

describe('queryTimeoutMs', () => {
  it('the pool option: a query that never gets an answer rejects with QueryTimeoutError; its connection is destroyed and the unit refilled', async () => {
    server = await startFaultServer();
    server.hangOn(SLEEP);
    pool = await createSharedPool({ connection: server.options(), capacity: 1, queryTimeoutMs: 200 });
    const started = performance.now();
    const error = await pool.query('SELECT SLEEP(5)').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueryTimeoutError);
    expect(error).toMatchObject({ code: 'POOL_QUERY_TIMEOUT', timeoutMs: 200 });
    expect(performance.now() - started).toBeLessThan(scaled(5000));
    // The unit is refilled: the next query is served by a fresh connection.
    await pool.settled();
    expect(await pool.query('SELECT 1 AS one')).toBeTruthy();
    await server.until(() => server!.open === 1, 2000, 'the timed-out socket to be destroyed');
    expect(pool.verify()).toEqual([]);
  });

  it('per call: query(sql, params, { queryTimeoutMs }) and a mysql2 query-options object with timeout, on connections too', async () => {
    server = await startFaultServer();
    server.hangOn(SLEEP);
    pool = await createSharedPool({ connection: server.options(), capacity: 1 });
    await expect(pool.query('SELECT SLEEP(5)', [], { queryTimeoutMs: 150 })).rejects.toBeInstanceOf(QueryTimeoutError);
    await pool.settled();
    await expect(pool.query({ sql: 'SELECT SLEEP(5)', timeout: 150 })).rejects.toMatchObject({ code: 'POOL_QUERY_TIMEOUT', timeoutMs: 150 });
    await pool.settled();
    const conn = await pool.get();
    await expect(conn.execute({ sql: 'SELECT SLEEP(?)', timeout: 150 }, [5])).rejects.toBeInstanceOf(QueryTimeoutError);
    conn.recycle(); // its connection is closed: the unit is refilled
    await pool.settled();
    expect(await pool.query({ sql: 'SELECT 1 AS one', rowsAsArray: true })).toBeTruthy();
    expect(pool.verify()).toEqual([]);
  });
  it('a timeout ends the handle: another command in flight on it rejects too (never hangs), and so does every later one', async () => {
    server = await startFaultServer();
    server.hangOn(SLEEP);
    pool = await createSharedPool({ connection: server.options(), capacity: 1 });
    const conn = await pool.get();
    // No timeout of its own: before, it waited forever once the other query's timeout destroyed
    // the socket (mysql2 never answers the commands of a connection destroyed on purpose).
    const slow = conn.query('SELECT SLEEP(5)').catch((e: unknown) => e);
    const timed = conn.query('SELECT 1 AS queued', [], { queryTimeoutMs: 150 }).catch((e: unknown) => e);
    expect(await timed).toMatchObject({ code: 'POOL_QUERY_TIMEOUT', timeoutMs: 150 });
    const sibling = await slow;
    expect(sibling).toBeInstanceOf(QueryTimeoutError);
    expect((sibling as Error).message).toMatch(/another command on this connection timed out after 150 ms/);
    await expect(conn.query('SELECT 1')).rejects.toBeInstanceOf(QueryTimeoutError);
    await expect(conn.beginTransaction()).rejects.toBeInstanceOf(QueryTimeoutError);
    conn.recycle(); // its connection is closed: the unit is refilled
    await pool.settled();
    expect(await pool.query('SELECT 1 AS one')).toBeTruthy();
    expect(pool.verify()).toEqual([]);
  });

  it('BEGIN / COMMIT / ROLLBACK through a handle are bounded by queryTimeoutMs like queries', async () => {
    server = await startFaultServer();
    server.hangOn(/^COMMIT/i);
    pool = await createSharedPool({ connection: server.options(), capacity: 1, queryTimeoutMs: 150 });
    const conn = await pool.get();
    await conn.beginTransaction();
    await conn.query('SELECT 1');
    await expect(conn.commit()).rejects.toMatchObject({ code: 'POOL_QUERY_TIMEOUT', timeoutMs: 150 });
    conn.recycle();
    await pool.settled();
    expect(await pool.query('SELECT 1 AS one')).toBeTruthy();
    expect(pool.verify()).toEqual([]);
  });
});

describe('close() at its deadline', () => {
  it('capacity 1, a query whose answer never comes: close({ timeoutMs: 100 }) destroys it (PoolClosedError to its holder), the unit comes back, close rejects with the drain timeout', async () => {
    server = await startFaultServer();
    server.hangOn(SLEEP);
    pool = await createSharedPool({ connection: server.options(), capacity: 1 });
    const query = pool.query('SELECT SLEEP(1)').then(() => 'settled', (e: unknown) => e);
    await server.until(() => server!.statements.some((s) => SLEEP.test(s)), 2000, 'the query to reach the server');
    const started = performance.now();
    const error = await pool.close({ timeoutMs: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoolDrainTimeoutError);
    expect(performance.now() - started).toBeLessThan(scaled(1000));
    expect(await query).toBeInstanceOf(PoolClosedError);
    expect(pool.stats()).toMatchObject({ Active: 0, InUse: 0, Available: 0 });
    await server.until(() => server!.open === 0, 2000, 'the socket to be destroyed');
    expect(pool.verify()).toEqual([]);
    pool = null;
  });

  it('a COMMIT whose answer never comes: close at its deadline rejects it with PoolClosedError; later calls on the handle reject with it too (never throw)', async () => {
    server = await startFaultServer();
    server.hangOn(/^COMMIT/i);
    pool = await createSharedPool({ connection: server.options(), capacity: 1 });
    const conn = await pool.get();
    await conn.beginTransaction();
    const commit = conn.commit().then(() => 'settled', (e: unknown) => e);
    await server.until(() => server!.statements.some((s) => /^COMMIT/i.test(s)), 2000, 'COMMIT to reach the server');
    expect(await pool.close({ timeoutMs: 100 }).catch((e: unknown) => e)).toBeInstanceOf(PoolDrainTimeoutError);
    expect(await commit).toBeInstanceOf(PoolClosedError);
    const later = conn.query('SELECT 1');
    expect(later).toBeInstanceOf(Promise);
    await expect(later).rejects.toBeInstanceOf(PoolClosedError);
    await expect(conn.execute('SELECT 1')).rejects.toBeInstanceOf(PoolClosedError);
    await expect(conn.rollback()).rejects.toBeInstanceOf(PoolClosedError);
    expect(() => conn.recycle()).not.toThrow();
    expect(pool.stats()).toMatchObject({ Active: 0, InUse: 0 });
    expect(pool.verify()).toEqual([]);
    pool = null;
  });

  it('the same with the borrowed connection in a worker', async () => {
    server = await startFaultServer();
    server.hangOn(SLEEP);
    pool = await createSharedPool({ connection: server.options(), capacity: 1, maxThreads: 4 });
    const worker = await startMysqlThread(pool);
    threads.push(worker);
    const loop = worker.request({ cmd: 'loop', id: newId(), n: 1, sql: 'SELECT SLEEP(1)' }, 'loopDone');
    await server.until(() => server!.statements.some((s) => SLEEP.test(s)), 2000, 'the query to reach the server');
    const error = await pool.close({ timeoutMs: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoolDrainTimeoutError);
    const done = await loop;
    expect(done.errors).toEqual([expect.stringMatching(/connection pool is closed \(close\(\) reached its deadline/)]);
    expect(pool.stats()).toMatchObject({ Active: 0, InUse: 0 });
    await server.until(() => server!.open === 0, 2000, 'the socket to be destroyed');
    expect(pool.verify()).toEqual([]);
    pool = null;
  });
});
