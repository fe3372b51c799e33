import { describe, expect, it } from 'vitest';
import {
  attachSharedPool, createSharedPool, LayoutMismatchError, PoolLimitError, PoolOptionError, StaleHandleError,
  UnknownThreadError, type SharedPoolOptions,
} from '../../src/index.ts';
import { fakeConnector } from '../support/fake-connector.ts';

async function optionError(options: SharedPoolOptions): Promise<PoolOptionError> {
  const error = await createSharedPool(options).then(
    (pool) => {
      void pool.close();
      throw new Error('expected createSharedPool to reject');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PoolOptionError);
  expect((error as PoolOptionError).code).toBe('POOL_BAD_OPTION');
  return error as PoolOptionError;
}

describe('bad input gets a typed error naming the value, and changes nothing', () => {
  const { connector } = fakeConnector();

  it.each([
    ['capacity', -1, /invalid capacity: -1/],
    ['capacity', 1.5, /invalid capacity: 1\.5/],
    ['capacity', Number.NaN, /invalid capacity: NaN/],
    ['idleTimeoutMs', -5, /invalid idleTimeoutMs: -5/],
    ['maxLifetimeMs', -10, /invalid maxLifetimeMs: -10/],
    ['getTimeoutMs', Number.POSITIVE_INFINITY, /invalid getTimeoutMs: Infinity/],
    ['maxThreads', 0, /invalid maxThreads: 0/],
    ['maxWaiters', 2.5, /invalid maxWaiters: 2\.5/],
    ['handoffDelayMs', '5', /invalid handoffDelayMs: "5"/],
  ])('%s = %s', async (name, value, message) => {
    const error = await optionError({ connector, [name]: value } as SharedPoolOptions);
    expect(error.message).toMatch(message);
  });

  it('capacity above maxCapacity, unknown option names, connection with connector', async () => {
    expect((await optionError({ connector, capacity: 5, maxCapacity: 4 })).message).toMatch(/invalid capacity: 5 \(expected at most maxCapacity \(4\)\)/);
    expect((await optionError({ connector, capcity: 3 } as SharedPoolOptions)).message).toMatch(/invalid option name: "capcity"/);
    expect((await optionError({ connector, connection: { host: '127.0.0.1' } })).message).toMatch(/either connection or connector/);
  });

  it('a connector module that cannot be imported, or exports no connect()', async () => {
    const missing = new URL('./no-such-connector.ts', import.meta.url).href;
    expect((await optionError({ connector: { module: missing } })).message).toContain(`invalid connector.module: "${missing}"`);
    const notAConnector = new URL('../support/timing.ts', import.meta.url).href;
    expect((await optionError({ connector: { module: notAConnector } })).message).toMatch(/exporting connect\(options, signal\)/);
  });

  it('never puts a password into an error', async () => {
    const error = await optionError({ connection: { host: '127.0.0.1', password: 's3cret-pw' }, capacity: -3 });
    expect(error.message).not.toContain('s3cret-pw');
    expect(JSON.stringify(error)).not.toContain('s3cret-pw');
  });

  it('get(), setCapacity(), a stale handle, an unknown thread, a foreign handle, a full registry', async () => {
    const { control, connector: c } = fakeConnector();
    const pool = await createSharedPool({ connector: c, capacity: 2, maxThreads: 1 });
    await expect(pool.get({ timeoutMs: -1 })).rejects.toThrow(/invalid timeoutMs: -1/);
    await expect(pool.setCapacity(1.5)).rejects.toThrow(/invalid capacity: 1\.5/);
    await expect(pool.setCapacity(3)).rejects.toThrow(/invalid capacity: 3 \(expected an integer from 0 to maxCapacity \(2\)\)/);
    expect(pool.stats().Capacity).toBe(2);

    const conn = await pool.get();
    conn.recycle();
    const before = pool.stats();
    expect(() => conn.recycle()).toThrow(StaleHandleError);
    expect(() => conn.taint()).toThrow(/taint on a connection handle that was already returned/);
    expect(() => conn.query('SELECT 1')).toThrow(StaleHandleError);
    expect(pool.stats()).toEqual(before);
    expect(pool.verify()).toEqual([]);

    expect(() => pool.reap(424242)).toThrow(UnknownThreadError);
    expect(() => attachSharedPool({ kind: 'something-else' } as never)).toThrow(LayoutMismatchError);
    expect(() => attachSharedPool({ ...pool.handle, buffer: new SharedArrayBuffer(1024) })).toThrow(/magic/);
    expect(() => pool.core.threads.attach(424242)).toThrow(PoolLimitError);
    expect(() => pool.setting('')).toThrow(/invalid setting SQL: ""/);
    await pool.close();
    expect(control.openNow).toBe(0);
  });
});
