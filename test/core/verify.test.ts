import { describe, expect, it } from 'vitest';
import { BUSY, CELL_STATE, EXPIRED, HEADER, SharedCore, SLOT_STATE, STACKS_PER_THREAD, THREAD_FIELD, THREAD_WORDS, verify } from '../../src/core/index.ts';
import { makeCore, openIdle, stackContents } from '../support/core.ts';

/** A core with thread entries 0 and 1 attached. */
function attached(capacity = 8): SharedCore {
  const core = makeCore({ maxCapacity: 8, maxThreads: 3, maxWaiters: 4, maxSettings: 8 }, capacity);
  core.threads.attach(100);
  core.threads.attach(101);
  return core;
}

function expectProblem(core: SharedCore, pattern: RegExp): string[] {
  const problems = verify(core);
  expect(problems.some((p) => pattern.test(p)), `expected ${pattern} in ${JSON.stringify(problems)}`).toBe(true);
  return problems;
}

describe('verify', () => {
  it('returns [] on a fresh pool', () => {
    expect(verify(makeCore())).toEqual([]);
    expect(verify(SharedCore.create({ maxCapacity: 1, maxThreads: 1, maxWaiters: 1, maxSettings: 1 }))).toEqual([]);
  });

  it('returns [] for a consistent busy pool: idle, borrowed, dialling, granted and waiting', () => {
    const core = attached();
    openIdle(core, 0);
    openIdle(core, 0);
    openIdle(core, 1, 5n, 3);
    openIdle(core, 1, 6n, 11); // bucket 3 as well
    // Borrowed: pop, borrow, mark.
    const b = core.stacks.pop(core.cleanStack(0));
    expect(core.slots.borrow(b)).toBe(true);
    core.slots.setState(b, SLOT_STATE.BORROWED);
    core.counters.borrow();
    // Dialling.
    core.counters.reserve();
    const d = core.stacks.pop(core.freeStack);
    core.slots.claim(d, 1);
    // A granted unit not yet taken, and a waiter still waiting.
    const g = core.waiters.enqueue(1, 0, 4);
    core.counters.reserve();
    expect(core.waiters.grant(g)).toBe(true);
    core.waiters.enqueue(0, 3, 4);
    expect(verify(core)).toEqual([]);
    expect(stackContents(core, core.settingStack(1, 3))).toHaveLength(2);
  });

  it('detects a slot on two stacks', () => {
    const core = attached();
    // Point thread 0's clean stack into the middle of the free stack's chain.
    const free = stackContents(core, core.freeStack);
    core.memory.heads[core.cleanStack(0)] = BigInt(free[3] + 1);
    const problems = expectProblem(core, new RegExp(`slot ${free[3]} is in two places: free stack and thread 0 clean stack`));
    expect(problems.some((p) => /is on thread 0 clean stack in state FREE/.test(p))).toBe(true);
  });

  it('detects a lost slot', () => {
    const core = attached();
    const lost = core.stacks.pop(core.freeStack);
    expectProblem(core, new RegExp(`free slot ${lost} is in no place \\(lost\\)`));
  });

  it('detects a slot held (borrowed) that is also on a stack', () => {
    const core = attached();
    const slot = openIdle(core, 0);
    core.slots.setState(slot, SLOT_STATE.BORROWED);
    core.counters.borrow();
    expectProblem(core, new RegExp(`slot ${slot} is on thread 0 clean stack in state BORROWED`));
    expectProblem(core, new RegExp(`slot ${slot} in state BORROWED is also on a stack`));
  });

  it('detects BUSY and EXPIRED times on an idle stack', () => {
    const core = attached();
    const a = openIdle(core, 0);
    const b = openIdle(core, 1);
    core.slots.setTimeUsed(a, BUSY);
    core.slots.setTimeUsed(b, EXPIRED);
    expectProblem(core, new RegExp(`slot ${a} is BUSY on thread 0 clean stack`));
    expectProblem(core, new RegExp(`slot ${b} is EXPIRED on thread 1 clean stack`));
  });

  it('detects an idle slot of another owner, or in the wrong setting stack', () => {
    const core = attached();
    const a = openIdle(core, 0);
    core.stacks.pop(core.cleanStack(0));
    core.stacks.push(core.cleanStack(1), a);
    expectProblem(core, new RegExp(`slot ${a} is on thread 1 clean stack but owned by thread 0`));

    const c2 = attached();
    const s = openIdle(c2, 0, 1n, 5);
    c2.slots.setSetting(s, 6);
    expectProblem(c2, new RegExp(`slot ${s} has setting 6 but is on thread 0 setting stack 5`));
    const t = openIdle(c2, 1);
    c2.slots.setSetting(t, 2);
    expectProblem(c2, new RegExp(`slot ${t} has setting 2 but is on thread 1 clean stack`));
  });

  it('detects counters that do not add up', () => {
    const core = attached();
    openIdle(core, 0);
    expect(verify(core)).toEqual([]);
    Atomics.add(core.memory.header, HEADER.ACTIVE, 1);
    expectProblem(core, /active = 2 but 1 slots are in use and 0 units are granted/);
    Atomics.sub(core.memory.header, HEADER.ACTIVE, 1);
    core.counters.borrow();
    expectProblem(core, /borrowed = 1 but 0 slots are BORROWED/);
    core.counters.giveBack();
    expect(verify(core)).toEqual([]);
    Atomics.add(core.memory.header, HEADER.WAITING, 1);
    expectProblem(core, /waiting = 1 but 0 cells are WAITING/);
    Atomics.sub(core.memory.header, HEADER.WAITING, 1);
    core.memory.threads[1 * THREAD_WORDS + THREAD_FIELD.WAITING] = 1; // thread 1's WAITING count
    expectProblem(core, /threads count 1 waiters but 0 cells are WAITING/);
    core.memory.threads[1 * THREAD_WORDS + THREAD_FIELD.WAITING] = 0;
    Atomics.store(core.memory.header, HEADER.ACTIVE, -1);
    expectProblem(core, /negative counter: active = -1/);
  });

  it('detects active over capacity, unless a drain is allowed to be over', () => {
    const core = attached(4);
    for (let i = 0; i < 4; i++) openIdle(core, 0);
    core.counters.setCapacity(2);
    expectProblem(core, /active = 4 exceeds capacity = 2/);
    expect(verify(core, { allowOverCapacity: true })).toEqual([]);
    Atomics.store(core.memory.header, HEADER.CAPACITY, 9);
    expectProblem(core, /capacity = 9 is outside 0..8/);
  });

  it('detects a cycle', () => {
    const core = attached();
    const free = stackContents(core, core.freeStack);
    const last = free[free.length - 1];
    core.memory.next[last] = free[2] + 1; // last -> third: a loop
    expectProblem(core, /free stack: cycle \(more than 8 links\)/);
  });

  it('detects a link out of range', () => {
    const core = attached();
    const free = stackContents(core, core.freeStack);
    core.memory.next[free[1]] = 1000;
    expectProblem(core, /free stack: link to slot 999 is out of range/);
  });

  it('detects idle connections left on the stacks of a thread that is not attached', () => {
    const core = attached();
    openIdle(core, 1);
    core.threads.beginDetach(1);
    core.threads.finishDetach(1);
    expectProblem(core, /thread 1 clean stack is not empty but thread 1 is not attached/);
    expectProblem(core, /is owned by thread 1, which is not attached/);
  });

  it('reports a granted unit that was never counted', () => {
    const core = attached();
    const cell = core.waiters.enqueue(0, 0, 4);
    core.waiters.grant(cell);
    expectProblem(core, /active = 0 but 0 slots are in use and 1 units are granted/);
    core.counters.reserve();
    expect(verify(core)).toEqual([]);
    core.waiters.free(cell);
    expectProblem(core, /active = 1 but 0 slots are in use and 0 units are granted/);
    expect(core.waiters.count(CELL_STATE.FREE)).toBe(4);
  });
});

describe('SharedCore stack naming', () => {
  it('gives every thread 9 distinct stacks after the free stack, bucket = setting & 7', () => {
    const core = makeCore({ maxThreads: 5 });
    const seen = new Set<number>([core.freeStack]);
    expect(core.freeStack).toBe(0);
    for (let t = 0; t < 5; t++) {
      const own = [core.cleanStack(t)];
      for (let b = 0; b < 8; b++) own.push(core.settingStackAt(t, b));
      for (const s of own) {
        expect(seen.has(s)).toBe(false);
        seen.add(s);
        expect(s).toBeGreaterThanOrEqual(1 + t * STACKS_PER_THREAD);
        expect(s).toBeLessThan(1 + (t + 1) * STACKS_PER_THREAD);
      }
      for (let id = 1; id < 40; id++) expect(core.settingStack(t, id)).toBe(core.settingStackAt(t, id & 7));
    }
    expect(seen.size).toBe(core.memory.layout.headCount);
  });

  it('nowNs is monotonic and shared through the buffer origin', () => {
    const core = makeCore();
    const other = SharedCore.attach(core.buffer);
    const a = core.nowNs();
    const b = other.nowNs();
    expect(b).toBeGreaterThanOrEqual(a);
    expect(typeof a).toBe('bigint');
  });
});
