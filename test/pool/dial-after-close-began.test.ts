/**
 * close() cancels the pool's lifetime in shared memory first (fix 2 of Vitess PR #20122); each
 * thread's own abort signal follows on its doorbell turn. A dial asked for in between (a get, or
 * a unit passed to a waiter by another thread's close-time abort) must not start: under load such
 * a dial started after close() began and was aborted only by the doorbell (seen as 5 connects
 * aborted for 3 units in test/threads/cross-thread.test.ts). Every dial goes through
 * dialling.ts dialConn(), which now follows the shared flag before calling the connector.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSharedPool, PoolClosedError, type SharedPool } from '../../src/index.ts';
import { fakeConnector } from '../support/fake-connector.ts';

let pool: SharedPool | null = null;
afterEach(async () => {
  await pool?.close({ timeoutMs: 2000 }).catch(() => {});
  pool = null;
});

describe('a dial asked for after close() cancelled the lifetime, before this thread heard of it', () => {
  it('never reaches the connector; the get rejects with PoolClosedError and its unit comes back', async () => {
    const { control, connector } = fakeConnector();
    pool = await createSharedPool({ connector, capacity: 2 });
    // What close() does first, before any doorbell is handled.
    pool.core.lifecycle.cancelLifetime();
    const result = await pool.get().then(() => 'got a connection', (e: unknown) => e);
    expect(result).toBeInstanceOf(PoolClosedError);
    expect(control.attempts).toBe(0);
    await pool.settled();
    expect(pool.stats()).toMatchObject({ Active: 0, InUse: 0 });
    await pool.close();
    expect(pool.verify()).toEqual([]);
    pool = null;
  });
});
