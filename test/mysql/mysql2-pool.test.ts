/**
 * client.asMysql2Pool() against the server, in the main thread: mysql2's Pool API as mysql2
 * documents it (callback and promise forms, options objects, named placeholders, streams, events,
 * release/destroy, end, escape/format), mapped onto the shared pool.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PoolConnection, RowDataPacket } from 'mysql2';
import { createSharedPool, PoolClosedError, type SharedPool, StaleHandleError } from '../../src/index.ts';
import { type MysqlEnv, mysqlSkip, setupMysql } from '../support/mysql.ts';

const skip = await mysqlSkip();

let env: MysqlEnv;
let pool: SharedPool | null = null;

const borrow = (p: ReturnType<SharedPool['client']['asMysql2Pool']>): Promise<PoolConnection> =>
  new Promise((resolve, reject) => p.getConnection((e, c) => (e ? reject(e) : resolve(c))));

describe.skipIf(skip)('asMysql2Pool() on MariaDB', () => {
  beforeAll(async () => {
    env = await setupMysql();
  });
  afterAll(async () => {
    await env?.close();
  });
  afterEach(async () => {
    const p = pool;
    pool = null;
    if (p) {
      await p.settled();
      expect(p.verify()).toEqual([]);
      await p.close({ timeoutMs: 5000 });
    }
  });

  it('callback query and execute: plain, options object, named placeholders; the connection goes back', async () => {
    pool = await createSharedPool({ connection: env.connection({ namedPlaceholders: true }), capacity: 2 });
    const my = pool.client.asMysql2Pool();
    expect(pool.client.asMysql2Pool()).toBe(my);
    const rows = await new Promise<RowDataPacket[]>((resolve, reject) =>
      my.query('select ? + ? as n', [1, 2], (e, r) => (e ? reject(e) : resolve(r as RowDataPacket[]))));
    expect(rows[0].n).toBe(3);
    const arrays = await new Promise<unknown[][]>((resolve, reject) =>
      my.query({ sql: 'select :a as a, :b as b', rowsAsArray: true }, { a: 1, b: 'x' }, (e, r) => (e ? reject(e) : resolve(r as unknown as unknown[][]))));
    expect(arrays).toEqual([[1, 'x']]);
    const executed = await new Promise<RowDataPacket[]>((resolve, reject) =>
      my.execute('select :v as v', { v: 7 }, (e, r) => (e ? reject(e) : resolve(r as RowDataPacket[]))));
    expect(Number(executed[0].v)).toBe(7);
    expect(pool.stats().InUse).toBe(0);
  });

  it('promise(): mysql2/promise shapes ([rows, fields]), getConnection with transactions, escape/format', async () => {
    pool = await createSharedPool({ connection: env.connection(), capacity: 2 });
    const my = pool.client.asMysql2Pool().promise();
    const [rows, fields] = await my.query<RowDataPacket[]>('select 41 + 1 as n');
    expect(rows[0].n).toBe(42);
    expect(fields[0].name).toBe('n');
    const [executed] = await my.execute<RowDataPacket[]>('select ? as v', ['p']);
    expect(executed[0].v).toBe('p');
    const conn = await my.getConnection();
    await conn.beginTransaction();
    const [[inTx]] = await conn.query<RowDataPacket[]>('select @@in_transaction as t');
    expect(inTx.t).toBe(1);
    await conn.rollback();
    conn.release();
    expect(my.escape("it's")).toBe("'it\\'s'");
    expect(my.escapeId('a`b')).toBe('`a``b`');
    expect(my.format('select ?, ??', [1, 'c'])).toBe('select 1, `c`');
    expect(conn.connection.config.password).toBeUndefined();
    expect(pool.stats().InUse).toBe(0);
  });

  it('events: connection and acquire on a new connection, acquire on reuse, release, enqueue when waiting', async () => {
    pool = await createSharedPool({ connection: env.connection(), capacity: 1 });
    const my = pool.client.asMysql2Pool();
    const seen: string[] = [];
    for (const event of ['connection', 'acquire', 'release', 'enqueue']) my.on(event, () => seen.push(event));
    const first = await borrow(my);
    first.release();
    const second = await borrow(my);
    expect(second).toBe(first);
    const waiting = borrow(my);
    second.release();
    (await waiting).release();
    expect(seen).toEqual(['connection', 'acquire', 'release', 'acquire', 'enqueue', 'release', 'acquire', 'release']);
  });

  it('query(...).stream() on a connection and on the pool', async () => {
    pool = await createSharedPool({ connection: env.connection(), capacity: 1 });
    const my = pool.client.asMysql2Pool();
    const sql = 'select 1 as seq union all select 2 union all select 3 union all select 4 union all select 5';
    const conn = await borrow(my);
    const fromConn: number[] = [];
    for await (const row of conn.query(sql).stream()) fromConn.push((row as { seq: number }).seq);
    conn.release();
    const fromPool: number[] = [];
    for await (const row of my.query(sql).stream()) fromPool.push((row as { seq: number }).seq);
    expect(fromConn).toEqual([1, 2, 3, 4, 5]);
    expect(fromPool).toEqual([1, 2, 3, 4, 5]);
    await pool.settled();
    expect(pool.stats().InUse).toBe(0);
  });

  it('destroy() takes the connection out of the pool (a new session replaces it); use after release throws', async () => {
    pool = await createSharedPool({ connection: env.connection(), capacity: 1 });
    const my = pool.client.asMysql2Pool();
    const conn = await borrow(my);
    const before = conn.threadId;
    conn.destroy();
    await pool.settled();
    const next = await borrow(my);
    expect(next.threadId).not.toBe(before);
    expect(pool.stats().Closed).toBe(1);
    next.release();
    next.release(); // a second release does nothing, as in mysql2
    expect(() => next.query('select 1')).toThrow(StaleHandleError);
  });

  it('end() ends the view only: getConnection fails with PoolClosedError, the shared pool stays open', async () => {
    pool = await createSharedPool({ connection: env.connection(), capacity: 1 });
    const view = pool.client.asMysql2Pool({ timeoutMs: 5000 });
    await view.promise().end();
    await expect(borrow(view)).rejects.toBeInstanceOf(PoolClosedError);
    const [rows] = await pool.client.asMysql2Pool().promise().query<RowDataPacket[]>('select 1 as one');
    expect(rows[0].one).toBe(1);
  });
});
