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
});
