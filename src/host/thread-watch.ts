/**
 * Watching threads for their exit, so the pool can reap what they held: a worker_threads Worker
 * ('exit'), or a piscina pool ('workerCreate' / 'workerDestroy', then the worker's own 'exit').
 */
import { Worker } from 'node:worker_threads';
import { PoolOptionError } from '../core/errors.ts';

/**
 * Calls `onExit(threadId)` once each watched thread has exited. Throws PoolOptionError for a
 * target that is neither, and for piscina with atomics 'sync' (its default): idle workers then
 * block in Atomics.wait and the sockets they own freeze.
 */
export function watchThreadExits(target: Worker | PiscinaLike, onExit: (threadId: number) => void): void {
  if (target instanceof Worker) {
    const id = target.threadId;
    target.once('exit', () => onExit(id));
    return;
  }
  if (!isPiscina(target)) throw new PoolOptionError('watch target', target, 'a worker_threads Worker or a Piscina pool');
  const atomics = target.options?.atomics ?? 'sync';
  if (atomics === 'sync') {
    throw new PoolOptionError('piscina atomics', atomics, "'disabled' or 'async': with 'sync' (piscina's default) idle workers block in Atomics.wait and the sockets they own freeze");
  }
  const ids = new Map<Worker, number>();
  for (const worker of target.threads ?? []) ids.set(worker, worker.threadId);
  target.on('workerCreate', (iface: unknown) => {
    const worker = piscinaWorkerOf(iface);
    if (worker) ids.set(worker, worker.threadId);
  });
  target.on('workerDestroy', (iface: unknown) => {
    const worker = piscinaWorkerOf(iface);
    const id = (worker && ids.get(worker)) ?? (iface as { id?: number }).id ?? -1;
    if (worker) ids.delete(worker);
    if (!worker || worker.threadId === -1) onExit(id);
    else worker.once('exit', () => onExit(id));
  });
}

/** What watch() needs of a Piscina instance. */
export interface PiscinaLike {
  options?: { atomics?: string };
  threads?: Worker[];
  on(event: 'workerCreate' | 'workerDestroy', listener: (worker: unknown) => void): unknown;
}

function isPiscina(target: unknown): target is PiscinaLike {
  return typeof target === 'object' && target !== null && typeof (target as PiscinaLike).on === 'function' && 'options' in target;
}

/** piscina's worker interface keeps its WorkerInfo under a private symbol; its .worker is the thread. */
function piscinaWorkerOf(iface: unknown): Worker | null {
  if (typeof iface !== 'object' || iface === null) return null;
  const key = Object.getOwnPropertySymbols(iface).find((s) => s.description === 'Piscina.kWorkerData');
  const info = key ? (iface as Record<symbol, { worker?: unknown }>)[key] : undefined;
  return info?.worker instanceof Worker ? info.worker : null;
}
