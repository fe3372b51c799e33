/**
 * Diagnostic probe of the service group's `cpu` load (bench/scenarios/service.ts): the same request
 * (spin ~2 ms, then 3 parallel `SELECT 1`, 2 requests outstanding per worker, W piscina workers),
 * variants side by side in interleaved windows, with what the bench does not report:
 *   - CPU per request: the process (all threads), the main thread, the workers (schedstat run
 *     time; `spinCpuPerReq` is the spin alone, `otherCpuPerReq` everything else: the pool, mysql2,
 *     piscina), mariadbd (/proc/<pid>/stat), and how busy the machine was;
 *   - where a worker's wall time goes (spin, query phase, between tasks, runnable but not running),
 *     when each of the 3 queries completes (`end1..3`, ms after the spin), context switches;
 *   - shared pool: waits per request and ms waited (stats()); with PROBE_SAMPLE=1 a 1 ms sampler of
 *     each thread's held/idle connections against the worker's "computing" flag (`idleComputing` =
 *     mean units idle in threads that are computing; `heldK` = share of samples a thread held K).
 *
 *   node --import tsx bench/probe/service-probe.ts [cycles=6] [windowMs=1000] [variants...]
 *   variants: shared | shared-get | mysql2 | mysql2-get, with optional suffixes
 *     @N       capacity N (shared) / N per worker (mysql2)
 *     ~d       shared pool on bench/probe/delay-connector.ts (1 ms timer per query, no server)
 *     #name    the shared pool built at /tmp/smp-name/dist (A/B of two builds in one run)
 *   PROBE_W, PROBE_C (4, 8), PROBE_POOL (JSON of extra createSharedPool options), PROBE_WARM (ms of warm-up per variant, 1000), PROBE_RAMP (ms each window runs before it counts, 100), PROBE_SAMPLE=1, PROBE_DUMP=1 (each window's figures as it ends), PROBE_SPLIT=n (req/s and worker CPU/request per nth of each window),
 *   PROBE_PAIRS=a/b,c/d (ratios to print; default: each variant / the last), PROBE_EXECARGV,
 *   PROBE_PROF=from,to + PROBE_PROF_DIR (inspector CPU profile of each worker between its
 *   from-th and to-th request). Ratios are medians of per-window ratios (same cycle).
 */
import { readFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { Piscina } from 'piscina';
import { awaitWorkersReady } from '../lib/piscina-pools.ts';
import { createSharedPool } from '../lib/library.ts';
import type { SharedPool } from '../../src/index.ts';
import { spinIterationsPerMs } from '../lib/spin.ts';
import { median, sleep } from '../lib/windows.ts';
import { resolveMysqlTarget } from '../../embedded-mysql/index.ts';

const W = Number(process.env.PROBE_W ?? 4);
const C = Number(process.env.PROBE_C ?? 8);
const cycles = Number(process.argv[2] ?? 6);
const WINDOW_MS = Number(process.argv[3] ?? 1000);
const kinds = process.argv.slice(4).length ? process.argv.slice(4) : ['shared', 'mysql2'];
const SAMPLE = process.env.PROBE_SAMPLE === '1';
/** PROBE_SPLIT=n: also print req/s and worker CPU per request beyond the spin for each nth of every window. */
const SPLIT = Number(process.env.PROBE_SPLIT ?? 1);
const segments: string[] = [];
const lastDials = new Map<string, number>();
/** PROBE_POOL: extra createSharedPool options as JSON (e.g. '{"aliveBypassWindowMs":60000}'). */
const POOL_EXTRA = process.env.PROBE_POOL ? (JSON.parse(process.env.PROBE_POOL) as Record<string, unknown>) : {};
const TASK = new URL('./probe-task.mjs', import.meta.url).href;

const mariaPid = (() => { try { return Number(execSync('pgrep -o mariadbd').toString().trim()); } catch { return 0; } })();
const procCpuMs = (pid: number): number => {
  if (!pid) return 0;
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
};
const machine = (): { busy: number; total: number } => {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number);
  const idle = f[3] + f[4];
  const total = f.slice(0, 8).reduce((s, x) => s + x, 0);
  return { busy: (total - idle) * 10, total: total * 10 };
};
const mainSched = (): number => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;

interface Variant { kind: string; piscina: Piscina; pool: SharedPool | null; i32: Int32Array; f64: Float64Array }

async function open(kind: string, options: Record<string, unknown>): Promise<Variant> {
  const [base01, dl] = kind.split('~');
  const [base0, distName] = base01.split('#');
  const dist = distName ? `/tmp/smp-${distName}/dist/src/index.js` : undefined;
  const create = dist ? ((await import(dist)) as typeof import('../../src/index.ts')).createSharedPool : createSharedPool;
  const [base, cap] = base0.split('@');
  const i32 = new Int32Array(new SharedArrayBuffer(4 * 32 * (W + 1)));
  const f64 = new Float64Array(new SharedArrayBuffer(8 * 32 * (W + 1)));
  let pool: SharedPool | null = null;
  let wd: Record<string, unknown>;
  if (base.startsWith('shared')) {
    pool = await create({ ...(dl ? { connector: { module: new URL('./delay-connector.ts', import.meta.url).href, options: {} } } : { connection: options }), capacity: cap ? Number(cap) : C, getTimeoutMs: 30_000, ...POOL_EXTRA });
    wd = { i32, f64, pool: pool.handle, queryPath: base === 'shared-get' ? 'get' : 'query', dist };
  } else {
    wd = { i32, f64, mysql2: { options, connectionLimit: cap ? Number(cap) : C / W }, queryPath: base === 'mysql2-get' ? 'get' : 'query' };
  }
  const piscina = new Piscina({ filename: TASK, minThreads: W, maxThreads: W, idleTimeout: 600_000, concurrentTasksPerWorker: 1, atomics: 'disabled', workerData: wd, execArgv: process.env.PROBE_EXECARGV ? process.env.PROBE_EXECARGV.split(' ') : [] });
  if (pool) pool.watch(piscina);
  // Every worker up before the next variant opens.
  await awaitWorkersReady(piscina, W);
  return { kind, piscina, pool, i32, f64 };
}

interface Row {
  rps: number; cpuPerReq: number; mainPerReq: number; workerPerReq: number; mariaPerReq: number; machineBusy: number;
  spinShare: number; queryShare: number; gapShare: number; runqShare: number; queryMsPerReq: number; getWaitMsPerReq: number; spinCpuPerReq: number; end1: number; end2: number; end3: number; volCsPerReq: number; involCsPerReq: number; otherCpuPerReq: number;
  waitFrac?: number; idleComputing?: number; idleAll?: number; held?: number; waits?: number; grants?: number; evictions?: number; dials?: number;
}

async function window(v: Variant, spinIt: number, windowMs = WINDOW_MS): Promise<Row> {
  let stop = false;
  const lane = async (): Promise<void> => { while (!stop) await v.piscina.run({ op: 'task', spin: spinIt }); };
  const lanes = Promise.all(Array.from({ length: 2 * W }, lane));
  await sleep(Number(process.env.PROBE_RAMP ?? 100));
  const read = () => ({
    reqs: Array.from({ length: W }, (_, i) => Atomics.load(v.i32, 32 * (i + 1))).reduce((a, b) => a + b, 0),
    f: Array.from({ length: W }, (_, i) => Array.from({ length: 28 }, (_, k) => k).map((k) => v.f64[32 * (i + 1) + k])),
    cpu: process.cpuUsage(), main: mainSched(), maria: procCpuMs(mariaPid), m: machine(), t: performance.now(),
    st: v.pool?.stats(),
  });
  // sampler
  const heldHist = new Array(9).fill(0);
  let samples = 0, waitSamples = 0, idleComputing = 0, idleAll = 0, held = 0;
  let timer: NodeJS.Timeout | null = null;
  const slotOfThread = new Map<number, number>();
  for (let i = 0; i < W; i++) slotOfThread.set(Atomics.load(v.i32, 32 * (i + 1) + 2), i);
  const pool = v.pool;
  if (SAMPLE && pool) {
    timer = setInterval(() => {
      const per = pool.stats().PerThread;
      samples++;
      for (const t of per) {
        const s = slotOfThread.get(t.ThreadId);
        if (s === undefined) continue;
        if (t.Waiting > 0) waitSamples++;
        idleAll += t.Idle;
        held += t.Active;
        heldHist[Math.min(t.Active, 8)]++;
        if (Atomics.load(v.i32, 32 * (s + 1) + 1) === 1) idleComputing += t.Idle;
      }
    }, 1);
  }
  const a = read();
  if (SPLIT > 1) {
    // Requests/s and worker CPU per request in each 1/SPLIT of the window (how a window starts).
    let prev = a;
    const seg: string[] = [];
    for (let k = 0; k < SPLIT; k++) {
      await sleep(windowMs / SPLIT);
      const cur = read();
      const n = cur.reqs - prev.reqs;
      const cpu = cur.f.reduce((s, x, i) => s + x[2] - prev.f[i][2] - (x[6] - prev.f[i][6]), 0);
      const moves = cur.st && prev.st ? `/${cur.st.Dials - prev.st.Dials}` : '';
      seg.push(`${Math.round((n * 1000) / (cur.t - prev.t))}/${(cpu / n).toFixed(2)}${moves}`);
      prev = cur;
    }
    const between = v.pool && lastDials.has(v.kind) ? ` (dials since the last window: ${a.st!.Dials - lastDials.get(v.kind)!})` : '';
    segments.push(`${v.kind}: ${seg.join(' ')}${between}`);
  } else await sleep(windowMs);
  const b = read();
  if (b.st) lastDials.set(v.kind, b.st.Dials);
  if (timer) clearInterval(timer);
  stop = true;
  await lanes;
  const reqs = b.reqs - a.reqs;
  const ms = b.t - a.t;
  const sum = (k: number) => b.f.reduce((s, x, i) => s + x[k] - a.f[i][k], 0);
  const cpuMs = (b.cpu.user + b.cpu.system - a.cpu.user - a.cpu.system) / 1000;
  const row: Row = {
    rps: (reqs * 1000) / ms,
    cpuPerReq: cpuMs / reqs,
    mainPerReq: (b.main - a.main) / reqs,
    workerPerReq: sum(2) / reqs,
    mariaPerReq: (b.maria - a.maria) / reqs,
    machineBusy: (b.m.busy - a.m.busy) / (b.m.total - a.m.total),
    spinShare: sum(0) / (W * ms),
    queryShare: sum(1) / (W * ms),
    gapShare: sum(4) / (W * ms),
    runqShare: sum(3) / (W * ms),
    queryMsPerReq: sum(1) / reqs,
    getWaitMsPerReq: sum(5) / reqs,
    spinCpuPerReq: sum(6) / reqs,
    end1: sum(25) / reqs, end2: sum(26) / reqs, end3: sum(27) / reqs,
    volCsPerReq: sum(7) / reqs,
    involCsPerReq: sum(8) / reqs,
    otherCpuPerReq: (sum(2) - sum(6)) / reqs,
  };
  if (a.st && b.st) {
    row.waits = (b.st.WaitCount - a.st.WaitCount) / reqs;
    row.grants = ((b.st as any).Grants ?? 0) - ((a.st as any).Grants ?? 0);
    row.evictions = ((b.st as any).Evictions ?? 0) - ((a.st as any).Evictions ?? 0);
    row.dials = b.st.Dials - a.st.Dials;
    row.waitFrac = (b.st.WaitTime - a.st.WaitTime) / reqs; // ms waited per request (sum over the 3 gets)
  }
  if (samples) {
    row.idleComputing = idleComputing / samples;
    row.idleAll = idleAll / samples;
    row.held = held / samples;
    (row as any).threadWaitingFrac = waitSamples / (samples * W);
    heldHist.forEach((c, k) => { (row as any)[`held${k}`] = c / (samples * W); });
  }
  return row;
}

const target = await resolveMysqlTarget();
const options = { ...target.options };
const spinIt = Math.round(2 * spinIterationsPerMs());
const vs: Variant[] = [];
for (const k of kinds) vs.push(await open(k, options));
for (const v of vs) await window(v, spinIt, Number(process.env.PROBE_WARM ?? 1000));
const rows = new Map<string, Row[]>(kinds.map((k) => [k, []]));
for (let c = 0; c < cycles; c++) {
  for (let k = 0; k < vs.length; k++) {
    const v = vs[(c + k) % vs.length];
    const row = await window(v, spinIt);
    rows.get(v.kind)!.push(row);
    // PROBE_DUMP=1: each window's main figures as it ends (how a variant evolves over the run).
    if (process.env.PROBE_DUMP) console.log(`window ${c}.${k} ${v.kind}: rps ${row.rps.toFixed(0)} otherCpu ${row.otherCpuPerReq.toFixed(3)} spinCpu ${row.spinCpuPerReq.toFixed(3)} end3 ${row.end3.toFixed(2)} waitMs ${row.waitFrac?.toFixed(3) ?? '-'} maria ${row.mariaPerReq.toFixed(3)} main ${row.mainPerReq.toFixed(3)}`);
  }
}
const fmt = (x: number | undefined, d = 2) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));
const keys = Object.keys(rows.get(kinds[0])![0]).concat(SAMPLE ? ['threadWaitingFrac'] : []);
const allKeys = [...new Set(kinds.flatMap((k) => Object.keys(rows.get(k)![0])))];
console.log(['metric', ...kinds].join('\t'));
for (const key of allKeys) {
  console.log([key, ...kinds.map((k) => fmt(median(rows.get(k)!.map((r) => (r as any)[key] ?? NaN)), key === 'rps' ? 0 : 3))].join('\t'));
}
const pairs = (process.env.PROBE_PAIRS ?? '').split(',').filter(Boolean).map((p) => p.split('/'));
if (pairs.length === 0) for (const k of kinds.slice(0, -1)) pairs.push([k, kinds[kinds.length - 1]]);
for (const [k, b] of pairs) {
  const base = rows.get(b)!;
  const ratios = rows.get(k)!.map((r, i) => r.rps / base[i].rps);
  console.log(`ratio ${k}/${b}: median ${median(ratios).toFixed(3)} [${ratios.map((x) => x.toFixed(2)).join(' ')}]`);
  const dc = rows.get(k)!.map((r, i) => r.otherCpuPerReq - base[i].otherCpuPerReq);
  const dt = rows.get(k)!.map((r, i) => r.cpuPerReq / base[i].cpuPerReq);
  console.log(`  otherCpu diff ${k}-${b}: median ${median(dc).toFixed(3)} ms; process cpu/req ratio median ${median(dt).toFixed(3)}`);
}
if (SPLIT > 1) console.log(segments.join('\n'));
for (const v of vs) if (v.pool) { const st = v.pool.stats() as any; console.log(`${v.kind}: total dials ${st.Dials}, closed idle ${st.IdleClosed}, maxLifetime ${st.MaxLifetimeClosed}, waits ${st.WaitCount}, grants ${st.Grants ?? '-'}, evictions ${st.Evictions ?? '-'}`); }
for (const v of vs) {
  await Promise.all(Array.from({ length: W }, () => v.piscina.run({ op: 'close' })));
  await v.piscina.destroy();
  if (v.pool) await v.pool.close({ timeoutMs: 5000 });
}
