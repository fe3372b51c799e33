/**
 * npm run bench [-- --quick]
 *
 * Runs every scenario group in order, prints a table, and writes bench/results/<arch>.{json,md}.
 * To add scenarios: write a ScenarioGroup in bench/scenarios/ and append it to GROUPS. A result
 * whose `baseline` names another result's id gets a ratio column against it.
 */
import { parseOptions } from './lib/options.ts';
import type { BenchContext, ScenarioGroup, ScenarioResult } from './lib/types.ts';
import { disturbed, environment, formatOps, formatTable, withRatios, writeResults } from './report.ts';
import { rawCas } from './scenarios/raw-cas.ts';
import { stackSingle, stackThreads } from './scenarios/stack.ts';

const GROUPS: ScenarioGroup[] = [rawCas, stackSingle, stackThreads];

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const env = environment();
  console.log(`arch ${env.arch} | node ${env.node} | CPUs ${env.cpus} (${env.cpuModel}) | load ${env.loadAvg[0].toFixed(2)} | mode ${options.mode}`);
  if (env.cpus < 2) console.log('note: fewer than 2 CPUs available, thread scenarios will time-slice rather than run in parallel');

  const ctx: BenchContext = { options, log: (line) => console.log(`  ${line}`) };
  const results: ScenarioResult[] = [];
  const started = performance.now();
  for (const group of GROUPS) {
    console.log(`\n${group.title}`);
    const t0 = performance.now();
    const out = await group.run(ctx);
    for (const r of out) {
      const per = r.perThread ? `  (per thread ${r.perThread.map(formatOps).join(' / ')})` : '';
      const cpu = r.cpuShare !== undefined ? `  [CPU ${Math.round(r.cpuShare * 100)}%]` : '';
      ctx.log(`${r.name}: ${formatOps(r.opsPerSec)} ${r.unit}/s${per}${cpu}`);
    }
    ctx.log(`(${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    results.push(...out);
  }

  const rows = withRatios(results);
  console.log(`\n${formatTable(rows)}\n`);
  for (const warning of disturbed(rows)) console.log(`warning: ${warning}`);
  const files = await writeResults(new URL('./results/', import.meta.url), rows, env, options);
  console.log(`wrote ${files.join(', ')}`);
  console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);

  // The process must end by itself; if something still holds the loop, say what and fail.
  setTimeout(() => {
    console.error('bench: still running 5 s after finishing; active resources:', process.getActiveResourcesInfo());
    process.exit(1);
  }, 5000).unref();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
