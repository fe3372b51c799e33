import { Worker, type WorkerOptions } from 'node:worker_threads';

const bootstrap = new URL('./ts-worker.mjs', import.meta.url);

/** Starts a worker thread running a TypeScript entry (path relative to the caller's URL). */
export function spawnTsWorker(entry: URL, workerData: Record<string, unknown> = {}, options: WorkerOptions = {}): Worker {
  return new Worker(bootstrap, { ...options, workerData: { ...workerData, __entry: entry.href } });
}

/** Resolves with the worker's first message of type `type`, rejects on error or early exit. */
export function nextMessage<T = unknown>(worker: Worker, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { type?: string }): void => {
      if (m && m.type === type) {
        cleanup();
        resolve(m as T);
      }
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(e);
    };
    const onExit = (code: number): void => {
      cleanup();
      reject(new Error(`worker exited with code ${code} before sending "${type}"`));
    };
    const cleanup = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

/** Posts `message` to the worker and resolves with its first message that `accept` matches (rejects on a worker error). */
export function requestReply<T>(worker: Worker, message: Record<string, unknown>, accept: (m: T) => boolean): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (m: T): void => {
      if (accept(m)) {
        worker.off('message', onMessage);
        worker.off('error', reject);
        resolve(m);
      }
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
    worker.postMessage(message);
  });
}
