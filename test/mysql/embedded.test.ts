/**
 * embedded-mysql/: the in-process MySQL-protocol server the bench and the example
 * fall back to, driven through the pool's mysql2 connector; and resolveMysqlTarget().
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSharedPool, type SharedPool } from '../../src/index.ts';
import type { Mysql2PoolConnection } from '../../src/workers/mysql2-connector.ts';
import { type EmbeddedMysql, resolveMysqlTarget, startEmbeddedMysql } from '../../embedded-mysql/index.ts';
import { closedPort } from '../support/fault-server.ts';
import { until } from '../support/fake-connector.ts';
import { mysqlSkip, probeMysql } from '../support/mysql.ts';
import type { RowDataPacket } from 'mysql2';

let pool: SharedPool | null = null;
let db: EmbeddedMysql | null = null;

afterEach(async () => {
  await pool?.close({ timeoutMs: 3000 }).catch(() => {});
  await pool?.settled();
  if (db) await until(() => db!.sessions === 0, 3000, 'every embedded session to close');
  await db?.close();
  pool = null;
  db = null;
  vi.restoreAllMocks();
});

describe('embedded MySQL-protocol server', () => {
  it('answers what the bench and the example send, through the pool', async () => {
    db = await startEmbeddedMysql();
    pool = await createSharedPool({ connection: { host: db.host, port: db.port, user: 'root', database: 'test' }, capacity: 2 });
    const [one] = await pool.query<(Record<string, number> & RowDataPacket)[]>('SELECT 1');
    expect(one).toEqual([{ 1: 1 }]);
    const [q] = await pool.query<({ v: number } & RowDataPacket)[]>('SELECT ? + 1 AS v', [41]);
    expect(q).toEqual([{ v: 42 }]);
    const [e] = await pool.execute<({ v: number } & RowDataPacket)[]>('SELECT ? + 1 AS v', [41]);
    expect(e).toEqual([{ v: 42 }]);
    const [s] = await pool.execute<({ v: string; n: null } & RowDataPacket)[]>('SELECT ? AS v, ? AS n', ["it's", null]);
    expect(s).toEqual([{ v: "it's", n: null }]);

    const ansi = pool.setting("SET SESSION sql_mode = 'ANSI'");
    const a = await pool.get({ setting: ansi });
    const b = await pool.get();
    const mode = async (c: typeof a): Promise<string> => (await c.query<({ m: string } & RowDataPacket)[]>('SELECT @@session.sql_mode AS m'))[0][0].m;
    expect(await mode(a)).toBe('REAL_AS_FLOAT,PIPES_AS_CONCAT,ANSI_QUOTES,IGNORE_SPACE,ANSI');
    expect(await mode(b)).toBe('STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION');
    await (a.connection as Mysql2PoolConnection).ping();
    await a.beginTransaction();
    await a.commit();
    const id = (a.connection as Mysql2PoolConnection).threadId;
    a.recycle();
    b.recycle();
    // Capacity 2, both idle: a get without setting takes the clean one; with both borrowed, the
    // ANSI one is reset (COM_RESET_CONNECTION) for a second bare get.
    const c1 = await pool.get();
    const c2 = await pool.get();
    const reset = [c1, c2].find((c) => (c.connection as Mysql2PoolConnection).threadId === id)!;
    expect(await mode(reset)).toBe('STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION');
    c1.recycle();
    c2.recycle();
    expect(pool.stats().ResetSetting).toBe(1);

    await expect(pool.query('SELECT * FROM t')).rejects.toMatchObject({ errno: 1064 });
    expect(pool.stats()).toMatchObject({ Active: 2, InUse: 0 });
    const [slow] = await pool.query<({ s: number } & RowDataPacket)[]>('SELECT SLEEP(0.05) AS s, CONNECTION_ID() AS id');
    expect(slow[0].s).toBe(0);
  });

  it('close() destroys every open session', async () => {
    const server = await startEmbeddedMysql();
    const conn = await import('mysql2/promise').then((m) => m.createConnection({ host: server.host, port: server.port, user: 'root' }));
    conn.on('error', () => {});
    expect(server.sessions).toBe(1);
    await server.close();
    expect(server.sessions).toBe(0);
    const state = (): string => (conn as unknown as { connection: { state: string } }).connection.state;
    await until(() => state() === 'error' || state() === 'disconnected', 2000, 'the client to notice');
    conn.destroy();
  });
});

describe('resolveMysqlTarget()', () => {
  it('falls back to the embedded server when nothing answers, and says so on stderr', async () => {
    const port = await closedPort();
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const target = await resolveMysqlTarget({ url: `mysql://root:secret@127.0.0.1:${port}/test` });
    try {
      expect(target.embedded).toBe(true);
      const said = write.mock.calls.map((c) => String(c[0])).join('');
      expect(said).toMatch(/embedded MySQL-protocol server/);
      expect(said).toContain(`127.0.0.1:${port}`);
      expect(said).not.toContain('secret');
      pool = await createSharedPool({ connection: target.options, capacity: 1 });
      const [rows] = await pool.query<({ v: number } & RowDataPacket)[]>('SELECT ? + 1 AS v', [1]);
      expect(rows[0].v).toBe(2);
      expect(target.sessions?.()).toBe(1);
      await pool.close();
      await pool.settled();
    } finally {
      await target.close();
    }
  });

  it('uses the server at the URL when it answers', async () => {
    if (await mysqlSkip()) return;
    if (!(await probeMysql()).ok) {
      console.warn('resolveMysqlTarget: no server on 127.0.0.1:3306, the real-server case is not exercised');
      return;
    }
    const target = await resolveMysqlTarget({ url: 'mysql://root@127.0.0.1:3306/test' });
    expect(target.embedded).toBe(false);
    expect(target.options).toMatchObject({ host: '127.0.0.1', port: 3306, user: 'root', database: 'test' });
    await target.close();
  });
});
