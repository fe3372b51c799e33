import { describe, expect, it } from 'vitest';
import { HEADER, PoolInvariantError } from '../../src/core/index.ts';
import { makeCore } from '../support/core.ts';
import { scaled } from '../support/time-scale.ts';

describe('CapacityCounters', () => {
  it('reserve never takes active past capacity', () => {
    const c = makeCore({ maxCapacity: 8 }, 3).counters;
    expect([c.reserve(), c.reserve(), c.reserve(), c.reserve(), c.reserve()]).toEqual([true, true, true, false, false]);
    expect(c.active).toBe(3);
    c.setCapacity(4);
    expect(c.reserve()).toBe(true);
    expect(c.reserve()).toBe(false);
    expect(c.active).toBe(4);
  });

  it('capacity 0 reserves nothing', () => {
    const c = makeCore({}, 0).counters;
    expect(c.reserve()).toBe(false);
    expect(c.active).toBe(0);
  });

  it('setCapacity returns the old value and rings the drain bell', () => {
    const c = makeCore({}, 5).counters;
    const bell = c.drainBell;
    expect(c.setCapacity(2)).toBe(5);
    expect(c.capacity).toBe(2);
    expect(c.drainBell).toBe(bell + 1);
  });

  it('releaseUnitIfOverCapacity releases only the surplus', () => {
    const c = makeCore({ maxCapacity: 8 }, 4).counters;
    for (let i = 0; i < 4; i++) c.reserve();
    expect(c.releaseUnitIfOverCapacity()).toBe(false);
    c.setCapacity(1);
    const bell = c.drainBell;
    expect([c.releaseUnitIfOverCapacity(), c.releaseUnitIfOverCapacity(), c.releaseUnitIfOverCapacity(), c.releaseUnitIfOverCapacity()]).toEqual([true, true, true, false]);
    expect(c.active).toBe(1);
    expect(c.drainBell).toBe(bell + 3);
    c.setCapacity(0);
    expect(c.releaseUnitIfOverCapacity()).toBe(true);
    expect(c.releaseUnitIfOverCapacity()).toBe(false);
    expect(c.active).toBe(0);
  });

  it('releaseUnitIfOverIdleLimit releases while idle (active - borrowed) exceeds idleAllowed', () => {
    const c = makeCore({ maxCapacity: 8 }, 6).counters;
    c.setMaxIdle(2);
    expect(c.idleAllowed).toBe(2);
    for (let i = 0; i < 5; i++) c.reserve();
    c.borrow(); // 5 active, 1 borrowed, 4 idle
    expect(c.releaseUnitIfOverIdleLimit()).toBe(true);
    expect(c.releaseUnitIfOverIdleLimit()).toBe(true);
    expect(c.releaseUnitIfOverIdleLimit()).toBe(false);
    expect(c.active).toBe(3);
    expect(c.borrowed).toBe(1);
    c.giveBack(); // 3 idle
    expect(c.releaseUnitIfOverIdleLimit()).toBe(true);
    expect(c.releaseUnitIfOverIdleLimit()).toBe(false);
    expect(c.active).toBe(2);
  });

  it('release below zero throws and changes nothing', () => {
    const core = makeCore({}, 2);
    const c = core.counters;
    const bell = c.drainBell;
    expect(() => c.releaseUnit()).toThrow(/active would go below zero \(was 0\)/);
    expect(c.active).toBe(0);
    expect(c.drainBell).toBe(bell);
    c.reserve();
    c.releaseUnit();
    expect(c.active).toBe(0);
    expect(c.drainBell).toBe(bell + 1);
    expect(() => c.releaseUnit()).toThrow(/released twice/);
    try { c.releaseUnit(); } catch (error) { expect((error as PoolInvariantError).code).toBe('POOL_INVARIANT'); }
    expect(core.memory.header[HEADER.ACTIVE]).toBe(0);
  });

  it('giveBack below zero throws and changes nothing', () => {
    const c = makeCore().counters;
    expect(() => c.giveBack()).toThrow(/borrowed would go below zero/);
    expect(() => c.giveBack()).toThrow(PoolInvariantError);
    expect(c.borrowed).toBe(0);
    c.borrow();
    c.borrow();
    c.giveBack();
    expect(c.borrowed).toBe(1);
  });

  it('recomputes idleAllowed from capacity and maxIdle', () => {
    const c = makeCore({ maxCapacity: 16 }, 10).counters;
    expect(c.maxIdle).toBe(0);
    expect(c.idleAllowed).toBe(10); // maxIdle 0 = capacity
    c.setMaxIdle(4);
    expect(c.idleAllowed).toBe(4);
    c.setCapacity(3);
    expect(c.idleAllowed).toBe(3); // maxIdle > capacity = capacity
    c.setCapacity(12);
    expect(c.idleAllowed).toBe(4);
    c.setMaxIdle(12);
    expect(c.idleAllowed).toBe(12);
    c.setMaxIdle(0);
    expect(c.idleAllowed).toBe(12);
    c.setCapacity(0);
    expect(c.idleAllowed).toBe(0);
  });

  it('waitDrainBell resolves when the bell moves, and on timeout', async () => {
    const c = makeCore().counters;
    const seen = c.drainBell;
    const waiting = c.waitDrainBell(seen, 5_000);
    setTimeout(() => c.ringDrain(), 5);
    const started = Date.now();
    await waiting;
    expect(Date.now() - started).toBeLessThan(scaled(4_000));
    expect(c.drainBell).toBe(seen + 1);
    await c.waitDrainBell(seen, 5_000); // already moved: returns at once
    await c.waitDrainBell(c.drainBell, 10); // nobody rings: times out
  });
});
