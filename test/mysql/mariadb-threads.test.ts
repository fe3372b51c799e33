/**
 * One capacity across worker threads, seen from the server: two threads running queries against
 * capacity 4 never make the server show more than 4 of this pool's sessions.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSharedPool, type SharedPool } from '../../src/index.ts';
import { type MysqlEnv, mysqlSkip, sampleSessions, setupMysql } from '../support/mysql.ts';
import { takeAll } from '../support/liveness.ts';
import { type MysqlThread, newId, startMysqlThread } from '../support/mysql-thread.ts';
import { scaled } from '../support/time-scale.ts';

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
    const sampler = sampleSessions(env, 4);
    const sql = 'SELECT CONNECTION_ID() AS id, SLEEP(0.002) AS s';
    const settingSql = "SET SESSION sql_mode = 'ANSI'";
    const runs = await Promise.all([
      workers[0].request({ cmd: 'loop', id: newId(), n: 200, parallel: 4, sql }, 'loopDone'),
      workers[1].request({ cmd: 'loop', id: newId(), n: 200, parallel: 4, sql, setting: settingSql }, 'loopDone'),
    ]);
    const { samples, peak, transient } = await sampler.stop();
    for (const r of runs) {
      expect(r.errors).toEqual([]);
      expect(r.ok).toBe(200);
    }
    console.log(`[measure] processlist samples: ${samples.length}, peak sessions ${peak} (capacity 4), ${transient} samples over capacity with closed sessions still listed; sessions used: thread A ${runs[0].sessions!.length}, thread B ${runs[1].sessions!.length}; pool ${JSON.stringify({ Grants: pool.stats().Grants, Evictions: pool.stats().Evictions, Dials: pool.stats().Dials })}`);
    expect(samples.length).toBeGreaterThan(5);
    expect(peak).toBeLessThanOrEqual(4);
    expect(peak).toBeGreaterThan(0);
    const stats = pool.stats();
    expect(stats.Active).toBeLessThanOrEqual(4);
    expect(stats.InUse).toBe(0);
    expect(pool.verify()).toEqual([]);
  });

  it('liveness (issue 9 scenario): capacity 4, 2 workers take 2 each and recycle, then main takes 4 at once with a 1 s deadline, for 5 s: no get times out', async () => {
    pool = await createSharedPool({ connection: env.connection(), capacity: 4, maxThreads: 8 });
    const workers = await Promise.all([startMysqlThread(pool), startMysqlThread(pool)]);
    threads.push(...workers);
    const end = Date.now() + Number(process.env.LIVENESS_MS ?? 5000);
    let rounds = 0;
    let roundsWithTimeout = 0;
    let timeouts = 0;
    while (Date.now() < end) {
      const before = await Promise.all(workers.map((w) => w.request({ cmd: 'takeAll', id: newId(), n: 2, timeoutMs: 5000 }, 'took')));
      const r = await takeAll(pool.client, 4, 1000);
      rounds++;
      if (r.got !== 4 || before.some((b) => b.got !== 2)) roundsWithTimeout++;
      timeouts += 4 - r.got + before.reduce((n, b) => n + 2 - (b.got ?? 0), 0);
    }
    if (process.env.LIVENESS_VERBOSE) console.log(`MariaDB issue scenario: ${rounds} rounds, ${roundsWithTimeout} with a timeout, ${timeouts} gets timed out`);
    expect({ roundsWithTimeout, timeouts }).toEqual({ roundsWithTimeout: 0, timeouts: 0 });
    expect(pool.verify()).toEqual([]);
  }, scaled(60_000));
});
