/** Command-line options and the time budgets they select. */

export interface Timing {
  /** tinybench time budget per single-thread task (ms). */
  taskMs: number;
  /** tinybench warm-up budget per single-thread task (ms). */
  warmupMs: number;
  /** Measured duration of each multi-thread scenario (ms). */
  threadMs: number;
  /** Warm-up each worker runs alone before the start barrier (ms). */
  threadWarmupMs: number;
}

export interface BenchOptions {
  quick: boolean;
  mode: 'quick' | 'full';
  timing: Timing;
}

const TIMING: Record<'quick' | 'full', Timing> = {
  quick: { taskMs: 300, warmupMs: 100, threadMs: 1000, threadWarmupMs: 100 },
  full: { taskMs: 2000, warmupMs: 500, threadMs: 3000, threadWarmupMs: 300 },
};

export function parseOptions(argv: readonly string[]): BenchOptions {
  let quick = false;
  for (const arg of argv) {
    if (arg === '--quick') quick = true;
    else if (arg === '--help' || arg === '-h') {
      console.log('usage: npm run bench [-- --quick]\n  --quick  short budgets (whole run well under 20 s)');
      process.exit(0);
    } else throw new Error(`unknown argument ${JSON.stringify(arg)} (try --help)`);
  }
  const mode = quick ? 'quick' : 'full';
  return { quick, mode, timing: TIMING[mode] };
}
