/**
 * Scenario 10 — the price of safety, per get, one thread, capacity 1, on the real server:
 *
 *   - recycle-time reset: get + SELECT 1 + recycle with resetOnRecycle 'never' (the anchor),
 *     'auto' (a clean session: nothing to reset), 'always' (COM_RESET_CONNECTION on every return),
 *     and 'auto' when every borrower changes its session (SET @x: reset on every return)
 *   - validation before lending: get + recycle when the connection was idle a moment (no ping)
 *     vs when it was idle longer than aliveBypassWindowMs (a COM_PING first). A long idle cannot be
 *     waited for in every op, so the second pool runs with aliveBypassWindowMs 0: every lend is
 *     treated as one after a long idle.
 *
 * Rows are measured in interleaved rounds (order rotating), each reporting its median round.
 */
import type { SharedPool, SharedPoolOptions } from '../../src/index.ts';
import { createSharedPool } from '../lib/library.ts';
import { measureAsyncBatches } from '../lib/measure-async.ts';
import type { BatchMeasurement } from '../lib/measure.ts';
import type { ScenarioGroup, ScenarioResult } from '../lib/types.ts';
import { formatOps } from '../report.ts';
import { resolveMysqlTarget } from '../../embedded-mysql/index.ts';

export const SAFETY_IDS = {
  never: 'safety.reset-never',
  autoClean: 'safety.reset-auto-clean',
  always: 'safety.reset-always',
  autoDirty: 'safety.reset-auto-dirty',
  shortIdle: 'safety.validate-short-idle',
  longIdle: 'safety.validate-long-idle',
} as const;

const BATCH = 100;

interface Row {
  id: string;
  name: string;
  short: string;
  options: Omit<SharedPoolOptions, 'connection'>;
  sql: string | null;
  anchor?: string;
}

const ROWS: Row[] = [
  { id: SAFETY_IDS.never, name: "get + SELECT 1 + recycle, resetOnRecycle 'never'", short: "reset 'never'", options: { resetOnRecycle: 'never' }, sql: 'SELECT 1' },
  { id: SAFETY_IDS.autoClean, name: "get + SELECT 1 + recycle, 'auto' (default), clean session", short: "reset 'auto'", options: { resetOnRecycle: 'auto' }, sql: 'SELECT 1', anchor: SAFETY_IDS.never },
  { id: SAFETY_IDS.always, name: "get + SELECT 1 + recycle, 'always' (COM_RESET_CONNECTION each return)", short: "reset 'always'", options: { resetOnRecycle: 'always' }, sql: 'SELECT 1', anchor: SAFETY_IDS.never },
  { id: SAFETY_IDS.autoDirty, name: "get + SET @x = 1 + recycle, 'auto' (session changed: reset each return)", short: "'auto', dirty", options: { resetOnRecycle: 'auto' }, sql: 'SET @x = 1', anchor: SAFETY_IDS.never },
  { id: SAFETY_IDS.shortIdle, name: 'get + recycle, idle < aliveBypassWindowMs (no validation)', short: 'short idle', options: {}, sql: null },
  { id: SAFETY_IDS.longIdle, name: 'get + recycle, idle > aliveBypassWindowMs (COM_PING first)', short: 'long idle', options: { aliveBypassWindowMs: 0 }, sql: null, anchor: SAFETY_IDS.shortIdle },
];

export const safety: ScenarioGroup = {
  id: 'safety',
  title: '7. Safety: recycle-time reset and validation, per get, one thread, capacity 1',
  async run(ctx) {
    const target = await resolveMysqlTarget();
    ctx.log(`server: ${target.description}`);
    const pools = new Map<string, SharedPool>();
    try {
      for (const row of ROWS) {
        const pool = await createSharedPool({ connection: target.options, capacity: 1, ...row.options });
        pools.set(row.id, pool);
        await pool.query('SELECT 1');
      }
      const specs = ROWS.map((row) => {
        const pool = pools.get(row.id)!;
        const sql = row.sql;
        return {
          id: row.id,
          batch: BATCH,
          loop: async (n: number) => {
            for (let i = 0; i < n; i++) {
              const c = await pool.get();
              if (sql !== null) await c.query(sql);
              c.recycle();
            }
          },
        };
      });
      const quick = ctx.options.quick;
      const rounds = quick ? 2 : 3;
      const timing = quick
        ? ctx.options.timing
        : { ...ctx.options.timing, taskMs: Math.round(ctx.options.timing.taskMs / 2), warmupMs: Math.round(ctx.options.timing.warmupMs / 2) };
      const measured = new Map<string, BatchMeasurement[]>(ROWS.map((r) => [r.id, []]));
      const byId = new Map(ROWS.map((r) => [r.id, r]));
      for (let round = 0; round < rounds; round++) {
        const order = specs.map((_, i) => specs[(i + round) % specs.length]);
        await measureAsyncBatches(order, timing, (m) => {
          measured.get(m.id)!.push(m);
          ctx.log(`round ${round + 1}/${rounds}  ${byId.get(m.id)!.short}: ${formatOps(m.opsPerSec)} gets/s`);
        });
      }
      return ROWS.map((row): ScenarioResult => {
        const ms = [...measured.get(row.id)!].sort((x, y) => x.opsPerSec - y.opsPerSec);
        const m = ms[ms.length >> 1];
        const st = pools.get(row.id)!.stats();
        return {
          id: row.id,
          group: 'safety',
          name: row.name,
          short: row.short,
          unit: 'get',
          threads: 1,
          opsPerSec: m.opsPerSec,
          rme: m.rme,
          samples: m.samples,
          ...(row.anchor ? { anchors: [row.anchor] } : {}),
          durationMs: m.durationMs,
          ...(m.cpuShare !== undefined ? { cpuShare: m.cpuShare } : {}),
          notes: [
            `median of ${ms.length} interleaved rounds: ${ms.map((x) => formatOps(x.opsPerSec)).join(', ')}`,
            `per get ${(1e6 / m.opsPerSec).toFixed(1)} µs; ${st.Get} gets, ${st.Dials} dials`,
          ],
        };
      });
    } finally {
      await Promise.allSettled([...pools.values()].map((p) => p.close({ timeoutMs: 5000 })));
      await target.close();
    }
  },
};
