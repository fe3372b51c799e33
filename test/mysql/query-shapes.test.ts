/**
 * query()/execute() behave like mysql2/promise's on MariaDB, as their types say: `[rows, fields]`
 * for a SELECT, `[ResultSetHeader, undefined]` for a write, a QueryOptions object in place of the
 * SQL, and `conn.mysql2` is mysql2's promise Connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultSetHeader, RowDataPacket } from 'mysql2';
import { createSharedPool, type SharedPool } from '../../src/index.ts';
import { type MysqlEnv, mysqlSkip, setupMysql } from '../support/mysql.ts';

const skip = await mysqlSkip();
let env: MysqlEnv;
let pool: SharedPool;
const table = `shapes_${process.pid}`;

describe.skipIf(skip)('query shapes on MariaDB', () => {
  beforeAll(async () => {
    env = await setupMysql();
    pool = await createSharedPool({ connection: env.connection(), capacity: 2 });
    await pool.query(`CREATE TABLE ${table} (id INT PRIMARY KEY AUTO_INCREMENT, v INT)`);
  });
  afterAll(async () => {
    await pool?.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
    await pool?.close();
    await env?.close();
  });

  it('a write gives a ResultSetHeader, a SELECT rows and fields', async () => {
    const [header] = await pool.execute<ResultSetHeader>(`INSERT INTO ${table} (v) VALUES (?), (?)`, [1, 2]);
    expect(header.affectedRows).toBe(2);
    expect(header.insertId).toBeGreaterThan(0);
    const [rows, fields] = await pool.query<(RowDataPacket & { v: number })[]>(`SELECT v FROM ${table} ORDER BY id`);
    expect(rows.map((r) => r.v)).toEqual([1, 2]);
    expect(fields.map((f) => f.name)).toEqual(['v']);
  });

  it('a QueryOptions object in place of the SQL (rowsAsArray, nestTables)', async () => {
    const [arrays] = await pool.query<RowDataPacket[][]>({ sql: 'SELECT ? AS a, ? AS b', rowsAsArray: true }, [1, 'x']);
    expect(arrays).toEqual([[1, 'x']]);
    const conn = await pool.get();
    try {
      const [nested] = await conn.query<RowDataPacket[]>({ sql: `SELECT t.v FROM ${table} t ORDER BY t.id LIMIT 1`, nestTables: true });
      expect(nested).toEqual([{ t: { v: 1 } }]);
      expect(conn.mysql2.escape("it's")).toBe("'it\\'s'");
      const [viaMysql2] = await conn.mysql2.query<RowDataPacket[]>('SELECT CONNECTION_ID() AS id');
      expect(viaMysql2[0].id).toBe(conn.mysql2.threadId);
    } finally {
      conn.recycle();
    }
  });
});
