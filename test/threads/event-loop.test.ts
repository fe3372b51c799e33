import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createSharedPool, PoolDrainTimeoutError } from '../../src/index.ts';
import { fakeConnector } from '../support/fake-connector.ts';
import { nextMessage, spawnTsWorker } from '../support/spawn.ts';
import { newId, startPoolThread } from '../support/pool-thread.ts';
import { scaled } from '../support/time-scale.ts';

const run = promisify(execFile);
const child = fileURLToPath(new URL('./event-loop-child.ts', import.meta.url));

describe('event loop', () => {
  it('a waiting get() with a deadline keeps the process alive until it times out', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', child, 'timeout'], { timeout: scaled(20_000) });
    expect(stdout.trim()).toBe('timed out');
  });

  it('a waiting get() without a deadline keeps the process alive until it is served', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', child, 'served'], { timeout: scaled(20_000) });
    expect(stdout.trim()).toBe('served');
  });

  it('an idle agent does not keep its worker alive', async () => {
    const { connector } = fakeConnector();
    const pool = await createSharedPool({ connector, capacity: 2, idleTimeoutMs: 60_000 });
    const worker = spawnTsWorker(new URL('./idle-worker.ts', import.meta.url), { pool: pool.handle });
    pool.watch(worker);
    const idle = await nextMessage<{ active: number }>(worker, 'idle');
    expect(idle.active).toBe(1);
    const code = await new Promise<number>((resolve) => worker.once('exit', resolve));
    expect(code).toBe(0);
    // The exited worker was reaped: its idle connection's unit is back.
    expect(pool.stats()).toMatchObject({ Active: 0, Threads: 1, ReapedThreads: 1 });
    expect(pool.verify()).toEqual([]);
    await pool.close();
  });

  it('a drain honours its deadline even when a thread holding idle connections is stuck', async () => {
    const { connector } = fakeConnector();
    const pool = await createSharedPool({ connector, capacity: 2 });
    const t = await startPoolThread(pool);
    const id = newId();
    await t.get(id);
    await t.request({ cmd: 'recycle', id }, 'done');
    await t.request({ cmd: 'hang' }, 'hanging');
    const started = performance.now();
    const error = await pool.setCapacity(0, { timeoutMs: 300 }).catch((e: unknown) => e);
    const took = performance.now() - started;
    expect(error).toBeInstanceOf(PoolDrainTimeoutError);
    expect((error as Error).message).toMatch(/capacity = 0, active = 1, borrowed = 0/);
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(scaled(5000));
    pool.watch(t.worker);
    const exited = new Promise((r) => t.worker.once('exit', r));
    await t.worker.terminate();
    await exited;
    expect(pool.stats().Active).toBe(0);
    await pool.close();
    expect(pool.verify()).toEqual([]);
  });
});
