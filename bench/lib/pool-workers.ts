/**
 * Plumbing for scenarios whose worker threads use the pool (asynchronous entries that hold
 * sockets): spawn and collect one reply per worker (spawnAndCollect, threads.ts), then wait for
 * every worker to *exit by itself* (its pool client detached, its sockets closed). A worker still
 * alive after the grace period is terminated and reported, never silently left behind.
 *
 * Also: waiting on a shared word without blocking the event loop (Atomics.waitAsync), a shared
 * monotonic clock, and percentiles.
 */
import type { Worker } from 'node:worker_threads';
import { spawnAndCollect, type WorkerReply } from './threads.ts';

export interface PoolWorkersOutcome<R> {
  results: R[];
  /** Workers that had to be terminated because they did not exit by themselves (indices). */
  lingering: number[];
}

/**
 * Starts one worker per element of `data` on the TypeScript module `entry` and resolves with each
 * worker's reply (same order) once every worker has exited. Rejects on the first worker error or
 * after `timeoutMs`; every worker is gone before this settles.
 */
export async function runPoolWorkers<D extends object, R>(
  entry: URL,
  data: readonly D[],
  timeoutMs: number,
  exitGraceMs = 5000,
): Promise<PoolWorkersOutcome<R>> {
  const workers: Worker[] = [];
  const exited: Promise<void>[] = [];
  try {
    const results = await spawnAndCollect<D, R>(entry, data, timeoutMs, 'bench-pool', workers, (worker) => {
      exited.push(new Promise<void>((resolve) => worker.once('exit', () => resolve())));
    });
    // Every worker replied: now each must leave by itself.
    const lingering: number[] = [];
    await Promise.all(exited.map(async (done, i) => {
      let grace: NodeJS.Timeout | undefined;
      const late = await Promise.race([
        done.then(() => false),
        new Promise<boolean>((resolve) => { grace = setTimeout(() => resolve(true), exitGraceMs); }),
      ]);
      clearTimeout(grace);
      if (late) lingering.push(i);
    }));
    return { results, lingering };
  } finally {
    // Only workers still running (after an error, or lingering ones) have anything to terminate.
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** Posts an async entry's result (or error) to the parent exactly once. */
export async function replyWithAsync<R>(port: { postMessage(value: unknown): void }, fn: () => Promise<R>): Promise<void> {
  let reply: WorkerReply<R>;
  try {
    reply = { ok: true, result: await fn() };
  } catch (err) {
    reply = { ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  port.postMessage(reply);
}

/**
 * Resolves once i32[index] ≥ min, without blocking the event loop (the pool's doorbells and
 * sockets keep working meanwhile). Rejects after `timeoutMs`. A pending Atomics.waitAsync does not
 * keep a thread alive, so a ref'd timer (the deadline) does, for exactly as long as the wait.
 */
export async function waitAtLeast(i32: Int32Array, index: number, min: number, timeoutMs = 30_000, what = 'shared word'): Promise<void> {
  if (Atomics.load(i32, index) >= min) return;
  const deadline = performance.now() + timeoutMs;
  const keepAlive = setTimeout(() => {}, timeoutMs + 1000);
  try {
    for (;;) {
      const value = Atomics.load(i32, index);
      if (value >= min) return;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} ≥ ${min} (is ${value})`);
      const r = Atomics.waitAsync(i32, index, value, left);
      if (r.async) await r.value;
    }
  } finally {
    clearTimeout(keepAlive);
  }
}

/**
 * An asynchronous barrier on i32[0]: counts this party in, resolves once `parties` arrived (each
 * arrival wakes the others), rejects after `timeoutMs`.
 */
export async function arriveAndWaitAsync(i32: Int32Array, parties: number, timeoutMs: number, what = 'close barrier'): Promise<void> {
  Atomics.add(i32, 0, 1);
  Atomics.notify(i32, 0);
  await waitAtLeast(i32, 0, parties, timeoutMs, what);
}

/** Stores and wakes every waiter of i32[index]. */
export function publish(i32: Int32Array, index: number, value: number): void {
  Atomics.store(i32, index, value);
  Atomics.notify(i32, index);
}

/**
 * One clock for every thread of the process: process.hrtime.bigint() reads CLOCK_MONOTONIC (on
 * every platform Node supports, the same clock in all threads), in ns. Timestamps taken in two
 * threads can be subtracted; performance.now() cannot (each thread has its own origin).
 */
export function sharedClockNs(): bigint {
  return process.hrtime.bigint();
}

/** Nearest-rank percentile of sorted samples (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** p50 / p99 / mean / min / max of samples in µs. */
export function summarizeUs(samplesUs: readonly number[]): { p50: number; p99: number; mean: number; min: number; max: number; n: number } {
  const s = [...samplesUs].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  return { p50: percentile(s, 50), p99: percentile(s, 99), mean, min: s[0] ?? Number.NaN, max: s[s.length - 1] ?? Number.NaN, n: s.length };
}
