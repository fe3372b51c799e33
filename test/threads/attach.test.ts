/**
 * A failed attach must not leak capacity (issue 9 §4): the whole handle is checked before the
 * thread registers; reap() takes every registration of a thread; verify() reports a threadId
 * registered twice; close()'s drain timeout names the thread still holding units and whether it
 * answers its doorbell.
 */
import { threadId } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { attachSharedPool, createSharedPool, LayoutMismatchError, PoolDrainTimeoutError, type SharedPool } from '../../src/index.ts';
import { fakeConnector } from '../support/fake-connector.ts';
import { nextMessage, spawnTsWorker } from '../support/spawn.ts';
import { takeAll } from '../support/liveness.ts';
import { checkHandleConfig } from '../../src/workers/handle-check.ts';
import { HEADER, SharedCore, verify } from '../../src/core/index.ts';
import { HANDLE_KIND } from '../../src/workers/types.ts';
import { startPoolThread } from '../support/pool-thread.ts';

let pool: SharedPool | null = null;
afterEach(async () => {
  await pool?.close({ timeoutMs: 1000 }).catch(() => {});
  pool = null;
});

async function runWorker(p: SharedPool, hold: number, keep: boolean, watch: boolean): Promise<{ firstError: { name: string; code?: string } | null; index: number }> {
  const worker = spawnTsWorker(new URL('./bad-attach-worker.ts', import.meta.url), { pool: p.handle, hold, keep });
  if (watch) p.watch(worker);
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  const done = await nextMessage<{ firstError: { name: string; code?: string } | null; index: number }>(worker, 'done');
  await exited;
  return done;
}

describe('attach', () => {
  it('half a handle (no config) in a watched worker: typed error, nothing registered; after the worker exits every unit is obtainable and close resolves', async () => {
    const { connector } = fakeConnector();
    pool = await createSharedPool({ connector, capacity: 2, maxThreads: 8 });
    const done = await runWorker(pool, 1, false, true);
    expect(done.firstError).toMatchObject({ name: 'LayoutMismatchError', code: 'POOL_LAYOUT_MISMATCH' });
    // The watch reaps on 'exit', which has been emitted.
    expect(pool.stats().Threads).toBe(1);
    const r = await takeAll(pool.client, 2, 1000);
    expect(r).toEqual({ got: 2, errors: [] });
    expect(pool.verify()).toEqual([]);
    await pool.close({ timeoutMs: 1000 });
  });

  it('checkHandleConfig names the missing or wrong field', () => {
    const { connector } = fakeConnector();
    const config = { connector, maxLifetimeMs: 0, getTimeoutMs: 0, maxWaiters: 1, handoffDelayMs: 1 };
    expect(() => checkHandleConfig(undefined)).toThrow(/has no config/);
    expect(() => checkHandleConfig({ ...config, connector: {} })).toThrow(/config\.connector\.module/);
    expect(() => checkHandleConfig({ ...config, maxWaiters: 'x' })).toThrow(LayoutMismatchError);
    expect(() => checkHandleConfig({ ...config, maxWaiters: 'x' })).toThrow(/config\.maxWaiters is string/);
    expect(() => checkHandleConfig(config)).not.toThrow();
  });

  it('an agent that cannot be built: the registration made for it is undone', () => {
    const { connector } = fakeConnector();
    const core = SharedCore.create({ maxCapacity: 2, maxThreads: 4, maxWaiters: 4, maxSettings: 4 });
    let reads = 0;
    const config = {
      connector, maxLifetimeMs: 0, getTimeoutMs: 0, maxWaiters: 4,
      // Valid when checked, then failing: the agent's constructor throws after the thread registered.
      get handoffDelayMs(): number {
        if (++reads > 1) throw new Error('agent construction failed');
        return 5;
      },
    };
    expect(() => attachSharedPool({ kind: HANDLE_KIND, buffer: core.buffer, config })).toThrow('agent construction failed');
    expect(Atomics.load(core.memory.header, HEADER.THREADS_ATTACHED)).toBe(0);
    expect(core.threads.lookup(threadId)).toBe(-1);
    expect(verify(core)).toEqual([]);
  });

  it('reap() takes every registration of a thread; verify() reports a threadId registered twice', async () => {
    const { connector } = fakeConnector();
    pool = await createSharedPool({ connector, capacity: 2, maxThreads: 4 });
    const fakeId = threadId + 10_000;
    const a = pool.core.threads.attach(fakeId);
    const b = pool.core.threads.attach(fakeId);
    expect(pool.verify()).toEqual([expect.stringMatching(new RegExp(`threadId ${fakeId} is registered twice \\(thread indices ${a} and ${b}`))]);
    pool.reap(fakeId);
    expect(pool.core.threads.lookup(fakeId)).toBe(-1);
    expect(pool.verify()).toEqual([]);
  });

  it('close() timing out because a thread exited holding units without watch()/reap() names that thread and says it has not answered its doorbell', async () => {
    const { connector } = fakeConnector();
    pool = await createSharedPool({ connector, capacity: 2, maxThreads: 4 });
    const done = await runWorker(pool, 1, true, false);
    const error = await pool.close({ timeoutMs: 100 }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(PoolDrainTimeoutError);
    const e = error as PoolDrainTimeoutError;
    expect(e.holders).toEqual([expect.objectContaining({ index: done.index, units: 1, answered: false })]);
    expect(e.message).toMatch(new RegExp(`thread index ${done.index} \\(threadId \\d+\\) holds 1 unit and has not answered its doorbell`));
    pool = null;
  });

  it('probe(): a thread that exited holding units without watch()/reap() is reported, a live one is not; reap() then frees its units', async () => {
    const { connector } = fakeConnector();
    pool = await createSharedPool({ connector, capacity: 2, maxThreads: 4 });
    const live = await startPoolThread(pool);
    const done = await runWorker(pool, 1, false, false);
    try {
      const silent = await pool.probe({ timeoutMs: 300 });
      expect(silent).toEqual([expect.objectContaining({ index: done.index, units: 1, answered: false })]);
      expect(silent.some((t) => t.index === live.index)).toBe(false);
      pool.reap(silent[0].threadId);
      expect(await pool.probe({ timeoutMs: 300 })).toEqual([]);
      expect(await takeAll(pool.client, 2, 1000)).toEqual({ got: 2, errors: [] });
    } finally {
      await live.worker.terminate();
    }
  });
});
