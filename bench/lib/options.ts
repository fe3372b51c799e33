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
  /** Group ids given with --only (empty: every group). */
  only: string[];
  /** Also write the results to docs/results/ (the committed copy the README cites). */
  save: boolean;
  mode: 'quick' | 'full';
  timing: Timing;
}

const TIMING: Record<'quick' | 'full', Timing> = {
  quick: { taskMs: 300, warmupMs: 100, threadMs: 1000, threadWarmupMs: 100 },
  full: { taskMs: 2000, warmupMs: 500, threadMs: 3000, threadWarmupMs: 300 },
};

export function parseOptions(argv: readonly string[]): BenchOptions {
  let quick = false;
  let save = false;
  const only: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') quick = true;
    else if (arg === '--save') save = true;
    else if (arg === '--only' && i + 1 < argv.length) only.push(argv[++i]);
    else if (arg === '--help' || arg === '-h') {
      console.log([
        'usage: npm run bench [-- --quick] [--save] [--only <group id>]...',
        '  --quick  short budgets (the whole run takes 70–100 s on a shared 2-vCPU machine; the last line prints its total)',
        '  --save   also write docs/results/<arch>[.quick].*, the committed results (default: bench/out/ only, ignored by git)',
        '  --only   run just this group (e.g. checkout, safety); results are then not written',
      ].join('\n'));
      process.exit(0);
    } else throw new Error(`unknown argument ${JSON.stringify(arg)} (try --help)`);
  }
  const mode = quick ? 'quick' : 'full';
  return { quick, save, only, mode, timing: TIMING[mode] };
}
