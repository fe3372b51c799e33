/**
 * Open, shrink, close, reopen and refresh: smartconnpool acceptance scenarios 1–11 (pool_test.go TestOpen … TestSetCapacityRejectedOnClosedPool),
 * see docs/smartconnpool.md §6. Single thread (main), fake connector.
 * Scenarios 12–22 are in expiry-and-dial-failures.test.ts.
 *
 * Mapping of the Go fixtures: `put(conn)` = conn.recycle(); `put(nil)` = conn.taint(), or recycle()
 * of a connection whose socket was closed; "open" (currently open) = control.openNow;
 * lastID = control.lastId; `p.wait.waiting()` = pool.client.agent.waiting; ctx deadlines = timeoutMs.
 */
import { describe, expect, it } from 'vitest';
import { PoolClosedError, PoolDrainTimeoutError, PoolOptionError, type PooledConnection } from '../../src/index.ts';
import { SLOT_STATE } from '../../src/core/slot-table.ts';
import { until } from '../support/fake-connector.ts';
import { finish, openPool, settle, usePoolFixture } from '../support/pool-fixture.ts';
import { sleep } from '../support/timing.ts';

const FOO = 'SET foo=1';
usePoolFixture(500);

describe('smartconnpool scenarios 1–11', () => {
  it('#1 TestOpen: gets open conns, waiters are served by puts, put(nil) refills, setCapacity shrinks/grows, close closes all', async () => {
    const { pool, control } = await openPool({ capacity: 5, maxCapacity: 6 });
    const foo = pool.setting(FOO);
    const get = (i: number): Promise<PooledConnection> => pool.get(i % 2 === 0 ? {} : { setting: foo });
    const resources: PooledConnection[] = [];

    for (let i = 0; i < 5; i++) {
      resources[i] = await get(i);
      const s = pool.stats();
      expect(s.Available).toBe(5 - i - 1);
      expect(s.WaitCount).toBe(0);
      expect(s.WaitTime).toBe(0);
      expect(control.lastId).toBe(i + 1);
      expect(control.openNow).toBe(i + 1);
    }

    // Five more gets, one after the other, each parked until the main loop puts one back.
    const served: PooledConnection[] = [];
    const waiting = (async () => {
      for (let i = 0; i < 5; i++) served[i] = await get(i);
    })();
    for (let i = 0; i < 5; i++) {
      await until(() => pool.client.agent.waiting === 1, 10_000, `waiter ${i}`);
      resources[i].recycle();
    }
    await waiting;
    for (const r of served) r.recycle();
    const s = pool.stats();
    // Adapted: there is no LogWait hook (so no per-wait start times to check for monotonicity);
    // WaitCount and WaitTime are the pool's own record of the same waits.
    expect(s.WaitCount).toBe(5);
    expect(s.WaitTime).toBeGreaterThan(0);
    expect(control.lastId).toBe(5);
    expect(control.opened).toBe(5);

    // A closed socket given back (put(nil)) gets a replacement. Adapted: the refill runs in the
    // background (recycle() never blocks), so wait for settled() before counting.
    const r = await pool.get();
    r.connection.close();
    r.recycle();
    await pool.settled();
    expect(control.openNow).toBe(5);
    expect(control.lastId).toBe(6);

    for (let i = 0; i < 5; i++) resources[i] = await get(i);
    for (let i = 0; i < 5; i++) resources[i].recycle();
    expect(control.openNow).toBe(5);
    expect(control.lastId).toBe(6);

    await pool.setCapacity(3);
    expect(control.openNow).toBe(3);
    expect(control.lastId).toBe(6);
    expect(pool.stats()).toMatchObject({ Capacity: 3, Available: 3 });

    await pool.setCapacity(6);
    expect(pool.stats()).toMatchObject({ Capacity: 6, Available: 6 });
    for (let i = 0; i < 6; i++) resources[i] = await get(i);
    for (let i = 0; i < 6; i++) resources[i].recycle();
    expect(control.openNow).toBe(6);
    expect(control.lastId).toBe(9);

    await pool.close();
    expect(pool.stats()).toMatchObject({ Capacity: 0, Available: 0, Active: 0 });
    expect(control.closed).toBe(control.opened);
    await finish(pool, control);
  });

  it('#2 TestShrinking: setCapacity waits for returns, a waiter and a pending shrink do not deadlock, racing setCapacity calls apply in order', async () => {
    const { pool, control } = await openPool({ capacity: 5 });
    const foo = pool.setting(FOO);
    const get = (i: number): Promise<PooledConnection> => pool.get(i % 2 === 0 ? {} : { setting: foo });
    const resources: PooledConnection[] = [];
    for (let i = 0; i < 4; i++) resources[i] = await pool.get();

    let shrunk = false;
    const shrink = pool.setCapacity(3).then(() => { shrunk = true; });
    await until(() => pool.stats().Capacity === 3, 10_000, 'capacity 3');
    await sleep(10);
    expect(shrunk).toBe(false);
    expect(pool.stats()).toMatchObject({
      // Differs from upstream (-1): Available never goes negative (borrowed above capacity = none available).
      Capacity: 3, Available: 0, Active: 4, InUse: 4,
      WaitCount: 0, WaitTime: 0, IdleTimeout: 0, IdleClosed: 0, MaxLifetimeClosed: 0,
    });
    // One return is enough: it is over capacity, so it is closed.
    resources[3].recycle();
    await shrink;
    expect(resources[3].live).toBe(false);
    for (let i = 0; i < 3; i++) resources[i].recycle();
    expect(pool.stats()).toMatchObject({
      Capacity: 3, Available: 3, Active: 3, InUse: 0,
      WaitCount: 0, WaitTime: 0, IdleTimeout: 0, IdleClosed: 0, MaxLifetimeClosed: 0,
    });
    expect(control.openNow).toBe(3);

    // A waiter and a shrink to 2 both pending; three puts must resolve both.
    for (let i = 0; i < 3; i++) resources[i] = await get(i);
    const waiter = pool.get().then((c) => c.recycle());
    await until(() => pool.client.agent.waiting === 1, 10_000, 'waiter');
    const shrinkTo2 = pool.setCapacity(2);
    await sleep(10);
    for (let i = 0; i < 3; i++) resources[i].recycle();
    await Promise.all([waiter, shrinkTo2]);
    expect(pool.stats()).toMatchObject({ Capacity: 2, Available: 2, WaitCount: 1 });
    expect(control.openNow).toBe(2);

    // setCapacity racing with itself: 2 then 4, both queued while 3 are borrowed.
    await pool.setCapacity(3);
    for (let i = 0; i < 3; i++) resources[i] = await get(i);
    const waiter2 = pool.get().then((c) => c.recycle());
    await until(() => pool.client.agent.waiting === 1, 10_000, 'second waiter');
    const to2 = pool.setCapacity(2);
    const to4 = pool.setCapacity(4);
    await sleep(10);
    for (let i = 0; i < 3; i++) resources[i].recycle();
    await Promise.all([waiter2, to2, to4]);
    // Adapted: setCapacity(-1) rejects with PoolOptionError (smartconnpool panics) and changes nothing.
    await expect(pool.setCapacity(-1)).rejects.toBeInstanceOf(PoolOptionError);
    expect(pool.stats()).toMatchObject({ Capacity: 4, Available: 4, InUse: 0 });
    expect(pool.verify()).toEqual([]);
    await finish(pool, control);
  });

  it('#3 TestClosing: close waits for 5 borrowed conns, puts are allowed meanwhile, then everything is 0 and closed', async () => {
    const { pool, control } = await openPool({ capacity: 5 });
    const resources: PooledConnection[] = [];
    for (let i = 0; i < 5; i++) resources[i] = await pool.get();

    let closed = false;
    const closing = pool.close().then(() => { closed = true; });
    await until(() => pool.stats().Capacity === 0, 10_000, 'capacity 0');
    expect(pool.stats()).toMatchObject({
      // Differs from upstream (-5): Available never goes negative.
      Capacity: 0, Available: 0, Active: 5, InUse: 5,
      WaitCount: 0, WaitTime: 0, IdleTimeout: 0, IdleClosed: 0, MaxLifetimeClosed: 0,
    });
    expect(closed).toBe(false);
    const conns = resources.map((r) => r.connection);
    for (const r of resources) r.recycle();
    await closing;
    expect(pool.stats()).toMatchObject({
      Capacity: 0, Available: 0, Active: 0, InUse: 0,
      WaitCount: 0, WaitTime: 0, IdleTimeout: 0, IdleClosed: 0, MaxLifetimeClosed: 0,
    });
    for (const c of conns) expect(c.isClosed()).toBe(true);
    expect(control.closed).toBe(5);
    await finish(pool, control);
  });

  it('#4 TestReopen: a refresh that says true drains the borrowed conns and restores capacity', async () => {
    let calls = 0;
    // Adapted: refresh every 20 ms instead of 500 ms, and the "1 s later" is a poll for the reopen.
    const { pool, control } = await openPool({
      capacity: 5, refreshIntervalMs: 20, refresh: () => { calls++; return true; },
    });
    const resources: PooledConnection[] = [];
    for (let i = 0; i < 5; i++) resources[i] = await pool.get();
    await until(() => calls >= 1 && pool.stats().Capacity === 0, 10_000, 'reopen draining');
    expect(pool.stats()).toMatchObject({ Capacity: 0, Active: 5, InUse: 5 });
    // During the reopen window gets fail fast (§3.12).
    await expect(pool.get()).rejects.toBeInstanceOf(PoolClosedError);

    const conns = resources.map((r) => r.connection);
    for (const r of resources) r.recycle();
    let snap = pool.stats();
    await until(() => (snap = pool.stats()).Capacity === 5, 10_000, 'capacity restored');
    expect(snap).toMatchObject({ Capacity: 5, Available: 5, Active: 0, InUse: 0 });
    for (const c of conns) expect(c.isClosed()).toBe(true);
    expect(control.lastId).toBe(5);
    expect(control.openNow).toBe(0);
    await finish(pool, control);
  });

  it('#5 TestRefreshWorkerContinuesAfterTriggeredReopen: the refresh check keeps running after one reopen', async () => {
    let calls = 0;
    const { pool, control } = await openPool({
      capacity: 5, refreshIntervalMs: 10, refresh: () => ++calls === 1,
    });
    (await pool.get()).recycle();
    expect(control.openNow).toBe(1);
    await until(() => calls >= 3, 10_000, '3 refresh calls');
    // The one reopen happened (it closed the idle connection) and capacity came back.
    expect(control.closed).toBe(1);
    expect(control.openNow).toBe(0);
    expect(pool.stats().Capacity).toBe(5);
    (await pool.get()).recycle();
    expect(control.lastId).toBe(2);
    await finish(pool, control);
  });

  it('#6 TestRefreshWorkerDoesNotQueueReopens: one refresh call while the reopen is blocked, more after the recycle', async () => {
    let calls = 0;
    // Adapted: closeTimeoutMs 10 s instead of 500 ms, so a slow machine cannot end the blocked
    // reopen (and let a second refresh in) during the 100 ms observation window.
    const { pool, control } = await openPool({
      capacity: 1, refreshIntervalMs: 20, closeTimeoutMs: 10_000, refresh: () => { calls++; return true; },
    });
    const conn = await pool.get();
    await until(() => calls === 1 && pool.stats().Capacity === 0, 10_000, 'first refresh');
    await sleep(100);
    expect(calls).toBe(1);
    const socket = conn.connection;
    conn.recycle();
    expect(socket.isClosed()).toBe(true);
    await until(() => calls >= 2, 10_000, 'refresh after recycle');
    await finish(pool, control);
  });

  it('#7 TestUserClosing: close with a deadline fails (naming capacity/active/borrowed) while one conn is out', async () => {
    const { pool, control } = await openPool({ capacity: 5 });
    const resources: PooledConnection[] = [];
    for (let i = 0; i < 5; i++) resources[i] = await pool.get();
    for (const r of resources.slice(0, 4)) r.recycle();

    const socket = resources[4].connection;
    // Adapted: a 50 ms close deadline stands for the 1 s context; "promptly" is left to the test timeout.
    const error = await pool.close({ timeoutMs: 50 }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(PoolDrainTimeoutError);
    expect(error).toMatchObject({ capacity: 0, active: 1, borrowed: 1 });
    expect((error as Error).message).toMatch(/timed out waiting for connections to be returned/);
    expect(pool.isOpen).toBe(false);
    // Differs from upstream: at its deadline close() destroyed the borrowed connection and took its
    // unit back (a holder stuck in a query would otherwise hold it forever); the late recycle does nothing.
    resources[4].recycle();
    expect(socket.isClosed()).toBe(true);
    expect(pool.stats()).toMatchObject({ Active: 0, InUse: 0 });
    // Adapted: close() is idempotent and returns the same (rejected) promise.
    await finish(pool, control, PoolDrainTimeoutError);
  });

  it('#8 TestCloseWithContextAfterIdleCleanupPopDoesNotLeak: a conn re-inserted by the sweep during close is closed, never handed to the waiter', async () => {
    const { pool, control } = await openPool({ capacity: 2 });
    const held = await pool.get();
    const idle = await pool.get();
    idle.recycle();
    // Simulate the idle sweep having detached the idle conn from its stack (as sweep() does with popAll).
    const agent = pool.client.agent;
    const core = pool.core;
    const slot = core.stacks.pop(core.cleanStack(agent.index));
    expect(slot).toBe(idle.slot);
    core.slots.setState(slot, SLOT_STATE.DIALING);

    const waiter = settle(pool.get());
    await until(() => agent.waiting === 1, 10_000, 'waiter');
    const closing = pool.close({ timeoutMs: 5000 });
    await until(() => pool.stats().Capacity === 0, 10_000, 'capacity 0');
    // Adapted: close() rejects waiters at once (lifetime cancel) instead of leaving them until the
    // close signal; either way the waiter gets no connection.
    const outcome = await waiter;
    expect(outcome.error).toBeInstanceOf(PoolClosedError);
    expect(outcome.value).toBeUndefined();

    // The sweep re-inserts its detached conn (internal tryReturnConn, as in the Go test), then the held one comes back.
    agent.ctx.returns.tryReturnConn(slot, false);
    const heldSocket = held.connection;
    held.recycle();
    expect(heldSocket.isClosed()).toBe(true);
    await closing;
    expect(pool.stats()).toMatchObject({ Active: 0, InUse: 0 });
    expect(control.opened).toBe(2);
    await finish(pool, control);
  });

  it('#9 TestCloseWithContextAfterSetCapacityZeroClosesPool: a pool paused at capacity 0 is still open and closes properly', async () => {
    const { pool, control } = await openPool({ capacity: 2 });
    (await pool.get()).recycle();
    await pool.setCapacity(0);
    expect(pool.isOpen).toBe(true);
    expect(control.openNow).toBe(0);
    await expect(pool.get()).rejects.toBeInstanceOf(PoolClosedError);
    await pool.close({ timeoutMs: 1000 });
    expect(pool.isOpen).toBe(false);
    await finish(pool, control);
  });

  it('#10 TestCloseWithContextDrainsAfterTimedOutSetCapacityZero: after a timed-out setCapacity(0), close still drains (and times out)', async () => {
    const { pool, control } = await openPool({ capacity: 2 });
    const conn = await pool.get();
    // Adapted: an expired context is a 0 ms deadline.
    await expect(pool.setCapacity(0, { timeoutMs: 0 })).rejects.toBeInstanceOf(PoolDrainTimeoutError);
    expect(pool.stats().Capacity).toBe(0);
    expect(pool.stats().Active).toBeGreaterThanOrEqual(1);
    expect(pool.isOpen).toBe(true);
    // No "capacity is already 0" shortcut: close must drain, and with an expired deadline it fails.
    const socket = conn.connection;
    await expect(pool.close({ timeoutMs: 0 })).rejects.toBeInstanceOf(PoolDrainTimeoutError);
    expect(pool.isOpen).toBe(false);
    // The timed-out close destroyed the borrowed connection; the late recycle does nothing.
    conn.recycle();
    expect(socket.isClosed()).toBe(true);
    expect(pool.stats().Active).toBe(0);
    await finish(pool, control, PoolDrainTimeoutError);
  });

  it('#11 TestSetCapacityRejectedOnClosedPool: setCapacity works while open and is rejected once closing/closed', async () => {
    // Adapted: createSharedPool() returns an open pool, so the "never opened" case does not exist.
    const { pool, control } = await openPool({ capacity: 2, maxCapacity: 5 });
    await pool.setCapacity(3);
    expect(pool.stats().Capacity).toBe(3);
    // Extra: a setCapacity queued behind a close (held conn keeps the drain pending) must not re-arm capacity.
    const conn = await pool.get();
    const closing = pool.close({ timeoutMs: 5000 });
    const queued = pool.setCapacity(5);
    await until(() => pool.stats().Capacity === 0, 10_000, 'capacity 0');
    conn.recycle();
    await closing;
    await expect(queued).rejects.toBeInstanceOf(PoolClosedError);
    await expect(pool.setCapacity(4)).rejects.toBeInstanceOf(PoolClosedError);
    await expect(pool.setCapacity(4)).rejects.toThrow('connection pool is closed');
    expect(pool.stats().Capacity).toBe(0);
    await finish(pool, control);
  });
});
