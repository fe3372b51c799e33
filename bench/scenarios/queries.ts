/**
 * Scenario 3: `SELECT 1` throughput from 2 piscina workers (atomics 'disabled'), each task running
 * a batch of queries over several concurrent loops, through
 *   - one shared pool of capacity C for the whole process (this library),
 *   - a mysql2 pool of C/2 connections in each worker (the same budget of C sessions),
 *   - a mysql2 pool of C connections in each worker (what services often do: W·C sessions),
 * with the peak number of server sessions of each variant, at two loads: each worker keeping C
 * queries in flight (demand 2C: every variant has more demand than its share, a per-worker pool of
 * C opens W·C sessions, the shared pool has waiters in both threads), and C/2 per worker (demand
 * = C, nobody needs to wait). Ratios are against the C/2 per-worker pools at the same load.
 *
 * Every variant's pools and workers stay up for the whole scenario, and the variants take turns
 * in short windows (rotating the order each cycle), so a drift in machine load hits them all
 * alike; each window is counted from shared progress words while tasks keep flowing (no ramp-up
 * or tail inside it). A variant's q/s is the median of its windows.
 *
 * Sessions are counted on the server (bench/lib/sessions.ts: a throw-away user per variant, its
 * processlist rows; or an embedded server per variant).
 */
import type { Piscina } from 'piscina';
import { closePiscina, startPiscina } from '../lib/piscina-pools.ts';
import mysql from 'mysql2/promise';
import { createSharedPool } from '../lib/library.ts';
import type { PoolStats, SharedPool } from '../../src/index.ts';
import type { BenchContext, ScenarioGroup, ScenarioResult } from '../lib/types.ts';
import { closeWithSessions, openSessionSource, startSampler, type Sampler, type SessionSource } from '../lib/sessions.ts';
import { median, pairedRatio, sleep } from '../lib/windows.ts';
import type { QueriesTask, QueriesWorkerData } from './queries-task.ts';

/** Shared capacity (the C of the brief). */
const C = 4;
const WORKERS = 2;
/** Queries per task: enough to amortise piscina's per-task cost (~0.1 ms). */
const BATCH = 100;
/** Tasks kept submitted: one running and one queued per worker, so no worker idles between tasks. */
const OUTSTANDING = 2 * WORKERS;
/** Tasks run this long before a window starts counting. */
const RAMP_MS = 50;

const TASK = new URL('./queries-task.mjs', import.meta.url).href;

type PoolKind = 'shared' | 'mysql2-half' | 'mysql2-full';

interface Variant {
  kind: PoolKind;
  /** Queries each worker keeps in flight. */
  inflight: number;
  id: string;
  short: string;
  name: string;
  /** Sessions the variant may hold by construction. */
  budget: number;
  index: number;
}

function variant(kind: PoolKind, inflight: number, index: number): Variant {
  const load = `d${WORKERS * inflight}`;
  const spec = {
    shared: { short: `shared C=${C}`, pool: `shared pool C=${C}`, budget: C },
    'mysql2-half': { short: `mysql2 ${C / 2}/worker`, pool: `mysql2 pool ${C / 2}/worker`, budget: C },
    'mysql2-full': { short: `mysql2 ${C}/worker`, pool: `mysql2 pool ${C}/worker`, budget: WORKERS * C },
  }[kind];
  return {
    kind,
    inflight,
    id: `queries.${load}.${kind}`,
    short: `${spec.short} ${load}`,
    name: `SELECT 1, ${spec.pool}, ${WORKERS}×${inflight} in flight`,
    budget: spec.budget,
    index,
  };
}

const VARIANTS: Variant[] = [
  variant('shared', C, 0),
  variant('mysql2-half', C, 1),
  variant('mysql2-full', C, 2),
  variant('shared', C / 2, 3),
  variant('mysql2-half', C / 2, 4),
];

/** The anchor of a variant's ratio: the per-worker C/2 pools at the same load. */
function anchorOf(v: Variant): Variant | undefined {
  if (v.kind === 'mysql2-half') return undefined;
  return VARIANTS.find((a) => a.kind === 'mysql2-half' && a.inflight === v.inflight);
}

// ------------------------------------------------------------------------------------------------
// one variant: its pools, its workers, its measured windows

interface WindowResult {
  qps: number;
  perThread: number[];
  ms: number;
  stats?: PoolStats;
  statsBefore?: PoolStats;
}

class Runner {
  readonly variant: Variant;
  readonly windows: WindowResult[] = [];
  private readonly piscina: Piscina;
  private readonly pool: SharedPool | null;
  private readonly progress: Int32Array;

  private constructor(variant: Variant, piscina: Piscina, pool: SharedPool | null, progress: Int32Array) {
    this.variant = variant;
    this.piscina = piscina;
    this.pool = pool;
    this.progress = progress;
  }

  static async open(v: Variant, options: Record<string, unknown>): Promise<Runner> {
    const progress = new Int32Array(new SharedArrayBuffer(4 * (1 + WORKERS)));
    let pool: SharedPool | null = null;
    let workerData: QueriesWorkerData;
    if (v.kind === 'shared') {
      pool = await createSharedPool({ connection: options, capacity: C, getTimeoutMs: 30_000 });
      workerData = { progress, pool: pool.handle };
    } else {
      workerData = { progress, mysql2: { options, connectionLimit: v.kind === 'mysql2-half' ? C / 2 : C } };
    }
    const piscina = startPiscina(TASK, WORKERS, workerData, pool);
    return new Runner(v, piscina, pool, progress);
  }

  private counts(): number[] {
    return Array.from({ length: WORKERS }, (_, i) => Atomics.load(this.progress, 1 + i));
  }

  /** Keeps tasks flowing for RAMP_MS + `ms`, counting the queries completed in the last `ms`. */
  async window(ms: number): Promise<WindowResult> {
    let stop = false;
    const task: QueriesTask = { op: 'run', queries: BATCH, inflight: this.variant.inflight };
    const lane = async (): Promise<void> => {
      while (!stop) await this.piscina.run(task);
    };
    const lanes = Promise.all(Array.from({ length: OUTSTANDING }, lane));
    try {
      await sleep(RAMP_MS);
      const statsBefore = this.pool?.stats();
      const c0 = this.counts();
      const t0 = performance.now();
      await sleep(ms);
      const c1 = this.counts();
      const t1 = performance.now();
      const stats = this.pool?.stats();
      const perThread = c1.map((c, i) => ((c - c0[i]) * 1000) / (t1 - t0));
      return {
        qps: perThread.reduce((s, x) => s + x, 0),
        perThread,
        ms: t1 - t0,
        ...(stats && statsBefore ? { stats, statsBefore } : {}),
      };
    } finally {
      stop = true;
      await lanes;
    }
  }

  async close(ctx: BenchContext): Promise<void> {
    await closePiscina(this.piscina, WORKERS, this.pool, (line) => ctx.log(`queries: ${this.variant.id}: ${line}`));
  }

}

// ------------------------------------------------------------------------------------------------

interface SharedCounters {
  waits: number;
  waitMs: number;
  crossWaits: number;
  crossWaitMs: number;
  grants: number;
  evictions: number;
  dials: number;
}

function sharedCounters(windows: WindowResult[]): SharedCounters {
  const z: SharedCounters = { waits: 0, waitMs: 0, crossWaits: 0, crossWaitMs: 0, grants: 0, evictions: 0, dials: 0 };
  for (const w of windows) {
    const a = w.statsBefore;
    const b = w.stats;
    if (!a || !b) continue;
    z.waits += b.WaitCount - a.WaitCount;
    z.waitMs += b.WaitTime - a.WaitTime;
    z.crossWaits += b.CrossThreadWaitCount - a.CrossThreadWaitCount;
    z.crossWaitMs += b.CrossThreadWaitTime - a.CrossThreadWaitTime;
    z.grants += b.Grants - a.Grants;
    z.evictions += b.Evictions - a.Evictions;
    z.dials += b.Dials - a.Dials;
  }
  return z;
}

function describeShared(s: SharedCounters, seconds: number): string {
  const per = (n: number): number => Math.round(n / seconds);
  return `${per(s.waits)} waits/s (mean ${(s.waitMs / Math.max(1, s.waits)).toFixed(2)} ms), ` +
    `${per(s.grants)} cross-thread grants/s (each closes a socket and the waiting thread dials a new one; ` +
    `cross-thread waits mean ${(s.crossWaitMs / Math.max(1, s.crossWaits)).toFixed(2)} ms), ${per(s.evictions)} evictions/s, ${per(s.dials)} dials/s`;
}

export const queries: ScenarioGroup = {
  id: 'queries',
  title: `3. SELECT 1 from ${WORKERS} piscina workers: one shared pool (C=${C}) vs a mysql2 pool per worker`,
  async run(ctx) {
    const quick = ctx.options.quick;
    const windowMs = 500;
    const cycles = quick ? 2 : 8;
    const warmupMs = quick ? 400 : 1500;

    const ids = VARIANTS.map((v) => v.id);
    const source: SessionSource = await openSessionSource(ids, 'q');
    ctx.log(`server: ${source.description}`);
    ctx.log(`${BATCH} queries per task; ${cycles} cycles of one ${windowMs} ms window per variant (order rotating), after a ${warmupMs} ms warm-up each; median q/s`);

    const runners: Runner[] = [];
    let sampler: Sampler | null = null;
    try {
      sampler = startSampler(source, ids);
      for (const v of VARIANTS) {
        const runner = await Runner.open(v, source.optionsFor(v.id));
        runners.push(runner);
        await runner.window(warmupMs);
      }
      for (let cycle = 0; cycle < cycles; cycle++) {
        const line: string[] = [];
        for (let k = 0; k < runners.length; k++) {
          const runner = runners[(cycle + k) % runners.length];
          const w = await runner.window(windowMs);
          runner.windows.push(w);
          line.push(`${runner.variant.short} ${Math.round(w.qps)}`);
        }
        ctx.log(`cycle ${cycle + 1}/${cycles} q/s: ${line.join(', ')}`);
      }
      await sampler.stop();
    } finally {
      await closeWithSessions(source, sampler, async () => {
        for (const r of runners) await r.close(ctx);
      }, (line) => ctx.log(`queries: ${line}`));
    }

    const peaks = sampler.peaks;
    const byId = new Map(runners.map((r) => [r.variant.id, r]));
    const out: ScenarioResult[] = [];
    for (const runner of runners) {
      const v = runner.variant;
      const ws = runner.windows;
      const qps = median(ws.map((w) => w.qps));
      const perThread = Array.from({ length: WORKERS }, (_, i) => median(ws.map((w) => w.perThread[i])));
      const peak = peaks.get(v.id) ?? 0;
      const anchor = anchorOf(v);
      const notes = [`peak server sessions ${peak} (budget ${v.budget}); q/s per window ${ws.map((w) => Math.round(w.qps)).join(' / ')}`];
      // Windows of the same cycle ran back to back: their ratio is the fairest comparison (shown).
      const base = anchor ? byId.get(anchor.id)!.windows : [];
      const paired = pairedRatio(ws.map((w) => w.qps), base.map((w) => w.qps));
      if (anchor) {
        notes.push(`median of the per-cycle ratios to ${anchor.short}: ${paired.toFixed(2)} ×`);
        if (v.kind === 'shared') {
          const ratio = qps / median(base.map((w) => w.qps));
          const ok = ratio >= 0.95 && peak <= C;
          notes.push(`target ≥ 0.95 × ${anchor.short} with ≤ ${C} sessions: ${ratio.toFixed(2)} × (per-cycle ${paired.toFixed(2)} ×), ${peak} sessions → ${ok ? 'met' : 'MISSED'}`);
        }
      }
      if (v.kind === 'shared' && peak > v.budget) {
        notes.push(`the server saw more sessions than the capacity: a unit moved to another thread (grant, eviction) closes its connection with COM_QUIT without waiting for the server to drop the session, and the receiving thread dials at once, so old and new sessions overlap briefly`);
      }
      if (v.kind === 'shared') {
        const seconds = ws.reduce((t, w) => t + w.ms, 0) / 1000;
        notes.push(`in the measured windows: ${describeShared(sharedCounters(ws), seconds)}`);
      }
      const result: ScenarioResult = {
        id: v.id,
        group: 'queries',
        name: `${v.name} [${peak} sessions]`,
        short: v.short,
        unit: 'query',
        threads: WORKERS,
        opsPerSec: qps,
        perThread,
        samples: ws.length,
        ...(anchor ? { baseline: anchor.id, pairedRatios: { [anchor.id]: paired } } : {}),
        durationMs: ws.reduce((t, w) => t + w.ms, 0),
        notes,
      };
      out.push(result);
      ctx.progress?.(result);
    }
    return out;
  },
};
