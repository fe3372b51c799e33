/**
 * The results table (console and Markdown) and <dir>/<arch>[.quick].{json,md}.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import type { BenchOptions } from './lib/options.ts';
import type { ScenarioResult } from './lib/types.ts';
import { cpuModel, emulation } from './lib/machine.ts';

export interface Environment {
  arch: string;
  platform: string;
  node: string;
  v8: string;
  cpus: number;
  cpuModel: string;
  /** How the CPU is emulated (e.g. "qemu-user on x64"); absent on a native run. */
  emulated?: string;
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
    cpuModel: cpuModel(),
    emulated: emulation(),
    totalMemGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAvg: os.loadavg(),
  };
}

export interface Ratio {
  /** id of the anchor result. */
  anchor: string;
  /** How the anchor is named in the table. */
  label: string;
  /** opsPerSec ÷ the anchor's opsPerSec, or p50 ÷ the anchor's p50 for latencies. */
  ratio: number;
  kind: 'throughput' | 'latency-p50';
}

export interface Row extends ScenarioResult {
  /** Ratio against the baseline (the first entry of `ratios`; kept for older readers). */
  ratio?: number;
  /** One entry per anchor (baseline first, then `anchors`) found in the same run. */
  ratios?: Ratio[];
}

/** How other rows name this one in a ratio. */
export function anchorLabel(r: ScenarioResult): string {
  return r.short ?? r.id.replace(/^raw\./, '');
}

function ratioOf(r: ScenarioResult, base: ScenarioResult): Ratio | undefined {
  const paired = r.pairedRatios?.[base.id];
  if (paired !== undefined) return { anchor: base.id, label: anchorLabel(base), ratio: paired, kind: 'throughput' };
  if (r.opsPerSec !== undefined && base.opsPerSec !== undefined && base.opsPerSec > 0) {
    return { anchor: base.id, label: anchorLabel(base), ratio: r.opsPerSec / base.opsPerSec, kind: 'throughput' };
  }
  if (r.opsPerSec === undefined && r.latencyUs && base.latencyUs && base.latencyUs.p50 > 0) {
    return { anchor: base.id, label: anchorLabel(base), ratio: r.latencyUs.p50 / base.latencyUs.p50, kind: 'latency-p50' };
  }
  return undefined;
}

export function withRatios(results: readonly ScenarioResult[]): Row[] {
  const byId = new Map(results.map((r) => [r.id, r]));
  return results.map((r) => {
    const ids = [...(r.baseline ? [r.baseline] : []), ...(r.anchors ?? [])].filter((id, i, all) => all.indexOf(id) === i);
    const ratios = ids.flatMap((id) => {
      const base = byId.get(id);
      const q = base ? ratioOf(r, base) : undefined;
      return q ? [q] : [];
    });
    const row: Row = { ...r };
    if (ratios.length) row.ratios = ratios;
    const first = r.baseline ? ratios.find((q) => q.anchor === r.baseline) : undefined;
    if (first) row.ratio = first.ratio;
    return row;
  });
}

export function formatOps(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e8 ? 0 : 1)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return n.toFixed(0);
}

/** Microseconds, always in µs (3 significant digits below 100). */
export function formatUs(us: number): string {
  if (!Number.isFinite(us)) return String(us);
  if (us < 10) return `${us.toFixed(2)} µs`;
  if (us < 100) return `${us.toFixed(1)} µs`;
  return `${Math.round(us).toLocaleString('en-US')} µs`;
}

/** The row's measured value: "1.2 M pair/s", or "p50 812 µs · p99 1,420 µs". */
export function formatValue(r: ScenarioResult): string {
  if (r.opsPerSec !== undefined) return `${formatOps(r.opsPerSec)} ${r.unit}/s`;
  if (r.latencyUs) return `p50 ${formatUs(r.latencyUs.p50)} · p99 ${formatUs(r.latencyUs.p99)}`;
  return '';
}

export function formatRatio(q: Ratio): string {
  const x = q.ratio >= 100 ? q.ratio.toFixed(0) : q.ratio >= 10 ? q.ratio.toFixed(1) : q.ratio >= 0.1 ? q.ratio.toFixed(2) : q.ratio.toPrecision(2);
  return `${x}× ${q.label}${q.kind === 'latency-p50' ? ' (p50)' : ''}`;
}

const HEADERS = ['scenario', 'threads', 'value', '±', 'per CPU-s', 'per thread', 'vs anchors (same run)', 'CPU'] as const;

/**
 * Ops per second of CPU time the thread actually got (one-thread throughput rows with a CPU
 * share): what the row would show on an idle machine, so rows disturbed by other load can still be
 * compared.
 */
export function opsPerCpuSecond(r: ScenarioResult): number | undefined {
  if (r.threads !== 1 || r.opsPerSec === undefined || r.cpuShare === undefined || r.cpuShare <= 0) return undefined;
  return r.opsPerSec / r.cpuShare;
}

function cells(row: Row, rows: readonly Row[]): string[] {
  let vs = '';
  if (row.ratios?.length) vs = row.ratios.map(formatRatio).join(' · ');
  else if (rows.some((r) => r.ratios?.some((q) => q.anchor === row.id))) vs = 'anchor';
  return [
    row.name,
    String(row.threads),
    formatValue(row),
    row.rme !== undefined ? `${row.rme.toFixed(1)}%` : '',
    opsPerCpuSecond(row) !== undefined ? formatOps(opsPerCpuSecond(row)!) : '',
    row.perThread ? row.perThread.map(formatOps).join(' / ') : '',
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

const RIGHT = new Set([1, 2, 3, 4, 7]);

/** One line naming the machine: every table carries it. */
export function environmentLine(env: Environment, options: BenchOptions): string {
  const arch = env.emulated ? `${env.arch} EMULATED (${env.emulated})` : env.arch;
  return `arch ${arch} · node ${env.node} · ${env.cpus} CPUs (${env.cpuModel}) · ${env.platform} · mode ${options.mode}`;
}

export function formatTable(rows: readonly Row[], env?: Environment, options?: BenchOptions): string {
  const body = rows.map((r) => cells(r, rows));
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...body.map((c) => c[i].length)));
  const line = (c: readonly string[]): string =>
    c.map((s, i) => (RIGHT.has(i) ? s.padStart(widths[i]) : s.padEnd(widths[i]))).join('  ').trimEnd();
  const head = env && options ? [environmentLine(env, options)] : [];
  return [...head, line(HEADERS), widths.map((w) => '─'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export function formatMarkdown(rows: readonly Row[], env: Environment, options: BenchOptions, date: string, chartFile?: string): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const align = HEADERS.map((_, i) => (RIGHT.has(i) ? '---:' : '---'));
  const notes = rows.flatMap((r) => (r.notes ?? []).map((n) => `- ${r.name}: ${n}`));
  const warnings = disturbed(rows).map((w) => `- ${w}`);
  return [
    `# Benchmark results: ${env.arch}${env.emulated ? ' (emulated)' : ''}`,
    '',
    ...(env.emulated ? [`**Emulated run (${env.emulated}): absolute figures say nothing about ${env.arch} hardware; use the ratios between rows.**`, ''] : []),
    `- date: ${date}`,
    `- mode: ${options.mode} (single-thread tasks ${options.timing.taskMs} ms each, thread scenarios ${options.timing.threadMs} ms)`,
    `- arch: ${env.arch}${env.emulated ? `, emulated: ${env.emulated}` : ''}, ${env.platform}`,
    `- node: ${env.node} (V8 ${env.v8})`,
    `- CPUs: ${env.cpus} × ${env.cpuModel}, ${env.totalMemGiB} GiB; load average at start ${env.loadAvg.map((x) => x.toFixed(2)).join(' ')}`,
    '',
    ...(chartFile ? [`![results chart](${chartFile})`, ''] : []),
    `| ${HEADERS.join(' | ')} |`,
    `| ${align.join(' | ')} |`,
    ...rows.map((r) => `| ${cells(r, rows).map(esc).join(' | ')} |`),
    '',
    '`value` is ops/s summed over all threads, or for latency rows the p50 and p99 of one op in µs.',
    '`±` is tinybench\'s relative margin of error. `per CPU-s` (one-thread rows) is ops/s ÷ the CPU share',
    'the thread got: close to `value` on an idle machine, and the fairer comparison when `!` marks a',
    'disturbed row. `vs anchors` divides by other rows of the same run (wall-clock values):',
    'ops/s ÷ ops/s (higher is faster), or p50 ÷ p50 for latencies (lower is faster); `anchor` marks a',
    'row others are divided by. A stack pair costs at least 2 CAS, so 0.5 × the 64-bit CAS rate is its',
    'ceiling in one thread. `CPU` is the lowest share of a CPU any thread of the scenario got while',
    'measuring (Linux only); `!` marks a disturbed run.',
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
  await writeFile(md, formatMarkdown(rows, env, options, date, `${base}.svg`));
  return [json, md].map((u) => u.pathname);
}
