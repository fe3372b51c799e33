/**
 * The fixture of the single-thread scenario suites (the scenario files of test/pool, listed in test/SCENARIOS.md): pools on the
 * fake connector in the main thread, a safety net that closes what a failed test left open, and the
 * checks every scenario ends with. Not a test file.
 */
import { afterEach, expect } from 'vitest';
import { createSharedPool, type PooledConnection, type SharedPool, type SharedPoolOptions } from '../../src/index.ts';
import { type FakeConnection, type FakeControl, fakeConnector, until } from './fake-connector.ts';

export type PoolOptions = Omit<SharedPoolOptions, 'connector' | 'connection'>;

type ErrorClass = abstract new (...args: never[]) => Error;

const opened: { pool: SharedPool; control: FakeControl }[] = [];

/** Opens a pool on a fresh fake connector; the safety net of usePoolFixture() closes it if a test does not. */
export async function openPool(options: PoolOptions): Promise<{ pool: SharedPool; control: FakeControl }> {
  const { control, connector } = fakeConnector();
  // The scenarios are smartconnpool's, whose test configs have no idle timeout and no max lifetime
  // unless they say so (the pool's own defaults are HikariCP's 10 and 30 minutes).
  const pool = await createSharedPool({ connector, idleTimeoutMs: 0, maxLifetimeMs: 0, ...options });
  opened.push({ pool, control });
  return { pool, control };
}

/**
 * Call once at the top of a suite file. Registers the safety net for a test that failed half-way (a
 * passing test has closed its pools already): unblock connects and close whatever is left, waiting
 * at most `closeTimeoutMs` per pool.
 */
export function usePoolFixture(closeTimeoutMs = 2000): void {
  afterEach(async () => {
    for (const { pool, control } of opened.splice(0)) {
      control.ignoreSignal = false;
      control.unblock();
      await pool.close({ timeoutMs: closeTimeoutMs }).catch(() => {});
    }
  });
}

/**
 * The common ending: close (expecting it to reject with `closeRejectsWith` when given), background
 * work settled, quiescent invariants, every connection ever opened is closed.
 */
export async function finish(pool: SharedPool, control: FakeControl, closeRejectsWith?: ErrorClass): Promise<void> {
  if (closeRejectsWith) await expect(pool.close()).rejects.toBeInstanceOf(closeRejectsWith);
  else await pool.close();
  await pool.settled();
  expect(pool.isOpen).toBe(false);
  expect(pool.verify()).toEqual([]);
  expect(control.openNow).toBe(0);
}

/** finish(), and also no unit still counted (Active 0) and no connect still blocked. */
export async function finishDrained(pool: SharedPool, control: FakeControl): Promise<void> {
  await finish(pool, control);
  expect(pool.stats().Active).toBe(0);
  expect(control.blockedNow).toBe(0);
}

/** Waits until `n` gets are parked in this thread's waitlist. */
export async function parked(pool: SharedPool, n: number): Promise<void> {
  await until(() => pool.client.waiting === n, 5000, `${n} parked waiters (now ${pool.client.waiting})`);
}

export const fake = (conn: PooledConnection): FakeConnection => conn.connection as FakeConnection;

/** Settles a promise into a plain record, so a test can look without awaiting a rejection twice. */
export function track<T>(promise: Promise<T>): { done: boolean; value?: T; error?: unknown; promise: Promise<void> } {
  const state: { done: boolean; value?: T; error?: unknown; promise: Promise<void> } = { done: false, promise: Promise.resolve() };
  state.promise = promise.then(
    (value) => { state.done = true; state.value = value; },
    (error: unknown) => { state.done = true; state.error = error; },
  );
  return state;
}

/** Rejection of a promise that is expected to fail later (so it is never unhandled). */
export function settle<T>(p: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  return p.then((value) => ({ value }), (error: unknown) => ({ error }));
}
