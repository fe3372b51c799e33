/**
 * Over-eviction, forced through seams (no sleeps): a waiter asks for one unit at a time, whatever
 * order the owner's close, the grant and the waiter's own starvation tick run in. On a slow machine
 * (arm64 emulated) the tick regularly ran between "the owner closed the evicted connection and
 * granted its unit to the waiter's cell" and "the waiter's doorbell took the grant": the unit was
 * no longer in flight as an eviction and not yet a dial, so the tick claimed a second connection.
 */
import { describe, expect, it } from 'vitest';
import { createSharedPool } from '../../src/index.ts';
import { REQUEST } from '../../src/core/index.ts';
import { type ThreadAgent } from '../../src/workers/agent.ts';
import { fakeConnector, until } from '../support/fake-connector.ts';
import { useAgents } from '../support/second-agent.ts';

const agents = useAgents();

/** The waiting agent's starvation tick, run now (as a timer would, before its doorbell's turn). */
const tick = (agent: ThreadAgent): void => agent.ctx.waiting.starvationTick();

describe('over-eviction', () => {
  it('the tick between the grant of the evicted unit and the doorbell that takes it evicts nothing more', async () => {
    const { connector, control } = fakeConnector();
    const pool = agents.pool = await createSharedPool({ connector, capacity: 2, maxThreads: 4 });
    const owner = agents.add(pool).agent;
    const held = [await owner.get(), await owner.get()];
    for (const c of held) c.recycle();
    // The waiter (main thread) holds nothing: its get evicts one of the owner's idle connections at once.
    const waiting = pool.get({ timeoutMs: 5000 });
    expect(pool.stats().Evictions).toBe(1);
    // The owner answers synchronously: closes the claimed connection, grants its unit to the cell.
    owner.handleRequests(REQUEST.EVICT);
    expect(control.closed).toBe(1);
    // The waiter's tick runs before its doorbell has taken the grant.
    tick(pool.client.agent);
    expect(pool.stats().Evictions).toBe(1);
    (await waiting).recycle();
    await owner.settled();
    await pool.settled();
    expect(control.closed).toBe(1);
    expect(pool.verify()).toEqual([]);
  });

  it('a waiter already dialling does not count as one that still needs an eviction', async () => {
    const { connector, control } = fakeConnector();
    const pool = agents.pool = await createSharedPool({ connector, capacity: 3, maxThreads: 4, handoffDelayMs: 0 });
    const owner = agents.add(pool).agent;
    const held = [await owner.get(), await owner.get(), await owner.get()];
    for (const c of held) c.recycle();
    control.block = true; // dials hang: the first waiter stays "dialling" with its granted unit
    const answered = (): Promise<void> => until(() => pool.core.threads.hasAnswered(owner.index), 5000, 'the owner answers');
    const first = pool.get({ timeoutMs: 5000 });
    await answered(); // the owner closed the evicted connection and granted its unit to the first waiter
    tick(pool.client.agent); // takes the grant (if its doorbell has not yet): its dial starts (blocked)
    await control.untilBlocked(1);
    const second = pool.get({ timeoutMs: 5000 }); // evicts one for itself (one per waiter)
    expect(pool.stats().Evictions).toBe(2);
    tick(pool.client.agent); // one eviction in flight for the one waiter that needs a unit: nothing more
    expect(pool.stats().Evictions).toBe(2);
    await answered();
    tick(pool.client.agent);
    expect(pool.stats().Evictions).toBe(2);
    control.unblock();
    (await first).recycle();
    (await second).recycle();
    await owner.settled();
    await pool.settled();
    expect(pool.verify()).toEqual([]);
  });

  it('a dial yielded for the waiter counts until its unit has moved: the tick in between evicts nothing', async () => {
    const { connector, control } = fakeConnector();
    const p = agents.pool = await createSharedPool({ connector, capacity: 3, maxThreads: 4 });
    const owner = agents.add(p).agent;
    const held = [await owner.get(), await owner.get(), await owner.get()];
    control.block = true;
    held[0].taint(); // its refill dials in the background (blocked): a yieldable dial
    held[1].recycle();
    held[2].recycle();
    expect(p.core.threads.yieldableTotal).toBe(1);
    // The waiter (main, holding nothing) asks the owner to yield its dial instead of evicting.
    const waiting = p.get({ timeoutMs: 5000 });
    expect(p.stats().Evictions).toBe(0);
    // The owner aborts the dial; its unit is passed on a few microtasks later. The waiter's tick
    // runs in that window (another thread runs in parallel; here: synchronously after the abort).
    owner.handleRequests(REQUEST.YIELD);
    tick(p.client.agent);
    expect(p.stats().Evictions).toBe(0);
    control.unblock();
    (await waiting).recycle();
    await owner.settled();
    await p.settled();
    expect(control.closed).toBe(1); // the tainted one only: no idle connection was evicted
    expect(p.verify()).toEqual([]);
  });

  it('the tick while the owner carries the eviction out (slot closed and freed, unit not yet granted) evicts nothing more', async () => {
    const { connector, control } = fakeConnector();
    const p = agents.pool = await createSharedPool({ connector, capacity: 2, maxThreads: 4 });
    const { agent: owner, core: ownerCore } = agents.add(p);
    const held = [await owner.get(), await owner.get()];
    for (const c of held) c.recycle();
    const waiting = p.get({ timeoutMs: 5000 });
    expect(p.stats().Evictions).toBe(1);
    // Seam: the owner has closed the evicted connection and freed its slot, and is about to pass
    // the unit on; the waiter's tick runs right then (in parallel, on a real machine).
    const counters = ownerCore.counters;
    const releaseIfOver = counters.releaseUnitIfOverCapacity.bind(counters);
    let ticked = 0;
    counters.releaseUnitIfOverCapacity = (): boolean => {
      if (ticked++ === 0) tick(p.client.agent);
      return releaseIfOver();
    };
    owner.handleRequests(REQUEST.EVICT);
    expect(ticked).toBeGreaterThan(0);
    expect(p.stats().Evictions).toBe(1);
    counters.releaseUnitIfOverCapacity = releaseIfOver;
    (await waiting).recycle();
    await owner.settled();
    await p.settled();
    expect(control.closed).toBe(1);
    expect(p.verify()).toEqual([]);
  });
});
