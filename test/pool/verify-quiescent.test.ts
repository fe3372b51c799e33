/**
 * Stress #47's "accounting mismatch" after its liveness check (arm64 emulated, seed 344892610:
 * "thread 1 counts 9 slots held but owns 16; active = 9 but 16 slots are in use and 0 units are
 * granted"), forced through a seam: another thread's idle sweep runs between verify()'s slot scan
 * and its reads of the counts. The pool was consistent before and after the sweep (every close
 * frees its slot and its unit together); verify() was called while the pool was not quiescent. The
 * stress suites verify through verifyQuiescent() (test/support/quiescent.ts).
 */
import { describe, expect, it } from 'vitest';
import { createSharedPool } from '../../src/index.ts';
import { fakeConnector, until } from '../support/fake-connector.ts';
import { useAgents } from '../support/second-agent.ts';
import { verifyQuiescent } from '../support/quiescent.ts';

const agents = useAgents();

describe('verify() of an open pool whose threads sweep', () => {
  it('a sweep between the slot scan and the counts: reported by a bare verify(), not by verifyQuiescent()', async () => {
    const { connector } = fakeConnector();
    const pool = agents.pool = await createSharedPool({ connector, capacity: 16, maxThreads: 4, idleTimeoutMs: 0, maxLifetimeMs: 0 });
    const { agent: owner } = agents.add(pool);
    const held = await Promise.all(Array.from({ length: 16 }, () => owner.get()));
    for (const c of held) c.recycle();
    pool.setIdleTimeout(1);
    const lastUsed = Math.max(...held.map((c) => Number(pool.core.slots.timeUsedOf(c.slot))));
    await until(() => Number(pool.core.nowNs()) - lastUsed > 2e6, 5000, 'the idle connections expire');
    // Seam: the owner's sweep runs right after verify() scanned the slots (its first count read).
    const threads = pool.core.threads;
    const slotsHeld = threads.slotsHeld.bind(threads);
    let sweeps = 0;
    threads.slotsHeld = (index: number): number => {
      if (sweeps++ === 0) owner.sweep();
      return slotsHeld(index);
    };
    const bare = pool.verify();
    expect(bare).toContain(`thread ${owner.index} counts 9 slots held but owns 16`);
    expect(bare).toContain('active = 9 but 16 slots are in use and 0 units are granted');
    // The same seam again, once the reopens settled: verifyQuiescent pauses the sweeps first.
    await owner.settled();
    sweeps = 0;
    expect(await verifyQuiescent(pool, () => owner.settled())).toEqual([]);
    expect(sweeps).toBeGreaterThan(0);
    threads.slotsHeld = slotsHeld;
  });
});
