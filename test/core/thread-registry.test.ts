import { describe, expect, it } from 'vitest';
import { HEADER, PoolLimitError, REQUEST, THREAD_STATE, UnknownThreadError } from '../../src/core/index.ts';
import { makeCore } from '../support/core.ts';

describe('ThreadRegistry', () => {
  it('attaches threads to successive entries and looks them up by threadId', () => {
    const core = makeCore({ maxThreads: 3 });
    const r = core.threads;
    expect(r.maxThreads).toBe(3);
    expect(r.attach(101)).toBe(0);
    expect(r.attach(102)).toBe(1);
    expect(r.lookup(101)).toBe(0);
    expect(r.lookup(102)).toBe(1);
    expect(r.lookup(999)).toBe(-1);
    expect(r.threadId(1)).toBe(102);
    expect(r.state(0)).toBe(THREAD_STATE.ATTACHED);
    expect(r.isAttached(1)).toBe(true);
    expect(r.isAttached(2)).toBe(false);
    expect(r.isAttached(-1)).toBe(false);
    expect(r.isAttached(3)).toBe(false);
    expect(core.memory.header[HEADER.THREADS_ATTACHED]).toBe(2);
  });

  it('throws PoolLimitError naming maxThreads when full', () => {
    const core = makeCore({ maxThreads: 2 });
    core.threads.attach(1);
    core.threads.attach(2);
    let error: unknown;
    try {
      core.threads.attach(3);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PoolLimitError);
    expect((error as PoolLimitError).code).toBe('POOL_LIMIT');
    expect((error as Error).message).toMatch(/maxThreads = 2/);
    expect(core.memory.header[HEADER.THREADS_ATTACHED]).toBe(2);
  });

  it('markUsed keeps when any thread last got a connection back, never moving it back, and when returns resumed after a pause', () => {
    const core = makeCore({ maxThreads: 3 });
    const r = core.threads;
    r.markUsed(0, 1000, 100);
    r.markUsed(1, 1050, 100);
    expect(r.lastReturnMs).toBe(1050);
    expect(r.resumedMs).toBe(1000);
    // A return whose clock was read earlier (its thread descheduled in between) arrives late.
    r.markUsed(2, 990, 100);
    expect(r.lastUsedMs(2)).toBe(990);
    expect(r.lastReturnMs).toBe(1050);
    // So the next return sees no pause: the process never stopped.
    r.markUsed(0, 1120, 100);
    expect(r.resumedMs).toBe(1000);
    // A real pause of 100 ms with no return anywhere.
    r.markUsed(1, 1220, 100);
    expect(r.resumedMs).toBe(1220);
    expect(r.lastReturnMs).toBe(1220);
  });

  it('detaches in two steps and reuses the entry with a new generation', () => {
    const core = makeCore({ maxThreads: 2 });
    const r = core.threads;
    const a = r.attach(7);
    r.attach(8);
    r.ring(a, REQUEST.EVICT);
    core.memory.threads[a * 8 + 6] = 2; // stale WAITING count left by the dead thread
    expect(r.beginDetach(a)).toBe(true);
    expect(r.state(a)).toBe(THREAD_STATE.LEAVING);
    expect(r.lookup(7)).toBe(-1);
    expect(r.isAttached(a)).toBe(false);
    expect(r.beginDetach(a)).toBe(false); // only one reaper
    r.finishDetach(a);
    expect(r.state(a)).toBe(THREAD_STATE.FREE);
    expect(r.threadId(a)).toBe(-1);
    expect(core.memory.header[HEADER.THREADS_ATTACHED]).toBe(1);
    const gen = core.memory.threads[a * 8 + 4];
    expect(r.attach(9)).toBe(a);
    expect(core.memory.threads[a * 8 + 4]).toBe(gen + 1);
    // A reused entry starts clean.
    expect(r.takeRequests(a)).toBe(0);
    expect(r.waitingOf(a)).toBe(0);
    expect(r.freshStack(a)).toBe(0);
    expect(r.lookup(9)).toBe(a);
  });

  it('rings set request bits and bump the doorbell; takeRequests takes and clears them', () => {
    const r = makeCore().threads;
    const a = r.attach(1);
    const b = r.attach(2);
    const bell = r.doorbell(a);
    r.ring(a, REQUEST.EVICT);
    r.ring(a, REQUEST.GRANT | REQUEST.DRAIN);
    r.ring(a, REQUEST.EVICT);
    expect(r.doorbell(a)).toBe(bell + 3);
    expect(r.takeRequests(a)).toBe(REQUEST.EVICT | REQUEST.GRANT | REQUEST.DRAIN);
    expect(r.takeRequests(a)).toBe(0);
    expect(r.takeRequests(b)).toBe(0);
    r.beginDetach(b);
    r.ringAll(REQUEST.LIFETIME);
    expect(r.takeRequests(a)).toBe(REQUEST.LIFETIME);
    expect(r.takeRequests(b)).toBe(0); // not attached: not rung
    expect(r.takeRequests(2)).toBe(0);
  });

  it('waitDoorbell resolves when rung, and returns synchronously when the bell already moved', async () => {
    const r = makeCore().threads;
    const a = r.attach(1);
    const seen = r.doorbell(a);
    const w = r.waitDoorbell(a, seen);
    expect(w.async).toBe(true);
    setTimeout(() => r.ring(a, REQUEST.DRAIN), 5);
    expect(await w.value).toBe('ok');
    const again = r.waitDoorbell(a, seen);
    expect(again).toEqual({ async: false, value: 'not-equal' });
  });

  it('tracks fresh stack and the waiting count (kept by the waiter cells) per entry', () => {
    const core = makeCore();
    const r = core.threads;
    const a = r.attach(1);
    const b = r.attach(2);
    r.setFreshStack(a, 5);
    expect(r.freshStack(a)).toBe(5);
    expect(r.freshStack(b)).toBe(0);
    const cells = [core.waiters.enqueue(a, 0, 8), core.waiters.enqueue(a, 0, 8), core.waiters.enqueue(b, 0, 8)];
    expect(r.waitingOf(a)).toBe(2);
    expect(r.waitingOf(b)).toBe(1);
    core.waiters.grant(cells[0]);
    expect(r.waitingOf(a)).toBe(1);
    core.waiters.cancel(cells[2]);
    expect(r.waitingOf(b)).toBe(0);
  });

  it.each([-1, 4, 1.5, Number.NaN, 1e9])('throws UnknownThreadError for index %s', (index) => {
    const r = makeCore({ maxThreads: 4 }).threads;
    r.attach(1);
    for (const call of [() => r.ring(index, REQUEST.EVICT), () => r.beginDetach(index), () => r.finishDetach(index)]) {
      let error: unknown;
      try {
        call();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(UnknownThreadError);
      expect((error as UnknownThreadError).code).toBe('POOL_UNKNOWN_THREAD');
      expect((error as Error).message).toContain(`thread index ${index}`);
      expect((error as Error).message).toContain('maxThreads = 4');
    }
    expect(r.isAttached(index)).toBe(false);
  });
});
