/**
 * No borrower gets a connection inside another borrower's transaction or with its session state
 * (issue 10 §1), against the real server: the transaction flag comes from the server's OK/EOF status
 * (SERVER_STATUS_IN_TRANS), session changes from session_track_state_change; resetOnRecycle
 * 'auto' (default) resets only changed sessions, 'always' every one, 'never' none (but still rolls
 * back). Capacity 1 everywhere, so the next borrower gets the same session unless it was replaced.
 */
import mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSharedPool, type PooledConnection, type SharedPool, type SharedPoolOptions } from '../../src/index.ts';
import type { Mysql2PoolConnection } from '../../src/workers/mysql2-connector.ts';
import { type MysqlEnv, mysqlSkip, setupMysql, endTestPool } from '../support/mysql.ts';
import type { RowDataPacket } from 'mysql2';

const skip = await mysqlSkip();

let env: MysqlEnv;
let pool: SharedPool | null = null;
const table = `recycle_${process.pid}`;

async function open(options: Omit<SharedPoolOptions, 'connection'> = {}): Promise<SharedPool> {
  pool = await createSharedPool({ capacity: 1, ...options, connection: env.connection() });
  return pool;
}

const raw = (conn: PooledConnection): Mysql2PoolConnection => conn.connection as Mysql2PoolConnection;

async function one<T>(conn: PooledConnection, sql: string): Promise<T> {
  const [rows] = await conn.query<(Record<string, T> & RowDataPacket)[]>(sql);
  return Object.values(rows[0])[0];
}

/** Counts COM_RESET_CONNECTIONs sent on this connection from now on. */
function countResets(conn: PooledConnection): { n: number } {
  const c = raw(conn);
  const count = { n: 0 };
  // The connector sends COM_RESET_CONNECTION through mysql2's callback API (raw.reset).
  const target = c.raw as unknown as { reset: (cb: (error: Error | null) => void) => void };
  const reset = target.reset.bind(target);
  target.reset = (cb) => {
    count.n++;
    reset(cb);
  };
  return count;
}

async function rows(): Promise<string[]> {
  const [r] = await env.admin.query<mysql.RowDataPacket[]>(`SELECT k FROM ${table} ORDER BY k`);
  return r.map((x) => String(x.k));
}

describe.skipIf(skip)('recycle safety on MariaDB', () => {
  beforeAll(async () => {
    env = await setupMysql();
  });
  afterAll(async () => {
    await env?.admin.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
    await env?.close();
  });
  beforeEach(async () => {
    await env.admin.query(`DROP TABLE IF EXISTS ${table}`);
    await env.admin.query(`CREATE TABLE ${table} (k VARCHAR(8) PRIMARY KEY) ENGINE=InnoDB`);
  });
  afterEach(async () => {
    if (pool) {
      const p = pool;
      pool = null;
      await endTestPool(p, 2000);
    }
    expect(await env.untilSessions(0, 3000)).toBe(0);
  });

  describe('transactions', () => {
    it('a duplicate key inside withConnection: rolled back, the next borrower is not in a transaction, its autocommit write is durable', async () => {
      await open();
      let held: Mysql2PoolConnection | null = null;
      const failed = pool!.withConnection(undefined, async (conn) => {
        held = raw(conn);
        await conn.beginTransaction();
        await conn.query(`INSERT INTO ${table} VALUES ('A')`);
        await conn.query(`INSERT INTO ${table} VALUES ('A')`); // ER_DUP_ENTRY: not fatal
      });
      await expect(failed).rejects.toMatchObject({ code: 'ER_DUP_ENTRY' });
      // withConnection rolled back before it rejected (not later, on the way back to the stack).
      expect(held!.inTransaction()).toBe(false);
      await pool!.withConnection(undefined, async (conn) => {
        expect(await one(conn, 'SELECT @@in_transaction')).toBe(0);
        await conn.query(`INSERT INTO ${table} VALUES ('B')`);
      });
      // A later borrower's transaction must not make the first one's half-done work durable.
      await pool!.withConnection(undefined, async (conn) => {
        await conn.beginTransaction();
        await conn.query(`INSERT INTO ${table} VALUES ('C')`);
        await conn.commit();
      });
      await pool!.close();
      pool = null;
      expect(await rows()).toEqual(['B', 'C']);
    });

    for (const mode of ['auto', 'always', 'never'] as const) {
      it(`a raw START TRANSACTION left open is rolled back on recycle (resetOnRecycle '${mode}')`, async () => {
        await open({ resetOnRecycle: mode });
        const a = await pool!.get();
        await a.query('START TRANSACTION');
        await a.query(`INSERT INTO ${table} VALUES ('A')`);
        a.recycle();
        const b = await pool!.get();
        expect(await one(b, 'SELECT @@in_transaction')).toBe(0);
        expect(raw(b).inTransaction()).toBe(false);
        b.recycle();
        expect(await rows()).toEqual([]);
      });
    }

    it("autocommit left off is reset even with 'never': the next borrower's autocommit write is durable", async () => {
      await open({ resetOnRecycle: 'never' });
      const a = await pool!.get();
      await a.query('SET autocommit = 0');
      a.recycle();
      const b = await pool!.get();
      expect(await one(b, 'SELECT @@autocommit')).toBe(1);
      await b.query(`INSERT INTO ${table} VALUES ('B')`);
      b.recycle();
      await pool!.close();
      pool = null;
      expect(await rows()).toEqual(['B']);
    });

    it('a transaction seen only through prepared statements (binary protocol) is rolled back too', async () => {
      await open({ resetOnRecycle: 'never' });
      const a = await pool!.get();
      await a.query('START TRANSACTION');
      await a.execute(`INSERT INTO ${table} VALUES (?)`, ['P']);
      await a.execute(`SELECT * FROM ${table} WHERE k = ?`, ['P']);
      a.recycle();
      const b = await pool!.get();
      expect(await one(b, 'SELECT @@in_transaction')).toBe(0);
      b.recycle();
      expect(await rows()).toEqual([]);
    });

    it('a transaction left open by a SELECT-only borrower (status from an EOF packet) is rolled back too', async () => {
      await open({ resetOnRecycle: 'never' });
      const a = await pool!.get();
      await a.query('START TRANSACTION');
      await a.query(`SELECT * FROM ${table} FOR UPDATE`);
      a.recycle();
      const b = await pool!.get();
      expect(await one(b, 'SELECT @@in_transaction')).toBe(0);
      b.recycle();
    });
  });

  describe("session state, resetOnRecycle 'auto' (default)", () => {
    const kinds: [string, string, (conn: PooledConnection) => Promise<unknown>, unknown][] = [
      ['a user variable', 'SET @x = 1', (c) => one(c, 'SELECT @x'), null],
      ['a temporary table', 'CREATE TEMPORARY TABLE tmp_recycle (a INT)',
        (c) => c.query('SELECT * FROM tmp_recycle').then(() => 'exists', (e: { code?: string }) => e.code), 'ER_NO_SUCH_TABLE'],
      ['a user lock (GET_LOCK)', "SELECT GET_LOCK('recycle_lock', 0)", (c) => one(c, "SELECT IS_USED_LOCK('recycle_lock')"), null],
      ['a session time_zone', "SET SESSION time_zone = '+05:00'", (c) => one(c, 'SELECT @@session.time_zone = @@global.time_zone'), 1],
    ];
    for (const [what, change, probe, clean] of kinds) {
      it(`${what} does not reach the next borrower (same session, reset)`, async () => {
        await open();
        const a = await pool!.get();
        const id = raw(a).threadId;
        await a.query(change);
        a.recycle();
        const b = await pool!.get();
        expect(raw(b).threadId).toBe(id);
        expect(await probe(b)).toBe(clean);
        b.recycle();
      });
    }

    it('detection survives a reset (COM_RESET_CONNECTION turns tracking off; the pool turns it on again)', async () => {
      await open();
      for (const round of [1, 2, 3]) {
        const a = await pool!.get();
        await a.query(`SET @round = ${round}`);
        a.recycle();
        const b = await pool!.get();
        expect(await one(b, 'SELECT @round')).toBe(null);
        expect(await one(b, 'SELECT @@session.session_track_state_change')).toBe(1);
        b.recycle();
      }
    });

    it('a change made by a statement queued right behind the dial is not lost', async () => {
      await open();
      // The first statement rides behind the pool's tracking SET in the same round trip.
      const a = await pool!.get();
      await a.query('SET @early = 1');
      a.recycle();
      const b = await pool!.get();
      expect(await one(b, 'SELECT @early')).toBe(null);
      b.recycle();
    });

    it('a clean connection pays nothing: no reset on return', async () => {
      await open();
      const a = await pool!.get();
      const resets = countResets(a);
      await a.query('SELECT 1');
      await a.query(`INSERT INTO ${table} VALUES ('A')`);
      a.recycle();
      const b = await pool!.get();
      await b.query('SELECT 2');
      b.recycle();
      await pool!.settled();
      expect(resets.n).toBe(0);
    });

    it('a setting connection changed by its borrower is reset to clean (setting dropped, reapplied on demand)', async () => {
      await open();
      const ansi = pool!.setting("SET SESSION sql_mode = 'ANSI'");
      const a = await pool!.get({ setting: ansi });
      const resets = countResets(a);
      a.recycle(); // the setting's own change is expected: no reset
      const b = await pool!.get({ setting: ansi });
      await b.query('SET @y = 2');
      b.recycle();
      const c = await pool!.get({ setting: ansi });
      expect(await one(c, 'SELECT @y')).toBe(null);
      expect(String(await one(c, 'SELECT @@session.sql_mode'))).toContain('ANSI_QUOTES');
      c.recycle();
      expect(resets.n).toBe(1);
    });
  });

  it("'always' resets every return; 'never' keeps session state (documented)", async () => {
    await open({ resetOnRecycle: 'always' });
    const a = await pool!.get();
    const resets = countResets(a);
    await a.query('SELECT 1');
    a.recycle();
    (await pool!.get()).recycle();
    await pool!.settled();
    expect(resets.n).toBe(2);
    await pool!.close();
    await open({ resetOnRecycle: 'never' });
    const b = await pool!.get();
    await b.query('SET @z = 3');
    b.recycle();
    const c = await pool!.get();
    expect(await one(c, 'SELECT @z')).toBe(3);
    c.recycle();
  });
});
