import { afterEach, describe, expect, it } from 'vitest';
import { createSharedPool, type SharedPool, PoolTimeoutError, StaleHandleError } from '../../src/index.ts';
import { fakeConnector } from '../support/fake-connector.ts';

let pool: SharedPool | null = null;
afterEach(async () => {
  await pool?.close({ timeoutMs: 2000 }).catch(() => {});
  pool = null;
});

describe('smoke', () => {
  it('gets, recycles, waits and closes', async () => {
    const { control, connector } = fakeConnector();
    pool = await createSharedPool({ connector, capacity: 2 });
    const a = await pool.get();
    const b = await pool.get();
    expect(control.opened).toBe(2);
    expect(pool.stats().Available).toBe(0);
    const waiting = pool.get();
    a.recycle();
    const c = await waiting;
    expect(c.slot).toBe(a.slot);
    expect(() => a.recycle()).toThrow(StaleHandleError);
    await expect(pool.get({ timeoutMs: 10 })).rejects.toBeInstanceOf(PoolTimeoutError);
    b.recycle();
    c.recycle();
    expect(pool.verify()).toEqual([]);
    await pool.close();
    expect(control.openNow).toBe(0);
    expect(pool.stats().Active).toBe(0);
    expect(pool.verify()).toEqual([]);
  });

  it('settings', async () => {
    const { control, connector } = fakeConnector();
    pool = await createSharedPool({ connector, capacity: 2 });
    const foo = pool.setting('SET foo=1');
    expect(pool.setting('SET foo=1')).toBe(foo);
    const a = await pool.get({ setting: foo });
    expect(a.setting).toBe(foo);
    a.recycle();
    const b = await pool.get({ setting: foo });
    expect(b.slot).toBe(a.slot);
    expect(control.applies).toBe(1);
    b.recycle();
    const c = await pool.get();
    expect(control.opened).toBe(2);
    c.recycle();
    await pool.close();
    expect(control.openNow).toBe(0);
  });

  it('await using recycles at the end of the scope, also on a throw, and never twice', async () => {
    const { control, connector } = fakeConnector();
    pool = await createSharedPool({ connector, capacity: 1 });
    {
      await using conn = await pool.get();
      expect(conn.live).toBe(true);
      expect(pool.stats().InUse).toBe(1);
    }
    expect(pool.stats().InUse).toBe(0);
    const scoped = async (): Promise<void> => {
      await using conn = await pool!.get();
      expect(conn.live).toBe(true);
      throw new Error('boom');
    };
    await expect(scoped()).rejects.toThrow('boom');
    expect(pool.stats().InUse).toBe(0);
    {
      await using conn = await pool.get();
      conn.recycle(); // returned by hand: the scope's end must not return it again
    }
    expect(pool.stats()).toMatchObject({ InUse: 0, Active: 1 });
    expect(pool.verify()).toEqual([]);
    await pool.close();
    expect(control.openNow).toBe(0);
  });
});
