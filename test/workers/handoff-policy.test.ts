/**
 * HandoffPolicy.mayTake (src/workers/handoff-policy.ts), the stranding rule on its own: direct calls
 * on one SharedCore with the pool clock given explicitly, no agent. Owner 0 holds one connection, the
 * waiter's thread 1 holds one (so neither the zero-slot rule nor balance applies), the waiter has
 * waited 0 ms, handoffDelayMs (the patience) is 100 ms.
 */
import { describe, expect, it } from 'vitest';
import { HEADER, type SharedCore } from '../../src/core/index.ts';
import { HandoffPolicy, RECENT_MS } from '../../src/workers/handoff-policy.ts';
import { makeCore } from '../support/core.ts';

const PATIENCE = 100;

function setup(): { core: SharedCore; strands: (nowMs: number) => boolean; used: (thread: number, nowMs: number) => void } {
  const core = makeCore({ maxThreads: 3 });
  const owner = core.threads.attach(100);
  const waiter = core.threads.attach(101);
  const policy = new HandoffPolicy(core, waiter, PATIENCE);
  return {
    core,
    strands: (nowMs) => policy.mayTake(owner, 1, 1, 0, nowMs, true),
    used: (thread, nowMs) => core.threads.markUsed(thread, nowMs, PATIENCE),
  };
}

describe('HandoffPolicy: a quiet owner strands its connections', () => {
  it('once it got nothing back for the patience while another thread did', () => {
    const { strands, used } = setup();
    used(0, 1000);
    for (let t = 1010; t <= 1140; t += 10) used(1, t);
    expect(strands(1099)).toBe(false);
    expect(strands(1141)).toBe(true);
  });

  it('not while the whole process is paused, and after the resume only once RECENT_MS have passed', () => {
    const { strands, used } = setup();
    used(0, 1000);
    used(1, 1040);
    // Nothing anywhere came back since 1040: a pause, not a stranded owner.
    expect(strands(1300)).toBe(false);
    used(1, 1300);
    expect(strands(1300 + RECENT_MS - 1)).toBe(false);
    expect(strands(1300 + RECENT_MS)).toBe(true);
  });

  it('an owner used since the resume gets the whole patience again; two threads resuming a ms apart are both used', () => {
    const { strands, used } = setup();
    used(0, 1000);
    used(1, 1001);
    // Both resume after a pause, the owner first (1300), the waiter's thread a ms later.
    used(0, 1300);
    used(1, 1301);
    expect(strands(1330)).toBe(false);
    for (let t = 1310; t <= 1400; t += 10) used(1, t);
    expect(strands(1399)).toBe(false);
    expect(strands(1401)).toBe(true);
  });

  it('a resume long past changes nothing, also once the int32 ms counts have wrapped', () => {
    const { core, strands, used } = setup();
    used(0, 1000);
    used(1, 1200);
    // 30 days of a busy process with no pause since the resume at 1200 (2^31 ms and more ago):
    // the last return anywhere is just now, the owner's 150 ms ago.
    const later = (1200 + 30 * 24 * 3600 * 1000) | 0;
    Atomics.store(core.memory.header, HEADER.LAST_RETURN_MS, later);
    used(0, later - 150);
    expect(core.threads.resumedMs).toBe(1200);
    expect(strands(later)).toBe(true);
    expect(strands(later - 60)).toBe(false);
  });
});
