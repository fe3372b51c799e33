/**
 * Scenario 6: session settings. A mixed workload over 4 session settings (two sql_mode values,
 * two time_zone values, picked at random with a fixed seed), CONCURRENCY gets in flight, each get
 * reading the session's sql_mode and time_zone back (and checking them). Compared:
 *   - this pool (settings-aware stacks, smartconnpool's lookup order): a get reuses a connection
 *     that already carries its setting when one is idle; otherwise a clean one or a new dial gets
 *     the setting applied, and only then another setting's connection is reset and re-applied.
 *     Applies and resets are counted by wrapping the connector (settings-connector.ts), and
 *     cross-checked with stats() (DiffSetting + ResetSetting).
 *   - mysql2's pool with resetOnRelease: every release runs COM_RESET_CONNECTION, so every get
 *     must apply its setting again (resets counted by wrapping each connection's reset()).
 * Both pools have the same capacity and run in the main thread.
 */
import mysql from 'mysql2/promise';
import { createSharedPool } from '../lib/library.ts';
import type { Setting, SharedPool } from '../../src/index.ts';
import type { BenchContext, ScenarioGroup, ScenarioResult } from '../lib/types.ts';
import { resolveMysqlTarget, type MysqlTarget } from '../../embedded-mysql/index.ts';
import { settingCounters } from './settings-connector.ts';
import type { RowDataPacket } from 'mysql2';

const SETTINGS = [
  "SET SESSION sql_mode = 'ANSI'",
  "SET SESSION sql_mode = 'TRADITIONAL'",
  "SET SESSION time_zone = '+00:00'",
  "SET SESSION time_zone = '+05:30'",
] as const;
const CAPACITY = 8;
const CONCURRENCY = 4;
const CHECK_SQL = 'SELECT @@session.sql_mode AS m, @@session.time_zone AS tz';
const CONNECTOR = new URL('./settings-connector.ts', import.meta.url).href;

interface SessionVars {
  m: string;
  tz: string;
}

interface Counts {
  gets: number;
  applies: number;
  resets: number;
  dials: number;
  ms: number;
  /** stats() deltas (this pool only). */
  diffSetting?: number;
  resetSetting?: number;
}

/** mulberry32: the same pick sequence for both pools. */
function picks(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let a = seed >>> 0;
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) % SETTINGS.length);
  }
  return out;
}

/** Values a session may show for one setting: the setting's own variable exact, the other at a default. */
interface Allowed {
  m: string[];
  tz: string[];
}

/**
 * What each setting leaves in a session, read from the server so the check is exact. A variable
 * the setting does not touch may show either default: a fresh session's or a reset one's (mysql2
 * asks for IGNORE_SPACE at the handshake, which COM_RESET_CONNECTION drops from sql_mode).
 */
async function expectedVars(target: MysqlTarget): Promise<Allowed[]> {
  const conn = await mysql.createConnection({ ...target.options });
  const read = async (): Promise<SessionVars> => {
    const [rows] = await conn.query(CHECK_SQL);
    return normalise((rows as SessionVars[])[0]);
  };
  try {
    const fresh = await read();
    await conn.reset();
    const reset = await read();
    const out: Allowed[] = [];
    for (const sql of SETTINGS) {
      await conn.reset();
      await conn.query(sql);
      const v = await read();
      out.push({
        m: v.m === reset.m ? [...new Set([fresh.m, reset.m])] : [v.m],
        tz: v.tz === reset.tz ? [...new Set([fresh.tz, reset.tz])] : [v.tz],
      });
    }
    return out;
  } finally {
    await conn.end().catch(() => {});
  }
}

function normalise(v: SessionVars): SessionVars {
  return { m: String(v.m), tz: String(v.tz) };
}

function check(got: SessionVars, want: Allowed, what: string): void {
  const g = normalise(got);
  if (!want.m.includes(g.m) || !want.tz.includes(g.tz)) {
    throw new Error(`settings: ${what} got sql_mode=${g.m} time_zone=${g.tz}, expected sql_mode ∈ {${want.m.join(' | ')}} and time_zone ∈ {${want.tz.join(' | ')}}`);
  }
}

/** Runs `sequence` through `op` with CONCURRENCY loops. */
async function drive(sequence: Uint8Array, op: (pick: number) => Promise<void>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  const loop = async (): Promise<void> => {
    while (next < sequence.length) await op(sequence[next++]);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  return performance.now() - t0;
}

async function runShared(target: MysqlTarget, expected: Allowed[], warm: Uint8Array, measured: Uint8Array): Promise<Counts> {
  const pool: SharedPool = await createSharedPool({
    connector: { module: CONNECTOR, options: { ...target.options } },
    capacity: CAPACITY,
  });
  try {
    const settings: Setting[] = SETTINGS.map((sql) => pool.setting(sql));
    const op = async (pick: number): Promise<void> => {
      const conn = await pool.get({ setting: settings[pick] });
      try {
        const [rows] = await conn.query<(SessionVars & RowDataPacket)[]>(CHECK_SQL);
        check(rows[0], expected[pick], `shared pool, ${SETTINGS[pick]}`);
      } finally {
        conn.recycle();
      }
    };
    await drive(warm, op);
    const counters = settingCounters();
    const c0 = { ...counters };
    const s0 = pool.stats();
    const ms = await drive(measured, op);
    const s1 = pool.stats();
    return {
      gets: measured.length,
      applies: counters.applies - c0.applies,
      resets: counters.resets - c0.resets,
      dials: s1.Dials - s0.Dials,
      ms,
      diffSetting: s1.DiffSetting - s0.DiffSetting,
      resetSetting: s1.ResetSetting - s0.ResetSetting,
    };
  } finally {
    await pool.close();
  }
}

async function runMysql2(target: MysqlTarget, expected: Allowed[], warm: Uint8Array, measured: Uint8Array): Promise<Counts> {
  const pool = mysql.createPool({ ...target.options, connectionLimit: CAPACITY, maxIdle: CAPACITY, resetOnRelease: true });
  let resets = 0;
  let dials = 0;
  let applies = 0;
  // Count the resets each release runs: wrap reset() of every connection the pool opens.
  pool.pool.on('connection', (c) => {
    dials++;
    const raw = c as unknown as { reset(cb: (err: unknown) => void): unknown };
    const reset = raw.reset.bind(raw);
    raw.reset = (cb) => {
      resets++;
      return reset(cb);
    };
  });
  try {
    const op = async (pick: number): Promise<void> => {
      const conn = await pool.getConnection();
      try {
        applies++;
        await conn.query(SETTINGS[pick]);
        const [rows] = await conn.query(CHECK_SQL);
        check((rows as SessionVars[])[0], expected[pick], `mysql2 pool, ${SETTINGS[pick]}`);
      } finally {
        conn.release();
      }
    };
    await drive(warm, op);
    const c0 = { resets, dials, applies };
    const ms = await drive(measured, op);
    // The last releases' resets run after their loops ended: let them finish before counting.
    await new Promise((r) => setTimeout(r, 20));
    return { gets: measured.length, applies: applies - c0.applies, resets: resets - c0.resets, dials: dials - c0.dials, ms };
  } finally {
    await pool.end();
  }
}

function sum(rs: Counts[]): Counts {
  return rs.reduce((a, b) => ({
    gets: a.gets + b.gets,
    applies: a.applies + b.applies,
    resets: a.resets + b.resets,
    dials: a.dials + b.dials,
    ms: a.ms + b.ms,
    ...(a.diffSetting !== undefined ? { diffSetting: a.diffSetting + (b.diffSetting ?? 0), resetSetting: (a.resetSetting ?? 0) + (b.resetSetting ?? 0) } : {}),
  }));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const per1000 = (n: number, gets: number): number => (n * 1000) / gets;

function describe(c: Counts): string {
  return `${per1000(c.resets, c.gets).toFixed(0)} resets + ${per1000(c.applies, c.gets).toFixed(0)} applies per 1000 gets`;
}

export const settings: ScenarioGroup = {
  id: 'settings',
  title: `6. ${SETTINGS.length} session settings mixed: shared pool (settings-aware) vs mysql2 pool with resetOnRelease`,
  async run(ctx: BenchContext) {
    const quick = ctx.options.quick;
    const gets = quick ? 2000 : 10_000;
    const warmGets = 1000;
    // Rounds alternate which pool goes first (AB BA ...), so neither always runs on a colder process.
    const rounds = quick ? 2 : 4;

    const target = await resolveMysqlTarget();
    const shared: Counts[] = [];
    const m2: Counts[] = [];
    try {
      const expected = await expectedVars(target);
      ctx.log(`server ${target.description}; capacity ${CAPACITY} for both pools, ${CONCURRENCY} gets in flight, ${gets} measured gets after ${warmGets} warm-up, ${rounds} round(s)`);
      for (let round = 0; round < rounds; round++) {
        const warm = picks(warmGets, 1000 + round);
        const measured = picks(gets, 2000 + round);
        const order = round % 2 === 0 ? ['shared', 'mysql2'] : ['mysql2', 'shared'];
        for (const which of order) {
          if (which === 'shared') {
            const s = await runShared(target, expected, warm, measured);
            shared.push(s);
            ctx.log(`round ${round + 1}/${rounds} shared pool: ${Math.round((s.gets * 1000) / s.ms)} gets/s, ${describe(s)} (stats: DiffSetting ${s.diffSetting}, ResetSetting ${s.resetSetting}; ${s.dials} dials)`);
          } else {
            const m = await runMysql2(target, expected, warm, measured);
            m2.push(m);
            ctx.log(`round ${round + 1}/${rounds} mysql2 resetOnRelease: ${Math.round((m.gets * 1000) / m.ms)} gets/s, ${describe(m)} (${m.dials} dials)`);
          }
        }
      }
    } finally {
      await target.close();
    }

    const s = sum(shared);
    const m = sum(m2);
    const sharedOps = median(shared.map((c) => (c.gets * 1000) / c.ms));
    const m2Ops = median(m2.map((c) => (c.gets * 1000) / c.ms));
    const m2Result: ScenarioResult = {
      id: 'settings.mysql2-reset',
      group: 'settings',
      name: `${SETTINGS.length} settings, mysql2 pool resetOnRelease [${describe(m)}]`,
      short: 'mysql2 resetOnRelease',
      unit: 'get',
      threads: 1,
      opsPerSec: m2Ops,
      samples: rounds,
      durationMs: m.ms,
      notes: [
        `${m.gets} gets over ${rounds} rounds: ${m.resets} resets (COM_RESET_CONNECTION on every release), ${m.applies} applies, ${m.dials} dials; gets/s per round ${m2.map((c) => Math.round((c.gets * 1000) / c.ms)).join(' / ')}`,
      ],
    };
    const sharedResult: ScenarioResult = {
      id: 'settings.shared',
      group: 'settings',
      name: `${SETTINGS.length} settings, shared pool [${describe(s)}]`,
      short: 'shared settings',
      unit: 'get',
      threads: 1,
      opsPerSec: sharedOps,
      samples: rounds,
      baseline: m2Result.id,
      durationMs: s.ms,
      notes: [
        `${s.gets} gets over ${rounds} rounds: ${s.resets} resets, ${s.applies} applies (stats: DiffSetting ${s.diffSetting}, ResetSetting ${s.resetSetting}), ${s.dials} dials; gets/s per round ${shared.map((c) => Math.round((c.gets * 1000) / c.ms)).join(' / ')}`,
        `resets + applies per 1000 gets: ${per1000(s.resets + s.applies, s.gets).toFixed(0)} vs ${per1000(m.resets + m.applies, m.gets).toFixed(0)} for mysql2 resetOnRelease (${((s.resets + s.applies) / (m.resets + m.applies)).toFixed(3)} ×)`,
        `capacity ${CAPACITY}, ${CONCURRENCY} gets in flight, each get reads sql_mode and time_zone back and checks them; settings: ${SETTINGS.join('; ')}`,
      ],
    };
    ctx.progress?.(sharedResult);
    ctx.progress?.(m2Result);
    return [sharedResult, m2Result];
  },
};
