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

export async function measureBatches(specs: readonly BatchSpec[], timing: Timing): Promise<BatchMeasurement[]> {
  const out: BatchMeasurement[] = [];
  // One Bench per task, so each task's CPU share is measured on its own.
  for (const spec of specs) {
    const bench = new Bench({
      time: timing.taskMs,
      warmupTime: timing.warmupMs,
      iterations: 16,
      warmupIterations: 8,
      throws: true,
    });
    const { batch, loop } = spec;
    bench.add(spec.id, (): FnReturnedObject => {
      const t0 = bench.now();
      loop(batch);
      const dt = bench.now() - t0;
      return { overriddenDuration: dt / batch, overriddenIterationCost: dt };
    });
    const before = threadCpu();
    const t0 = performance.now();
    await bench.run();
    const share = cpuShare(before, threadCpu(), performance.now() - t0);
    const result = bench.getTask(spec.id)?.result;
    if (!result || result.state !== 'completed') {
      const error = result && 'error' in result ? result.error : undefined;
      throw new Error(`task ${spec.id} did not complete (${result?.state ?? 'missing'})`, { cause: error });
    }
    out.push({
      id: spec.id,
      opsPerSec: 1000 / result.latency.mean,
      rme: result.latency.rme,
      samples: result.latency.samplesCount,
      // Time spent in the measured batches (totalTime would sum the per-op overridden samples).
      durationMs: result.latency.samplesCount * spec.batch * result.latency.mean,
      ...(share !== undefined ? { cpuShare: share } : {}),
    });
  }
  return out;
}
