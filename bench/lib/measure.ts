/**
 * Single-thread throughput with tinybench. One task call runs a batch of `batch` ops, so the timer
 * (~tens of ns per call) is amortised; each sample is reported as the mean time of one op
 * (overriddenDuration) while the time budget counts the whole batch (overriddenIterationCost).
 * ops/s = 1000 / mean latency (ms) = total ops / total measured time.
 */
import { Bench, type FnReturnedObject } from 'tinybench';
import { cpuShare, threadCpu } from './cpu.ts';
import type { Timing } from './options.ts';

export interface BatchSpec {
  id: string;
  /** Ops per task call. */
  batch: number;
  /** Runs exactly `n` ops. */
  loop: (n: number) => void;
}

export interface BatchMeasurement {
  id: string;
  opsPerSec: number;
  rme: number;
  samples: number;
  durationMs: number;
  /** Share of a CPU this thread got over the task's warm-up and run (Linux only). */
  cpuShare?: number;
}

/**
 * Runs one tinybench task in its own Bench (so its CPU share is measured on its own) and turns the
 * result into a BatchMeasurement. `task` builds the task function from the bench (for bench.now());
 * it must report overriddenDuration per op and overriddenIterationCost per batch of `batch` ops.
 * Shared by measureBatches and measureAsyncBatches (measure-async.ts), so both measure alike.
 */
export async function measureBatchTask(
  id: string,
  batch: number,
  timing: Timing,
  task: (bench: Bench) => () => FnReturnedObject | Promise<FnReturnedObject>,
): Promise<BatchMeasurement> {
  const bench = new Bench({
    time: timing.taskMs,
    warmupTime: timing.warmupMs,
    iterations: 16,
    warmupIterations: 8,
    throws: true,
  });
  bench.add(id, task(bench));
  const before = threadCpu();
  const t0 = performance.now();
  await bench.run();
  const share = cpuShare(before, threadCpu(), performance.now() - t0);
  const result = bench.getTask(id)?.result;
  if (!result || result.state !== 'completed') {
    const error = result && 'error' in result ? result.error : undefined;
    throw new Error(`task ${id} did not complete (${result?.state ?? 'missing'})`, { cause: error });
  }
  return {
    id,
    opsPerSec: 1000 / result.latency.mean,
    rme: result.latency.rme,
    samples: result.latency.samplesCount,
    // Time spent in the measured batches (totalTime would sum the per-op overridden samples).
    durationMs: result.latency.samplesCount * batch * result.latency.mean,
    ...(share !== undefined ? { cpuShare: share } : {}),
  };
}

export async function measureBatches(specs: readonly BatchSpec[], timing: Timing): Promise<BatchMeasurement[]> {
  const out: BatchMeasurement[] = [];
  for (const spec of specs) {
    const { batch, loop } = spec;
    // A synchronous task function: tinybench times it without awaiting.
    out.push(await measureBatchTask(spec.id, batch, timing, (bench) => (): FnReturnedObject => {
      const t0 = bench.now();
      loop(batch);
      const dt = bench.now() - t0;
      return { overriddenDuration: dt / batch, overriddenIterationCost: dt };
    }));
  }
  return out;
}
