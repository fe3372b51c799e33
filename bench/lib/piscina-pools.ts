/**
 * The piscina side of the interleaved-window scenarios (queries, service): W workers kept up for
 * the whole scenario (atomics 'disabled', as the shared pool requires), optionally watched by a
 * shared pool, and closed by one close task per worker (each detaches / ends its pool, then waits
 * at a barrier until all W arrived, so every worker runs exactly one).
 */
import { Piscina } from 'piscina';
import type { SharedPool } from '../../src/index.ts';
import { workerExecArgv } from './threads.ts';

/** Starts `workers` piscina workers on `filename` (a .mjs entry that registers tsx). */
export function startPiscina(filename: string, workers: number, workerData: unknown, pool: SharedPool | null): Piscina {
  const piscina = new Piscina({
    filename,
    minThreads: workers,
    maxThreads: workers,
    idleTimeout: 600_000,
    concurrentTasksPerWorker: 1,
    atomics: 'disabled',
    execArgv: workerExecArgv(),
    workerData,
  });
  if (pool) pool.watch(piscina);
  return piscina;
}

/**
 * Resolves once every one of the `workers` workers has loaded its task module and run one
 * `{ op: 'ready', barrier, parties }` task (each waits at the barrier, so none runs two). Variants
 * measured side by side must all be up before any is measured or warmed up: workers booting
 * (loading modules, transpiling through tsx) while another variant warms up left that variant ~9 %
 * slower for the rest of the run (bench/probe/service-probe.ts, the same build in three variants).
 */
export async function awaitWorkersReady(piscina: Piscina, workers: number): Promise<void> {
  await onEveryWorker(piscina, workers, 'ready');
}

/** One `{ op, barrier, parties }` task per worker: each waits at the barrier, so every worker runs exactly one. */
function onEveryWorker(piscina: Piscina, workers: number, op: 'ready' | 'close'): Promise<unknown[]> {
  const task = { op, barrier: new Int32Array(new SharedArrayBuffer(4)), parties: workers };
  return Promise.all(Array.from({ length: workers }, () => piscina.run(task)));
}

/**
 * Runs one `{ op: 'close', barrier, parties }` task per worker, destroys piscina, closes the
 * shared pool. A failing close task is reported through `log`, never thrown.
 */
export async function closePiscina(piscina: Piscina, workers: number, pool: SharedPool | null, log: (line: string) => void): Promise<void> {
  await onEveryWorker(piscina, workers, 'close').catch((error: unknown) => {
    log(`closing the workers' pools failed: ${(error as Error).message}`);
  });
  await piscina.destroy();
  if (pool) await pool.close({ timeoutMs: 5000 });
}
