/** Test helpers for driving pool-worker.ts threads. */
import type { Worker } from 'node:worker_threads';
import type { SharedPool } from '../../src/index.ts';
import { nextMessage, requestReply, spawnTsWorker } from './spawn.ts';
import type { TakeResult, Taker } from './liveness.ts';

export interface PoolThread {
  worker: Worker;
  index: number;
  request<T extends { type: string }>(message: Record<string, unknown>, reply: string): Promise<T>;
  get(id: number, options?: { timeoutMs?: number; setting?: string }): Promise<{ type: 'got' | 'error'; slot?: number; connId?: number; code?: string; message?: string }>;
  /** This thread as a liveness taker: n gets at once, then recycled. */
  taker: Taker;
}

let nextId = 1;

export async function startPoolThread(pool: SharedPool): Promise<PoolThread> {
  const worker = spawnTsWorker(new URL('../threads/pool-worker.ts', import.meta.url), { pool: pool.handle });
  const ready = await nextMessage<{ index: number }>(worker, 'ready');
  const request = <T extends { type: string }>(message: Record<string, unknown>, reply: string): Promise<T> => {
    const id = message.id;
    return requestReply<T & { id?: unknown }>(
      worker, message, (m) => (m.type === reply || (reply === 'got' && m.type === 'error')) && (id === undefined || m.id === id),
    );
  };
  return {
    worker,
    index: ready.index,
    request,
    get: (id, options = {}) => request({ cmd: 'get', id, ...options }, 'got'),
    taker: {
      name: `worker thread ${ready.index}`,
      take: (n, timeoutMs) => request<TakeResult & { type: string }>({ cmd: 'takeAll', id: newId(), n, timeoutMs }, 'took'),
    },
  };
}

/** Starts `n` pool threads at once and records them in `into`, for endPoolAndThreads(). */
export async function startPoolThreads(pool: SharedPool, n: number, into: PoolThread[]): Promise<PoolThread[]> {
  const started = await Promise.all(Array.from({ length: n }, () => startPoolThread(pool)));
  into.push(...started);
  return started;
}

/** After a test: close its pool (a failed close is the test's business, not the cleanup's), then terminate its threads. */
export async function endPoolAndThreads(pool: SharedPool | null, threads: PoolThread[]): Promise<void> {
  await pool?.close({ timeoutMs: 3000 }).catch(() => {});
  await Promise.all(threads.splice(0).map((t) => t.worker.terminate()));
}

export function newId(): number {
  return nextId++;
}
