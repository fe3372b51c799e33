/**
 * measureBatches (measure.ts) for loops that may be asynchronous: one tinybench task call awaits a
 * batch of `batch` ops, and the sample is the mean time of one op. Same Bench setup and result
 * extraction (measureBatchTask), so sync and async results in one table are measured alike.
 */
import type { FnReturnedObject } from 'tinybench';
import { measureBatchTask, type BatchMeasurement } from './measure.ts';
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
    const { batch, loop } = spec;
    const m = await measureBatchTask(spec.id, batch, timing, (bench) => async (): Promise<FnReturnedObject> => {
      const t0 = bench.now();
      await loop(batch);
      const dt = bench.now() - t0;
      return { overriddenDuration: dt / batch, overriddenIterationCost: dt };
    });
    out.push(m);
    onMeasured?.(m);
  }
  return out;
}
