/**
 * Scenario 3a — what one query costs the calling thread: `SELECT 1` with 8 in flight over 4
 * connections, in the main thread, counted as queries per second of this thread's CPU time
 * (Linux schedstat, bench/lib/cpu.ts; wall time elsewhere), through
 *   - this pool: `pool.query()` (get + query + recycle) and `conn.query()` on a held connection,
 *   - mysql2's promise pool `pool.query()` with its default `trace: true` (a stack captured before
 *     every query) and with `trace: false`.
 * The server's work and the round trip are the same for all; what differs is the client's code
 * path. Interleaved rounds (order rotating), median round; ratios are medians of per-round ratios
 * to mysql2's default.
 */
import mysql from 'mysql2/promise';
import { createSharedPool } from '../lib/library.ts';
import type { SharedPool } from '../../src/index.ts';
import { threadCpu } from '../lib/cpu.ts';
import type { ScenarioGroup, ScenarioResult } from '../lib/types.ts';
import { median, pairedRatio } from '../lib/windows.ts';
import { resolveMysqlTarget } from '../../embedded-mysql/index.ts';

const CONNECTIONS = 4;
const INFLIGHT = 8;

interface Contender {
  id: string;
  name: string;
  short: string;
  query: () => Promise<unknown>;
}

/** CPU µs of this thread per query over `n` queries, `INFLIGHT` at a time. */
async function cpuPerQuery(query: () => Promise<unknown>, n: number): Promise<number> {
  let left = n;
  const lane = async (): Promise<void> => {
    while (left-- > 0) await query();
  };
  const c0 = threadCpu();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: INFLIGHT }, lane));
  const c1 = threadCpu();
  const ms = c0 && c1 ? c1.runMs - c0.runMs : performance.now() - t0;
  return (ms * 1000) / n;
}

export const queryCost: ScenarioGroup = {
  id: 'query-cost',
  title: `3a. Per-query cost in the calling thread: SELECT 1, ${INFLIGHT} in flight over ${CONNECTIONS} connections`,
  async run(ctx) {
    const rounds = ctx.options.quick ? 3 : 9;
    const n = ctx.options.quick ? 2000 : 10_000;
    const target = await resolveMysqlTarget();
    const options = { ...target.options };
    let shared: SharedPool | null = null;
    const mysqlPools: mysql.Pool[] = [];
    try {
      shared = await createSharedPool({ connection: options, capacity: CONNECTIONS });
      const sp = shared;
      const held = await sp.get();
      const traced = mysql.createPool({ ...options, connectionLimit: CONNECTIONS, maxIdle: CONNECTIONS });
      const untraced = mysql.createPool({ ...options, connectionLimit: CONNECTIONS, maxIdle: CONNECTIONS, trace: false });
      mysqlPools.push(traced, untraced);
      const contenders: Contender[] = [
        { id: 'query-cost.pool', name: 'this pool: await pool.query()', short: 'pool.query', query: () => sp.query('SELECT 1') },
        { id: 'query-cost.held', name: 'this pool: await conn.query() on a held connection', short: 'conn.query', query: () => held.query('SELECT 1') },
        { id: 'query-cost.mysql2', name: 'mysql2 promise pool: await pool.query() (trace: true, its default)', short: 'mysql2 traced', query: () => traced.query('SELECT 1') },
        { id: 'query-cost.mysql2-untraced', name: 'mysql2 promise pool: await pool.query() with trace: false', short: 'mysql2 untraced', query: () => untraced.query('SELECT 1') },
      ];
      ctx.log(`server: ${target.description}; ${rounds} interleaved rounds of ${n} queries per contender; CPU of this thread`);
      for (const c of contenders) await cpuPerQuery(c.query, n); // warm
      const us = new Map(contenders.map((c) => [c.id, [] as number[]]));
      for (let r = 0; r < rounds; r++) {
        for (let k = 0; k < contenders.length; k++) {
          const c = contenders[(r + k) % contenders.length];
          us.get(c.id)!.push(await cpuPerQuery(c.query, n));
        }
      }
      held.recycle();
      const anchor = us.get('query-cost.mysql2')!;
      return contenders.map((c): ScenarioResult => {
        const mine = us.get(c.id)!;
        const perQuery = median(mine);
        const isAnchor = c.id === 'query-cost.mysql2';
        return {
          id: c.id,
          group: 'query-cost',
          name: `queries per CPU-second, ${c.name} [${perQuery.toFixed(1)} µs CPU/query]`,
          short: c.short,
          unit: 'query',
          threads: 1,
          opsPerSec: 1e6 / perQuery,
          samples: rounds,
          ...(isAnchor ? {} : { baseline: 'query-cost.mysql2', pairedRatios: { 'query-cost.mysql2': pairedRatio(anchor, mine) } }),
          durationMs: mine.reduce((t, x) => t + (x * n) / 1000, 0),
          notes: [`µs of this thread's CPU per query, per round: ${mine.map((x) => x.toFixed(1)).join(' / ')}`],
        };
      });
    } finally {
      await Promise.all(mysqlPools.map((p) => p.end().catch(() => {})));
      if (shared) await shared.close({ timeoutMs: 5000 }).catch(() => {});
      await target.close();
    }
  },
};
