/**
 * Shared by stress-threads.test.ts (main thread) and stress-worker.ts (worker threads): the
 * cross-thread ledger and the traffic loop. Not a test file.
 *
 * Double hand-out is detected in shared memory: two Int32Arrays map "connection id → holder" and
 * "slot → holder", where a holder is threadIndex + 1. Every get CASes 0 → holder in both and must
 * win; every return stores 0 first (before recycle/taint, since the slot may be reused at once).
 * Because a get that is already held by a loop of the same thread also finds a non-zero word, the
 * check covers both threads and loops inside a thread.
 */
import type { PooledConnection, SharedPoolClient } from '../../src/index.ts';
import type { FakeConnection } from './fake-connector.ts';
import { rng } from './random.ts';
import { holdBriefly, sleep } from './timing.ts';
import { scaled } from './time-scale.ts';

/** Words of the control array shared by the main thread and the workers. */
export const CTL = {
  /** Set to 1 by the main thread: traffic loops stop. */
  STOP: 0,
  /** Set to 1 by the main thread once close() resolved: any get served after this is a bug. */
  CLOSED: 1,
  /** Gets recorded by every thread's Ledger this cycle (trafficWindow reads it). */
  GETS: 2,
} as const;
export const CTL_WORDS = 4;
/** Connection ids the holder table can track per cycle. */
export const MAX_CONN_IDS = 1 << 18;

export interface SharedTables {
  connHolders: SharedArrayBuffer;
  slotHolders: SharedArrayBuffer;
  ctl: SharedArrayBuffer;
}

export function newTables(maxCapacity: number): SharedTables {
  return {
    connHolders: new SharedArrayBuffer(MAX_CONN_IDS * 4),
    slotHolders: new SharedArrayBuffer(maxCapacity * 4),
    ctl: new SharedArrayBuffer(CTL_WORDS * 4),
  };
}

export interface LedgerReport {
  thread: number;
  gets: number;
  settingGets: number;
  taints: number;
  closedRecycles: number;
  /** Gets that ended in an error, by error code (or name). */
  errors: Record<string, number>;
  problems: string[];
  problemCount: number;
  /** Connections this thread still holds (should be 0 at the end of a cycle). */
  holding: number;
}

/** One per thread and cycle: checks every get and return against the shared holder tables. */
export class Ledger {
  readonly conns: Int32Array;
  readonly slots: Int32Array;
  readonly ctl: Int32Array;
  readonly me: number;
  gets = 0;
  settingGets = 0;
  taints = 0;
  closedRecycles = 0;
  holding = 0;
  readonly errors = new Map<string, number>();
  readonly problems: string[] = [];
  problemCount = 0;

  constructor(tables: SharedTables, threadIndex: number) {
    this.conns = new Int32Array(tables.connHolders);
    this.slots = new Int32Array(tables.slotHolders);
    this.ctl = new Int32Array(tables.ctl);
    this.me = threadIndex + 1;
  }

  get stopped(): boolean {
    return Atomics.load(this.ctl, CTL.STOP) !== 0;
  }

  problem(message: string): void {
    this.problemCount++;
    if (this.problems.length < 20) this.problems.push(`thread ${this.me - 1}: ${message}`);
  }

  /**
   * Records a get: the connection must be open, carry exactly `wanted`, and be held by nobody else
   * (CAS 0 → holder on its connection id and on its slot must succeed).
   */
  take(conn: PooledConnection, wanted: string | null, who: string): FakeConnection {
    this.gets++;
    Atomics.add(this.ctl, CTL.GETS, 1);
    if (wanted !== null) this.settingGets++;
    this.holding++;
    const c = conn.connection as unknown as FakeConnection;
    if (Atomics.load(this.ctl, CTL.CLOSED) !== 0) this.problem(`${who} got connection ${c.id} after close() resolved`);
    if (c.isClosed()) this.problem(`${who} got connection ${c.id} (slot ${conn.slot}), which is closed`);
    if (!(c.id > 0 && c.id < this.conns.length)) {
      this.problem(`${who} got connection id ${c.id}, outside the holder table`);
    } else {
      const prev = Atomics.compareExchange(this.conns, c.id, 0, this.me);
      if (prev !== 0) this.problem(`connection ${c.id} handed to ${who} while thread ${prev - 1} holds it`);
    }
    const prevSlot = Atomics.compareExchange(this.slots, conn.slot, 0, this.me);
    if (prevSlot !== 0) this.problem(`slot ${conn.slot} (connection ${c.id}) handed to ${who} while thread ${prevSlot - 1} holds it`);
    const handle = conn.setting?.applySql ?? null;
    if (c.applied !== wanted || handle !== wanted) {
      this.problem(`${who} asked for setting ${wanted} but got connection ${c.id} with ${c.applied} (handle says ${handle})`);
    }
    return c;
  }

  /** Releases the holder words; call right before recycle() or taint(). */
  give(conn: PooledConnection, who: string): void {
    this.holding--;
    const c = conn.connection as unknown as FakeConnection;
    if (c.id > 0 && c.id < this.conns.length) {
      const holder = Atomics.load(this.conns, c.id);
      if (holder !== this.me) this.problem(`${who} returns connection ${c.id} but the table says thread ${holder - 1}`);
      Atomics.store(this.conns, c.id, 0);
    }
    const slotHolder = Atomics.load(this.slots, conn.slot);
    if (slotHolder !== this.me) this.problem(`${who} returns slot ${conn.slot} but the table says thread ${slotHolder - 1}`);
    Atomics.store(this.slots, conn.slot, 0);
  }

  /** Counts an error by code; one whose code is not in `allowed` is a problem. Returns the code. */
  error(error: unknown, who: string, allowed: readonly string[]): string {
    const e = error as { code?: string; name?: string; message?: string };
    const code = e?.code ?? e?.name ?? typeof error;
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
    if (!allowed.includes(code)) this.problem(`${who}: unexpected error ${code}: ${e?.message ?? String(error)}`);
    return code;
  }

  report(): LedgerReport {
    return {
      thread: this.me - 1,
      gets: this.gets,
      settingGets: this.settingGets,
      taints: this.taints,
      closedRecycles: this.closedRecycles,
      errors: Object.fromEntries(this.errors),
      problems: [...this.problems],
      problemCount: this.problemCount,
      holding: this.holding,
    };
  }
}

export interface TrafficOptions {
  /** Concurrent get/return loops in this thread. */
  loops: number;
  /** Safety bound: loops stop after this even if STOP is never set. */
  maxMs: number;
  /** Settings to pick from (null = none). */
  settings: (string | null)[];
  /** Each get's deadline is drawn from [timeoutMinMs, timeoutMaxMs]. */
  timeoutMinMs: number;
  timeoutMaxMs: number;
  /** Probability that a return closes the raw connection and recycles it. */
  pClosedRecycle: number;
  /** Probability that a return taints. */
  pTaint: number;
  /** Error codes a get may end with. */
  allowed: string[];
  seed: number;
}

/**
 * Runs `loops` get → hold briefly → return loops until STOP (or maxMs), then waits for this thread's
 * background work (reopens, refills) to finish.
 */
export async function runTraffic(db: SharedPoolClient, ledger: Ledger, o: TrafficOptions): Promise<void> {
  const end = Date.now() + o.maxMs;
  const loop = async (l: number): Promise<void> => {
    const random = rng(o.seed + l * 0x2545f491);
    const who = `t${ledger.me - 1}.l${l}`;
    while (!ledger.stopped && Date.now() < end) {
      const sql = o.settings[Math.floor(random() * o.settings.length)];
      const setting = sql === null ? null : db.setting(sql);
      const timeoutMs = o.timeoutMinMs + Math.floor(random() * (o.timeoutMaxMs - o.timeoutMinMs + 1));
      let conn: PooledConnection;
      try {
        conn = await db.get({ setting, timeoutMs });
      } catch (error) {
        ledger.error(error, who, o.allowed);
        await sleep(1);
        continue;
      }
      const c = ledger.take(conn, sql, who);
      await holdBriefly(random);
      ledger.give(conn, who);
      const r = random();
      if (r < o.pClosedRecycle) {
        // The connection died while borrowed: the pool must notice on recycle and refill the slot.
        c.close();
        conn.recycle();
        ledger.closedRecycles++;
      } else if (r < o.pClosedRecycle + o.pTaint) {
        conn.taint();
        ledger.taints++;
      } else {
        conn.recycle();
      }
    }
  };
  await Promise.all(Array.from({ length: o.loops }, (_, l) => loop(l)));
  await db.settled();
}

/**
 * The measuring window of a stress cycle: lets traffic run for `ms`, then, if the threads have not
 * yet done `minGets` gets between them (a slow or emulated machine), for longer, until they have or
 * until `ms` × TEST_TIME_SCALE in all. The caller then sets STOP.
 */
export async function trafficWindow(ctl: Int32Array, ms: number, minGets: number): Promise<void> {
  const started = Date.now();
  await sleep(ms);
  const end = started + scaled(ms);
  while (Atomics.load(ctl, CTL.GETS) < minGets && Date.now() < end) await sleep(10);
}
