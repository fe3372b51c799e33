/**
 * Multi-thread plumbing: spawn TypeScript workers through bench/worker-bootstrap.mjs, a start
 * barrier in shared memory, and a shared stop flag.
 *
 * Control words (Int32Array over its own SharedArrayBuffer, so it never shares a cache line with
 * the data under test):
 *   ARRIVED  workers that reached the barrier
 *   GO       set to 1 (and notified) by the last arriving worker
 *   STOP     set to 1 by the first worker whose time budget ran out; the others stop at their next check
 */
import { Worker } from 'node:worker_threads';

export const CTRL = { ARRIVED: 0, GO: 16, STOP: 32 } as const;
const CTRL_WORDS = 48; // words 64 bytes apart, padded to 192 bytes

export function createControl(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(CTRL_WORDS * 4));
}

/** Blocks the calling worker until `parties` workers have arrived; all leave together. */
export function arriveAndWait(ctrl: Int32Array, parties: number, timeoutMs = 60_000): void {
  const arrived = Atomics.add(ctrl, CTRL.ARRIVED, 1) + 1;
  if (arrived === parties) {
    Atomics.store(ctrl, CTRL.GO, 1);
    Atomics.notify(ctrl, CTRL.GO);
    return;
  }
  const deadline = performance.now() + timeoutMs;
  while (Atomics.load(ctrl, CTRL.GO) === 0) {
    const left = deadline - performance.now();
    if (left <= 0) throw new Error(`start barrier timed out: ${Atomics.load(ctrl, CTRL.ARRIVED)} of ${parties} workers arrived`);
    Atomics.wait(ctrl, CTRL.GO, 0, left);
  }
}

export function stopRequested(ctrl: Int32Array): boolean {
  return Atomics.load(ctrl, CTRL.STOP) !== 0;
}

export function requestStop(ctrl: Int32Array): void {
  Atomics.store(ctrl, CTRL.STOP, 1);
}

/** Message a worker entry posts exactly once. */
export type WorkerReply<R> = { ok: true; result: R } | { ok: false; error: string };

const BOOTSTRAP = new URL('../worker-bootstrap.mjs', import.meta.url);

/** Drops `--import tsx` from the inherited flags: the bootstrap registers tsx itself. */
export function workerExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--import' && argv[i + 1] === 'tsx') { i++; continue; }
    if (arg === '--import=tsx') continue;
    out.push(arg);
  }
  return out;
}

/**
 * Spawns one worker per element of `data` on the TypeScript module `entry` (through the bootstrap)
 * and resolves with each worker's single reply (same order). Rejects on the first worker error,
 * error reply or exit before replying, or after `timeoutMs`. Every spawned worker is pushed to
 * `workers` (and passed to `onSpawn`) as it starts; terminating them is the caller's job.
 */
export async function spawnAndCollect<D extends object, R>(
  entry: URL,
  data: readonly D[],
  timeoutMs: number,
  namePrefix: string,
  workers: Worker[],
  onSpawn?: (worker: Worker, index: number) => void,
): Promise<R[]> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const replies = data.map((d, index) => {
      const worker = new Worker(BOOTSTRAP, {
        workerData: { ...d, __entry: entry.href },
        execArgv: workerExecArgv(),
        name: `${namePrefix}-${index}`,
      });
      workers.push(worker);
      onSpawn?.(worker, index);
      return new Promise<R>((resolve, reject) => {
        worker.once('message', (reply: WorkerReply<R>) => {
          if (reply.ok) resolve(reply.result);
          else reject(new Error(`worker ${index}: ${reply.error}`));
        });
        worker.once('error', (err) => reject(new Error(`worker ${index} failed: ${err.message}`, { cause: err })));
        worker.once('exit', (code) => reject(new Error(`worker ${index} exited with code ${code} before replying`)));
      });
    });
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`workers did not finish within ${timeoutMs} ms`)), timeoutMs);
    });
    return await Promise.race([Promise.all(replies), timeout]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/**
 * Starts one worker per element of `data` on the TypeScript module `entry`, and resolves with each
 * worker's result (same order). Every worker is terminated before this returns, on success or
 * failure, so nothing keeps the process alive.
 */
export async function runWorkers<D extends object, R>(entry: URL, data: readonly D[], timeoutMs: number): Promise<R[]> {
  const workers: Worker[] = [];
  try {
    return await spawnAndCollect<D, R>(entry, data, timeoutMs, 'bench', workers);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** Wraps a worker entry's main function: posts its result or its error, exactly once. */
export function replyWith<R>(port: { postMessage(value: unknown): void }, fn: () => R): void {
  let reply: WorkerReply<R>;
  try {
    reply = { ok: true, result: fn() };
  } catch (err) {
    reply = { ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  port.postMessage(reply);
}
