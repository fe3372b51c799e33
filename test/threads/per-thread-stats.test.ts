/** stats().PerThread and stats().WaitHistogram: the per-thread breakdown and the served-wait histogram. */
import { threadId } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { createSharedPool, type SharedPool } from '../../src/index.ts';
import { fakeConnector, until } from '../support/fake-connector.ts';
import { newId, type PoolThread, startPoolThread, endPoolAndThreads } from '../support/pool-thread.ts';

let pool: SharedPool | null = null;
const threads: PoolThread[] = [];
afterEach(async () => {
  await endPoolAndThreads(pool, threads);
  pool = null;
});

describe('stats() per thread', () => {
  it('each attached thread with what it holds and its own counters; totals are their sums', async () => {
    const { connector } = fakeConnector();
    pool = await createSharedPool({ connector, capacity: 3, maxThreads: 8 });
    const worker = await startPoolThread(pool);
    threads.push(worker);
    const mine = await pool.get();
    const idle = await pool.get();
    idle.recycle();
    expect((await worker.get(newId())).type).toBe('got');
    const stats = pool.stats();
    const byIndex = new Map(stats.PerThread.map((t) => [t.Thread, t]));
    expect(stats.PerThread).toHaveLength(2);
    expect(byIndex.get(pool.client.threadIndex)).toMatchObject({ ThreadId: threadId, Active: 2, InUse: 1, Idle: 1, Waiting: 0, Get: 2, Dials: 2 });
    expect(byIndex.get(worker.index)).toMatchObject({ ThreadId: worker.worker.threadId, Active: 1, InUse: 1, Idle: 0, Get: 1, Dials: 1 });
    for (const key of ['Get', 'Dials', 'InUse'] as const) {
      expect(stats.PerThread.reduce((sum, t) => sum + t[key], 0)).toBe(stats[key]);
    }
    mine.recycle();
  });

  it('WaitHistogram: cumulative [leMs, count] buckets of served waits, ending at Infinity', async () => {
    const { connector } = fakeConnector();
    pool = await createSharedPool({ connector, capacity: 1 });
    const held = await pool.get();
    const waiting = pool.get({ timeoutMs: 5000 });
    await until(() => pool!.stats().Waiting === 1, 5000, 'the waiter');
    held.recycle();
    (await waiting).recycle();
    const h = pool.stats().WaitHistogram;
    expect(h.at(-1)).toEqual([Number.POSITIVE_INFINITY, 1]);
    for (let i = 1; i < h.length; i++) {
      expect(h[i][0]).toBeGreaterThan(h[i - 1][0]);
      expect(h[i][1]).toBeGreaterThanOrEqual(h[i - 1][1]);
    }
    expect(pool.stats().WaitCount).toBe(1);
  });
});
