/**
 * reclaimThread (src/core/reclaim.ts): the host takes back what a dead thread held — its idle
 * slots, its borrowed and dialling slots (each a unit passed on), its waiters and its granted
 * units — and frees its registry entry. Direct calls on one SharedCore, no agent.
 */
import { describe, expect, it } from 'vitest';
import { CELL_STATE, REQUEST, SLOT_STATE, STAT, THREAD_STATE, verify } from '../../src/core/index.ts';
import { reclaimThread } from '../../src/core/reclaim.ts';
import { makeCore, openIdle } from '../support/core.ts';

function openCore(capacity = 8) {
  const core = makeCore({ maxThreads: 3 }, capacity);
  core.lifecycle.renewLifetime(0);
  core.lifecycle.markOpen();
  const dead = core.threads.attach(100);
  const host = core.threads.attach(101);
  const other = core.threads.attach(102);
  return { core, dead, host, other };
}

describe('reclaimThread', () => {
  it('frees idle, borrowed and dialling slots, gives back the borrowed count, releases every unit and frees the entry', () => {
    const { core, dead, host } = openCore();
    openIdle(core, dead);
    openIdle(core, dead, 1_000n, 3);
    const borrowed = openIdle(core, dead);
    core.stacks.pop(core.cleanStack(dead));
    expect(core.slots.borrow(borrowed)).toBe(true);
    core.slots.setState(borrowed, SLOT_STATE.BORROWED);
    core.counters.borrow();
    // A dial in flight: unit reserved, slot claimed (DIALING), on no stack.
    expect(core.counters.reserve()).toBe(true);
    core.slots.claim(core.stacks.pop(core.freeStack), dead);
    expect(core.counters.active).toBe(4);

    const r = reclaimThread(core, dead, host);
    expect(r).toEqual({ slots: 4, borrowed: 1, waiters: 0, grants: 0 });
    expect(core.counters.active).toBe(0);
    expect(core.counters.borrowed).toBe(0);
    expect(core.threads.state(dead)).toBe(THREAD_STATE.FREE);
    expect(core.threads.slotsHeld(dead)).toBe(0);
    expect(core.stats.total(STAT.REAPED_THREADS)).toBe(1);
    expect(verify(core)).toEqual([]);
  });

  it("its units go to another thread's waiter instead of being released", () => {
    const { core, dead, host, other } = openCore(1);
    openIdle(core, dead);
    const cell = core.waiters.enqueue(other, 0, 8);
    reclaimThread(core, dead, host);
    expect(core.waiters.state(cell)).toBe(CELL_STATE.GRANTED);
    expect(core.threads.takeRequests(other) & REQUEST.GRANT).toBe(REQUEST.GRANT);
    expect(core.counters.active).toBe(1); // the unit moved to the waiter's thread
  });

  it('its waiting cells are cancelled and freed; a unit granted to it but not yet used is passed on', () => {
    const { core, dead, host } = openCore(2);
    const waiting = core.waiters.enqueue(dead, 0, 8);
    const granted = core.waiters.enqueue(dead, 0, 8);
    expect(core.counters.reserve()).toBe(true);
    expect(core.waiters.grant(granted)).toBe(true);
    const r = reclaimThread(core, dead, host);
    expect(r).toEqual({ slots: 0, borrowed: 0, waiters: 1, grants: 1 });
    expect(core.waiters.state(waiting)).toBe(CELL_STATE.FREE);
    expect(core.waiters.state(granted)).toBe(CELL_STATE.FREE);
    expect(core.waiters.waiting).toBe(0);
    expect(core.counters.active).toBe(0);
    expect(verify(core)).toEqual([]);
  });

  it('a second reclaim of the same entry does nothing', () => {
    const { core, dead, host } = openCore();
    openIdle(core, dead);
    reclaimThread(core, dead, host);
    expect(reclaimThread(core, dead, host)).toEqual({ slots: 0, borrowed: 0, waiters: 0, grants: 0 });
    expect(core.stats.total(STAT.REAPED_THREADS)).toBe(1);
  });
});
