/**
 * Function-valued mysql2 options in every thread: a typeCast given in `connection` is refused up
 * front (it cannot be copied to workers), and the documented alternative — a connector module
 * wrapping the mysql2 connector — applies a real typeCast to queries in a worker thread.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RowDataPacket } from 'mysql2';
import { createSharedPool, PoolOptionError } from '../../src/index.ts';
import { type MysqlEnv, mysqlSkip, setupMysql } from '../support/mysql.ts';
import { nextMessage, spawnTsWorker } from '../support/spawn.ts';

const skip = await mysqlSkip();
let env: MysqlEnv;

describe.skipIf(skip)('typeCast on MariaDB', () => {
  beforeAll(async () => {
    env = await setupMysql();
  });
  afterAll(async () => {
    await env?.close();
  });

  it('a typeCast in `connection` is a PoolOptionError naming it, not a DataCloneError at new Worker', async () => {
    const typeCast = (_field: unknown, next: () => unknown): unknown => next();
    const error = await createSharedPool({ connection: { ...env.connection(), typeCast } as never }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoolOptionError);
    expect((error as Error).message).toMatch(/^invalid connection\.typeCast: a function/);
    expect(await env.sessions()).toBe(0);
  });

  it('a connector wrapping the mysql2 connector gives every thread its typeCast', async () => {
    const plain = await createSharedPool({ connection: env.connection(), capacity: 1 });
    const [before] = await plain.query<(RowDataPacket & { d: unknown })[]>('SELECT CAST(1.5 AS DECIMAL(4,2)) AS d');
    expect(before[0].d).toBe('1.50'); // mysql2's default: DECIMAL as a string
    await plain.close();

    const pool = await createSharedPool({
      connector: { module: new URL('./typecast-connector.ts', import.meta.url).href, options: env.connection() },
      capacity: 2,
    });
    try {
      const [main] = await pool.query<(RowDataPacket & { d: unknown })[]>('SELECT CAST(1.5 AS DECIMAL(4,2)) AS d');
      expect(main[0].d).toBe(1.5);
      const worker = spawnTsWorker(new URL('./typecast-worker.ts', import.meta.url), { pool: pool.handle });
      pool.watch(worker);
      const reply = await nextMessage<{ value?: unknown; error?: string }>(worker, 'result');
      expect(reply).toEqual({ type: 'result', value: 1.5 });
      await new Promise((resolve) => worker.once('exit', resolve));
    } finally {
      await pool.close();
    }
    expect(await env.untilSessions(0)).toBe(0);
  });
});
