/**
 * One capacity across worker threads, seen from the server: two threads running queries against
 * capacity 4 never make the server show more than 4 of this pool's sessions.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSharedPool, type SharedPool } from '../../src/index.ts';
import { type MysqlEnv, mysqlSkip, setupMysql } from '../support/mysql.ts';
import { type MysqlThread, newId, startMysqlThread } from './threads.ts';

const skip = await mysqlSkip();

let env: MysqlEnv;
let pool: SharedPool | null = null;
const threads: MysqlThread[] = [];

describe.skipIf(skip)('shared capacity on MariaDB', () => {
  beforeAll(async () => {
    env = await setupMysql();
  });

  afterAll(async () => {
    await env?.close();
  });

  afterEach(async () => {
    const p = pool;
    pool = null;
    await p?.close({ timeoutMs: 5000 }).catch(() => p.client.detach());
    await Promise.all(threads.map((t) => t.request({ cmd: 'settled' }, 'settled')));
    await Promise.all(threads.splice(0).map((t) => t.worker.terminate()));
    expect(await env.untilSessions(0, 3000), "this pool's sessions left on the server after close()").toBe(0);
  });

  it('2 threads × 4 parallel query chains, capacity 4: the server never shows more than 4 sessions of this pool', async () => {
    pool = await createSharedPool({ connection: env.connection(), capacity: 4, maxThreads: 8 });
    const workers = await Promise.all([startMysqlThread(pool), startMysqlThread(pool)]);
    threads.push(...workers);
    let sampling = true;
    const samples: number[] = [];
    const sampler = (async () => {
      while (sampling) {
        samples.push(await env.sessions());
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const sql = 'SELECT CONNECTION_ID() AS id, SLEEP(0.002) AS s';
    const settingSql = "SET SESSION sql_mode = 'ANSI'";
    const runs = await Promise.all([
      workers[0].request({ cmd: 'loop', id: newId(), n: 200, parallel: 4, sql }, 'loopDone'),
      workers[1].request({ cmd: 'loop', id: newId(), n: 200, parallel: 4, sql, setting: settingSql }, 'loopDone'),
    ]);
    sampling = false;
    await sampler;
    for (const r of runs) {
      expect(r.errors).toEqual([]);
      expect(r.ok).toBe(200);
    }
    const peak = Math.max(...samples);
    console.log(`[measure] processlist samples: ${samples.length}, peak sessions ${peak} (capacity 4); sessions used: thread A ${runs[0].sessions!.length}, thread B ${runs[1].sessions!.length}; pool ${JSON.stringify({ Grants: pool.stats().Grants, Evictions: pool.stats().Evictions, Dials: pool.stats().Dials })}`);
    expect(samples.length).toBeGreaterThan(5);
    expect(peak).toBeLessThanOrEqual(4);
    expect(peak).toBeGreaterThan(0);
    const stats = pool.stats();
    expect(stats.Active).toBeLessThanOrEqual(4);
    expect(stats.InUse).toBe(0);
    expect(pool.verify()).toEqual([]);
  });
});
