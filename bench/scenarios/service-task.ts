/**
 * The piscina task of the service scenarios (bench/scenarios/service.ts), loaded through
 * service-task.mjs. Each worker either attaches to the shared pool (workerData.pool) or builds its
 * own mysql2 pool (workerData.mysql2), once, on its first task.
 *
 *   { op: 'task', spin, queries, sql }  one request: `spin` iterations of CPU work, then `queries`
 *                                       queries in parallel; its latency goes to the histogram
 *   { op: 'drive', sql, maxLanes }      closed-loop lanes running `sql` back to back, as many as
 *                                       this worker's DEMAND word says (0 parks them), until STOP
 *   { op: 'ready', barrier, parties }   attach / build this worker's pool, then wait until every
 *                                       worker's ready task arrived (one per worker: all are up)
 *   { op: 'close', barrier, parties }   detach / end this worker's pool, then wait until every
 *                                       worker's close task arrived (one per worker)
 *
 * Every worker counts its completed requests (tasks, or queries when driven) in its PROGRESS word;
 * a mysql2 pool counts its new connections ('connection' events) in DIALS.
 */
import { threadId, workerData } from 'node:worker_threads';
import mysql from 'mysql2/promise';
import { attachSharedPool } from '../lib/library.ts';
import type { SharedPoolClient } from '../../src/index.ts';
import { record } from '../lib/latency-histogram.ts';
import { arriveAndWaitAsync } from '../lib/pool-workers.ts';
import { spin } from '../lib/spin.ts';
import { SERVICE_MAX_WORKERS, STRIDE, WORD, type ServiceTask, type ServiceTaskResult, type ServiceWorkerData } from './service-control.ts';

const data = workerData as ServiceWorkerData;
const ctrl = data.ctrl;
const slot = Atomics.add(ctrl, WORD.SLOTS, 1);
if (slot >= SERVICE_MAX_WORKERS) throw new Error(`service-task: more than ${SERVICE_MAX_WORKERS} workers`);
const PROGRESS = WORD.PROGRESS + STRIDE * slot;
const DEMAND = WORD.DEMAND + STRIDE * slot;

let shared: SharedPoolClient | null = null;
let own: mysql.Pool | null = null;
let query: ((sql: string) => Promise<unknown>) | null = null;

function runner(): (sql: string) => Promise<unknown> {
  if (query) return query;
  if (data.pool) {
    const db = (shared = attachSharedPool(data.pool));
    query = (sql) => db.query(sql);
  } else if (data.mysql2) {
    const { options, connectionLimit } = data.mysql2;
    const pool = (own = mysql.createPool({ ...options, connectionLimit, maxIdle: connectionLimit, waitForConnections: true, queueLimit: 0 }));
    pool.on('connection', () => Atomics.add(ctrl, WORD.DIALS, 1));
    query = (sql) => pool.query(sql);
  } else {
    throw new Error('service-task: workerData has neither pool nor mysql2');
  }
  return query;
}

async function request(spinIterations: number, queries: number, sql: string): Promise<ServiceTaskResult> {
  const q = runner();
  const t0 = performance.now();
  spin(spinIterations);
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < queries; i++) pending.push(q(sql));
  await Promise.all(pending);
  record(ctrl, WORD.HIST, (performance.now() - t0) * 1000);
  Atomics.add(ctrl, PROGRESS, 1);
  return { threadId, slot };
}

async function drive(sql: string, maxLanes: number): Promise<ServiceTaskResult> {
  const q = runner();
  Atomics.add(ctrl, WORD.RUNNING, 1);
  Atomics.notify(ctrl, WORD.RUNNING);
  const lane = async (i: number): Promise<void> => {
    while (Atomics.load(ctrl, WORD.STOP) === 0) {
      const demand = Atomics.load(ctrl, DEMAND);
      if (i >= demand) {
        // Parked: woken when the main thread changes this worker's demand (or stops).
        const r = Atomics.waitAsync(ctrl, DEMAND, demand, 100);
        if (r.async) await r.value;
        continue;
      }
      const t0 = performance.now();
      await q(sql);
      record(ctrl, WORD.HIST, (performance.now() - t0) * 1000);
      Atomics.add(ctrl, PROGRESS, 1);
    }
  };
  try {
    await Promise.all(Array.from({ length: maxLanes }, (_, i) => lane(i)));
  } finally {
    Atomics.sub(ctrl, WORD.RUNNING, 1);
    Atomics.notify(ctrl, WORD.RUNNING);
  }
  return { threadId, slot };
}

async function ready(barrier: Int32Array, parties: number): Promise<ServiceTaskResult> {
  runner();
  await arriveAndWaitAsync(barrier, parties, 60_000, 'ready barrier');
  return { threadId, slot };
}

async function close(barrier: Int32Array, parties: number): Promise<ServiceTaskResult> {
  if (shared) shared.detach();
  if (own) await own.end();
  shared = null;
  own = null;
  query = null;
  await arriveAndWaitAsync(barrier, parties, 10_000);
  return { threadId, slot };
}

export default function task(t: ServiceTask): Promise<ServiceTaskResult> {
  if (t.op === 'task') return request(t.spin, t.queries, t.sql);
  if (t.op === 'drive') return drive(t.sql, t.maxLanes);
  if (t.op === 'ready') return ready(t.barrier, t.parties);
  return close(t.barrier, t.parties);
}
