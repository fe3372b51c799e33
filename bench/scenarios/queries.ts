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
 * Sessions are counted on the server: against MariaDB/MySQL each variant connects as its own
 * throw-away user (smpb_<pid>_<n>, created and dropped here, no privileges) and a sampler counts
 * each user's rows in information_schema.processlist (MariaDB keeps performance_schema, and so
 * connection attributes, off by default). Without a database each variant gets its own embedded
 * server, and the sampler reads its open-session count.
 */
import { Piscina } from 'piscina';
import mysql from 'mysql2/promise';
import { createSharedPool } from '../lib/library.ts';
import type { PoolStats, SharedPool } from '../../src/index.ts';
import type { BenchContext, ScenarioGroup, ScenarioResult } from '../lib/types.ts';
import { resolveMysqlTarget, startEmbeddedMysql, type EmbeddedMysql, type MysqlTarget } from '../support/embedded-mysql.ts';
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
/** Session sampling period: a processlist query against a real server; a counter read when embedded. */
const SAMPLE_MS = { real: 20, embedded: 5 } as const;

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
// counting sessions

interface SessionSource {
  readonly description: string;
  readonly sampleMs: number;
  /** Connection options of a variant's pools. */
  optionsFor(v: Variant): Record<string, unknown>;
  /** Current sessions of every variant (by id). */
  sample(): Promise<Map<string, number>>;
  close(): Promise<void>;
}

/** A real server: a throw-away user per variant, counted in information_schema.processlist. */
async function realServerSessions(target: MysqlTarget): Promise<SessionSource> {
  const admin = await mysql.createConnection({ ...target.options });
  const users = new Map<string, string>();
  try {
    for (const v of VARIANTS) {
      const user = `smpb_${process.pid}_${v.index}`;
      await admin.query('CREATE USER IF NOT EXISTS ?@?', [user, '%']);
      users.set(v.id, user);
    }
  } catch (error) {
    for (const user of users.values()) await admin.query('DROP USER IF EXISTS ?@?', [user, '%']).catch(() => {});
    await admin.end().catch(() => {});
    throw new Error(`queries: cannot create the bench users on ${target.description} (${(error as Error).message})`, { cause: error });
  }
  const byUser = new Map([...users].map(([id, user]) => [user, id]));
  return {
    description: `${target.description}, sessions = processlist rows of a throw-away user per variant`,
    sampleMs: SAMPLE_MS.real,
    // No database: the bench users have no privileges, and SELECT 1 needs none.
    optionsFor: (v) => ({ host: target.options.host, port: target.options.port, user: users.get(v.id)! }),
    async sample() {
      const [rows] = await admin.query(
        'SELECT USER AS u, COUNT(*) AS n FROM information_schema.processlist WHERE USER IN (?) GROUP BY USER',
        [[...users.values()]],
      );
      const out = new Map(VARIANTS.map((v) => [v.id, 0]));
      for (const r of rows as { u: string; n: number }[]) out.set(byUser.get(r.u)!, Number(r.n));
      return out;
    },
    async close() {
      try {
        for (const user of users.values()) await admin.query('DROP USER IF EXISTS ?@?', [user, '%']);
      } finally {
        await admin.end().catch(() => {});
      }
    },
  };
}

/** No database: an embedded server per variant, each counting its own sessions. */
async function embeddedSessions(): Promise<SessionSource> {
  const servers = new Map<string, EmbeddedMysql>();
  for (const v of VARIANTS) servers.set(v.id, await startEmbeddedMysql());
  return {
    description: 'embedded MySQL-protocol servers (one per variant), sessions = their open sessions',
    sampleMs: SAMPLE_MS.embedded,
    optionsFor: (v) => {
      const db = servers.get(v.id)!;
      return { host: db.host, port: db.port, user: 'root', database: 'test' };
    },
    sample: async () => new Map([...servers].map(([id, db]) => [id, db.sessions])),
    close: async () => {
      await Promise.all([...servers.values()].map((db) => db.close()));
    },
  };
}

/** Samples every sampleMs (one query at a time) and keeps each variant's peak. */
function startSampler(source: SessionSource): { peaks: Map<string, number>; stop(): Promise<void> } {
  const peaks = new Map(VARIANTS.map((v) => [v.id, 0]));
  let stopped = false;
  let failure: unknown = null;
  const take = async (): Promise<void> => {
    for (const [id, n] of await source.sample()) peaks.set(id, Math.max(peaks.get(id) ?? 0, n));
  };
  const loop = (async () => {
    while (!stopped) {
      try {
        await take();
      } catch (error) {
        failure = error;
        return;
      }
      await sleep(source.sampleMs);
    }
  })();
  return {
    peaks,
    async stop() {
      stopped = true;
      await loop;
      if (failure) throw failure;
      await take();
    },
  };
}

async function untilNoSessions(source: SessionSource, timeoutMs: number): Promise<Map<string, number>> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const now = await source.sample();
    if ([...now.values()].every((n) => n === 0) || performance.now() > deadline) return now;
    await sleep(20);
  }
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
    const piscina = new Piscina({
      filename: TASK,
      minThreads: WORKERS,
      maxThreads: WORKERS,
      idleTimeout: 600_000,
      concurrentTasksPerWorker: 1,
      atomics: 'disabled',
      execArgv: workerExecArgv(),
      workerData,
    });
    if (pool) pool.watch(piscina);
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
    const barrier = new Int32Array(new SharedArrayBuffer(4));
    const closeTask: QueriesTask = { op: 'close', barrier, parties: WORKERS };
    await Promise.all(Array.from({ length: WORKERS }, () => this.piscina.run(closeTask))).catch((error: unknown) => {
      ctx.log(`queries: ${this.variant.id}: closing the workers' pools failed: ${(error as Error).message}`);
    });
    await this.piscina.destroy();
    if (this.pool) await this.pool.close({ timeoutMs: 5000 });
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

/** The main thread's flags without `--import tsx`: queries-task.mjs registers tsx itself. */
function workerExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--import' && argv[i + 1] === 'tsx') i++;
    else if (argv[i] !== '--import=tsx') out.push(argv[i]);
  }
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const queries: ScenarioGroup = {
  id: 'queries',
  title: `3. SELECT 1 from ${WORKERS} piscina workers: one shared pool (C=${C}) vs a mysql2 pool per worker`,
  async run(ctx) {
    const quick = ctx.options.quick;
    const windowMs = 500;
    const cycles = quick ? 2 : 8;
    const warmupMs = quick ? 400 : 1500;

    const target = await resolveMysqlTarget();
    let source: SessionSource;
    if (target.embedded) {
      await target.close();
      source = await embeddedSessions();
    } else {
      source = await realServerSessions(target);
    }
    ctx.log(`server: ${source.description}`);
    ctx.log(`${BATCH} queries per task; ${cycles} cycles of one ${windowMs} ms window per variant (order rotating), after a ${warmupMs} ms warm-up each; median q/s`);

    const runners: Runner[] = [];
    let sampler: ReturnType<typeof startSampler> | null = null;
    try {
      sampler = startSampler(source);
      for (const v of VARIANTS) {
        const runner = await Runner.open(v, source.optionsFor(v));
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
      const closing = sampler?.stop().catch(() => {});
      for (const r of runners) await r.close(ctx);
      await closing;
      const left = await untilNoSessions(source, 5000).catch(() => new Map<string, number>());
      for (const [id, n] of left) if (n > 0) ctx.log(`queries: ${id}: ${n} sessions still open 5 s after closing`);
      await source.close();
      await target.close();
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
      if (anchor) {
        // Windows of the same cycle ran back to back: their ratio is the fairest comparison.
        const base = byId.get(anchor.id)!.windows;
        const paired = median(ws.map((w, i) => w.qps / base[i].qps));
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
        ...(anchor ? { baseline: anchor.id } : {}),
        durationMs: ws.reduce((t, w) => t + w.ms, 0),
        notes,
      };
      out.push(result);
      ctx.progress?.(result);
    }
    return out;
  },
};
