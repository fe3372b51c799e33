/**
 * Scenario 2 — contention: this pool (capacity 4, real mysql2 connections) shared by worker
 * threads, each running `await get(); recycle()` for a fixed time. First 1 worker, then 2 on one
 * pool; total and per-thread pairs/s, and the 2-thread figures as ratios of the 1-thread one. The
 * target is "no collapse": sharing one pool's memory must not make each thread much slower.
 * (Competitors are not run here: their pools are per thread, so there is nothing shared to contend.)
 */
import { createSharedPool } from '../lib/library.ts';
import { runPoolWorkers } from '../lib/pool-workers.ts';
import { createControl } from '../lib/threads.ts';
import type { BenchContext, ScenarioGroup, ScenarioResult } from '../lib/types.ts';
import { DISTURBED, formatOps } from '../report.ts';
import { resolveMysqlTarget, type MysqlTarget } from '../../embedded-mysql/index.ts';
import { CHECKOUT_CAPACITY, CHECKOUT_IDS } from './checkout.ts';
import type { ContentionWorkerData, ContentionWorkerResult } from './contention-worker.ts';

export const CONTENTION_IDS = { one: 'contention.1t', two: 'contention.2t' } as const;

const WORKER_ENTRY = new URL('./contention-worker.ts', import.meta.url);

interface Run {
  result: ScenarioResult;
  /** Pairs per second of CPU time each thread actually got (undefined off Linux). */
  perCpuSecond?: number[];
}

async function runThreads(ctx: BenchContext, target: MysqlTarget, threads: number): Promise<Run> {
  const { threadMs, threadWarmupMs } = ctx.options.timing;
  const pool = await createSharedPool({ connection: target.options, capacity: CHECKOUT_CAPACITY });
  const ctrl = createControl();
  const data: ContentionWorkerData[] = Array.from({ length: threads }, () => ({
    handle: pool.handle, ctrl, parties: threads, durationMs: threadMs, warmupMs: threadWarmupMs,
  }));
  let outcome;
  try {
    outcome = await runPoolWorkers<ContentionWorkerData, ContentionWorkerResult>(WORKER_ENTRY, data, threadMs + threadWarmupMs + 60_000);
  } finally {
    // A failure above must not be masked by a close that cannot drain.
    await pool.close({ timeoutMs: 5000 }).catch((e: unknown) => ctx.log(`contention: closing the pool: ${(e as Error).message}`));
  }
  const results = outcome.results;
  const perThread = results.map((r) => (r.pairs * 1000) / r.elapsedMs);
  const wallMs = Math.max(...results.map((r) => r.elapsedMs));
  const pairs = results.reduce((s, r) => s + r.pairs, 0);
  const starts = results.map((r) => r.startEpochMs);
  const ends = results.map((r) => r.endEpochMs);
  const shares = results.map((r) => r.cpuShare);
  const cpu = shares.every((x) => x !== undefined) ? Math.min(...(shares as number[])) : undefined;
  const last = results.reduce((a, b) => (b.endEpochMs > a.endEpochMs ? b : a));
  const notes = [
    `capacity ${CHECKOUT_CAPACITY}; pool-wide after the loop: ${last.dials} dials (one per thread expected, during warm-up), ${last.waits} waits, ${last.grants} grants, ${last.evictions} evictions`,
  ];
  if (threads > 1) {
    notes.push(`start skew ${(Math.max(...starts) - Math.min(...starts)).toFixed(3)} ms, all threads running together for ${(Math.min(...ends) - Math.max(...starts)).toFixed(0)} ms`);
  }
  if (outcome.lingering.length) {
    const msg = `worker(s) ${outcome.lingering.join(', ')} did not exit by themselves within 5 s and were terminated`;
    notes.push(msg);
    ctx.log(`warning: ${msg}`);
  }
  const perCpuSecond = shares.every((x) => x !== undefined && x > 0)
    ? results.map((r) => (r.pairs * 1000) / (r.elapsedMs * r.cpuShare!))
    : undefined;
  if (perCpuSecond) {
    const waits = results.map((r) => r.runnableWaitShare);
    const waitText = waits.every((x) => x !== undefined) ? `; runnable but waiting for a CPU ${waits.map((x) => `${Math.round(x! * 100)}%`).join(' / ')} of the time` : '';
    notes.push(`per second of CPU time each thread got: ${perCpuSecond.map(formatOps).join(' / ')} pairs (on a CPU ${shares.map((x) => `${Math.round(x! * 100)}%`).join(' / ')}${waitText})`);
  }
  const result: ScenarioResult = {
    id: threads === 1 ? CONTENTION_IDS.one : CONTENTION_IDS.two,
    group: 'contention',
    name: `this pool, ${threads} worker thread${threads > 1 ? 's' : ''} on one pool`,
    short: `${threads} thread${threads > 1 ? 's' : ''}`,
    unit: 'pair',
    threads,
    opsPerSec: (pairs * 1000) / wallMs,
    ...(threads > 1 ? { perThread } : {}),
    samples: results.reduce((s, r) => s + r.chunks, 0),
    anchors: threads === 1 ? [CHECKOUT_IDS.pool] : [CONTENTION_IDS.one],
    durationMs: wallMs,
    ...(cpu !== undefined ? { cpuShare: cpu } : {}),
    notes,
  };
  return perCpuSecond ? { result, perCpuSecond } : { result };
}

export const contention: ScenarioGroup = {
  id: 'contention',
  title: `2. Contention: get + recycle loops in worker threads on one pool (capacity ${CHECKOUT_CAPACITY})`,
  async run(ctx) {
    const target = await resolveMysqlTarget();
    try {
      const oneRun = await runThreads(ctx, target, 1);
      const one = oneRun.result;
      ctx.progress(one);
      const twoRun = await runThreads(ctx, target, 2);
      const two = twoRun.result;
      const base = one.opsPerSec!;
      const perRatio = two.perThread!.map((x) => x / base);
      const total = two.opsPerSec! / base;
      const collapsed = total < 1 || Math.min(...perRatio) < 0.5;
      two.notes!.unshift(
        `wall clock: per thread ${perRatio.map((x) => `${x.toFixed(2)}×`).join(' / ')} the 1-thread figure, total ${total.toFixed(2)}×: ${collapsed ? 'COLLAPSE (total below 1 thread, or a thread under half of it)' : 'no collapse'}`,
      );
      // On a loaded machine the threads may not get a CPU each; per CPU-second the comparison still
      // holds (sharing the pool's memory shows up as more CPU time per pair).
      if (oneRun.perCpuSecond && twoRun.perCpuSecond) {
        const cpuRatio = twoRun.perCpuSecond.map((x) => x / oneRun.perCpuSecond![0]);
        const disturbed = (two.cpuShare ?? 1) < DISTURBED || (one.cpuShare ?? 1) < DISTURBED;
        two.notes!.splice(1, 0,
          `per CPU-second: each thread ${cpuRatio.map((x) => `${x.toFixed(2)}×`).join(' / ')} the 1-thread figure: ${Math.min(...cpuRatio) < 0.5 ? 'COLLAPSE' : 'no collapse'}${disturbed ? ' (the run was disturbed: judge by this line, not the wall-clock one)' : ''}`);
      }
      ctx.progress(two);
      return [one, two];
    } finally {
      await target.close();
    }
  },
};
