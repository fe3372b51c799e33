/**
 * npm run bench:compare [-- A.json B.json ...]   (default: docs/results/x64.json docs/results/arm64.json)
 *
 * One Markdown table of several saved runs side by side (e.g. x64 and arm64): per scenario, each
 * run's value and its ratios to anchors of the same run. Absolute values only compare across runs
 * on similar native machines; the ratios are what carries over, and for an emulated run they are
 * all that means anything (its values are left out).
 */
import { readFileSync } from 'node:fs';
import { formatRatio, formatValue, type Environment, type Row } from './report.ts';

interface Saved {
  date: string;
  mode: string;
  environment: Environment;
  results: Row[];
}

const files = process.argv.slice(2);
if (files.length === 0) files.push('docs/results/x64.json', 'docs/results/arm64.json');
const runs: Saved[] = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as Saved);

const title = (s: Saved): string =>
  `${s.environment.arch}${s.environment.emulated ? ' (emulated)' : ''}, ${s.date.slice(0, 10)}`;
const vs = (r: Row | undefined, run: Saved): string => {
  if (!r) return '—';
  if (r.ratios?.length) return r.ratios.map(formatRatio).join(' · ');
  return run.results.some((o) => o.ratios?.some((q) => q.anchor === r.id)) ? 'anchor' : '';
};

const ids = [...new Set(runs.flatMap((s) => s.results.map((r) => r.id)))];
const lines = [
  ...runs.map((s) => {
    const e = s.environment;
    return `- ${title(s)}: ${e.cpus} × ${e.cpuModel}${e.emulated ? `, emulated (${e.emulated})` : ''}, Node ${e.node}, ${s.mode} mode, ${s.date}`;
  }),
  '',
  `| scenario | threads | ${runs.map((s) => (s.environment.emulated ? `${title(s)}: vs anchors` : `${title(s)} | vs anchors`)).join(' | ')} |`,
  `| --- | ---: | ${runs.map((s) => (s.environment.emulated ? '---' : '---: | ---')).join(' | ')} |`,
];
for (const id of ids) {
  const rows = runs.map((s) => s.results.find((r) => r.id === id));
  const first = rows.find((r) => r !== undefined)!;
  const cells = rows.map((r, i) => (runs[i].environment.emulated ? '' : `${r ? formatValue(r) : '—'} | `) + vs(r, runs[i]));
  lines.push(`| ${first.name.replace(/\|/g, '\\|')} | ${first.threads} | ${cells.join(' | ')} |`);
}
console.log(lines.join('\n'));
