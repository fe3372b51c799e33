/**
 * The results table (console and Markdown) and bench/results/<arch>[.quick].{json,md}.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import type { BenchOptions } from './lib/options.ts';
import type { ScenarioResult } from './lib/types.ts';

export interface Environment {
  arch: string;
  platform: string;
  node: string;
  v8: string;
  cpus: number;
  cpuModel: string;
  totalMemGiB: number;
  /** 1, 5 and 15 minute load averages when the run started (0 on Windows). */
  loadAvg: number[];
}

export function environment(): Environment {
  return {
    arch: process.arch,
    platform: `${process.platform} ${os.release()}`,
    node: process.version,
    v8: process.versions.v8,
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model?.trim() ?? 'unknown',
    totalMemGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAvg: os.loadavg(),
  };
}

export interface Row extends ScenarioResult {
  /** opsPerSec / the baseline's opsPerSec (undefined for limits, or when the baseline is missing). */
  ratio?: number;
}

export function withRatios(results: readonly ScenarioResult[]): Row[] {
  const byId = new Map(results.map((r) => [r.id, r]));
  return results.map((r) => {
    const base = r.baseline ? byId.get(r.baseline) : undefined;
    return base ? { ...r, ratio: r.opsPerSec / base.opsPerSec } : { ...r };
  });
}

export function formatOps(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e8 ? 0 : 1)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return n.toFixed(0);
}

const HEADERS = ['scenario', 'threads', 'ops/s', '±', 'per thread', 'op', 'CAS/op', 'vs CAS limit', 'CPU'] as const;

function cells(row: Row, rows: readonly Row[]): string[] {
  const base = row.baseline ? rows.find((r) => r.id === row.baseline) : undefined;
  let vs = '—';
  if (row.ratio !== undefined && base) vs = `${row.ratio.toFixed(3)} × ${base.id.replace(/^raw\./, '')}`;
  else if (!row.baseline) vs = 'limit';
  return [
    row.name,
    String(row.threads),
    formatOps(row.opsPerSec),
    row.rme !== undefined ? `${row.rme.toFixed(1)}%` : '',
    row.perThread ? row.perThread.map(formatOps).join(' / ') : '',
    row.unit,
    String(row.casPerOp),
    vs,
    row.cpuShare !== undefined ? `${Math.round(row.cpuShare * 100)}%${row.cpuShare < DISTURBED ? ' !' : ''}` : '',
  ];
}

/** Below this CPU share a result is flagged as disturbed by other load. */
export const DISTURBED = 0.85;

/** Warnings for results whose threads did not get a whole CPU. */
export function disturbed(rows: readonly Row[]): string[] {
  return rows
    .filter((r) => r.cpuShare !== undefined && r.cpuShare < DISTURBED)
    .map((r) => `${r.name}: a thread got only ${Math.round(r.cpuShare! * 100)}% of a CPU; other load disturbed it, rerun on an idle machine`);
}

const RIGHT = new Set([1, 2, 3, 6, 8]);

export function formatTable(rows: readonly Row[]): string {
  const body = rows.map((r) => cells(r, rows));
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...body.map((c) => c[i].length)));
  const line = (c: readonly string[]): string =>
    c.map((s, i) => (RIGHT.has(i) ? s.padStart(widths[i]) : s.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(HEADERS), widths.map((w) => '─'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export function formatMarkdown(rows: readonly Row[], env: Environment, options: BenchOptions, date: string): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const align = HEADERS.map((_, i) => (RIGHT.has(i) ? '---:' : '---'));
  const notes = rows.flatMap((r) => (r.notes ?? []).map((n) => `- ${r.name}: ${n}`));
  const warnings = disturbed(rows).map((w) => `- ${w}`);
  return [
    `# Benchmark results: ${env.arch}`,
    '',
    `- date: ${date}`,
    `- mode: ${options.mode} (single-thread tasks ${options.timing.taskMs} ms each, thread scenarios ${options.timing.threadMs} ms)`,
    `- arch: ${env.arch}, ${env.platform}`,
    `- node: ${env.node} (V8 ${env.v8})`,
    `- CPUs: ${env.cpus} × ${env.cpuModel}, ${env.totalMemGiB} GiB; load average at start ${env.loadAvg.map((x) => x.toFixed(2)).join(' ')}`,
    '',
    `| ${HEADERS.join(' | ')} |`,
    `| ${align.join(' | ')} |`,
    ...rows.map((r) => `| ${cells(r, rows).map(esc).join(' | ')} |`),
    '',
    '`ops/s` is the total over all threads; `±` is tinybench\'s relative margin of error.',
    '`vs CAS limit` = ops/s ÷ the raw single-thread CAS rate on the same word size; a stack pair',
    'costs at least 2 CAS, so 0.5 is its ceiling in one thread. `CPU` is the lowest share of a CPU',
    'any thread of the scenario got while measuring (Linux only); `!` marks a disturbed run.',
    ...(warnings.length ? ['', 'Warnings:', '', ...warnings] : []),
    ...(notes.length ? ['', 'Notes:', '', ...notes] : []),
    '',
  ].join('\n');
}

/** Writes <dir>/<arch>.json and .md (<arch>.quick.* for --quick, so quick checks never replace a full run). */
export async function writeResults(dir: URL, rows: readonly Row[], env: Environment, options: BenchOptions): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const date = new Date().toISOString();
  const base = options.quick ? `${env.arch}.quick` : env.arch;
  const json = new URL(`${base}.json`, dir);
  const md = new URL(`${base}.md`, dir);
  const payload = { date, mode: options.mode, timing: options.timing, environment: env, results: rows };
  await writeFile(json, `${JSON.stringify(payload, null, 2)}\n`);
  await writeFile(md, formatMarkdown(rows, env, options, date));
  return [json, md].map((u) => u.pathname);
}
