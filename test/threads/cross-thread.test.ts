import { afterEach, describe, expect, it } from 'vitest';
import { createSharedPool, type SharedPool } from '../../src/index.ts';
import { fakeConnector, until } from '../support/fake-connector.ts';
import { newId, type PoolThread, endPoolAndThreads, startPoolThreads } from '../support/pool-thread.ts';
import { scaled } from '../support/time-scale.ts';

let pool: SharedPool | null = null;
const threads: PoolThread[] = [];
afterEach(async () => {
  await endPoolAndThreads(pool, threads);
  pool = null;
});

async function spawn(n: number): Promise<PoolThread[]> {
  return startPoolThreads(pool!, n, threads);
}

describe('one capacity across threads', () => {
  it('3 threads × 300 gets against capacity 4: never more than 4 connections open, every get served', async () => {
    const { control, connector } = fakeConnector();
    pool = await createSharedPool({ connector, capacity: 4, maxThreads: 8 });
    const workers = await spawn(3);
    const results = await Promise.all(workers.map((t) => t.request<{ type: string; ok: number; errors: string[] }>({ cmd: 'loop', id: newId(), gets: 300, holdTicks: 2 }, 'loopDone')));
    for (const r of results) {
      expect(r.errors).toEqual([]);
      expect(r.ok).toBe(300);
    }
    expect(control.peakOpen).toBeLessThanOrEqual(4);
    expect(control.peakOpen).toBeGreaterThan(0);
    const stats = pool.stats();
    expect(stats.Active).toBeLessThanOrEqual(4);
    expect(stats.InUse).toBe(0);
    expect(stats.Get).toBe(900);
    expect(pool.verify()).toEqual([]);
    await pool.close();
    await Promise.all(workers.map((t) => t.request({ cmd: 'settled' }, 'settled')));
    expect(control.openNow).toBe(0);
    expect(pool.verify()).toEqual([]);
  });

  it('grant: A holds all capacity, B waits, A recycles → B is served with the unit', async () => {
    const { control, connector } = fakeConnector();
    pool = await createSharedPool({ connector, capacity: 2 });
    const [a, b] = await spawn(2);
    const a1 = newId();
    const a2 = newId();
    expect((await a.get(a1)).type).toBe('got');
    expect((await a.get(a2)).type).toBe('got');
    const bId = newId();
    const bWait = b.get(bId, { timeoutMs: 10_000 });
    await until(() => pool!.stats().Waiting === 1, 5000, 'B waiting');
    await a.request({ cmd: 'recycle', id: a1 }, 'done');
    const served = await bWait;
    expect(served.type).toBe('got');
    const stats = pool.stats();
    expect(stats.Grants).toBe(1);
    expect(stats.CrossThreadWaitCount).toBe(1);
    expect(control.peakOpen).toBeLessThanOrEqual(2);
    expect(stats.Active).toBe(2);
    await a.request({ cmd: 'recycle', id: a2 }, 'done');
    await b.request({ cmd: 'recycle', id: bId }, 'done');
    expect(pool.verify()).toEqual([]);
    await pool.close();
    expect(control.openNow).toBe(0);
  });

  it('eviction: all of A\'s connections idle, B needs one → B is served, one of A\'s sockets closed, never over capacity', async () => {
    const { control, connector } = fakeConnector();
    pool = await createSharedPool({ connector, capacity: 2 });
    const [a, b] = await spawn(2);
    const ids = [newId(), newId()];
    for (const id of ids) expect((await a.get(id)).type).toBe('got');
    for (const id of ids) await a.request({ cmd: 'recycle', id }, 'done');
    expect(pool.stats().Active).toBe(2);
    expect(control.closed).toBe(0);
    const bId = newId();
    const got = await b.get(bId, { timeoutMs: 10_000 });
    expect(got.type).toBe('got');
    const stats = pool.stats();
    expect(stats.Evictions).toBe(1);
    expect(control.closed).toBe(1);
    expect(control.peakOpen).toBeLessThanOrEqual(2);
    expect(stats.Active).toBe(2);
    expect(pool.verify()).toEqual([]);
    await b.request({ cmd: 'recycle', id: bId }, 'done');
    await pool.close();
    await b.request({ cmd: 'settled' }, 'settled');
    expect(control.openNow).toBe(0);
  });

  it('over-eviction: a waiter requests one eviction at a time, however long the busy owner takes to answer', async () => {
    const { control, connector } = fakeConnector();
    pool = await createSharedPool({ connector, capacity: 4, handoffDelayMs: 5 });
    const [a, b] = await spawn(2);
    const ids = [newId(), newId(), newId(), newId()];
    for (const id of ids) expect((await a.get(id)).type).toBe('got');
    for (const id of ids) await a.request({ cmd: 'recycle', id }, 'done');
    // A computes: its four connections are idle, but it cannot close one until its loop turns.
    const gate = new Int32Array(new SharedArrayBuffer(4));
    await a.request({ cmd: 'block', gate }, 'blocked');
    // B's get() evicts one of A's connections on enqueue (B holds none), then its starvation tick
    // (every 5 ms) runs before the get's deadline fires (Node runs timers in order of expiry).
    // Each tick used to claim another of A's idle connections for the same waiter.
    const first = await b.get(newId(), { timeoutMs: 300 });
    expect(first.code).toBe('POOL_TIMEOUT');
    expect(pool.stats().Evictions).toBe(1);
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    // Liveness: A closes the one claimed connection; B gets a unit (a new eviction is allowed now).
    const bId = newId();
    expect((await b.get(bId, { timeoutMs: 10_000 })).type).toBe('got');
    await b.request({ cmd: 'recycle', id: bId }, 'done');
    await a.request({ cmd: 'settled' }, 'settled');
    expect(control.closed).toBeLessThanOrEqual(2);
    expect(pool.stats().Active).toBeLessThanOrEqual(4);
    expect(pool.verify()).toEqual([]);
  });

  it('fairness: a thread holding nothing is served while another thread keeps local waiters (age cap)', async () => {
    const { connector } = fakeConnector();
    // One unit: balance cannot apply, only the age cap. A busy thread's last connection goes to
    // another thread only once its waiter has waited handoffDelayMs (hysteresis): 10 ms here, so
    // that A's loops (which can finish within the default 100 ms on a fast run) outlast it.
    pool = await createSharedPool({ connector, capacity: 1, handoffDelayMs: 10 });
    const [a, b] = await spawn(2);
    // Three loops on one connection: A always has local waiters, so its returns prefer them.
    const loops = Array.from({ length: 3 }, () => a.request<{ type: string; ok: number; errors: string[] }>({ cmd: 'loop', id: newId(), gets: 5000, holdTicks: 1 }, 'loopDone'));
    let aFinished = false;
    void Promise.all(loops).then(() => (aFinished = true));
    await until(() => pool!.stats().Waiting >= 2 && pool!.stats().Active === 1, 5000, 'A saturated');
    const bId = newId();
    const got = await b.get(bId, { timeoutMs: 10_000 });
    expect(got.type).toBe('got');
    // Served while A still had local waiters: not merely once A ran out of work.
    expect(aFinished).toBe(false);
    expect(pool.stats().Grants).toBeGreaterThanOrEqual(1);
    await b.request({ cmd: 'recycle', id: bId }, 'done');
    for (const r of await Promise.all(loops)) expect(r.errors).toEqual([]);
    expect(pool.verify()).toEqual([]);
  });

  it('balance: two busy threads end up holding the capacity about evenly, without churn', async () => {
    const { connector } = fakeConnector();
    pool = await createSharedPool({ connector, capacity: 4 });
    const [a, b] = await spawn(2);
    // A starts with all four connections (idle), then both threads get equally busy.
    const ids = [newId(), newId(), newId(), newId()];
    for (const id of ids) expect((await a.get(id)).type).toBe('got');
    for (const id of ids) await a.request({ cmd: 'recycle', id }, 'done');
    const held = (t: { index: number }): number => pool!.core.threads.slotsHeld(t.index);
    expect([held(a), held(b)]).toEqual([4, 0]);
    const busy = (t: typeof a): Promise<{ type: string; ok: number; errors: string[] }>[] =>
      Array.from({ length: 4 }, () => t.request<{ type: string; ok: number; errors: string[] }>({ cmd: 'loop', id: newId(), gets: 1500, holdTicks: 1 }, 'loopDone'));
    const running = Promise.all([...busy(a), ...busy(b)]);
    // Sampled while both are busy (once one thread runs out of work, its units rightly flow on).
    await until(() => pool!.stats().Get > 6000, 20_000, 'half of the gets');
    const mid = [held(a), held(b)];
    for (const r of await running) expect(r.errors).toEqual([]);
    expect(Math.abs(mid[0] - mid[1])).toBeLessThanOrEqual(1);
    expect(mid[0] + mid[1]).toBeGreaterThanOrEqual(3);
    // Units moved a few times to even out, not once per get (12 000 gets in all).
    expect(pool.stats().Grants + pool.stats().Evictions).toBeLessThan(200);
    expect(pool.verify()).toEqual([]);
  });

  it('close with waiters and hanging connects in 3 threads returns before its deadline; every waiter gets the closed error', async () => {
    const { control, connector } = fakeConnector();
    pool = await createSharedPool({ connector, capacity: 3 });
    const workers = await spawn(3);
    control.block = true;
    // One hanging connect per thread (capacity 3), then two waiters per thread.
    const pending = workers.flatMap((t) => [t.get(newId(), { timeoutMs: 60_000 }), t.get(newId(), { timeoutMs: 60_000 }), t.get(newId(), { timeoutMs: 60_000 })]);
    await control.untilBlocked(3);
    await until(() => pool!.stats().Waiting === 6, 5000, '6 waiters');
    const started = performance.now();
    await pool.close({ timeoutMs: 5000 });
    const took = performance.now() - started;
    const outcomes = await Promise.all(pending);
    for (const o of outcomes) {
      expect(o.type).toBe('error');
      expect(o.code).toBe('POOL_CLOSED');
    }
    expect(took).toBeLessThan(scaled(5000));
    expect(control.aborted).toBe(3);
    expect(pool.stats().Active).toBe(0);
    expect(pool.verify()).toEqual([]);
  });

  it('a worker terminated while holding borrowed and idle connections is reaped: counters return to what the living hold', async () => {
    const { connector } = fakeConnector();
    pool = await createSharedPool({ connector, capacity: 4 });
    const [a, b] = await spawn(2);
    pool.watch(a.worker);
    const ids = [newId(), newId(), newId()];
    for (const id of ids) expect((await a.get(id)).type).toBe('got');
    await a.request({ cmd: 'recycle', id: ids[0] }, 'done');
    const bId = newId();
    expect((await b.get(bId)).type).toBe('got');
    expect(pool.stats()).toMatchObject({ Active: 4, InUse: 3, Threads: 3 });
    const exited = new Promise((r) => a.worker.once('exit', r));
    await a.worker.terminate();
    await exited;
    expect(pool.stats()).toMatchObject({ Active: 1, InUse: 1, Threads: 2, ReapedThreads: 1 });
    expect(pool.verify()).toEqual([]);
    // The reclaimed capacity is usable again.
    const moreIds = [newId(), newId(), newId()];
    const more = await Promise.all(moreIds.map((id) => b.get(id)));
    for (const m of more) expect(m.type).toBe('got');
    expect(pool.stats().Active).toBe(4);
    for (const id of [bId, ...moreIds]) await b.request({ cmd: 'recycle', id }, 'done');
    await pool.close();
    expect(pool.verify()).toEqual([]);
  });

  it('an explicit detach reclaims the thread\'s slots and units', async () => {
    const { connector } = fakeConnector();
    pool = await createSharedPool({ connector, capacity: 2 });
    const [a] = await spawn(1);
    const id = newId();
    await a.get(id);
    await a.get(newId());
    await a.request({ cmd: 'recycle', id }, 'done');
    expect(pool.stats().Active).toBe(2);
    await a.request({ cmd: 'detach' }, 'detached');
    expect(pool.stats()).toMatchObject({ Active: 0, InUse: 0, Threads: 1 });
    expect(pool.verify()).toEqual([]);
  });
});
