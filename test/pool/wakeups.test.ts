/**
 * Lost wake-ups, one deterministic test per wait on a shared word in src/ (issue 9 §1). Each test
 * forces the interleaving "a ring lands between taking the request / checking the condition and
 * reading the word to wait on" through a seam (a wrapped method of the registry or counters), never
 * a sleep. The audit found these waits:
 *   - thread doorbells (Doorbell: Atomics.waitAsync on THREAD_FIELD.DOORBELL): fixed, word read before the take;
 *   - the drain bell (drainTo: Atomics.waitAsync on HEADER.DRAIN_BELL): already read before the check;
 *   - waiter cells: no wait of their own; a granted cell is woken through its owner's doorbell (GRANT),
 *     so the doorbell fix covers them (tested with a GRANT landing in the window).
 */
import { describe, expect, it } from 'vitest';
import { createSharedPool } from '../../src/index.ts';
import { REQUEST } from '../../src/core/index.ts';
import { drainTo } from '../../src/host/drain.ts';
import { fakeConnector } from '../support/fake-connector.ts';
import { useAgents } from '../support/second-agent.ts';
import { within } from '../support/timing.ts';

const agents = useAgents();
const secondAgent = agents.add;

describe('lost wake-ups', () => {
  it('thread doorbell: an EVICT rung after the owner took its request bits (before it re-armed) is still handled', async () => {
    const { connector } = fakeConnector();
    const pool = agents.pool = await createSharedPool({ connector, capacity: 1, maxThreads: 4 });
    const { agent: owner, core } = secondAgent(pool);
    // The owner holds the only connection, idle.
    (await owner.get()).recycle();
    expect(pool.stats()).toMatchObject({ Active: 1, InUse: 0 });
    // Seam: the first time the owner takes its bits, the main thread's get claims the owner's idle
    // connection for eviction and rings EVICT — exactly between the take and the re-arm.
    const take = core.threads.takeRequests.bind(core.threads);
    let got: Promise<unknown> | null = null;
    core.threads.takeRequests = (index: number): number => {
      const bits = take(index);
      if (got === null) got = pool.get({ timeoutMs: 1000 }).then((c) => c.recycle());
      return bits;
    };
    // Some unrelated request starts a handling round.
    core.threads.ring(owner.index, REQUEST.GRANT);
    await within((async () => {
      while (got === null) await new Promise((r) => setImmediate(r));
      await got;
    })(), 3000, 'the evicting get');
    expect(pool.verify()).toEqual([]);
  });

  it('waiter cell: a GRANT rung after the waiting thread took its request bits (before it re-armed) still serves the waiter', async () => {
    const { connector } = fakeConnector();
    const pool = agents.pool = await createSharedPool({ connector, capacity: 1, maxThreads: 4, handoffDelayMs: 0 });
    const { agent: waiterThread, core } = secondAgent(pool);
    const held = await pool.get();
    const waiting = waiterThread.get({ timeoutMs: 1000 });
    expect(pool.stats().Waiting).toBe(1);
    // Seam: the first time the waiting thread takes its bits, main returns its connection; the
    // waiting thread holds none, so the unit is granted to its cell and GRANT is rung right then.
    const take = core.threads.takeRequests.bind(core.threads);
    let returned = false;
    core.threads.takeRequests = (index: number): number => {
      const bits = take(index);
      if (!returned) {
        returned = true;
        held.recycle();
      }
      return bits;
    };
    core.threads.ring(waiterThread.index, REQUEST.DRAIN);
    const conn = await within(waiting, 3000, 'the granted waiter');
    expect(returned).toBe(true);
    conn.recycle();
    await waiterThread.settled();
    expect(pool.verify()).toEqual([]);
  });

  it('drain bell: a release between the active check and the wait still ends the drain', async () => {
    const { connector } = fakeConnector();
    const pool = agents.pool = await createSharedPool({ connector, capacity: 1 });
    const conn = await pool.get();
    const counters = pool.core.counters;
    const wait = counters.waitDrainBell.bind(counters);
    let released = false;
    counters.waitDrainBell = (seen: number, timeoutMs: number): Promise<void> => {
      if (!released) {
        released = true;
        // Between drainTo's check (active 1 > 0) and its wait: the unit comes back.
        conn.taint();
        counters.setCapacity(0);
      }
      return wait(seen, timeoutMs);
    };
    counters.setCapacity(0);
    await within(drainTo(pool.core, 0, pool.core.memory.nowMs() + 5000, 'test'), 1000, 'the drain');
    expect(released).toBe(true);
    expect(counters.active).toBe(0);
  });
});
