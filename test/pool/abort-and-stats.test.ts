/**
 * Issue 9 §3: a caller's abort gives one error type whether it lands while the get waits or while
 * it dials; stats().Available never goes negative.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSharedPool, PoolTimeoutError, type SharedPool } from '../../src/index.ts';
import { fakeConnector, until } from '../support/fake-connector.ts';

let pool: SharedPool | null = null;
afterEach(async () => {
  await pool?.close({ timeoutMs: 1000 }).catch(() => {});
  pool = null;
});

describe('caller abort and stats', () => {
  it('an abort while dialling and an abort while waiting both reject with PoolTimeoutError (POOL_TIMEOUT), the reason as cause', async () => {
    const { control, connector } = fakeConnector();
    pool = await createSharedPool({ connector, capacity: 1 });
    control.block = true;
    const dialling = new AbortController();
    const first = pool.get({ signal: dialling.signal });
    await control.untilBlocked(1);
    const waiting = new AbortController();
    const second = pool.get({ signal: waiting.signal });
    expect(pool.stats().Waiting).toBe(1);
    const reason = new Error('caller gave up');
    waiting.abort(reason);
    dialling.abort(reason);
    const [e1, e2] = await Promise.all([first.catch((e: unknown) => e), second.catch((e: unknown) => e)]);
    for (const e of [e1, e2]) {
      expect(e).toBeInstanceOf(PoolTimeoutError);
      expect((e as PoolTimeoutError).code).toBe('POOL_TIMEOUT');
    }
    expect((e1 as Error).cause).toBe(reason);
    control.unblock();
    await pool.settled();
    expect(pool.verify()).toEqual([]);
  });

  it('stats().Available is never negative while a close drains borrowed connections', async () => {
    const { connector } = fakeConnector();
    pool = await createSharedPool({ connector, capacity: 2 });
    const held = [await pool.get(), await pool.get()];
    const closing = pool.close({ timeoutMs: 2000 });
    await until(() => pool!.stats().Capacity === 0, 2000, 'capacity 0');
    expect(pool.stats()).toMatchObject({ Capacity: 0, InUse: 2, Available: 0 });
    for (const c of held) c.recycle();
    await closing;
    pool = null;
  });
});
