/**
 * IdleSelection (src/workers/agent/idle-sweep.ts), the selection half of the idle sweep (smartconnpool
 * §3.13): per stack, at most half of the connections (at least one) idle longer than the timeout
 * are claimed (timeUsed → EXPIRED), oldest first; every other connection is handed to `keep`,
 * oldest first. Direct calls on one SharedCore, no agent.
 */
import { describe, expect, it } from 'vitest';
import { EXPIRED, type SharedCore } from '../../src/core/index.ts';
import { IdleSelection } from '../../src/workers/agent/idle-sweep.ts';
import { makeCore, openIdle, stackContents } from '../support/core.ts';

const TIMEOUT = 100n;

function sweepOf(core: SharedCore, thread: number, nowNs: bigint): { claimed: number[]; settings: number[]; kept: number[] } {
  const sweep = new IdleSelection(core, thread);
  const kept: number[] = [];
  const n = sweep.collect(nowNs, TIMEOUT, (slot) => kept.push(slot));
  return { claimed: [...sweep.claimed.subarray(0, n)], settings: [...sweep.claimedSetting.subarray(0, n)], kept };
}

describe('IdleSelection.collect', () => {
  it('claims at most half of a stack, oldest first, and hands the rest to keep oldest first', () => {
    const core = makeCore({ maxCapacity: 8 });
    const t = core.threads.attach(100);
    const slots = [10n, 20n, 30n, 40n].map((at) => openIdle(core, t, at)); // pushed oldest first
    const { claimed, kept } = sweepOf(core, t, 1_000n);
    expect(claimed).toEqual([slots[0], slots[1]]);
    expect(kept).toEqual([slots[2], slots[3]]);
    for (const s of claimed) expect(core.slots.timeUsedOf(s)).toBe(EXPIRED);
    for (const s of kept) expect(core.slots.timeUsedOf(s)).not.toBe(EXPIRED);
    // The stack was detached: the caller puts the kept ones back.
    expect(stackContents(core, core.cleanStack(t))).toEqual([]);
  });

  it('a stack of one expired connection loses it (the budget is at least one)', () => {
    const core = makeCore();
    const t = core.threads.attach(100);
    const slot = openIdle(core, t, 10n);
    expect(sweepOf(core, t, 1_000n)).toEqual({ claimed: [slot], settings: [0], kept: [] });
  });

  it('connections idle for no longer than the timeout are kept', () => {
    const core = makeCore();
    const t = core.threads.attach(100);
    const fresh = openIdle(core, t, 900n);
    const edge = openIdle(core, t, 1_000n - TIMEOUT);
    const { claimed, kept } = sweepOf(core, t, 1_000n);
    expect(claimed).toEqual([]);
    expect(kept).toEqual([fresh, edge]);
  });

  it('setting stacks are swept too, each with its own budget, and each claim carries its setting', () => {
    const core = makeCore({ maxCapacity: 8, maxSettings: 8 });
    const t = core.threads.attach(100);
    const a = openIdle(core, t, 10n, 3);
    const b = openIdle(core, t, 10n, 5);
    const clean = openIdle(core, t, 10n);
    const { claimed, settings } = sweepOf(core, t, 1_000n);
    expect(claimed.sort()).toEqual([a, b, clean].sort());
    expect(settings.sort()).toEqual([0, 3, 5]);
  });

  it("another thread's stacks are not touched", () => {
    const core = makeCore();
    const t = core.threads.attach(100);
    const u = core.threads.attach(101);
    const theirs = openIdle(core, u, 10n);
    expect(sweepOf(core, t, 1_000n)).toEqual({ claimed: [], settings: [], kept: [] });
    expect(stackContents(core, core.cleanStack(u))).toEqual([theirs]);
  });
});
