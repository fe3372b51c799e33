/**
 * npm run bench [-- --quick]
 *
 * Runs every scenario group in order, prints a line per result as it is measured, then one table,
 * and writes bench/out/<arch>[.quick].{json,md,svg} (ignored by git); with --save also
 * docs/results/<arch>[.quick].*, the committed results the README cites, so a run never rewrites
 * tracked files by accident.
 * To add scenarios: write a ScenarioGroup in bench/scenarios/ and add it to GROUPS (bench/groups.ts). A result
 * whose `baseline` or `anchors` name other results' ids gets a ratio against each of them.
 */
import { parseOptions } from './lib/options.ts';
import type { BenchContext, ScenarioResult } from './lib/types.ts';
import { writeChart } from './chart.ts';
import { disturbed, environment, formatOps, formatTable, formatValue, withRatios, writeResults } from './report.ts';
import { GROUPS } from './groups.ts';

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const env = environment();
  const arch = env.emulated ? `${env.arch} EMULATED (${env.emulated}; compare ratios only)` : env.arch;
  console.log(`arch ${arch} | node ${env.node} | CPUs ${env.cpus} (${env.cpuModel}) | load ${env.loadAvg[0].toFixed(2)} | mode ${options.mode}`);
  if (env.cpus < 2) console.log('note: fewer than 2 CPUs available, thread scenarios will time-slice rather than run in parallel');

  const printed = new Set<string>();
  const log = (line: string): void => console.log(`  ${line}`);
  const resultLine = (r: ScenarioResult): string => {
    const per = r.perThread ? `  (per thread ${r.perThread.map(formatOps).join(' / ')})` : '';
    const cpu = r.cpuShare !== undefined ? `  [CPU ${Math.round(r.cpuShare * 100)}%]` : '';
    return `${r.name}: ${formatValue(r)}${per}${cpu}`;
  };
  const ctx: BenchContext = {
    options,
    log,
    progress(r) {
      printed.add(r.id);
      log(resultLine(r));
    },
  };
  const results: ScenarioResult[] = [];
  const started = performance.now();
  const groups = options.only.length > 0 ? GROUPS.filter((g) => options.only.includes(g.id)) : GROUPS;
  if (groups.length === 0) throw new Error(`--only: no group ${options.only.join(', ')} (groups: ${GROUPS.map((g) => g.id).join(', ')})`);
  for (const group of groups) {
    console.log(`\n${group.title}`);
    const t0 = performance.now();
    const out = await group.run(ctx);
    for (const r of out) if (!printed.has(r.id)) ctx.progress(r);
    ctx.log(`(${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    results.push(...out);
  }

  const rows = withRatios(results);
  console.log(`\n${formatTable(rows, env, options)}\n`);
  for (const warning of disturbed(rows)) console.log(`warning: ${warning}`);
  if (options.only.length > 0) return; // a partial run does not replace the results files
  const dirs = [new URL('./out/', import.meta.url), ...(options.save ? [new URL('../docs/results/', import.meta.url)] : [])];
  const files: string[] = [];
  for (const dir of dirs) {
    files.push(...(await writeResults(dir, rows, env, options)));
    files.push(await writeChart(dir, rows, env, options));
  }
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
