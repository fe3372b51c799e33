/**
 * piscina's "peakOpen 4 over capacity 3" (Node 22, loaded machine): piscina destroyed a worker idle
 * for its idleTimeout while the last tasks still ran; the pool reaped it once it had exited and
 * moved its units on; the fake connector counted the dead worker's connections open forever
 * (close() never runs in a thread that exited), so the next dials read as a fourth open connection.
 * The pool was within capacity: a unit of a dead thread moves only after the thread's 'exit' (its
 * sockets closed with its handles). Here forced with one worker: it holds both units, is terminated,
 * and main dials both again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSharedPool, type SharedPool } from '../../src/index.ts';
import { countReaped, fakeConnector, until } from '../support/fake-connector.ts';
import { newId, startPoolThread } from '../support/pool-thread.ts';

let pool: SharedPool | null = null;
afterEach(async () => {
  await pool?.close({ timeoutMs: 3000 }).catch(() => {});
  pool = null;
});

describe('a thread that exits holding connections', () => {
  it('its connections count as closed once it has exited; the units reaped from it keep the process within capacity', async () => {
    const { control, connector } = fakeConnector();
    pool = await createSharedPool({ connector, capacity: 2, maxThreads: 4 });
    const thread = await startPoolThread(pool);
    pool.watch(thread.worker);
    countReaped(pool, control);
    // When the pool reaps, the thread has exited (watch() waits for 'exit').
    const reap = pool.reap.bind(pool);
    const exitedAtReap: boolean[] = [];
    pool.reap = (id: number) => {
      exitedAtReap.push(thread.worker.threadId === -1);
      return reap(id);
    };
    expect((await thread.get(newId())).type).toBe('got');
    expect((await thread.get(newId())).type).toBe('got'); // one borrowed, one borrowed: both units
    expect(control.openNow).toBe(2);
    await thread.worker.terminate();
    await until(() => pool!.stats().ReapedThreads === 1, 5000, 'the worker reaped');
    expect(exitedAtReap).toEqual([true]);
    expect(control.diedOpen).toBe(2);
    const conns = [await pool.get({ timeoutMs: 1000 }), await pool.get({ timeoutMs: 1000 })];
    expect(control.openNow).toBe(2);
    expect(control.peakOpen).toBeLessThanOrEqual(2);
    for (const c of conns) c.recycle();
    expect(pool.verify()).toEqual([]);
    await pool.close();
    expect(control.openNow).toBe(0);
  });
});
