/** Drives test/mysql/mysql-worker.ts threads. */
import type { Worker } from 'node:worker_threads';
import type { SharedPool } from '../../src/index.ts';
import { nextMessage, requestReply, spawnTsWorker } from './spawn.ts';

export interface Reply {
  type: string;
  id?: number;
  code?: string;
  message?: string;
  threadId?: number;
  ok?: number;
  errors?: string[];
  sessions?: number[];
  got?: number;
}

export interface MysqlThread {
  worker: Worker;
  /** Sends a command and resolves with the reply of type `reply` (or 'error') for the same id. */
  request(message: Record<string, unknown>, reply: string): Promise<Reply>;
  get(id: number, options?: { timeoutMs?: number; setting?: string }): Promise<Reply>;
}

let nextId = 1;
export function newId(): number {
  return nextId++;
}

export async function startMysqlThread(pool: SharedPool): Promise<MysqlThread> {
  const worker = spawnTsWorker(new URL('../mysql/mysql-worker.ts', import.meta.url), { pool: pool.handle });
  await nextMessage(worker, 'ready');
  const request = (message: Record<string, unknown>, reply: string): Promise<Reply> =>
    requestReply<Reply>(worker, message, (m) => (m.type === reply || m.type === 'error') && m.id === message.id);
  return {
    worker,
    request,
    get: (id, options = {}) => request({ cmd: 'get', id, ...options }, 'got'),
  };
}
