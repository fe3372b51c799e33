import { Piscina } from 'piscina';
import { afterEach, describe, expect, it } from 'vitest';
import { createSharedPool, PoolOptionError, type SharedPool } from '../../src/index.ts';
import { countReaped, fakeConnector, until } from '../support/fake-connector.ts';
import { scaled } from '../support/time-scale.ts';

let pool: SharedPool | null = null;
let piscina: Piscina | null = null;
afterEach(async () => {
  await piscina?.destroy();
  await pool?.close({ timeoutMs: 3000 }).catch(() => {});
  piscina = null;
  pool = null;
});

const filename = new URL('./piscina-task.mjs', import.meta.url).href;

describe('piscina', () => {
  it('refuses a piscina pool with atomics "sync" (its default)', async () => {
    const { connector } = fakeConnector();
    pool = await createSharedPool({ connector, capacity: 2 });
    piscina = new Piscina({ filename, minThreads: 0, maxThreads: 1, workerData: { pool: pool.handle } });
    expect(() => pool!.watch(piscina!)).toThrow(PoolOptionError);
    expect(() => pool!.watch(piscina!)).toThrow(/atomics.*"sync".*Atomics\.wait/);
  });

  it('4 workers running 200 tasks share capacity 3; shrinking workers are reaped', async () => {
    const { control, connector } = fakeConnector();
    pool = await createSharedPool({ connector, capacity: 3, maxThreads: 16, getTimeoutMs: scaled(10_000) });
    piscina = new Piscina({
      filename, minThreads: 2, maxThreads: 4, idleTimeout: 200, atomics: 'disabled',
      workerData: { pool: pool.handle },
    });
    pool.watch(piscina);
    // A worker destroyed mid-run (idle past idleTimeout while the last tasks run) takes its
    // connections with it: counted closed when reaped, before its units move (exited-thread.test.ts).
    countReaped(pool, control);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => piscina!.run({ spin: 300_000 + (i % 7) * 10_000 })));
    expect(results).toHaveLength(200);
    const threadsUsed = new Set(results.map((r: { threadId: number }) => r.threadId));
    expect(threadsUsed.size).toBeGreaterThanOrEqual(2);
    expect(control.peakOpen).toBeLessThanOrEqual(3);
    expect(pool.stats().InUse).toBe(0);
    // Idle workers above minThreads are destroyed after idleTimeout: each one is reaped.
    // A worker destroyed mid-run is reaped before this point: count reaps from here on.
    const { Threads: attachedAtPeak, ReapedThreads: reapedAtPeak } = pool.stats();
    expect(attachedAtPeak).toBeGreaterThanOrEqual(3);
    // A piscina worker attaches when it loads the task module, so compare with the threads that did.
    await until(() => piscina!.threads.length <= 2 && pool!.stats().Threads <= piscina!.threads.length + 1, 10_000, 'piscina to shrink and the pool to reap');
    const stats = pool.stats();
    // piscina may start a worker to keep minThreads meanwhile, so at least the shrink was reaped.
    expect(stats.ReapedThreads - reapedAtPeak).toBeGreaterThanOrEqual(attachedAtPeak - stats.Threads);
    expect(stats.Active).toBeLessThanOrEqual(3);
    expect(pool.verify()).toEqual([]);
    await piscina.destroy();
    piscina = null;
    await until(() => pool!.stats().Threads === 1, 10_000, 'all piscina workers reaped');
    expect(pool.stats()).toMatchObject({ Active: 0, InUse: 0 });
    expect(pool.verify()).toEqual([]);
    await pool.close();
    expect(control.openNow).toBe(0);
  });
});
