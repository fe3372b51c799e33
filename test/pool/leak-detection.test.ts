/**
 * Leak detection and errors that explain (issue 10 §3): leakDetectionMs reports a connection held
 * past the threshold once, with the stack of the get() that borrowed it, on the diagnostics channel
 * `shared-mysql-pool:leak` (a process warning when nobody listens), and once more when it comes
 * back; PoolTimeoutError and PoolDrainTimeoutError say what holds the capacity.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { PoolDrainTimeoutError, PoolTimeoutError, type SharedPool } from '../../src/index.ts';
import { LEAK_CHANNEL, LEAK_WATCH, type LeakReport } from '../../src/workers/leak-detector.ts';
import { openPool, usePoolFixture } from '../support/pool-fixture.ts';

usePoolFixture();

/** Collects reports; `next()` resolves with the next one. */
function listen(): { reports: LeakReport[]; next(): Promise<LeakReport>; stop(): void } {
  const reports: LeakReport[] = [];
  let waiting: ((r: LeakReport) => void) | null = null;
  const onMessage = (message: unknown): void => {
    reports.push(message as LeakReport);
    waiting?.(message as LeakReport);
    waiting = null;
  };
  subscribe(LEAK_CHANNEL, onMessage);
  return {
    reports,
    next: () => new Promise((resolve) => {
      waiting = resolve;
    }),
    stop: () => unsubscribe(LEAK_CHANNEL, onMessage),
  };
}

async function borrowAndForget(pool: SharedPool) {
  return pool.get();
}

describe('leak detection', () => {
  it('reports once per borrow with the borrowing get() stack, and again when it is returned', async () => {
    const { pool } = await openPool({ capacity: 2, leakDetectionMs: 50 });
    const channel = listen();
    try {
      const first = channel.next();
      const leaked = await borrowAndForget(pool);
      const report = await first;
      expect(report).toMatchObject({ event: 'leak', thresholdMs: 50, slot: leaked.slot });
      expect(report.heldMs).toBeGreaterThanOrEqual(50);
      expect(report.stack).toContain('borrowAndForget');
      // A second borrow's report comes after the first one's threshold has passed again: the first
      // borrow was not reported twice meanwhile.
      const second = channel.next();
      const other = await pool.get();
      expect((await second).slot).toBe(other.slot);
      expect(channel.reports.filter((r) => r.slot === leaked.slot)).toHaveLength(1);
      leaked.recycle();
      other.recycle();
      expect(channel.reports.map((r) => r.event)).toEqual(['leak', 'leak', 'returned', 'returned']);
      // A connection returned in time is never reported.
      const quick = await pool.get();
      quick.recycle();
      await pool.close();
      expect(channel.reports).toHaveLength(4);
    } finally {
      channel.stop();
    }
  });

  it('without a subscriber the report is a process warning (code SHARED_MYSQL_POOL_LEAK)', async () => {
    const { pool } = await openPool({ capacity: 1, leakDetectionMs: 20 });
    const warned = new Promise<Error & { code?: string }>((resolve) => process.once('warning', resolve));
    const conn = await borrowAndForget(pool);
    const warning = await warned;
    expect(warning.code).toBe('SHARED_MYSQL_POOL_LEAK');
    expect(warning.message).toContain('borrowAndForget');
    conn.recycle();
    await pool.close();
  });

  it('off by default: no stack is captured, no timer armed', async () => {
    const { pool } = await openPool({ capacity: 1 });
    const conn = await pool.get();
    expect(conn[LEAK_WATCH]).toBeUndefined();
    conn.recycle();
    await pool.close();
  });
});

describe('errors that explain', () => {
  it('PoolTimeoutError names capacity, in use, idle, waiting, and per thread', async () => {
    const { pool } = await openPool({ capacity: 1 });
    const held = await pool.get();
    const error = await pool.get({ timeoutMs: 30 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoolTimeoutError);
    expect((error as Error).message).toMatch(/^connection pool timed out after \d+ ms \(capacity 1, in use 1, idle 0, waiting 0; in use per thread: #0 1; this is thread #0\)$/);
    held.recycle();
    await pool.close();
  });

  it('PoolDrainTimeoutError names who still holds connections', async () => {
    const { pool } = await openPool({ capacity: 2 });
    const held = await pool.get();
    const error = await pool.setCapacity(0, { timeoutMs: 20 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoolDrainTimeoutError);
    expect((error as Error).message).toMatch(/thread index 0 \(threadId \d+\) holds 1 unit/);
    held.recycle();
    await pool.close();
  });
});
