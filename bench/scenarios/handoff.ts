/**
 * Scenario 4 — cross-thread handoff and eviction latency, next to one handshake.
 *
 * Sockets never move between threads: when thread A recycles while thread B waits, A closes its
 * connection and grants the capacity unit to B, which dials its own. So a cross-thread handoff
 * costs about one handshake plus a wake-up, and an eviction (A's connection idle, B needs one: B
 * claims it, A closes it and passes the unit, B dials) about one handshake plus two wake-ups.
 *
 * Rows (p50 / p99 in µs over many rounds, shared monotonic clock across threads):
 *   - one mysql2 handshake to the same server (createConnection → 'connect'), timed in the same
 *     worker threads, interleaved with the rounds below (so under the same load)
 *   - one dial through the pool's mysql2 connector (its defaults), timed next to each handshake
 *   - same-thread handoff (a get() waiting in the thread that recycles: served directly)
 *   - cross-thread handoff, 2 worker threads, capacity 1
 *   - eviction, 2 worker threads, capacity 1
 */
import { createSharedPool } from '../lib/library.ts';
import { runPoolWorkers, sharedClockNs, summarizeUs } from '../lib/pool-workers.ts';
import type { BenchContext, ScenarioGroup, ScenarioResult } from '../lib/types.ts';
import { resolveMysqlTarget, type MysqlTarget } from '../../embedded-mysql/index.ts';
import type { HandoffWorkerData, HandoffWorkerResult } from './handoff-worker.ts';

export const HANDOFF_IDS = {
  handshake: 'handoff.handshake',
  dial: 'handoff.connector-dial',
  local: 'handoff.same-thread',
  cross: 'handoff.cross-thread',
  evict: 'handoff.eviction',
} as const;

const WORKER_ENTRY = new URL('./handoff-worker.ts', import.meta.url);

/** Control words of the handoff workers (64 bytes apart): see handoff-worker.ts. */
export const HANDOFF_CTRL = { H_WAIT: 0, H_DONE: 16, E_READY: 32 } as const;
const HANDOFF_CTRL_WORDS = 48;

function roundsFor(ctx: BenchContext): { rounds: number; warmup: number } {
  return ctx.options.quick ? { rounds: 240, warmup: 40 } : { rounds: 1100, warmup: 100 };
}

/** Same thread, capacity 1: a get() waits, the holder recycles, the waiter is served directly. */
async function sameThread(target: MysqlTarget, rounds: number, warmup: number): Promise<number[]> {
  const pool = await createSharedPool({ connection: target.options, capacity: 1 });
  const out: number[] = [];
  try {
    let conn = await pool.get();
    for (let i = 0; i < rounds; i++) {
      const pending = pool.get();
      const t0 = sharedClockNs();
      conn.recycle();
      conn = await pending;
      const dt = Number(sharedClockNs() - t0) / 1000;
      if (i >= warmup) out.push(dt);
    }
    conn.recycle();
    const st = pool.stats();
    if (st.Dials !== 1) throw new Error(`same-thread handoff dialled ${st.Dials} times (expected 1)`);
  } finally {
    await pool.close({ timeoutMs: 5000 });
  }
  return out;
}

function latencyRow(id: string, name: string, short: string, unit: string, threads: number, samples: number[], extra: Partial<ScenarioResult>): ScenarioResult {
  const s = summarizeUs(samples);
  return {
    id, group: 'handoff', name, short, unit, threads,
    latencyUs: { p50: s.p50, p99: s.p99, mean: s.mean, min: s.min, max: s.max, n: s.n },
    samples: s.n,
    durationMs: samples.reduce((a, b) => a + b, 0) / 1000,
    ...extra,
  };
}

export const handoff: ScenarioGroup = {
  id: 'handoff',
  title: '4. Cross-thread handoff and eviction latency (capacity 1), next to one handshake',
  async run(ctx) {
    const { rounds, warmup } = roundsFor(ctx);
    const target = await resolveMysqlTarget();
    const out: ScenarioResult[] = [];
    const emit = (r: ScenarioResult): void => {
      out.push(r);
      ctx.progress(r);
    };
    try {
      ctx.log(`server: ${target.description}; ${rounds - warmup} measured rounds each (after ${warmup} warm-up rounds)`);
      const pool = await createSharedPool({ connection: target.options, capacity: 1 });
      const ctrl = new Int32Array(new SharedArrayBuffer(HANDOFF_CTRL_WORDS * 4));
      const stamp = new BigInt64Array(new SharedArrayBuffer(64));
      let outcome;
      try {
        const data: HandoffWorkerData[] = [0, 1].map((me) => ({ handle: pool.handle, connection: { ...target.options }, ctrl, stamp, me, rounds, warmup }));
        outcome = await runPoolWorkers<HandoffWorkerData, HandoffWorkerResult>(WORKER_ENTRY, data, 180_000);
      } finally {
        // A failure above must not be masked by a close that cannot drain.
        await pool.close({ timeoutMs: 5000 }).catch((e: unknown) => ctx.log(`handoff: closing the pool: ${(e as Error).message}`));
      }
      const [a, b] = outcome.results;
      const last = a.dials >= b.dials ? a : b;
      const counts = `pool-wide: ${last.dials} dials, ${last.grants} cross-thread grants, ${last.evictions} evictions over ${rounds} handoff + ${rounds} eviction rounds`;
      const lingering = outcome.lingering.length ? [`worker(s) ${outcome.lingering.join(', ')} did not exit by themselves within 5 s and were terminated`] : [];
      emit(latencyRow(HANDOFF_IDS.handshake, 'one mysql2 handshake (createConnection → connect)', 'handshake', 'connect', 2,
        [...a.handshakeUs, ...b.handshakeUs], {
          notes: ['timed in the two worker threads, one after each handoff and eviction round (so under the same load); closed with COM_QUIT before going on'],
        }));
      emit(latencyRow(HANDOFF_IDS.dial, "one dial through the pool's mysql2 connector (connect → ready)", 'connector dial', 'connect', 2,
        [...a.dialUs, ...b.dialUs], {
          anchors: [HANDOFF_IDS.handshake],
          notes: ['the same handshake with the connector\'s defaults (prepared-statement cache 256 instead of mysql2\'s 16000, connection attributes, flags), timed next to each plain one, in alternating order'],
        }));
      emit(latencyRow(HANDOFF_IDS.local, 'same-thread handoff: recycle() → waiting get() resolves', 'same-thread handoff', 'handoff', 1,
        await sameThread(target, rounds, warmup), {
          anchors: [HANDOFF_IDS.handshake],
          notes: ['main thread; the waiter is in the recycling thread, so the connection itself is handed over, no dial'],
        }));
      emit(latencyRow(HANDOFF_IDS.cross, 'cross-thread handoff: recycle() in A → get() in B resolves', 'cross-thread handoff', 'handoff', 2,
        [...a.handoffUs, ...b.handoffUs], {
          anchors: [HANDOFF_IDS.handshake],
          notes: ['A closes its socket and grants the unit to B, which dials: ≈ one wake-up + one handshake', counts, ...lingering],
        }));
      emit(latencyRow(HANDOFF_IDS.evict, 'eviction: get() in B while A\'s connection is idle → resolves', 'eviction', 'get', 2,
        [...a.evictUs, ...b.evictUs], {
          anchors: [HANDOFF_IDS.handshake],
          notes: ['B claims A\'s idle connection and rings A; A closes it and grants the unit to B, which dials: ≈ two wake-ups + one handshake'],
        }));
      return out;
    } finally {
      await target.close();
    }
  },
};
