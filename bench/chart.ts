/**
 * <dir>/<arch>[.quick].svg: the headline scenarios as horizontal bar charts, drawn from
 * the collected results (no dependency, plain SVG text):
 *   1. checkout cost (group 'checkout'): pairs/s, one thread
 *   2. contention (group 'contention'): 1 thread, 2 threads total and per thread
 *   3. queries (group 'queries', written by another scenario file): queries/s — skipped when absent
 *   4. handoff latency (group 'handoff'): p50 bars with a p99 tick, µs
 * Bars of this library are blue, the others grey, physical limits green. Every bar carries its value
 * and its ratio to the panel's anchors, so the chart reads without the table.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import type { BenchOptions } from './lib/options.ts';
import { DISTURBED, environmentLine, formatOps, formatRatio, formatUs, type Environment, type Row } from './report.ts';

interface Bar {
  label: string;
  value: number;
  /** Optional second value drawn as a tick (p99). */
  tick?: number;
  text: string;
  kind: 'ours' | 'other' | 'limit';
}

interface Panel {
  /** Axis maximum from the bar values only: ticks (p99) beyond it are clipped with an arrow. */
  scaleByBars?: boolean;
  title: string;
  subtitle: string;
  /** Shown under the subtitle (e.g. rows disturbed by other load). */
  warning?: string;
  unit: string;
  bars: Bar[];
  format: (v: number) => string;
}

const OURS = '#2563eb';
const OTHER = '#9ca3af';
const LIMIT = '#059669';
const FONT = "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\"";

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Rough text width in px for the fonts above (good enough to size columns). */
function textWidth(s: string, size: number): number {
  return s.length * size * 0.58;
}

function niceStep(max: number, target = 5): number {
  const raw = max / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

function ratiosText(r: Row, only?: readonly string[]): string {
  const qs = (r.ratios ?? []).filter((q) => !only || only.includes(q.anchor));
  return qs.length ? `  (${qs.map(formatRatio).join(', ')})` : '';
}

/** A warning when some of these rows' threads did not get a whole CPU. */
function disturbance(rs: readonly Row[]): { warning?: string } {
  const low = rs.filter((r) => r.cpuShare !== undefined && r.cpuShare < DISTURBED);
  if (!low.length) return {};
  const min = Math.min(...low.map((r) => r.cpuShare!));
  return { warning: `! other load on this machine: ${low.length} of these rows got under ${Math.round(DISTURBED * 100)}% of a CPU (down to ${Math.round(min * 100)}%); see the table's CPU and per CPU-s columns` };
}

function checkoutPanel(rows: readonly Row[]): Panel | null {
  const rs = rows.filter((r) => r.group === 'checkout' && r.opsPerSec !== undefined);
  if (!rs.length) return null;
  return {
    ...disturbance(rs),
    title: '1. Checkout cost — warm get + recycle pairs per second, one thread',
    subtitle: 'capacity 4, real mysql2 connections, no queries · higher is better',
    unit: 'pairs/s',
    format: formatOps,
    bars: rs.map((r) => ({
      label: r.short ?? r.name,
      value: r.opsPerSec!,
      text: `${formatOps(r.opsPerSec!)} pairs/s${ratiosText(r)}`,
      kind: r.id === 'checkout.pool' ? 'ours' : r.id === 'checkout.raw-treiber' ? 'limit' : 'other',
    })),
  };
}

function contentionPanel(rows: readonly Row[]): Panel | null {
  const rs = rows.filter((r) => r.group === 'contention' && r.opsPerSec !== undefined);
  if (!rs.length) return null;
  const bars: Bar[] = [];
  const one = rs.find((r) => r.threads === 1);
  for (const r of rs) {
    const label = r.threads === 1 ? '1 thread' : `${r.threads} threads, total`;
    bars.push({ label, value: r.opsPerSec!, text: `${formatOps(r.opsPerSec!)} pairs/s${r.threads > 1 ? ratiosText(r) : ''}`, kind: 'ours' });
    if (r.threads > 1 && r.perThread) {
      r.perThread.forEach((v, i) => {
        const vs = one?.opsPerSec ? `  (${(v / one.opsPerSec).toFixed(2)}× 1 thread)` : '';
        bars.push({ label: `${r.threads} threads, thread ${i + 1}`, value: v, text: `${formatOps(v)} pairs/s${vs}`, kind: 'ours' });
      });
    }
  }
  return {
    ...disturbance(rs),
    title: '2. Contention — get + recycle loops in worker threads sharing one pool',
    subtitle: 'capacity 4 · target: no collapse against one thread · higher is better',
    unit: 'pairs/s',
    format: formatOps,
    bars,
  };
}

function queriesPanel(rows: readonly Row[]): Panel | null {
  const rs = rows.filter((r) => r.group === 'queries' && r.opsPerSec !== undefined);
  if (!rs.length) return null;
  return {
    title: '3. Queries — SELECT 1 throughput from worker threads',
    subtitle: `one shared pool vs a mysql2 pool per worker${rs.some((r) => /\bd\d+\b/.test(r.short ?? '')) ? ' · dN = N queries in flight in all' : ''} · higher is better`,
    unit: 'queries/s',
    format: formatOps,
    bars: rs.map((r) => ({
      label: r.short ?? r.name,
      value: r.opsPerSec!,
      text: `${formatOps(r.opsPerSec!)} ${r.unit}/s${ratiosText(r)}`,
      kind: r.id === 'queries.shared' || /shared/i.test(r.id) ? 'ours' : 'other',
    })),
  };
}

function handoffPanel(rows: readonly Row[]): Panel | null {
  const rs = rows.filter((r) => r.group === 'handoff' && r.latencyUs);
  if (!rs.length) return null;
  return {
    scaleByBars: true,
    title: '4. Handoff latency — p50 bar, p99 tick (→ when off the axis), µs',
    subtitle: 'capacity 1 · sockets never cross threads: a cross-thread handoff dials · lower is better',
    unit: 'µs',
    format: (v) => formatUs(v),
    bars: rs.map((r) => ({
      label: r.short ?? r.name,
      value: r.latencyUs!.p50,
      tick: r.latencyUs!.p99,
      text: `p50 ${formatUs(r.latencyUs!.p50)} · p99 ${formatUs(r.latencyUs!.p99)}${ratiosText(r)}`,
      kind: r.id === 'handoff.handshake' ? 'other' : 'ours',
    })),
  };
}

export function renderChart(rows: readonly Row[], env: Environment, options: BenchOptions, date: string): string {
  const panels = [checkoutPanel(rows), contentionPanel(rows), queriesPanel(rows), handoffPanel(rows)];
  const missing: string[] = [];
  if (!panels[2]) missing.push('scenario 3 (queries) has no results in this run');
  const present = panels.filter((p): p is Panel => p !== null);

  const labelSize = 13;
  const valueSize = 12;
  const labelW = Math.ceil(Math.max(120, ...present.flatMap((p) => p.bars.map((b) => textWidth(b.label, labelSize))))) + 16;
  const textW = Math.ceil(Math.max(200, ...present.flatMap((p) => p.bars.map((b) => textWidth(b.text, valueSize))))) + 16;
  const barW = 420;
  const left = 20;
  const width = left + labelW + barW + 20 + textW + 20;
  const barH = 20;
  const gap = 8;

  const out: string[] = [];
  let y = 20;
  out.push(`<text x="${left}" y="${y + 16}" ${FONT} font-size="18" font-weight="bold">shared-mysql-pool — npm run bench (${esc(options.mode)})</text>`);
  y += 26;
  out.push(`<text x="${left}" y="${y + 12}" ${FONT} font-size="12" fill="#374151">${esc(environmentLine(env, options))} · ${esc(date)}</text>`);
  y += 30;

  for (const p of present) {
    out.push(`<text x="${left}" y="${y + 14}" ${FONT} font-size="15" font-weight="bold">${esc(p.title)}</text>`);
    y += 20;
    out.push(`<text x="${left}" y="${y + 12}" ${FONT} font-size="12" fill="#4b5563">${esc(p.subtitle)}</text>`);
    y += 22;
    if (p.warning) {
      out.push(`<text x="${left}" y="${y + 10}" ${FONT} font-size="11" fill="#b45309">${esc(p.warning)}</text>`);
      y += 20;
    }
    const barMax = Math.max(...p.bars.map((b) => b.value));
    const tickMax = Math.max(...p.bars.map((b) => b.tick ?? 0));
    // A p99 far past the p50s would squash every bar: then the axis follows the bars.
    const max = p.scaleByBars && tickMax > 2 * barMax ? barMax * 1.3 : Math.max(barMax, tickMax);
    const step = niceStep(max);
    const top = Math.ceil(max / step) * step;
    const x0 = left + labelW;
    const sx = (v: number): number => x0 + (v / top) * barW;
    const h = p.bars.length * (barH + gap);
    // grid and axis
    for (let v = 0; v <= top + step / 2; v += step) {
      const x = sx(v).toFixed(1);
      out.push(`<line x1="${x}" y1="${y - 2}" x2="${x}" y2="${y + h}" stroke="#e5e7eb" stroke-width="1"/>`);
      out.push(`<text x="${x}" y="${y + h + 14}" ${FONT} font-size="11" fill="#6b7280" text-anchor="middle">${esc(v === 0 ? '0' : p.format(v))}</text>`);
    }
    out.push(`<text x="${x0 + barW}" y="${y + h + 28}" ${FONT} font-size="11" fill="#6b7280" text-anchor="end">${esc(p.unit)}</text>`);
    for (const b of p.bars) {
      const color = b.kind === 'ours' ? OURS : b.kind === 'limit' ? LIMIT : OTHER;
      const w = Math.max(1, sx(b.value) - x0);
      out.push(`<text x="${x0 - 8}" y="${y + barH / 2 + 4.5}" ${FONT} font-size="${labelSize}" text-anchor="end"${b.kind === 'ours' ? ' font-weight="bold"' : ''}>${esc(b.label)}</text>`);
      out.push(`<rect x="${x0}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${color}" rx="2"/>`);
      let textX = x0 + w + 6;
      if (b.tick !== undefined) {
        const clipped = b.tick > top;
        const tx = clipped ? x0 + barW + 10 : sx(b.tick);
        const mid = y + barH / 2;
        out.push(`<line x1="${x0 + w}" y1="${mid}" x2="${tx.toFixed(1)}" y2="${mid}" stroke="#111827" stroke-width="1.5"/>`);
        if (clipped) {
          out.push(`<polygon points="${tx.toFixed(1)},${mid} ${(tx - 7).toFixed(1)},${mid - 4} ${(tx - 7).toFixed(1)},${mid + 4}" fill="#111827"/>`);
        } else {
          out.push(`<line x1="${tx.toFixed(1)}" y1="${y + 3}" x2="${tx.toFixed(1)}" y2="${y + barH - 3}" stroke="#111827" stroke-width="2"/>`);
        }
        textX = Math.max(textX, tx + 6);
      }
      out.push(`<text x="${textX.toFixed(1)}" y="${y + barH / 2 + 4}" ${FONT} font-size="${valueSize}" fill="#111827">${esc(b.text)}</text>`);
      y += barH + gap;
    }
    y += 44;
  }
  for (const m of missing) {
    out.push(`<text x="${left}" y="${y}" ${FONT} font-size="12" fill="#6b7280">(${esc(m)})</text>`);
    y += 18;
  }
  const legendY = y + 4;
  const legend: [string, string][] = [[OURS, 'this library'], [OTHER, 'other pools / reference'], [LIMIT, 'physical limit']];
  let lx = left;
  for (const [c, t] of legend) {
    out.push(`<rect x="${lx}" y="${legendY}" width="12" height="12" fill="${c}"/>`);
    out.push(`<text x="${lx + 18}" y="${legendY + 11}" ${FONT} font-size="12">${esc(t)}</text>`);
    lx += 18 + textWidth(t, 12) + 24;
  }
  const height = legendY + 30;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    ...out,
    '</svg>',
    '',
  ].join('\n');
}

/** Writes <dir>/<arch>[.quick].svg and returns its path. */
export async function writeChart(dir: URL, rows: readonly Row[], env: Environment, options: BenchOptions, date = new Date().toISOString()): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = new URL(`${options.quick ? `${env.arch}.quick` : env.arch}.svg`, dir);
  await writeFile(file, renderChart(rows, env, options, date));
  return file.pathname;
}
