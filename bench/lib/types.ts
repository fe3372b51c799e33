import type { BenchOptions } from './options.ts';

/** One measured scenario. Keep fields JSON-friendly: results are written as they are. */
export interface ScenarioResult {
  /** Stable key (used as baseline reference and in the JSON). */
  id: string;
  /** Group that produced it (file under bench/scenarios/). */
  group: string;
  /** Human-readable name printed in the table. */
  name: string;
  /** What one op is ("CAS", "pair" = pop + push, ...). */
  unit: string;
  /** Threads running the scenario concurrently. */
  threads: number;
  /** Total ops per second over all threads (throughput scenarios; absent for latency-only ones). */
  opsPerSec?: number;
  /**
   * Latency scenarios: percentiles of one op in microseconds, over `n` measured rounds. A result
   * with `latencyUs` and no `opsPerSec` is shown as "p50 … · p99 …"; its ratios compare p50s.
   */
  latencyUs?: LatencyUs;
  /** Ops per second of each thread (multi-thread scenarios). */
  perThread?: number[];
  /** Relative margin of error of opsPerSec, in % (tinybench scenarios). */
  rme?: number;
  /** Samples taken (tinybench) or threads' chunks (multi-thread). */
  samples?: number;
  /** Successful CAS instructions per op when uncontended (helps read the ratio; kept in the JSON). */
  casPerOp?: number;
  /** id of the raw limit this scenario is compared with (absent for the limits themselves). */
  baseline?: string;
  /**
   * Further results (ids) to show a ratio against, after `baseline`: each gives one
   * "0.52× label" entry in the table (opsPerSec ÷ anchor's, or p50 ÷ anchor's p50 for latencies).
   */
  anchors?: string[];
  /**
   * Ratios the scenario measured itself, by anchor id (e.g. the median of per-window ratios of
   * variants run in turns), shown instead of this row's value ÷ the anchor's.
   */
  pairedRatios?: Record<string, number>;
  /** Short name used when other rows show a ratio against this one (default: the id). */
  short?: string;
  /**
   * Lowest share of a CPU any of its threads got while measuring (Linux only). Well under 1 means
   * other load (or more threads than CPUs) disturbed the run.
   */
  cpuShare?: number;
  /** Measured wall time (ms). */
  durationMs: number;
  notes?: string[];
}

export interface LatencyUs {
  p50: number;
  p99: number;
  mean?: number;
  min?: number;
  max?: number;
  /** Measured rounds. */
  n: number;
}

export interface BenchContext {
  options: BenchOptions;
  log(line: string): void;
  /**
   * Prints a result's line as soon as it is measured (main.ts then does not print it again).
   * Optional to call: results not reported this way are printed when their group ends.
   */
  progress(result: ScenarioResult): void;
}

/** A file of bench/scenarios/ exports one or more of these; bench/main.ts runs them in order. */
export interface ScenarioGroup {
  /** Short key, also stored in each result's `group`. */
  id: string;
  title: string;
  run(ctx: BenchContext): Promise<ScenarioResult[]>;
}
