/**
 * Scenario 1 — checkout cost: warm get + recycle pairs per second in one thread, no queries.
 *
 *   - this pool: createSharedPool (real mysql2 connections, capacity 4, all dialled and warm),
 *     `const c = await pool.get(); c.recycle()`
 *   - mysql2's own pool (connectionLimit 4, warm): promise API `await getConnection(); release()`
 *     and callback API `getConnection(cb)` → `release()`
 *   - generic-pool and tarn (min = max = 4, resources are real mysql2 connections created once)
 *   - a raw standalone Treiber pop + push on a BigInt64Array: the physical limit
 *   - the design floor (design-floor.ts): the shared-memory work the pool's rules require per pair,
 *     inline, plus one await: what the pool costs above it is its structure
 *
 * Every pool holds 4 connections, so each pair finds an idle one; every pair is awaited (or its
 * callback waited for) the way an application would. Ratios: vs mysql2's promise pool and vs the
 * raw Treiber pair, both measured in this same run.
 *
 * The contenders are measured in interleaved rounds (the order rotating each round) and each
 * reports its median round, so a burst of outside load hits one round of one contender, not one
 * contender as a whole.
 */
import genericPool from 'generic-pool';
import mysql from 'mysql2';
import mysqlPromise from 'mysql2/promise';
import { Pool as TarnPool } from 'tarn';
import { createSharedPool } from '../lib/library.ts';
import type { SharedPool } from '../../src/index.ts';
import { measureAsyncBatches, type AsyncBatchSpec } from '../lib/measure-async.ts';
import type { BatchMeasurement } from '../lib/measure.ts';
import type { ScenarioGroup, ScenarioResult } from '../lib/types.ts';
import { formatOps } from '../report.ts';
import { resolveMysqlTarget } from '../../embedded-mysql/index.ts';
import { RawTreiber } from './raw-treiber.ts';
import { DesignFloor, FloorHandle } from './design-floor.ts';

/** Connections per pool. */
export const CHECKOUT_CAPACITY = 4;

export const CHECKOUT_IDS = {
  pool: 'checkout.pool',
  mysql2Promise: 'checkout.mysql2-promise',
  mysql2Callback: 'checkout.mysql2-callback',
  genericPool: 'checkout.generic-pool',
  tarn: 'checkout.tarn',
  raw: 'checkout.raw-treiber',
  floor: 'checkout.design-floor',
} as const;

/** Pairs per timed batch: ~1 ms at 1 M pairs/s, so the clock's cost is amortised. */
const BATCH = 1000;
const RAW_BATCH = 10_000;

interface Contender {
  id: string;
  name: string;
  short: string;
  batch: number;
  loop: AsyncBatchSpec['loop'];
  notes?: string[];
}

type Mysql2PromiseConnection = mysqlPromise.Connection;

export const checkout: ScenarioGroup = {
  id: 'checkout',
  title: `1. Checkout cost: warm get + recycle pairs, one thread, capacity ${CHECKOUT_CAPACITY}, no queries`,
  async run(ctx) {
    const target = await resolveMysqlTarget();
    const options = target.options;
    ctx.log(`server: ${target.description}`);

    let shared: SharedPool | null = null;
    let corePool: mysql.Pool | null = null;
    let generic: genericPool.Pool<Mysql2PromiseConnection> | null = null;
    let tarn: TarnPool<Mysql2PromiseConnection> | null = null;
    try {
      // --- this pool
      shared = await createSharedPool({ connection: options, capacity: CHECKOUT_CAPACITY });
      const sp = shared;
      const held = await Promise.all(Array.from({ length: CHECKOUT_CAPACITY }, () => sp.get()));
      for (const c of held) c.recycle();
      const dialsBefore = sp.stats().Dials;

      // --- mysql2's pool: one core pool, used through both APIs
      corePool = mysql.createPool({ ...options, connectionLimit: CHECKOUT_CAPACITY, maxIdle: CHECKOUT_CAPACITY });
      const cp = corePool;
      const promisePool = cp.promise();
      const m2 = await Promise.all(Array.from({ length: CHECKOUT_CAPACITY }, () => promisePool.getConnection()));
      for (const c of m2) c.release();

      // --- generic-pool and tarn over mysql2 promise connections, created once
      generic = genericPool.createPool<Mysql2PromiseConnection>(
        {
          create: () => mysqlPromise.createConnection(options),
          destroy: (c) => c.end(),
        },
        { min: CHECKOUT_CAPACITY, max: CHECKOUT_CAPACITY },
      );
      const gp = generic;
      await gp.ready();
      const gpHeld = await Promise.all(Array.from({ length: CHECKOUT_CAPACITY }, () => gp.acquire()));
      for (const r of gpHeld) await gp.release(r);

      tarn = new TarnPool<Mysql2PromiseConnection>({
        create: () => mysqlPromise.createConnection(options),
        destroy: (c) => c.end(),
        min: CHECKOUT_CAPACITY,
        max: CHECKOUT_CAPACITY,
      });
      const tp = tarn;
      const tpHeld = await Promise.all(Array.from({ length: CHECKOUT_CAPACITY }, () => tp.acquire().promise));
      for (const r of tpHeld) tp.release(r);

      const raw = new RawTreiber(CHECKOUT_CAPACITY);
      const floor = new DesignFloor(CHECKOUT_CAPACITY);

      const contenders: Contender[] = [
        {
          id: CHECKOUT_IDS.pool,
          name: 'this pool: await get() + recycle()',
          short: 'this pool',
          batch: BATCH,
          loop: async (n) => {
            for (let i = 0; i < n; i++) {
              const c = await sp.get();
              c.recycle();
            }
          },
        },
        {
          id: CHECKOUT_IDS.mysql2Promise,
          name: 'mysql2 pool, promise: await getConnection() + release()',
          short: 'mysql2 promise pool',
          batch: BATCH,
          loop: async (n) => {
            for (let i = 0; i < n; i++) {
              const c = await promisePool.getConnection();
              c.release();
            }
          },
        },
        {
          id: CHECKOUT_IDS.mysql2Callback,
          name: 'mysql2 pool, callback: getConnection(cb) + release()',
          short: 'mysql2 callback pool',
          batch: BATCH,
          loop: (n) =>
            new Promise<void>((resolve, reject) => {
              let left = n;
              const next = (): void => {
                if (left-- === 0) {
                  resolve();
                  return;
                }
                cp.getConnection((err, c) => {
                  if (err) {
                    reject(err);
                    return;
                  }
                  c.release();
                  next();
                });
              };
              next();
            }),
          notes: ['mysql2 calls back on process.nextTick, so the loop never grows the stack'],
        },
        {
          id: CHECKOUT_IDS.genericPool,
          name: 'generic-pool: await acquire() + release()',
          short: 'generic-pool',
          batch: BATCH,
          loop: async (n) => {
            for (let i = 0; i < n; i++) {
              const r = await gp.acquire();
              void gp.release(r);
            }
          },
          notes: ['release() returns a promise; the resource is back at once, so it is not awaited (as for the others)'],
        },
        {
          id: CHECKOUT_IDS.tarn,
          name: 'tarn: await acquire().promise + release()',
          short: 'tarn',
          batch: BATCH,
          loop: async (n) => {
            for (let i = 0; i < n; i++) {
              const r = await tp.acquire().promise;
              tp.release(r);
            }
          },
        },
        {
          id: CHECKOUT_IDS.raw,
          name: 'raw Treiber pop + push (BigInt64Array), sync',
          short: 'raw Treiber',
          batch: RAW_BATCH,
          loop: (n) => {
            for (let i = 0; i < n; i++) {
              const slot = raw.pop();
              if (slot < 0) throw new Error('raw Treiber stack empty');
              raw.push(slot);
            }
          },
          notes: ['2 CAS on one 64-bit head per pair and nothing else: the physical limit of a checkout on shared memory'],
        },
        {
          id: CHECKOUT_IDS.floor,
          name: "design floor: the pool's shared-memory work per pair, inline, + one await",
          short: 'design floor',
          batch: BATCH,
          loop: async (n) => {
            for (let i = 0; i < n; i++) {
              const slot = floor.take();
              if (slot < 0) throw new Error('design floor: nothing idle');
              const h = await Promise.resolve(new FloorHandle(slot));
              floor.giveBack(h.slot);
            }
          },
          notes: ['2 tagged 64-bit CAS, the ownership exchange, 2 clock reads, ~14 Int32 atomics, one resolved promise awaited: the least a get + recycle can cost under this design (bench/scenarios/design-floor.ts)'],
        },
      ];

      const byId = new Map(contenders.map((c) => [c.id, c]));
      const toResult = (m: BatchMeasurement, rounds: BatchMeasurement[]): ScenarioResult => {
        const c = byId.get(m.id)!;
        const roundNote = rounds.length > 1
          ? [`median of ${rounds.length} interleaved rounds: ${rounds.map((x) => `${formatOps(x.opsPerSec)}${x.cpuShare !== undefined ? ` (CPU ${Math.round(x.cpuShare * 100)}%)` : ''}`).join(', ')}`]
          : [];
        const anchors = (c.id === CHECKOUT_IDS.pool ? [CHECKOUT_IDS.mysql2Promise, CHECKOUT_IDS.floor, CHECKOUT_IDS.raw] : [CHECKOUT_IDS.mysql2Promise, CHECKOUT_IDS.raw]).filter((a) => a !== c.id);
        return {
          id: c.id,
          group: 'checkout',
          name: c.name,
          short: c.short,
          unit: 'pair',
          threads: 1,
          opsPerSec: m.opsPerSec,
          rme: m.rme,
          samples: m.samples,
          ...(c.id === CHECKOUT_IDS.raw ? { casPerOp: 2 } : {}),
          ...(anchors.length ? { anchors } : {}),
          durationMs: m.durationMs,
          ...(m.cpuShare !== undefined ? { cpuShare: m.cpuShare } : {}),
          notes: [...(c.notes ?? []), ...roundNote],
        };
      };

      const quick = ctx.options.quick;
      const rounds = quick ? 2 : 3;
      const timing = quick
        ? ctx.options.timing
        : { ...ctx.options.timing, taskMs: Math.round(ctx.options.timing.taskMs / 2), warmupMs: Math.round(ctx.options.timing.warmupMs / 2) };
      const measured = new Map<string, BatchMeasurement[]>(contenders.map((c) => [c.id, []]));
      for (let round = 0; round < rounds; round++) {
        const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]);
        await measureAsyncBatches(order, timing, (m) => {
          measured.get(m.id)!.push(m);
          const cpu = m.cpuShare !== undefined ? `  [CPU ${Math.round(m.cpuShare * 100)}%]` : '';
          ctx.log(`round ${round + 1}/${rounds}  ${byId.get(m.id)!.short}: ${formatOps(m.opsPerSec)} pairs/s${cpu}`);
        });
      }
      const results = contenders.map((c) => {
        const ms = measured.get(c.id)!;
        const sorted = [...ms].sort((x, y) => x.opsPerSec - y.opsPerSec);
        return toResult(sorted[sorted.length >> 1], ms); // the median (upper one for an even count)
      });

      // The loops must not have dialled, waited or leaked: every pair found a warm connection.
      const st = sp.stats();
      const dials = st.Dials - dialsBefore;
      if (dials !== 0 || st.InUse !== 0 || st.WaitCount !== 0) {
        throw new Error(`checkout: this pool dialled ${dials}, waited ${st.WaitCount} times, ${st.InUse} in use after the loop`);
      }
      const poolRow = results.find((r) => r.id === CHECKOUT_IDS.pool);
      if (poolRow) poolRow.notes = [...(poolRow.notes ?? []), `${st.Get} gets in all, none dialled or waited; ${st.Active} connections open`];
      return results;
    } finally {
      const closing: Promise<unknown>[] = [];
      if (tarn) closing.push(tarn.destroy());
      if (generic) {
        const g = generic;
        closing.push(g.drain().then(() => g.clear()));
      }
      if (corePool) {
        const c = corePool;
        closing.push(new Promise<void>((resolve) => c.end(() => resolve())));
      }
      if (shared) closing.push(shared.close({ timeoutMs: 5000 }));
      const settled = await Promise.allSettled(closing);
      for (const s of settled) if (s.status === 'rejected') ctx.log(`checkout: closing a pool failed: ${(s.reason as Error).message}`);
      await target.close();
    }
  },
};
