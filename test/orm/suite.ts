/**
 * One suite per ORM (kysely.test.ts, drizzle.test.ts, knex.test.ts): the ORM runs inside piscina
 * workers on the shared pool's asMysql2Pool(), against the real server.
 */
import { Piscina } from 'piscina';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSharedPool, type SharedPool } from '../../src/index.ts';
import { type MysqlEnv, mysqlSkip, sampleSessions, setupMysql } from '../support/mysql.ts';
import type { OrmName } from './adapters.ts';
import type { OrmTask } from './orm-task.ts';

const filename = new URL('./orm-task.mjs', import.meta.url).href;

export async function ormSuite(orm: OrmName): Promise<void> {
  const skip = await mysqlSkip();
  const table = `orm_${orm}_${process.pid}`;
  let env: MysqlEnv;
  let pool: SharedPool | null = null;
  let piscina: Piscina | null = null;

  const run = (task: Omit<OrmTask, 'orm' | 'table'>): Promise<Record<string, unknown>> => piscina!.run({ orm, table, ...task });
  const names = async (): Promise<string[]> => {
    const [rows] = await env.admin.query(`SELECT name FROM \`${table}\` ORDER BY id`);
    return (rows as { name: string }[]).map((r) => r.name);
  };
  const start = async (capacity: number, threads: number): Promise<void> => {
    pool = await createSharedPool({ connection: env.connection(), capacity, maxThreads: 16, getTimeoutMs: 30_000 });
    piscina = new Piscina({ filename, minThreads: threads, maxThreads: threads, atomics: 'disabled', workerData: { pool: pool.handle } });
    pool.watch(piscina);
  };

  describe.skipIf(skip)(`${orm} on asMysql2Pool(), in piscina workers, on MariaDB`, () => {
    beforeAll(async () => {
      env = await setupMysql();
      await env.admin.query(`DROP TABLE IF EXISTS \`${table}\``);
      await env.admin.query(`CREATE TABLE \`${table}\` (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(64) NOT NULL) ENGINE=InnoDB`);
    });

    afterAll(async () => {
      await env?.admin.query(`DROP TABLE IF EXISTS \`${table}\``);
      await env?.close();
    });

    beforeEach(async () => {
      await env.admin.query(`TRUNCATE TABLE \`${table}\``);
    });

    afterEach(async () => {
      await piscina?.destroy();
      piscina = null;
      const p = pool;
      pool = null;
      if (p) {
        expect(p.verify()).toEqual([]);
        await p.close({ timeoutMs: 5000 });
      }
      expect(await env.untilSessions(0, 3000), "this pool's sessions left on the server after close()").toBe(0);
    });

    it('select', async () => {
      await start(2, 1);
      expect((await run({ op: 'select' })).value).toBe(2);
    });

    it('insert', async () => {
      await start(2, 1);
      await run({ op: 'insert', names: ['a', 'b'] });
      expect(await names()).toEqual(['a', 'b']);
      expect(pool!.stats().InUse).toBe(0);
    });

    it('a transaction that commits keeps its rows', async () => {
      await start(2, 1);
      await run({ op: 'txCommit', names: ['c1', 'c2', 'c3'] });
      expect(await names()).toEqual(['c1', 'c2', 'c3']);
      expect(pool!.stats().InUse).toBe(0);
    });

    it('a transaction that throws rolls back on one connection, which comes back out of the transaction', async () => {
      await start(2, 1);
      await run({ op: 'insert', names: ['before'] });
      const r = await run({ op: 'txThrow', names: ['doomed-1', 'doomed-2', 'doomed-3'] });
      expect(await names()).toEqual(['before']);
      expect(r.next, 'the next borrow got the transaction’s connection').toBe(r.session);
      expect(r.inTransaction).toBe(0);
      expect(pool!.stats().InUse).toBe(0);
    });

    it('streaming a result', async () => {
      await start(2, 1);
      const inserted = Array.from({ length: 50 }, (_, i) => `s${String(i).padStart(2, '0')}`);
      await run({ op: 'insert', names: inserted });
      expect((await run({ op: 'stream' })).names).toEqual(inserted);
      expect(pool!.stats().InUse).toBe(0);
    });

    it('4 workers × 3 concurrent transactions each, capacity 3: all commit, the server never shows more than 3 sessions', async () => {
      await start(3, 4);
      const sampler = sampleSessions(env, 3);
      const expected: string[] = [];
      const tasks = Array.from({ length: 8 }, (_, i) => {
        const batch = [0, 1, 2].map((j) => `t${i}-${j}`);
        expected.push(...batch);
        return run({ op: 'txConcurrent', names: batch, sleepS: 0.02 });
      });
      const results = await Promise.all(tasks);
      const { samples, peak, transient } = await sampler.stop();
      const stats0 = pool!.stats();
      console.log(`[measure] ${orm}: processlist samples ${samples.length}, peak sessions ${peak} (capacity 3), ${transient} samples over capacity with closed sessions still listed; pool ${JSON.stringify({ Grants: stats0.Grants, Evictions: stats0.Evictions, Dials: stats0.Dials, WaitCount: stats0.WaitCount })}`);
      expect(new Set(results.map((r) => r.threadId)).size).toBeGreaterThanOrEqual(2);
      expect((await names()).sort()).toEqual(expected.sort());
      expect(samples.length).toBeGreaterThan(0);
      expect(peak).toBeLessThanOrEqual(3);
      const stats = pool!.stats();
      expect(stats.InUse).toBe(0);
      expect(stats.Active).toBeLessThanOrEqual(3);
    });
  });
}
