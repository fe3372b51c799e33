/**
 * Idle timeout, max lifetime, max idle and failing dials: smartconnpool acceptance scenarios 12–22 (pool_test.go TestConnReopen … TestSlowCreateFail),
 * see docs/smartconnpool.md §6. Single thread (main), fake connector.
 * Scenarios 1–11 are in open-close-reopen.test.ts.
 *
 * Mapping of the Go fixtures: `put(conn)` = conn.recycle(); `put(nil)` = conn.taint(), or recycle()
 * of a connection whose socket was closed; "open" (currently open) = control.openNow;
 * lastID = control.lastId; `p.wait.waiting()` = pool.client.agent.waiting.
 */
import { describe, expect, it } from 'vitest';
import { createSharedPool, PoolError, PoolOptionError, type PooledConnection } from '../../src/index.ts';
import { type FakeConnection, fakeConnector, until } from '../support/fake-connector.ts';
import { finish, openPool, settle, usePoolFixture } from '../support/pool-fixture.ts';
import { sleep } from '../support/timing.ts';

const FOO = 'SET foo=1';
const CONNECT_FAILURE = 'failed to connect: forced failure';
usePoolFixture(500);

const SETTINGS = [
  { label: 'no setting', sql: null },
  { label: 'sFoo', sql: FOO },
] as const;

describe('smartconnpool scenarios 12–22', () => {
  it('#12 TestConnReopen: max lifetime reopens on put, the idle worker refreshes, failing reopens release the unit', async () => {
    // Adapted: IdleTimeout 20 ms (Go: 200 ms); the fixed sleeps of the Go test become polls.
    const { pool, control } = await openPool({ capacity: 1, idleTimeoutMs: 20, maxLifetimeMs: 10 });
    const conn = await pool.get();
    expect(control.lastId).toBe(1);
    // The lifetime is drawn in [10, 20) ms: after 30 ms the put must reopen.
    await sleep(30);
    conn.recycle();
    expect(pool.stats().MaxLifetimeClosed).toBe(1);
    // Adapted: the max-lifetime reopen runs in the background (recycle() never blocks).
    await pool.settled();
    expect(control.lastId).toBe(2);
    expect(pool.stats().Active).toBe(1);
    expect(control.openNow).toBe(1);

    // The idle worker closes and reopens the idle connection.
    await until(() => pool.stats().IdleClosed >= 1 && control.lastId >= 3 && pool.stats().Active === 1, 10_000, 'idle refresh');

    // With connects failing, the next idle refresh cannot reopen and releases its unit.
    control.failConnect = true;
    await until(() => pool.stats().Active === 0, 10_000, 'active 0');
    expect(control.openNow).toBe(0);
    expect(pool.stats().Available).toBe(1);
    control.failConnect = false;
    await finish(pool, control);
  });

  for (const { label, sql } of SETTINGS) {
    it(`#13 TestIdleTimeout (${label}): borrowed conns are never idle-closed; returned ones are all closed and replaced`, async () => {
      const { pool, control } = await openPool({ capacity: 5, idleTimeoutMs: 10 });
      const setting = sql === null ? null : pool.setting(sql);
      const conns: PooledConnection[] = [];
      for (let i = 0; i < 5; i++) conns.push(await pool.get({ setting }));
      // Adapted: 50 ms (5 idle timeouts, ~50 sweeps) instead of 1 s of borrowed time.
      await sleep(50);
      const sockets = conns.map((c) => c.connection);
      for (const s of sockets) expect(s.isClosed(), 'idle-closed while outside the pool').toBe(false);
      expect(pool.stats().IdleClosed).toBe(0);
      for (const c of conns) c.recycle();

      await until(() => sockets.every((s) => s.isClosed()) && pool.stats().IdleClosed >= 5, 10_000, 'all 5 idle-closed');
      await pool.settled();
      expect(control.openNow).toBeGreaterThanOrEqual(4);
      expect(pool.stats().Available).toBe(5);
      // Every connection ever opened carried the setting (the reopens re-applied it, fix 4).
      expect(control.applies).toBe(sql === null ? 0 : control.opened);
      await finish(pool, control);
    });
  }

  for (const { label, sql } of SETTINGS) {
    it(`#14 TestIdleTimeoutCreateFail (${label}): failing reopens after idle expiry drive Active to 0`, async () => {
      const { pool, control } = await openPool({ capacity: 1, idleTimeoutMs: 10 });
      const setting = sql === null ? null : pool.setting(sql);
      const conn = await pool.get({ setting });
      // Fail connects before the put so the idle worker's reopen fails.
      control.failConnect = true;
      conn.recycle();
      await until(() => pool.stats().Active === 0, 10_000, 'active 0');
      expect(pool.stats().Available).toBe(1);
      expect(pool.stats().IdleClosed).toBeGreaterThanOrEqual(1);
      expect(control.attempts).toBeGreaterThanOrEqual(2);
      expect(control.openNow).toBe(0);
      control.failConnect = false;
      await finish(pool, control);
    });
  }

  it('#15 TestMaxLifetime: no max lifetime never reopens; with one, an old conn is reopened on put', async () => {
    {
      const { pool, control } = await openPool({ capacity: 1, idleTimeoutMs: 10_000, maxLifetimeMs: 0 });
      const conn = await pool.get();
      expect(control.lastId).toBe(1);
      expect(control.openNow).toBe(1);
      await sleep(10);
      conn.recycle();
      await pool.settled();
      expect(control.lastId).toBe(1);
      expect(control.openNow).toBe(1);
      expect(pool.stats().MaxLifetimeClosed).toBe(0);
      await finish(pool, control);
    }
    {
      // Adapted: MaxLifetime 50 ms (Go: 10 ms) with an immediate put (Go: after 5 ms) and a put
      // after 110 ms > 2 × lifetime (Go: 20 ms), so a loaded machine cannot flip either outcome.
      const lifetime = 50;
      const { pool, control } = await openPool({ capacity: 1, idleTimeoutMs: 10_000, maxLifetimeMs: lifetime });
      let conn = await pool.get();
      expect(control.lastId).toBe(1);
      conn.recycle();
      await pool.settled();
      expect(control.lastId).toBe(1);
      expect(control.openNow).toBe(1);
      expect(pool.stats().MaxLifetimeClosed).toBe(0);

      conn = await pool.get();
      const socket = conn.connection;
      await sleep(2 * lifetime + 10);
      conn.recycle();
      expect(socket.isClosed()).toBe(true);
      // Adapted: the reopen runs in the background.
      await pool.settled();
      expect(control.lastId).toBe(2);
      expect(control.openNow).toBe(1);
      expect(pool.stats()).toMatchObject({ MaxLifetimeClosed: 1, Active: 1 });
      await finish(pool, control);
    }
  });

  it('#16 TestExtendedLifetimeTimeout: 0 disables; 10 ms gives values in [10, 20) ms', async () => {
    {
      const { pool, control } = await openPool({ capacity: 1, maxLifetimeMs: 0 });
      expect(pool.client.agent.extendedMaxLifetimeMs()).toBe(0);
      await finish(pool, control);
    }
    {
      const { pool, control } = await openPool({ capacity: 1, maxLifetimeMs: 10 });
      for (let i = 0; i < 1000; i++) {
        const v = pool.client.agent.extendedMaxLifetimeMs();
        expect(v).toBeGreaterThanOrEqual(10);
        expect(v).toBeLessThan(20);
      }
      await finish(pool, control);
    }
  });

  it('#17 TestExtendedMaxLifetimeJitter: values in [L, 2L) and some above 1.5 L within 64 draws', async () => {
    const L = 1000;
    const { pool, control } = await openPool({ capacity: 1, maxLifetimeMs: L });
    let above = false;
    for (let i = 0; i < 64; i++) {
      const v = pool.client.agent.extendedMaxLifetimeMs();
      expect(v).toBeGreaterThanOrEqual(L);
      expect(v).toBeLessThan(2 * L);
      if (v > 1.5 * L) above = true;
    }
    expect(above).toBe(true);
    await finish(pool, control);
  });

  it('#18 TestExtendedMaxLifetimeNegativeDisables: a negative max lifetime disables it', async () => {
    // Adapted: a negative maxLifetimeMs option is rejected up front with PoolOptionError.
    const { connector } = fakeConnector();
    await expect(createSharedPool({ connector, capacity: 1, maxLifetimeMs: -1 })).rejects.toBeInstanceOf(PoolOptionError);
    // The agent's own guard: a config of 0 or below gives 0, and no put reopens.
    const { pool, control } = await openPool({ capacity: 1 });
    const agent = pool.client.agent;
    agent.config.maxLifetimeMs = -10;
    expect(agent.extendedMaxLifetimeMs()).toBe(0);
    const conn = await pool.get();
    await sleep(5);
    conn.recycle();
    await pool.settled();
    expect(pool.stats().MaxLifetimeClosed).toBe(0);
    expect(control.lastId).toBe(1);
    await finish(pool, control);
  });

  for (const { label, sql } of SETTINGS) {
    for (const [maxIdle, expClosed] of [[2, 3], [0, 0]] as const) {
      it(`#19 TestMaxIdleCount (${label}, maxIdle ${maxIdle}): returns beyond the idle limit are closed (${expClosed})`, async () => {
        const { pool, control } = await openPool({ capacity: 5, maxIdle });
        const setting = sql === null ? null : pool.setting(sql);
        const conns: PooledConnection[] = [];
        for (let i = 0; i < 5; i++) conns.push(await pool.get({ setting }));
        const sockets = conns.map((c) => c.connection);
        for (const c of conns) c.recycle();
        expect(sockets.filter((s) => s.isClosed()).length).toBe(expClosed);
        expect(pool.stats().IdleClosed).toBe(expClosed);
        expect(pool.stats().Active).toBe(5 - expClosed);
        expect(control.openNow).toBe(5 - expClosed);
        await finish(pool, control);
      });
    }
  }

  for (const { label, sql } of SETTINGS) {
    it(`#20 TestCreateFail (${label}): the connector error comes back verbatim and the unit is released`, async () => {
      const { pool, control } = await openPool({ capacity: 5 });
      const setting = sql === null ? null : pool.setting(sql);
      control.failConnect = true;
      const error = await pool.get({ setting }).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(PoolError);
      expect((error as Error).message).toBe(CONNECT_FAILURE);
      expect(pool.stats()).toMatchObject({ Capacity: 5, Available: 5, Active: 0, InUse: 0 });
      control.failConnect = false;
      await finish(pool, control);
    });
  }

  it('#21 TestCreateFailOnPut: a failing put(nil) replacement releases the unit', async () => {
    const { pool, control } = await openPool({ capacity: 5 });
    // put(nil) via taint(). Adapted: the replacement dial runs in the background; await settled().
    let conn = await pool.get();
    control.failConnect = true;
    conn.taint();
    await pool.settled();
    expect(pool.stats()).toMatchObject({ Active: 0, InUse: 0 });
    expect(control.attempts).toBe(2);
    expect(control.openNow).toBe(0);
    control.failConnect = false;
    conn = await pool.get();
    conn.recycle();
    expect(pool.stats().Active).toBe(1);

    // put(nil) via recycle() of a connection whose socket closed.
    conn = await pool.get();
    control.failConnect = true;
    conn.connection.close();
    conn.recycle();
    await pool.settled();
    expect(pool.stats()).toMatchObject({ Active: 0, InUse: 0 });
    expect(control.attempts).toBe(4);
    control.failConnect = false;
    conn = await pool.get();
    conn.recycle();
    expect(pool.stats().Active).toBe(1);
    await finish(pool, control);
  });

  for (const { label, sql } of SETTINGS) {
    it(`#22 TestSlowCreateFail (${label}): slow failing dials release their units; the third waiter gets a dial of its own`, async () => {
      const { pool, control } = await openPool({ capacity: 2 });
      const setting = sql === null ? null : pool.setting(sql);
      control.delayMs = 20;
      control.failConnect = true;
      const first = settle(pool.get({ setting }));
      const second = settle(pool.get({ setting }));
      const third = settle(pool.get({ setting }));
      const [a, b] = await Promise.all([first, second]);
      for (const r of [a, b]) expect((r.error as Error).message).toBe(CONNECT_FAILURE);
      // Adapted (deliberate deviation): when the first dial failed, its unit went to the waiting
      // third get and a dial was started for it (smartconnpool would leave it waiting for a put).
      // That dial was started after the second one, so its 20 ms timer fires after the second's
      // failure has been handled here: it is still in flight now.
      expect(control.attempts).toBe(3);
      expect(pool.client.agent.waiting).toBe(1);
      expect(pool.stats()).toMatchObject({ Capacity: 2, Available: 2, InUse: 0, WaitCount: 1 });

      // Connects recover: the third get is served by its own dial.
      control.failConnect = false;
      const c = await third;
      expect(c.error).toBeUndefined();
      const conn3 = c.value!;
      expect((conn3.connection as FakeConnection).id).toBe(1);
      expect(conn3.setting?.applySql ?? null).toBe(sql);

      // A get succeeds, and its put serves the next waiter (no new dial).
      control.delayMs = 0;
      const conn4 = await pool.get({ setting });
      expect(control.lastId).toBe(2);
      const fifth = pool.get({ setting });
      await until(() => pool.client.agent.waiting === 1, 10_000, 'waiter');
      conn4.recycle();
      const conn5 = await fifth;
      expect((conn5.connection as FakeConnection).id).toBe(2);
      expect(control.lastId).toBe(2);
      conn5.recycle();
      conn3.recycle();
      expect(pool.stats()).toMatchObject({ Capacity: 2, Available: 2, Active: 2, WaitCount: 2 });
      await finish(pool, control);
    });
  }
});
