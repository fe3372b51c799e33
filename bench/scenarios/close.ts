/**
 * Scenario 5: shutting down.
 *
 *   - close() with 16 connects hanging on a dead backend (a TCP server that accepts and never
 *     sends the MySQL greeting): this pool aborts every connect at once (Vitess PR #20122 fix 2),
 *   - mysql2's pool.end() in the same state (16 pending getConnection calls): it cannot abort a
 *     handshake, so it returns only when the connect timeout fires (connectTimeout 2 s in quick
 *     mode, 10 s in a full run),
 *   - setCapacity drain: capacity 8, all 8 connections borrowed and returned 50 ms later;
 *     setCapacity(2) resolves once the pool holds ≤ 2 (ideal: 50 ms).
 */
import mysql from 'mysql2/promise';
import { createSharedPool } from '../lib/library.ts';
import type { PooledConnection } from '../../src/index.ts';
import type { BenchContext, LatencyUs, ScenarioGroup, ScenarioResult } from '../lib/types.ts';
import { startDeadBackend, type DeadBackend } from '../support/dead-backend.ts';
import { resolveMysqlTarget } from '../../embedded-mysql/index.ts';

const HANGING = 16;
/** close() target of the brief. */
const CLOSE_TARGET_MS = 50;
const DRAIN_FROM = 8;
const DRAIN_TO = 2;
const RETURN_AFTER_MS = 50;

function latency(ms: number[]): LatencyUs {
  const us = ms.map((x) => x * 1000).sort((a, b) => a - b);
  const at = (q: number): number => us[Math.min(us.length - 1, Math.ceil(q * us.length) - 1)];
  return {
    p50: at(0.5),
    p99: at(0.99),
    mean: us.reduce((s, x) => s + x, 0) / us.length,
    min: us[0],
    max: us[us.length - 1],
    n: us.length,
  };
}

const fmt = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));

/** Settles every promise within `timeoutMs`; returns how many rejected, or throws if some hang. */
async function settleAll(promises: Promise<unknown>[], timeoutMs: number, what: string): Promise<{ rejected: number; codes: string[] }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not settled ${timeoutMs} ms after close`)), timeoutMs);
  });
  try {
    const outcomes = await Promise.race([Promise.allSettled(promises), timeout]);
    const codes = new Set<string>();
    let rejected = 0;
    for (const o of outcomes) {
      if (o.status === 'rejected') {
        rejected++;
        const e = o.reason as { code?: string; message?: string };
        codes.add(e.code ?? e.message ?? String(o.reason));
      }
    }
    return { rejected, codes: [...codes] };
  } finally {
    clearTimeout(timer);
  }
}

interface CloseRun {
  closeMs: number;
  /** From close() until the dead backend saw every socket closed. */
  socketsGoneMs: number;
  rejected: number;
  codes: string[];
}

/** This pool: 16 gets hanging in connect, then close(). */
async function sharedCloseOnce(dead: DeadBackend, connectTimeoutMs: number): Promise<CloseRun> {
  const pool = await createSharedPool({
    connection: { host: dead.host, port: dead.port, user: 'root', connectTimeout: connectTimeoutMs },
    capacity: HANGING,
    getTimeoutMs: 0, // the gets wait for the connect, not for a pool deadline
    closeTimeoutMs: 10_000,
  });
  const acceptedBefore = dead.accepted;
  const gets = Array.from({ length: HANGING }, () => pool.get());
  for (const g of gets) g.catch(() => {});
  await dead.untilAccepted(acceptedBefore + HANGING);
  const t0 = performance.now();
  await pool.close();
  const closeMs = performance.now() - t0;
  await dead.untilAllClosed(connectTimeoutMs + 5000);
  const socketsGoneMs = performance.now() - t0;
  const { rejected, codes } = await settleAll(gets, 5000, 'shared pool gets');
  return { closeMs, socketsGoneMs, rejected, codes };
}

interface Mysql2EndRun extends CloseRun {
  /** end()'s own error, if it rejected. */
  endError: string | null;
  /** From the first getConnection to end(). */
  headStartMs: number;
}

/** mysql2: a pool with 16 getConnection calls pending in the handshake, then end(). */
async function mysql2EndOnce(dead: DeadBackend, connectTimeoutMs: number): Promise<Mysql2EndRun> {
  const pool = mysql.createPool({
    host: dead.host, port: dead.port, user: 'root', connectTimeout: connectTimeoutMs, connectionLimit: HANGING,
  });
  const acceptedBefore = dead.accepted;
  const tStart = performance.now();
  const gets = Array.from({ length: HANGING }, () => pool.getConnection());
  for (const g of gets) g.catch(() => {});
  await dead.untilAccepted(acceptedBefore + HANGING);
  const t0 = performance.now();
  let endError: string | null = null;
  try {
    await pool.end();
  } catch (error) {
    const e = error as { code?: string; message?: string };
    endError = e.code ?? e.message ?? String(error);
  }
  const closeMs = performance.now() - t0;
  await dead.untilAllClosed(connectTimeoutMs + 5000);
  const socketsGoneMs = performance.now() - t0;
  const { rejected, codes } = await settleAll(gets, connectTimeoutMs + 5000, 'mysql2 getConnection calls');
  return { closeMs, socketsGoneMs, rejected, codes, endError, headStartMs: t0 - tStart };
}

/** setCapacity(8 → 2) while all 8 connections are borrowed; they come back after 50 ms. */
async function drainRuns(ctx: BenchContext, reps: number): Promise<{ ms: number[]; description: string; activeAfter: number[] }> {
  const target = await resolveMysqlTarget();
  const pool = await createSharedPool({ connection: { ...target.options }, capacity: DRAIN_FROM, maxCapacity: DRAIN_FROM });
  const ms: number[] = [];
  const activeAfter: number[] = [];
  try {
    for (let i = 0; i < reps; i++) {
      if (pool.stats().Capacity !== DRAIN_FROM) await pool.setCapacity(DRAIN_FROM);
      const conns: PooledConnection[] = await Promise.all(Array.from({ length: DRAIN_FROM }, () => pool.get()));
      const back = new Promise<void>((resolve) => setTimeout(() => {
        for (const c of conns) c.recycle();
        resolve();
      }, RETURN_AFTER_MS));
      const t0 = performance.now();
      await pool.setCapacity(DRAIN_TO, { timeoutMs: 5000 });
      ms.push(performance.now() - t0);
      await back;
      activeAfter.push(pool.stats().Active);
      await pool.settled();
    }
  } finally {
    await pool.close();
    await target.close();
  }
  ctx.log(`setCapacity(${DRAIN_FROM}→${DRAIN_TO}) against ${target.description}: ${ms.map(fmt).join(' / ')} ms`);
  return { ms, description: target.description, activeAfter };
}

export const close: ScenarioGroup = {
  id: 'close',
  title: `5. close() with ${HANGING} connects hanging on a dead backend vs mysql2 pool.end(); setCapacity drain`,
  async run(ctx) {
    const quick = ctx.options.quick;
    const connectTimeoutMs = quick ? 2000 : 10_000;
    const reps = quick ? 5 : 15;
    const out: ScenarioResult[] = [];
    const dead = await startDeadBackend();
    try {
      ctx.log(`dead backend on ${dead.host}:${dead.port} (accepts, never answers); connectTimeout ${connectTimeoutMs} ms`);

      // One unmeasured run first: module loading and JIT are not what close() costs.
      await sharedCloseOnce(dead, connectTimeoutMs);
      const runs: CloseRun[] = [];
      for (let i = 0; i < reps; i++) runs.push(await sharedCloseOnce(dead, connectTimeoutMs));
      const closeLat = latency(runs.map((r) => r.closeMs));
      const gone = latency(runs.map((r) => r.socketsGoneMs));
      const allRejected = runs.every((r) => r.rejected === HANGING);
      const codes = [...new Set(runs.flatMap((r) => r.codes))].join(', ');
      ctx.log(`shared pool close(): ${runs.map((r) => fmt(r.closeMs)).join(' / ')} ms; every socket gone after p50 ${fmt(gone.p50 / 1000)} ms`);

      ctx.log(`mysql2 pool.end() with ${HANGING} pending getConnection (waits for connectTimeout ${connectTimeoutMs} ms) ...`);
      const m = await mysql2EndOnce(dead, connectTimeoutMs);
      ctx.log(`mysql2 pool.end(): ${fmt(m.closeMs)} ms${m.endError ? ` (rejected: ${m.endError})` : ''}; every socket gone after ${fmt(m.socketsGoneMs)} ms`);

      const mysql2Result: ScenarioResult = {
        id: 'close.mysql2-end',
        group: 'close',
        name: `mysql2 pool.end(), ${HANGING} getConnection pending, connectTimeout ${connectTimeoutMs / 1000} s`,
        short: 'mysql2 end()',
        unit: 'end()',
        threads: 1,
        latencyUs: latency([m.closeMs]),
        samples: 1,
        durationMs: m.closeMs,
        notes: [
          `end() returned after ${fmt(m.closeMs)} ms, ${m.endError ? `rejecting with ${m.endError}` : 'resolving'}; the connects had started ${fmt(m.headStartMs)} ms before end(), so it waited out connectTimeout (${connectTimeoutMs} ms)`,
          `the dead backend saw all ${HANGING} sockets closed ${fmt(m.socketsGoneMs)} ms after end(); ${m.rejected}/${HANGING} getConnection calls rejected (${m.codes.join(', ')})`,
        ],
      };
      const sharedResult: ScenarioResult = {
        id: 'close.shared-close',
        group: 'close',
        name: `shared pool close(), ${HANGING} connects hanging on a dead backend`,
        short: 'shared close()',
        unit: 'close()',
        threads: 1,
        latencyUs: closeLat,
        samples: reps,
        baseline: mysql2Result.id,
        durationMs: runs.reduce((s, r) => s + r.closeMs, 0),
        notes: [
          `${reps} runs after one unmeasured: p50 ${fmt(closeLat.p50 / 1000)} ms, max ${fmt(closeLat.max! / 1000)} ms; target ≤ ${CLOSE_TARGET_MS} ms → ${closeLat.max! / 1000 <= CLOSE_TARGET_MS ? 'met' : 'MISSED'}`,
          `the dead backend saw every socket closed p50 ${fmt(gone.p50 / 1000)} ms after close() began; ${allRejected ? 'all' : 'NOT all'} ${HANGING} gets rejected (${codes})`,
        ],
      };
      ctx.progress?.(sharedResult);
      ctx.progress?.(mysql2Result);
      out.push(sharedResult, mysql2Result);
    } finally {
      await dead.close();
    }

    const drain = await drainRuns(ctx, reps);
    const lat = latency(drain.ms);
    const drainResult: ScenarioResult = {
      id: 'close.setcapacity-drain',
      group: 'close',
      name: `setCapacity(${DRAIN_FROM}→${DRAIN_TO}), ${DRAIN_FROM} borrowed returned after ${RETURN_AFTER_MS} ms`,
      short: 'setCapacity drain',
      unit: 'drain',
      threads: 1,
      latencyUs: lat,
      samples: drain.ms.length,
      durationMs: drain.ms.reduce((s, x) => s + x, 0),
      notes: [
        `ideal ${RETURN_AFTER_MS} ms (the returns); p50 ${fmt(lat.p50 / 1000)} ms = ${fmt(lat.p50 / 1000 - RETURN_AFTER_MS)} ms after the returns, max ${fmt(lat.max! / 1000)} ms; against ${drain.description}`,
        `active connections after the drain: ${[...new Set(drain.activeAfter)].join(', ')} (capacity ${DRAIN_TO})`,
      ],
    };
    ctx.progress?.(drainResult);
    out.push(drainResult);
    return out;
  },
};
