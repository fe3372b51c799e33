/**
 * The mysql2 connector against the real server (MariaDB/MySQL on 127.0.0.1:3306, see
 * test/support/mysql.ts): session settings per connection, kept across idle and max-lifetime
 * reopens, cleared by reset; KILLed sessions detected and replaced; query / execute / transactions.
 * Every test ends with this pool's server-side sessions back to zero after close().
 */
import mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSharedPool, type PooledConnection, type SharedPool, type SharedPoolOptions } from '../../src/index.ts';
import type { Mysql2PoolConnection } from '../../src/workers/mysql2-connector.ts';
import { until } from '../support/fake-connector.ts';
import { type MysqlEnv, mysqlSkip, setupMysql, endTestPool } from '../support/mysql.ts';
import { sleep } from '../support/timing.ts';
import type { RowDataPacket } from 'mysql2';

const skip = await mysqlSkip();

let env: MysqlEnv;
let pool: SharedPool | null = null;
let defaultSqlMode = '';

async function open(options: Omit<SharedPoolOptions, 'connection'> & { connection?: Record<string, unknown> }): Promise<SharedPool> {
  const { connection, ...rest } = options;
  pool = await createSharedPool({ ...rest, connection: env.connection(connection) });
  return pool;
}

function raw(conn: PooledConnection): Mysql2PoolConnection {
  return conn.connection as Mysql2PoolConnection;
}

async function sqlMode(conn: PooledConnection): Promise<string> {
  const [rows] = await conn.query<({ m: string } & RowDataPacket)[]>('SELECT @@session.sql_mode AS m');
  return rows[0].m;
}

describe.skipIf(skip)('mysql2 connector on MariaDB', () => {
  beforeAll(async () => {
    env = await setupMysql();
    // Fresh and reset sessions both get the global sql_mode (the connector leaves out mysql2's
    // IGNORE_SPACE client flag, which the server would add to fresh sessions only).
    const [rows] = await env.admin.query<mysql.RowDataPacket[]>('SELECT @@global.sql_mode AS m');
    defaultSqlMode = rows[0].m;
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
    // Leak check: the server notices disconnects asynchronously, so poll briefly.
    expect(await env.untilSessions(0, 3000), "this pool's sessions left on the server after close()").toBe(0);
  });

  describe('settings', () => {
    it('settings really differ per connection (SELECT @@session.sql_mode)', async () => {
      await open({ capacity: 3 });
      const ansi = pool!.setting("SET SESSION sql_mode = 'ANSI'");
      const traditional = pool!.setting("SET SESSION sql_mode = 'TRADITIONAL'");
      const a = await pool!.get({ setting: ansi });
      const b = await pool!.get();
      const c = await pool!.get({ setting: traditional });
      expect(await sqlMode(a)).toContain('ANSI_QUOTES');
      expect(await sqlMode(b)).toBe(defaultSqlMode);
      expect(await sqlMode(c)).toContain('TRADITIONAL');
      expect(new Set([raw(a).threadId, raw(b).threadId, raw(c).threadId]).size).toBe(3);
      expect((await env.sessionIds()).sort()).toEqual([raw(a).threadId, raw(b).threadId, raw(c).threadId].sort());
      for (const conn of [a, b, c]) conn.recycle();
      expect(pool!.verify()).toEqual([]);
    });

    it('a setting survives an idle-timeout reopen: new session, same sql_mode, no re-apply on get', async () => {
      await open({ capacity: 1, idleTimeoutMs: 200 });
      const ansi = pool!.setting("SET SESSION sql_mode = 'ANSI'");
      const a = await pool!.get({ setting: ansi });
      const first = raw(a).threadId;
      a.recycle();
      await until(() => pool!.stats().IdleClosed >= 1, 5000, 'the idle sweep');
      pool!.setIdleTimeout(0); // stop sweeping so the reopened connection stays put
      await pool!.settled();
      const b = await pool!.get({ setting: ansi });
      expect(raw(b).threadId).not.toBe(first);
      expect(await sqlMode(b)).toContain('ANSI_QUOTES');
      expect(pool!.stats()).toMatchObject({ DiffSetting: 0, ResetSetting: 0 });
      expect(await env.untilSessionIds([raw(b).threadId])).toEqual([raw(b).threadId]); // the old session goes a moment after its close
      b.recycle();
    });

    it('a setting survives a max-lifetime reopen', async () => {
      await open({ capacity: 1, maxLifetimeMs: 200 });
      const ansi = pool!.setting("SET SESSION sql_mode = 'ANSI'");
      const a = await pool!.get({ setting: ansi });
      const first = raw(a).threadId;
      await sleep(450); // past 2 × maxLifetime
      a.recycle();
      await pool!.settled();
      expect(pool!.stats().MaxLifetimeClosed).toBe(1);
      const b = await pool!.get({ setting: ansi });
      expect(raw(b).threadId).not.toBe(first);
      expect(await sqlMode(b)).toContain('ANSI_QUOTES');
      expect(await env.untilSessionIds([raw(b).threadId])).toEqual([raw(b).threadId]); // the old session goes a moment after its close
      b.recycle();
    });

    it('COM_RESET_CONNECTION really clears a setting (and user variables) on the same session', async () => {
      await open({ capacity: 1 });
      const ansi = pool!.setting("SET SESSION sql_mode = 'ANSI'");
      const marker = pool!.setting('SET @pool_marker = 42');
      const a = await pool!.get({ setting: ansi });
      const id = raw(a).threadId;
      a.recycle();
      const b = await pool!.get();
      expect(raw(b).threadId).toBe(id); // reset, not reopened
      expect(await sqlMode(b)).toBe(defaultSqlMode);
      b.recycle();
      const c = await pool!.get({ setting: marker });
      const [set] = await c.query<({ v: number } & RowDataPacket)[]>('SELECT @pool_marker AS v');
      expect(set[0].v).toBe(42);
      c.recycle();
      const d = await pool!.get();
      const [cleared] = await d.query<({ v: number | null } & RowDataPacket)[]>('SELECT @pool_marker AS v');
      expect(cleared[0].v).toBeNull();
      expect(raw(d).threadId).toBe(id);
      d.recycle();
      expect(pool!.stats()).toMatchObject({ ResetSetting: 2 });
    });

    it("a setting's own reset SQL is used when given; switching settings resets then applies", async () => {
      await open({ capacity: 1 });
      const traditional = pool!.setting("SET SESSION sql_mode = 'TRADITIONAL'", 'SET SESSION sql_mode = DEFAULT');
      const ansi = pool!.setting("SET SESSION sql_mode = 'ANSI'");
      const a = await pool!.get({ setting: traditional });
      const id = raw(a).threadId;
      expect(await sqlMode(a)).toContain('TRADITIONAL');
      a.recycle();
      const b = await pool!.get({ setting: ansi });
      expect(raw(b).threadId).toBe(id);
      expect(await sqlMode(b)).toBe('REAL_AS_FLOAT,PIPES_AS_CONCAT,ANSI_QUOTES,IGNORE_SPACE,ANSI');
      b.recycle();
      const c = await pool!.get();
      expect(await sqlMode(c)).toBe(defaultSqlMode);
      c.recycle();
      expect(pool!.stats()).toMatchObject({ DiffSetting: 1, ResetSetting: 1 });
    });
  });

  describe('killed sessions', () => {
    it('a session KILLed while idle is detected and replaced, never handed out again', async () => {
      await open({ capacity: 2 });
      const a = await pool!.get();
      const killed = raw(a);
      const id = killed.threadId;
      a.recycle();
      await env.kill(id);
      await until(() => killed.isClosed(), 5000, 'the client to notice the KILL');
      for (let i = 0; i < 3; i++) {
        const c = await pool!.get();
        expect(raw(c).threadId).not.toBe(id);
        const [rows] = await c.query<({ id: number } & RowDataPacket)[]>('SELECT CONNECTION_ID() AS id');
        expect(rows[0].id).toBe(raw(c).threadId);
        c.recycle();
      }
      await pool!.settled();
      expect(await env.sessionIds()).not.toContain(id);
      expect(pool!.stats()).toMatchObject({ InUse: 0 });
      expect(pool!.stats().Active).toBeLessThanOrEqual(2);
      expect(pool!.verify()).toEqual([]);
    });

    it('KILL then an immediate pool.query(): at most that one query fails (fatal, tainted); the killed session never serves again', async () => {
      await open({ capacity: 1 });
      const [first] = await pool!.query<({ id: number } & RowDataPacket)[]>('SELECT CONNECTION_ID() AS id');
      const id = first[0].id;
      await env.kill(id);
      const seen: number[] = [];
      let failures = 0;
      for (let i = 0; i < 4; i++) {
        try {
          const [rows] = await pool!.query<({ id: number } & RowDataPacket)[]>('SELECT CONNECTION_ID() AS id');
          seen.push(rows[0].id);
        } catch (error) {
          failures++;
          expect((error as { fatal?: boolean }).fatal).toBe(true);
        }
      }
      expect(failures).toBeLessThanOrEqual(1);
      expect(seen).not.toContain(id);
      await pool!.settled();
      expect(pool!.stats()).toMatchObject({ Active: 1, InUse: 0 });
      expect(pool!.verify()).toEqual([]);
    });

    it('a session KILLed while borrowed: the query fails, isClosed() is true, recycle() refills the slot', async () => {
      await open({ capacity: 1 });
      const a = await pool!.get();
      const id = raw(a).threadId;
      await env.kill(id);
      await expect(a.query('SELECT SLEEP(0.01)')).rejects.toMatchObject({ fatal: true });
      expect(a.connection.isClosed()).toBe(true);
      a.recycle();
      await pool!.settled();
      expect(pool!.stats()).toMatchObject({ Active: 1, InUse: 0 });
      const b = await pool!.get();
      expect(raw(b).threadId).not.toBe(id);
      b.recycle();
      expect(pool!.verify()).toEqual([]);
    });
  });

  describe('what a borrowed connection offers', () => {
    const table = `pooltest_${process.pid}_t`;

    beforeAll(async () => {
      await env.admin.query(`CREATE TABLE IF NOT EXISTS ${table} (id INT PRIMARY KEY, v INT) ENGINE=InnoDB`);
    });

    afterAll(async () => {
      await env.admin.query(`DROP TABLE IF EXISTS ${table}`);
    });

    it('query, execute (prepared statements) and transactions (commit, rollback)', async () => {
      await open({ capacity: 2 });
      const [v] = await pool!.execute<({ v: number } & RowDataPacket)[]>('SELECT ? + 1 AS v', [41]);
      expect(v[0].v).toBe(42);
      const [q] = await pool!.query<({ v: number } & RowDataPacket)[]>('SELECT ? + 1 AS v', [1]);
      expect(q[0].v).toBe(2);

      const conn = await pool!.get();
      await conn.beginTransaction();
      await conn.execute(`INSERT INTO ${table} (id, v) VALUES (?, ?)`, [1, 10]);
      await conn.rollback();
      await conn.beginTransaction();
      await conn.execute(`INSERT INTO ${table} (id, v) VALUES (?, ?)`, [2, 20]);
      await conn.commit();
      const [rows] = await conn.query<({ id: number; v: number } & RowDataPacket)[]>(`SELECT id, v FROM ${table} ORDER BY id`);
      expect(rows).toEqual([{ id: 2, v: 20 }]);
      conn.recycle();
      // The mysql2 promise connection is there too.
      const c2 = await pool!.get();
      const [p] = await raw(c2).promise.query<mysql.RowDataPacket[]>('SELECT 5 AS five');
      expect(p[0].five).toBe(5);
      c2.recycle();
      await env.admin.query(`DELETE FROM ${table}`);
    });

    it('a non-fatal SQL error leaves the connection in the pool (pool.query recycles it)', async () => {
      await open({ capacity: 1 });
      const [before] = await pool!.query<({ id: number } & RowDataPacket)[]>('SELECT CONNECTION_ID() AS id');
      await expect(pool!.query('SELECT * FROM no_such_table_here')).rejects.toMatchObject({ code: 'ER_NO_SUCH_TABLE' });
      const [after] = await pool!.query<({ id: number } & RowDataPacket)[]>('SELECT CONNECTION_ID() AS id');
      expect(after[0].id).toBe(before[0].id);
      expect(pool!.stats()).toMatchObject({ Active: 1, InUse: 0 });
    });
  });
});
