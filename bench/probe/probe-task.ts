/**
 * Probe of the service `cpu` load (bench/scenarios/service.ts): the same request (spin, then 3
 * parallel queries), with per-worker accounting in shared memory, one block of 32 words per worker
 * at 32·(slot+1) (service-probe.ts reads them):
 *   i32: +0 requests, +1 computing flag, +2 threadId
 *   f64: +0 ms in spin, +1 ms in the query phase, +2 / +3 schedstat run / runnable-wait ms,
 *        +4 ms between requests (task end → next task start), +5 ms waited in get() (queryPath
 *        'get'), +6 CPU ms of the spin, +7 / +8 voluntary / involuntary context switches,
 *        +25..+27 when each of the 3 queries ended (ms after the spin), summed over requests
 */
import { threadId, workerData } from 'node:worker_threads';
import { Session } from 'node:inspector';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { attachSharedPool } from '../lib/library.ts';
import { spin } from '../lib/spin.ts';
import { arriveAndWaitAsync } from '../lib/pool-workers.ts';

const data = workerData as {
  i32: Int32Array; f64: Float64Array; pool?: unknown; dist?: string; queryPath?: string;
  mysql2?: { options: Record<string, unknown>; connectionLimit: number };
};
const { i32, f64 } = data;
const slot = Atomics.add(i32, 0, 1);
const B = 32 * (slot + 1);
Atomics.store(i32, B + 2, threadId);

let query: ((sql: string) => Promise<unknown>) | null = null;
let closeFn: (() => Promise<void>) | null = null;
async function runner(): Promise<(sql: string) => Promise<unknown>> {
  if (query) return query;
  if (data.pool) {
    const attach = data.dist ? ((await import(data.dist)) as typeof import('../../src/index.ts')).attachSharedPool : attachSharedPool;
    const db = attach(data.pool as never);
    if (data.queryPath === 'get') {
      query = async (sql) => {
        const t = performance.now();
        const c = await db.get();
        f64[B + 5] += performance.now() - t;
        try { return await c.query(sql); } finally { c.recycle(); }
      };
    } else query = (sql) => db.query(sql);
    closeFn = async () => db.detach();
  } else {
    const { options, connectionLimit } = data.mysql2!;
    const pool = mysql.createPool({ ...options, connectionLimit, maxIdle: connectionLimit, waitForConnections: true, queueLimit: 0 });
    if (data.queryPath === 'get') {
      query = async (sql) => {
        const t = performance.now();
        const c = await pool.getConnection();
        f64[B + 5] += performance.now() - t;
        try { return await c.query(sql); } finally { c.release(); }
      };
    } else query = (sql) => pool.query(sql);
    closeFn = () => pool.end();
  }
  return query;
}

function sched(): [number, number] {
  const [run, wait] = readFileSync('/proc/thread-self/schedstat', 'utf8').trim().split(/\s+/);
  return [Number(run) / 1e6, Number(wait) / 1e6];
}

let lastEnd = -1;
let done = 0;
const PROF = process.env.PROBE_PROF ? process.env.PROBE_PROF.split(',').map(Number) : null;
let session: Session | null = null;
function profileStep(): void {
  if (!PROF) return;
  done++;
  if (done === PROF[0]) {
    session = new Session();
    session.connect();
    session.post('Profiler.enable');
    session.post('Profiler.setSamplingInterval', { interval: 100 });
    session.post('Profiler.start');
  } else if (done === PROF[1] && session) {
    const s = session;
    s.post('Profiler.stop', (err, res) => {
      if (!err) {
        mkdirSync(process.env.PROBE_PROF_DIR!, { recursive: true });
        writeFileSync(`${process.env.PROBE_PROF_DIR}/${data.pool ? 'shared' : 'mysql2'}-${slot}.cpuprofile`, JSON.stringify(res.profile));
      }
      s.disconnect();
    });
  }
}
async function request(spinIterations: number): Promise<number> {
  const q = await runner();
  const t0 = performance.now();
  if (lastEnd >= 0) f64[B + 4] += t0 - lastEnd;
  Atomics.store(i32, B + 1, 1);
  const s0 = sched()[0];
  spin(spinIterations);
  f64[B + 6] += sched()[0] - s0;
  Atomics.store(i32, B + 1, 0);
  const t1 = performance.now();
  const ends: number[] = [];
  const mark = (p: Promise<unknown>) => p.then(() => { ends.push(performance.now() - t1); });
  await Promise.all([mark(q('SELECT 1')), mark(q('SELECT 1')), mark(q('SELECT 1'))]);
  f64[B + 25] += ends[0]; f64[B + 26] += ends[1]; f64[B + 27] += ends[2];
  const t2 = performance.now();
  f64[B + 0] += t1 - t0;
  f64[B + 1] += t2 - t1;
  const [run, wait] = sched();
  const st = readFileSync('/proc/thread-self/status', 'utf8');
  f64[B + 7] = Number(/\nvoluntary_ctxt_switches:\s*(\d+)/.exec(st)![1]);
  f64[B + 8] = Number(/nonvoluntary_ctxt_switches:\s*(\d+)/.exec(st)![1]);
  f64[B + 2] = run;
  f64[B + 3] = wait;
  Atomics.add(i32, B + 0, 1);
  lastEnd = performance.now();
  profileStep();
  return slot;
}

export default async function task(t: { op: string; spin?: number; barrier?: Int32Array; parties?: number }): Promise<number> {
  if (t.op === 'task') return request(t.spin!);
  if (t.op === 'ready') {
    await runner();
    await arriveAndWaitAsync(t.barrier!, t.parties!, 60_000, 'ready barrier');
    return slot;
  }
  lastEnd = -1;
  if (closeFn) await closeFn();
  query = null;
  closeFn = null;
  return slot;
}
