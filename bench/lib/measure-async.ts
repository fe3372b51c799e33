/**
 * measureBatches (measure.ts) for loops that may be asynchronous: one tinybench task call awaits a
 * batch of `batch` ops, and the sample is the mean time of one op. Same fields, same budgets, so
 * sync and async results in one table are measured alike.
 */
import { Bench, type FnReturnedObject } from 'tinybench';
import { cpuShare, threadCpu } from './cpu.ts';
import type { BatchMeasurement } from './measure.ts';
import type { Timing } from './options.ts';

export interface AsyncBatchSpec {
  id: string;
  /** Ops per task call. */
  batch: number;
  /** Runs exactly `n` ops; may return a promise that settles when they are done. */
  loop: (n: number) => void | Promise<void>;
}

export async function measureAsyncBatches(
  specs: readonly AsyncBatchSpec[],
  timing: Timing,
  onMeasured?: (m: BatchMeasurement) => void,
): Promise<BatchMeasurement[]> {
  const out: BatchMeasurement[] = [];
  for (const spec of specs) {
    const bench = new Bench({
      time: timing.taskMs,
      warmupTime: timing.warmupMs,
      iterations: 16,
      warmupIterations: 8,
      throws: true,
    });
    const { batch, loop } = spec;
    bench.add(spec.id, async (): Promise<FnReturnedObject> => {
      const t0 = bench.now();
      await loop(batch);
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
    const m: BatchMeasurement = {
      id: spec.id,
      opsPerSec: 1000 / result.latency.mean,
      rme: result.latency.rme,
      samples: result.latency.samplesCount,
      durationMs: result.latency.samplesCount * spec.batch * result.latency.mean,
      ...(share !== undefined ? { cpuShare: share } : {}),
    };
    out.push(m);
    onMeasured?.(m);
  }
  return out;
}
