/**
 * Scenario group "service": the loads a shared pool exists for, from W = 4 piscina workers
 * (atomics 'disabled'), each load through
 *   - one shared pool of capacity C = 8 for the whole process (this library),
 *   - a mysql2 pool of C/W connections in each worker (the same budget of C sessions: the anchor),
 *   - a mysql2 pool of C connections in each worker (what services often do: W·C sessions).
 *
 * Loads:
 *   cpu    an oversubscribed CPU-parallel service: 4 workers (on however many CPUs the machine
 *          has: 2 on the reference machine), each request = ~2 ms of CPU work then 3 `SELECT 1`
 *          in parallel; 2 requests outstanding per worker. Requests/s, p50/p99 request latency.
 *   skew   a skewed service: 13 of 16 closed-loop lanes (81 %) in one worker, one in each other;
 *          each query takes 2 ms on the server (`SELECT SLEEP(0.002)`), so sessions, not client
 *          CPU, are the scarce resource. Per-worker pools leave connections idle in quiet workers.
 *   burst  bursts: 8 closed-loop lanes of the same 2 ms query, all in one worker, moving to the
 *          next worker every 100 ms.
 *
 * For every load the three variants take turns in short windows (order rotating each cycle), and
 * a variant's ratio is the median of its per-window ratios to the anchor's window of the same
 * cycle. Reported with each row: peak server sessions (bench/lib/sessions.ts), reconnects per
 * second in the measured windows (the shared pool's Dials; a mysql2 pool's 'connection' events),
 * p50/p99 latency of a request (cpu) or query (skew, burst) from a shared histogram.
 */
import { availableParallelism } from 'node:os';
import type { Piscina } from 'piscina';
import { awaitWorkersReady, closePiscina, startPiscina } from '../lib/piscina-pools.ts';
import { createSharedPool } from '../lib/library.ts';
import type { SharedPool } from '../../src/index.ts';
import { between, snapshot } from '../lib/latency-histogram.ts';
import { waitAtLeast } from '../lib/pool-workers.ts';
import { closeWithSessions, openSessionSource, startSampler, type Sampler, type SessionSource } from '../lib/sessions.ts';
import { spinIterationsPerMs } from '../lib/spin.ts';
import type { BenchContext, ScenarioGroup, ScenarioResult } from '../lib/types.ts';
import { median, pairedRatio, sleep } from '../lib/windows.ts';
import { SERVICE_CONTROL_WORDS, STRIDE, WORD, type ServiceTask, type ServiceWorkerData } from './service-control.ts';

const W = 4;
const C = 8;
const TASK = new URL('./service-task.mjs', import.meta.url).href;
/** Tasks run this long before a window starts counting. */
const RAMP_MS = 50;
/** A multiple of the burst period × W, so every window sees each worker's burst equally often. */
const WINDOW_MS = 400;
const SLOW_SQL = 'SELECT SLEEP(0.002)';

type Kind = 'shared' | 'mysql2-equal' | 'mysql2-wide';

interface Variant {
  kind: Kind;
  short: string;
  pool: string;
  /** Sessions the variant may hold by construction. */
  budget: number;
}

const VARIANTS: Variant[] = [
  { kind: 'shared', short: `shared C=${C}`, pool: `shared pool C=${C}`, budget: C },
  { kind: 'mysql2-equal', short: `mysql2 ${C / W}/worker`, pool: `mysql2 pool ${C / W}/worker`, budget: C },
  { kind: 'mysql2-wide', short: `mysql2 ${C}/worker`, pool: `mysql2 pool ${C}/worker`, budget: W * C },
];

interface Load {
  key: 'cpu' | 'skew' | 'burst';
  title: string;
  unit: 'request' | 'query';
  /** What each worker's lanes do (drive loads): demand per worker at `elapsedMs` into the run. */
  demand?: (elapsedMs: number) => number[];
  maxLanes?: number;
}

const SKEW = [13, 1, 1, 1];
const BURST_LANES = 8;
const BURST_PERIOD_MS = 100;

const LOADS: Load[] = [
  { key: 'cpu', title: `${W} workers, request = 2 ms CPU + 3 parallel SELECT 1`, unit: 'request' },
  { key: 'skew', title: `skewed: lanes ${SKEW.join('/')} per worker, 2 ms queries`, unit: 'query', demand: () => SKEW, maxLanes: Math.max(...SKEW) },
  {
    key: 'burst',
    title: `bursts: ${BURST_LANES} lanes moving to the next worker every ${BURST_PERIOD_MS} ms, 2 ms queries`,
    unit: 'query',
    demand: (ms) => {
      const active = Math.floor(ms / BURST_PERIOD_MS) % W;
      return Array.from({ length: W }, (_, i) => (i === active ? BURST_LANES : 0));
    },
    maxLanes: BURST_LANES,
  },
];

const idOf = (load: Load, v: Variant): string => `service.${load.key}.${v.kind}`;

interface WindowResult {
  opsPerSec: number;
  perThread: number[];
  p50Us: number;
  p99Us: number;
  reconnectsPerSec: number;
  ms: number;
}

class Runner {
  private constructor(
    readonly variant: Variant,
    private readonly piscina: Piscina,
    private readonly pool: SharedPool | null,
    private readonly ctrl: Int32Array,
  ) {}

  static async open(v: Variant, options: Record<string, unknown>): Promise<Runner> {
    const ctrl = new Int32Array(new SharedArrayBuffer(4 * SERVICE_CONTROL_WORDS));
    let pool: SharedPool | null = null;
    let workerData: ServiceWorkerData;
    if (v.kind === 'shared') {
      pool = await createSharedPool({ connection: options, capacity: C, getTimeoutMs: 30_000 });
      workerData = { ctrl, pool: pool.handle };
    } else {
      workerData = { ctrl, mysql2: { options, connectionLimit: v.kind === 'mysql2-equal' ? C / W : C } };
    }
    const piscina = startPiscina(TASK, W, workerData, pool);
    await awaitWorkersReady(piscina, W);
    return new Runner(v, piscina, pool, ctrl);
  }

  private progress(): number[] {
    return Array.from({ length: W }, (_, i) => Atomics.load(this.ctrl, WORD.PROGRESS + STRIDE * i));
  }

  private dials(): number {
    return this.pool ? this.pool.stats().Dials : Atomics.load(this.ctrl, WORD.DIALS);
  }

  /** Runs `load` for RAMP_MS + `ms`, measuring the last `ms`. */
  async window(load: Load, ms: number, spin: number): Promise<WindowResult> {
    const stopLoad = load.demand ? await this.startDrive(load) : this.startRequests(spin);
    try {
      await sleep(RAMP_MS);
      const h0 = snapshot(this.ctrl, WORD.HIST);
      const c0 = this.progress();
      const d0 = this.dials();
      const t0 = performance.now();
      await sleep(ms);
      const c1 = this.progress();
      const d1 = this.dials();
      const t1 = performance.now();
      const h = between(h0, snapshot(this.ctrl, WORD.HIST));
      const perThread = c1.map((c, i) => ((c - c0[i]) * 1000) / (t1 - t0));
      return {
        opsPerSec: perThread.reduce((s, x) => s + x, 0),
        perThread,
        p50Us: h.p50,
        p99Us: h.p99,
        reconnectsPerSec: ((d1 - d0) * 1000) / (t1 - t0),
        ms: t1 - t0,
      };
    } finally {
      await stopLoad();
    }
  }

  /** cpu: two requests outstanding per worker, each resubmitted as soon as it completes. */
  private startRequests(spin: number): () => Promise<void> {
    let stop = false;
    const task: ServiceTask = { op: 'task', spin, queries: 3, sql: 'SELECT 1' };
    const lane = async (): Promise<void> => {
      while (!stop) await this.piscina.run(task);
    };
    const lanes = Promise.all(Array.from({ length: 2 * W }, lane));
    return async () => {
      stop = true;
      await lanes;
    };
  }

  /** skew, burst: one drive task per worker; the demand words set (and moved) from here. */
  private async startDrive(load: Load): Promise<() => Promise<void>> {
    const ctrl = this.ctrl;
    const setDemand = (demand: readonly number[]): void => {
      for (let i = 0; i < W; i++) {
        if (Atomics.exchange(ctrl, WORD.DEMAND + STRIDE * i, demand[i]) !== demand[i]) Atomics.notify(ctrl, WORD.DEMAND + STRIDE * i);
      }
    };
    Atomics.store(ctrl, WORD.STOP, 0);
    const task: ServiceTask = { op: 'drive', sql: SLOW_SQL, maxLanes: load.maxLanes! };
    const tasks = Promise.all(Array.from({ length: W }, () => this.piscina.run(task)));
    // W drive tasks running at once, one task per worker at a time: one in each worker.
    await waitAtLeast(ctrl, WORD.RUNNING, W, 30_000, 'drive tasks running');
    const t0 = performance.now();
    setDemand(load.demand!(0));
    const mover = setInterval(() => setDemand(load.demand!(performance.now() - t0)), 5);
    return async () => {
      clearInterval(mover);
      setDemand(new Array<number>(W).fill(0));
      Atomics.store(ctrl, WORD.STOP, 1);
      for (let i = 0; i < W; i++) Atomics.notify(ctrl, WORD.DEMAND + STRIDE * i);
      await tasks;
    };
  }

  async close(ctx: BenchContext): Promise<void> {
    await closePiscina(this.piscina, W, this.pool, (line) => ctx.log(`service: ${this.variant.kind}: ${line}`));
  }

}

function formatMs(us: number): string {
  return us >= 10_000 ? `${Math.round(us / 1000)} ms` : `${(us / 1000).toFixed(1)} ms`;
}

/** The rows of one load, from each variant's windows (same cycles, same order of variants). */
function rowsOf(load: Load, windows: Map<Kind, WindowResult[]>, peaks: Map<string, number>): ScenarioResult[] {
  const anchor = windows.get('mysql2-equal')!;
  const wide = windows.get('mysql2-wide')!;
  const anchorId = idOf(load, VARIANTS[1]);
  const wideId = idOf(load, VARIANTS[2]);
  return VARIANTS.map((v) => {
    const ws = windows.get(v.kind)!;
    const id = idOf(load, v);
    const peak = peaks.get(v.kind) ?? 0;
    const p99 = median(ws.map((w) => w.p99Us));
    const reconnects = median(ws.map((w) => w.reconnectsPerSec));
    const paired: Record<string, number> = {};
    if (v.kind !== 'mysql2-equal') paired[anchorId] = pairedRatio(ws.map((w) => w.opsPerSec), anchor.map((w) => w.opsPerSec));
    if (v.kind === 'shared') paired[wideId] = pairedRatio(ws.map((w) => w.opsPerSec), wide.map((w) => w.opsPerSec));
    const notes = [
      `${load.unit} latency (${load.demand ? 'one query in a lane' : 'in the worker, from task start: piscina queueing not included'}) p50 ${formatMs(median(ws.map((w) => w.p50Us)))}, p99 ${formatMs(p99)} (medians over windows); ` +
        `reconnects/s ${reconnects.toFixed(1)} (per window ${ws.map((w) => w.reconnectsPerSec.toFixed(0)).join(' / ')}); ` +
        `peak server sessions ${peak} (budget ${v.budget})`,
      `${load.unit === 'query' ? 'queries' : 'requests'}/s per window ${ws.map((w) => Math.round(w.opsPerSec)).join(' / ')}`,
    ];
    if (v.kind !== 'mysql2-equal') {
      notes.push(`p99 ÷ ${VARIANTS[1].short}'s (median of per-window ratios): ${pairedRatio(ws.map((w) => w.p99Us), anchor.map((w) => w.p99Us)).toFixed(2)}`);
    }
    return {
      id,
      group: 'service',
      name: `${load.title}: ${v.pool} [${peak} sessions · p99 ${formatMs(p99)} · ${reconnects.toFixed(0)} reconnects/s]`,
      short: `${v.short} ${load.key}`,
      unit: load.unit,
      threads: W,
      opsPerSec: median(ws.map((w) => w.opsPerSec)),
      perThread: Array.from({ length: W }, (_, i) => median(ws.map((w) => w.perThread[i]))),
      samples: ws.length,
      ...(v.kind !== 'mysql2-equal' ? { baseline: anchorId, pairedRatios: paired } : {}),
      ...(v.kind === 'shared' ? { anchors: [wideId] } : {}),
      durationMs: ws.reduce((t, w) => t + w.ms, 0),
      notes,
    };
  });
}

export const service: ScenarioGroup = {
  id: 'service',
  title: `3b. Services from ${W} piscina workers: one shared pool (C=${C}) vs a mysql2 pool per worker (${C / W} and ${C} each)`,
  async run(ctx) {
    const quick = ctx.options.quick;
    // Services run for hours: each variant is warmed up (JIT, connections, the pool's recent demand)
    // before its windows, and 12 windows per variant keep the median ratio within a few %. The
    // process takes ~20 s of this load to reach its steady speed (every variant's requests get
    // cheaper: 2.3 -> 1.7 ms of worker CPU beyond the spin), the shared pool a few s later than
    // mysql2's pools; after 2 s it ran 0.8-0.9x in the first windows, parity once warm (probe).
    // So the first load warms each variant for 6 s; the later loads run on warm workers. The cpu
    // load's per-window ratios spread most (0.8-1.2 between two mysql2 variants), so it runs 20
    // cycles.
    const cycles = quick ? 2 : 12;
    const cpuCycles = quick ? 2 : 20;
    const firstWarmupMs = quick ? 200 : 6000;
    const warmupMs = quick ? 200 : 2000;
    const spin = Math.round(2 * spinIterationsPerMs());
    const cpus = availableParallelism();
    if (cpus > W / 2) ctx.log(`note: ${cpus} CPUs: the cpu load (${W} workers) is oversubscribed only on ${W / 2} CPUs or fewer`);
    const ids = VARIANTS.map((v) => v.kind);
    const source: SessionSource = await openSessionSource(ids, 's');
    ctx.log(`server: ${source.description}`);
    ctx.log(`per load: ${cycles} cycles (cpu: ${cpuCycles}) of one ${WINDOW_MS} ms window per variant (order rotating), after a warm-up of ${firstWarmupMs} ms (first load) / ${warmupMs} ms each; ratios = medians of per-window ratios`);

    const runners: Runner[] = [];
    let sampler: Sampler | null = null;
    const out: ScenarioResult[] = [];
    try {
      sampler = startSampler(source, ids);
      for (const v of VARIANTS) runners.push(await Runner.open(v, source.optionsFor(v.kind)));
      for (const load of LOADS) {
        const t0 = performance.now();
        const windows = new Map<Kind, WindowResult[]>(VARIANTS.map((v) => [v.kind, []]));
        for (const r of runners) await r.window(load, load === LOADS[0] ? firstWarmupMs : warmupMs, spin);
        sampler.reset();
        for (let cycle = 0, n = load.key === 'cpu' ? cpuCycles : cycles; cycle < n; cycle++) {
          for (let k = 0; k < runners.length; k++) {
            const r = runners[(cycle + k) % runners.length];
            windows.get(r.variant.kind)!.push(await r.window(load, WINDOW_MS, spin));
          }
        }
        const rows = rowsOf(load, windows, new Map(sampler.peaks));
        for (const row of rows) {
          out.push(row);
          ctx.progress(row);
        }
        ctx.log(`(${load.key}: ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      }
      await sampler.stop();
    } finally {
      await closeWithSessions(source, sampler, async () => {
        for (const r of runners) await r.close(ctx);
      }, (line) => ctx.log(`service: ${line}`));
    }
    return out;
  },
};
