/**
 * Real worker_threads hammering one pool buffer. Each suite ends with every worker exited and the
 * buffer checked with verify().
 */
import { threadId, type Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { CELL_STATE, EMPTY, SharedCore, SLOT_STATE, STACKS_PER_THREAD, STAT, verify } from '../../src/core/index.ts';
import { nextMessage, spawnTsWorker } from '../support/spawn.ts';
import { CTL, CTL_WORDS } from '../support/race-worker-kit.ts';
import { stackContents } from '../support/core.ts';
import { ThreadAgent } from '../../src/workers/agent.ts';
import { fakeConnector } from '../support/fake-connector.ts';
import { checkLiveness, takeAll } from '../support/liveness.ts';
import { scaled, scaledCount } from '../support/time-scale.ts';

interface Done {
  type: 'done';
  error?: string;
  violations: number;
  firstViolations: string[];
  [key: string]: unknown;
}

let running: Worker[] = [];
afterEach(async () => {
  await Promise.all(running.map((w) => w.terminate()));
  running = [];
});

/** Starts workers, waits until all are ready, opens the gate, and returns their 'done' messages after they exit. */
async function run(entry: string, datas: Record<string, unknown>[], ctl: Int32Array): Promise<Done[]> {
  const workers = datas.map((d) => spawnTsWorker(new URL(entry, import.meta.url), d));
  running = workers;
  const exited = workers.map((w) => new Promise<number>((resolve) => w.once('exit', resolve)));
  const done = workers.map((w) => nextMessage<Done>(w, 'done'));
  done.forEach((p) => p.catch(() => undefined));
  await Promise.all(workers.map((w) => nextMessage(w, 'ready')));
  Atomics.store(ctl, CTL.GO, 1);
  Atomics.notify(ctl, CTL.GO);
  const results = await Promise.all(done);
  expect(await Promise.all(exited)).toEqual(workers.map(() => 0));
  running = [];
  for (const r of results) {
    expect(r.error).toBeUndefined();
    expect(r.firstViolations).toEqual([]);
    expect(r.violations).toBe(0);
  }
  return results;
}

function newCtl(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(CTL_WORDS * 4));
}

/** Every idle stack of every thread, with its owner. */
function idleStacks(core: SharedCore): { thread: number; stack: number }[] {
  const out: { thread: number; stack: number }[] = [];
  for (let t = 0; t < core.memory.layout.maxThreads; t++) {
    for (let k = 0; k < STACKS_PER_THREAD; k++) out.push({ thread: t, stack: 1 + t * STACKS_PER_THREAD + k });
  }
  return out;
}

describe('core under real worker threads', () => {
  it('push/pop/borrow/evict/popAll from 4 threads: nothing lost, nothing duplicated, counters consistent', async () => {
    const WORKERS = 4;
    const CYCLES = 8;
    const OPS = scaledCount(131_072); // per worker per cycle: 4 workers x 8 cycles x 131,072 = 4,194,304 operations
    const MAX = 16;
    const CAPACITY = 12;
    const core = SharedCore.create({ maxCapacity: MAX, maxThreads: 8, maxWaiters: 8, maxSettings: 16 });
    core.counters.setCapacity(CAPACITY);
    const holders = new Int32Array(new SharedArrayBuffer(MAX * 4));
    const ctl = newCtl();
    const deadline = Date.now() + scaled(20_000);
    const workers = Array.from({ length: WORKERS }, (_, i) =>
      spawnTsWorker(new URL('./stress-worker.ts', import.meta.url), {
        buffer: core.buffer, holders: holders.buffer, ctl: ctl.buffer, workerId: i + 1, ops: OPS, cycles: CYCLES, deadline, seed: 0x1234567 * (i + 1),
      }),
    );
    running = workers;
    const exited = workers.map((w) => new Promise<number>((resolve) => w.once('exit', resolve)));
    const done = workers.map((w) => nextMessage<Done>(w, 'done'));
    done.forEach((p) => p.catch(() => undefined));
    await Promise.all(workers.map((w) => nextMessage(w, 'ready')));

    let totalOps = 0;
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      const ended = workers.map((w) => nextMessage<Done>(w, `cycle-${cycle}`));
      Atomics.store(ctl, CTL.GO, cycle);
      Atomics.notify(ctl, CTL.GO);
      const results = await Promise.all(ended);
      for (const r of results) {
        expect(r.error).toBeUndefined();
        expect(r.firstViolations, `cycle ${cycle}`).toEqual([]);
        expect(r.ops, `cycle ${cycle} finished before the deadline`).toBe(OPS);
        totalOps += r.ops as number;
      }
      // Quiescent (every worker parked between operations): nobody holds a slot, verify() is clean.
      expect(Array.from(holders).filter((h) => h !== 0)).toEqual([]);
      expect(verify(core), `cycle ${cycle}`).toEqual([]);
      const free = stackContents(core, core.freeStack);
      let idle = 0;
      for (const { stack } of idleStacks(core)) idle += stackContents(core, stack).length;
      expect(free.length + idle).toBe(MAX);
      expect(new Set(free).size).toBe(free.length);
      expect(core.counters.active).toBe(idle);
      expect(core.counters.active).toBeLessThanOrEqual(CAPACITY);
      expect(core.counters.borrowed).toBe(0);
    }
    const results = await Promise.all(done);
    expect(await Promise.all(exited)).toEqual(workers.map(() => 0));
    running = [];
    expect(totalOps).toBe(WORKERS * CYCLES * OPS);
    expect(totalOps).toBeGreaterThanOrEqual(scaledCount(1_000_000));
    const sum = (key: string): number => results.reduce((n, r) => n + ((r.counts as Record<string, number>)[key] ?? 0), 0);
    // Every kind of operation really happened, including cross-thread evictions and a full pool.
    for (const key of ['open', 'borrow', 'close', 'evict', 'popAll', 'openFull']) expect(sum(key), key).toBeGreaterThan(0);

    // All workers exited: close everything the dead threads left (what the host's reaper does), check again.
    expect(verify(core)).toEqual([]);
    for (let t = 0; t < 8; t++) {
      if (!core.threads.isAttached(t)) continue;
      expect(core.threads.beginDetach(t)).toBe(true);
      for (let k = 0; k < STACKS_PER_THREAD; k++) {
        for (let s = core.stacks.popAll(1 + t * STACKS_PER_THREAD + k); s !== EMPTY;) {
          const after = core.stacks.nextOf(s);
          core.stacks.unlink(s);
          expect(core.slots.state(s)).toBe(SLOT_STATE.IDLE);
          expect(core.slots.claimForEviction(s)).toBe(true);
          core.slots.free(s);
          core.stacks.push(core.freeStack, s);
          core.counters.releaseUnit();
          s = after;
        }
      }
      core.stats.retire(t);
      core.threads.finishDetach(t);
    }
    expect(verify(core)).toEqual([]);
    expect(core.counters.active).toBe(0);
    expect(stackContents(core, core.freeStack).sort((a, b) => a - b)).toEqual(Array.from({ length: MAX }, (_, i) => i));
    expect(core.stats.total(STAT.DIALS)).toBe(sum('open'));
    expect(core.stats.total(STAT.EVICTIONS)).toBe(sum('evict'));

    // Liveness: after the storm, one thread obtains every unit at once within 1 s, round after round.
    core.lifecycle.renewLifetime(0);
    core.lifecycle.markOpen();
    const agent = new ThreadAgent(core, core.threads.attach(threadId), {
      connector: fakeConnector().connector, maxLifetimeMs: 0, getTimeoutMs: 1000, maxWaiters: 8, handoffDelayMs: 10,
    });
    const live = await checkLiveness({ units: CAPACITY, rounds: 20, takers: [{ name: 'main', take: (n, ms) => takeAll(agent, n, ms) }] });
    expect(live.failures).toEqual([]);
    agent.detach();
    expect(verify(core)).toEqual([]);
    expect(core.counters.active).toBe(0);
  });

  it('borrow vs expire on the same slots: exactly one winner per slot per round', async () => {
    const N = 128;
    const ROUNDS = scaledCount(600);
    const core = SharedCore.create({ maxCapacity: N, maxThreads: 4, maxWaiters: 1, maxSettings: 1 });
    core.counters.setCapacity(N);
    const wins = new Int32Array(new SharedArrayBuffer(N * ROUNDS * 4));
    const ctl = newCtl();
    const deadline = Date.now() + scaled(20_000);
    const order = new SharedArrayBuffer(N * 4);
    const common = { buffer: core.buffer, wins: wins.buffer, order, ctl: ctl.buffer, slotsPerBorrower: N / 2, parties: 4, rounds: ROUNDS, deadline };
    const results = await run(
      './expire-race-worker.ts',
      [
        { ...common, role: 'borrower', borrowerIndex: 0, expirerIndex: -1, seed: 11 },
        { ...common, role: 'borrower', borrowerIndex: 1, expirerIndex: -1, seed: 22 },
        { ...common, role: 'expirer', borrowerIndex: -1, expirerIndex: 0, seed: 33 },
        { ...common, role: 'expirer', borrowerIndex: -1, expirerIndex: 1, seed: 44 },
      ],
      ctl,
    );
    for (const r of results) expect(r.rounds).toBe(ROUNDS);
    const bad: string[] = [];
    for (let i = 0; i < wins.length; i++) if (wins[i] !== 1) bad.push(`round ${Math.floor(i / N)} slot ${i % N}: ${wins[i]} winners`);
    expect(bad.slice(0, 10)).toEqual([]);
    const byRole = (role: string): number => results.filter((r) => r.role === role).reduce((n, r) => n + (r.won as number), 0);
    expect(byRole('borrower') + byRole('expirer')).toBe(N * ROUNDS);
    // Both sides won sometimes: the race really happened.
    expect(byRole('borrower')).toBeGreaterThan(0);
    expect(byRole('expirer')).toBeGreaterThan(0);
    expect(core.counters.active).toBe(0);
    expect(stackContents(core, core.freeStack)).toHaveLength(N);
    expect(verify(core)).toEqual([]);
  });

  it('grant vs cancel on the same waiter cells: each cell ends exactly once, every grant accounted', async () => {
    const OWNERS = 2;
    const ROUNDS = scaledCount(40_000);
    const core = SharedCore.create({ maxCapacity: 16, maxThreads: 4, maxWaiters: 4, maxSettings: 1 });
    core.counters.setCapacity(16);
    const mail = new SharedArrayBuffer(OWNERS * 2 * 4);
    const ctl = newCtl();
    const deadline = Date.now() + scaled(20_000);
    const common = { buffer: core.buffer, mail, ctl: ctl.buffer, owners: OWNERS, rounds: ROUNDS, deadline };
    const results = await run(
      './grant-race-worker.ts',
      [
        { ...common, role: 'owner', ownerIndex: 0, seed: 5 },
        { ...common, role: 'owner', ownerIndex: 1, seed: 6 },
        { ...common, role: 'granter', ownerIndex: -1, seed: 7 },
        { ...common, role: 'granter', ownerIndex: -1, seed: 8 },
      ],
      ctl,
    );
    const owners = results.filter((r) => r.role === 'owner');
    const granters = results.filter((r) => r.role === 'granter');
    for (const o of owners) {
      expect(o.rounds).toBe(ROUNDS);
      expect((o.granted as number) + (o.cancelled as number)).toBe(ROUNDS);
    }
    const granted = owners.reduce((n, r) => n + (r.granted as number), 0);
    const cancelled = owners.reduce((n, r) => n + (r.cancelled as number), 0);
    const grants = granters.reduce((n, r) => n + (r.grants as number), 0);
    // Every successful grant reached exactly one owner as a unit, and every unit came back.
    expect(grants).toBe(granted);
    expect(granted).toBeGreaterThan(0);
    expect(cancelled).toBeGreaterThan(0);
    expect(granters.reduce((n, r) => n + (r.lostGrants as number), 0)).toBeGreaterThan(0);
    expect(core.counters.active).toBe(0);
    expect(core.waiters.waiting).toBe(0);
    expect(core.waiters.count(CELL_STATE.FREE)).toBe(4);
    for (let t = 0; t < 4; t++) expect(core.threads.waitingOf(t), `thread ${t} waiting count`).toBe(0);
    expect(verify(core)).toEqual([]);
  });
});
