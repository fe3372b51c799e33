/**
 * passUnitOn (src/core/unit-flow.ts): where a freed unit goes. Over capacity it is released
 * (PR #20122 fix 1); otherwise the oldest waiter of any thread gets it, if the pool is open; else
 * it is released. Direct calls on one SharedCore, no agent.
 */
import { describe, expect, it } from 'vitest';
import { CELL_STATE, REQUEST, type SharedCore, verify } from '../../src/core/index.ts';
import { passUnitOn, RELEASED } from '../../src/core/unit-flow.ts';
import { makeCore } from '../support/core.ts';

/** An open core with threads 0, 1 and 2 attached, holding `held` units. */
function openCore(capacity: number, held: number): SharedCore {
  const core = makeCore({ maxThreads: 3 }, capacity);
  core.lifecycle.renewLifetime(0);
  core.lifecycle.markOpen();
  for (let t = 0; t < 3; t++) core.threads.attach(100 + t);
  for (let i = 0; i < held; i++) expect(core.counters.reserve()).toBe(true);
  return core;
}

describe('passUnitOn', () => {
  it('with no waiter the unit is released', () => {
    const core = openCore(2, 1);
    expect(passUnitOn(core, 0)).toBe(RELEASED);
    expect(core.counters.active).toBe(0);
    expect(verify(core)).toEqual([]);
  });

  it('over capacity the unit is released even with a waiter (fix 1), and the waiter keeps waiting', () => {
    const core = openCore(2, 2);
    const cell = core.waiters.enqueue(1, 0, 8);
    core.counters.setCapacity(1);
    expect(passUnitOn(core, 0)).toBe(RELEASED);
    expect(core.counters.active).toBe(1);
    expect(core.waiters.state(cell)).toBe(CELL_STATE.WAITING);
  });

  it('the oldest waiter of any thread gets the unit; its owner is rung with GRANT; active is unchanged', () => {
    const core = openCore(2, 2);
    const older = core.waiters.enqueue(2, 0, 8);
    const newer = core.waiters.enqueue(1, 0, 8);
    const bell = core.threads.doorbell(2);
    expect(passUnitOn(core, 0)).toBe(2);
    expect(core.waiters.state(older)).toBe(CELL_STATE.GRANTED);
    expect(core.waiters.state(newer)).toBe(CELL_STATE.WAITING);
    expect(core.threads.doorbell(2)).toBe(bell + 1);
    expect(core.threads.takeRequests(2) & REQUEST.GRANT).toBe(REQUEST.GRANT);
    expect(core.counters.active).toBe(2);
  });

  it("a waiter of the passing thread itself is granted without a ring; the cell comes back in `granted`", () => {
    const core = openCore(2, 1);
    const cell = core.waiters.enqueue(0, 0, 8);
    const bell = core.threads.doorbell(0);
    const granted = { cell: -1 };
    expect(passUnitOn(core, 0, granted)).toBe(0);
    expect(granted.cell).toBe(cell);
    expect(core.threads.doorbell(0)).toBe(bell);
    expect(core.counters.active).toBe(1);
  });

  it('a cell that already ended is skipped for the next one', () => {
    const core = openCore(2, 1);
    const cancelled = core.waiters.enqueue(1, 0, 8);
    const live = core.waiters.enqueue(2, 0, 8);
    // Cancelled after being listed: waitingInOrder no longer yields it, the live cell gets the unit.
    core.waiters.cancel(cancelled);
    expect(passUnitOn(core, 0)).toBe(2);
    expect(core.waiters.state(live)).toBe(CELL_STATE.GRANTED);
  });

  it('a pool that is not open (new, or closed) grants nothing: the unit is released', () => {
    const core = openCore(2, 1);
    const cell = core.waiters.enqueue(1, 0, 8);
    core.lifecycle.markClosed();
    expect(passUnitOn(core, 0)).toBe(RELEASED);
    expect(core.waiters.state(cell)).toBe(CELL_STATE.WAITING);
    expect(core.counters.active).toBe(0);
  });
});
