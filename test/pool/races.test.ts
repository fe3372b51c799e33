/**
 * Deterministic versions of races the stress tests found, so they stay fixed.
 */
import { describe, expect, it } from 'vitest';
import { createSharedPool, PoolTimeoutError } from '../../src/index.ts';
import { CELL_STATE } from '../../src/core/index.ts';
import { fakeConnector } from '../support/fake-connector.ts';
import { scaled } from '../support/time-scale.ts';
import { newId, startPoolThread } from '../support/pool-thread.ts';

describe('races', () => {
  it('waiters timing out together while one of them was just granted a unit: every cell ends once, the unit is passed on', async () => {
    const { control, connector } = fakeConnector();
    const pool = await createSharedPool({ connector, capacity: 2, maxCapacity: 3 });
    // A worker holds both connections and this thread none, so the handoff policy publishes this
    // thread's waiters (gives them shared cells) at once: the race needs cells.
    const worker = await startPoolThread(pool);
    const workerIds = [newId(), newId()];
    for (const id of workerIds) expect((await worker.get(id)).type).toBe('got');
    const w1 = pool.get({ timeoutMs: 20 }).then(() => 'served', (e: unknown) => e);
    const w2 = pool.get({ timeoutMs: 20 }).then(() => 'served', (e: unknown) => e);
    const cells = pool.core.waiters.waitingInOrder();
    expect(cells).toHaveLength(2);
    // Another thread frees a unit and grants it to the first waiter (its doorbell not yet handled).
    await pool.setCapacity(3);
    expect(pool.core.counters.reserve()).toBe(true);
    expect(pool.core.waiters.grantOwner(cells[0])).toBe(pool.client.threadIndex);
    // Both deadlines pass before this thread's timer runs, so they leave in one batch.
    const until = performance.now() + 40;
    while (performance.now() < until) {
      // busy: the event loop does not turn
    }
    const [e1, e2] = await Promise.all([w1, w2]);
    expect(e1).toBeInstanceOf(PoolTimeoutError);
    expect(e2).toBeInstanceOf(PoolTimeoutError);
    await pool.settled();
    for (const cell of cells) expect(pool.core.waiters.state(cell)).toBe(CELL_STATE.FREE);
    // The granted unit was released (nobody waits): only the worker's two connections remain.
    expect(pool.stats()).toMatchObject({ Active: 2, InUse: 2, Waiting: 0 });
    expect(pool.verify()).toEqual([]);
    for (const id of workerIds) await worker.request({ cmd: 'recycle', id }, 'done');
    await pool.close();
    await worker.request({ cmd: 'settled' }, 'settled');
    await worker.worker.terminate();
    expect(control.openNow).toBe(0);
  }, scaled(10_000));
});
