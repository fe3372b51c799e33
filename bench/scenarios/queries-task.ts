/**
 * The piscina task of the queries scenario (bench/scenarios/queries.ts), loaded through
 * queries-task.mjs. Each worker either attaches to the shared pool (workerData.pool) or builds its
 * own mysql2 pool (workerData.mysql2), once, on its first task.
 *
 *   { op: 'run', queries, inflight }   `queries` SELECT 1 over `inflight` concurrent loops
 *   { op: 'close', barrier, parties }  detach / end this worker's pool, then wait at the barrier
 *                                      until `parties` close tasks arrived, so that with one task
 *                                      per worker at a time every worker runs exactly one
 */
import { threadId, workerData } from 'node:worker_threads';
import mysql from 'mysql2/promise';
import { attachSharedPool } from '../lib/library.ts';
import type { PoolHandle, SharedPoolClient } from '../../src/index.ts';
import { arriveAndWaitAsync } from '../lib/pool-workers.ts';

export interface QueriesWorkerData {
  /**
   * Progress words: [0] hands out worker slots, [1 + slot] counts the queries that worker has
   * completed, so the main thread can measure any window while tasks keep flowing.
   */
  progress: Int32Array;
  /** The shared pool's handle: attach to it. */
  pool?: PoolHandle;
  /** Or: a mysql2 pool per worker with these options. */
  mysql2?: { options: Record<string, unknown>; connectionLimit: number };
}

export type QueriesTask =
  | { op: 'run'; queries: number; inflight: number }
  | { op: 'close'; barrier: Int32Array; parties: number };

export interface QueriesTaskResult {
  threadId: number;
  queries: number;
  ms: number;
}

const data = workerData as QueriesWorkerData;
let shared: SharedPoolClient | null = null;
let own: mysql.Pool | null = null;
/** This worker's progress word. */
const slot = 1 + Atomics.add(data.progress, 0, 1);
if (slot >= data.progress.length) throw new Error(`queries-task: more workers than progress words (${data.progress.length - 1})`);

function runner(): () => Promise<unknown> {
  if (data.pool) {
    shared ??= attachSharedPool(data.pool);
    const db = shared;
    return () => db.query('SELECT 1');
  }
  if (data.mysql2) {
    const { options, connectionLimit } = data.mysql2;
    own ??= mysql.createPool({ ...options, connectionLimit, maxIdle: connectionLimit, waitForConnections: true, queueLimit: 0 });
    const pool = own;
    return () => pool.query('SELECT 1');
  }
  throw new Error('queries-task: workerData has neither pool nor mysql2');
}

async function run(queries: number, inflight: number): Promise<QueriesTaskResult> {
  const query = runner();
  const t0 = performance.now();
  let left = queries;
  const progress = data.progress;
  const loop = async (): Promise<void> => {
    while (left > 0) {
      left--;
      await query();
      Atomics.add(progress, slot, 1);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inflight, queries) }, loop));
  return { threadId, queries, ms: performance.now() - t0 };
}

async function close(barrier: Int32Array, parties: number): Promise<QueriesTaskResult> {
  const t0 = performance.now();
  if (shared) {
    shared.detach();
    shared = null;
  }
  if (own) {
    const pool = own;
    own = null;
    await pool.end();
  }
  await arriveAndWaitAsync(barrier, parties, 10_000);
  return { threadId, queries: 0, ms: performance.now() - t0 };
}

export default function task(t: QueriesTask): Promise<QueriesTaskResult> {
  return t.op === 'run' ? run(t.queries, t.inflight) : close(t.barrier, t.parties);
}
