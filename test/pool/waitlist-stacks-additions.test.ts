/**
 * The waitlist, the Treiber stacks and the port's own additions: smartconnpool acceptance scenarios 53–66 (docs/smartconnpool.md §6: waitlist_test.go, stack_test.go and
 * the port-specific additions), single thread (main thread), fake connector.
 *
 * Waitlist scenarios are tested through the pool (waiters = pending pool.get() calls; an expired
 * waiter = a get whose AbortSignal was aborted) and, where it is the natural unit, directly on
 * LocalWaitlist / WaiterCells / TreiberStacks.
 *
 * How a pool-level test keeps an expired waiter listed when a returner arrives: a get's abort
 * handler is an 'abort' listener on its signal. A listener the test registers first runs before
 * it, i.e. while the signal is already aborted but the waiter is still listed; recycling a conn
 * there makes the returner meet the dead waiter (smartconnpool's inline eviction).
 */
import { setMaxListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  PoolClosedError, PoolTimeoutError, PoolWaiterCapError, type PooledConnection, type SharedPool,
} from '../../src/index.ts';
import { CELL_STATE, WaiterCells } from '../../src/core/waiter-cells.ts';
import { SharedCore } from '../../src/core/shared-core.ts';
import { BUSY, EXPIRED, SLOT_STATE } from '../../src/core/slot-table.ts';
import { REQUEST } from '../../src/core/thread-registry.ts';
import { EMPTY, TreiberStacks } from '../../src/core/treiber-stack.ts';
import { type LocalWaiter, LocalWaitlist } from '../../src/workers/local-waitlist.ts';
import { until } from '../support/fake-connector.ts';
import { fake, finishDrained, openPool, parked, track, usePoolFixture } from '../support/pool-fixture.ts';
import { sleep } from '../support/timing.ts';

usePoolFixture();

/** active = idle + borrowed + in flight, counted from the slot table; no idle stack holds EXPIRED/BUSY. */
function expectAccounting(pool: SharedPool): { idle: number; borrowed: number; inFlight: number } {
  const { slots, stacks, counters } = pool.core;
  let idle = 0;
  let borrowed = 0;
  let inFlight = 0;
  for (let s = 0; s < slots.size; s++) {
    const state = slots.state(s);
    if (state === SLOT_STATE.IDLE) idle++;
    else if (state === SLOT_STATE.BORROWED) borrowed++;
    else if (state !== SLOT_STATE.FREE) inFlight++;
  }
  const thread = pool.client.threadIndex;
  let onStacks = 0;
  for (let k = 0; k <= 8; k++) {
    const stack = k === 0 ? pool.core.cleanStack(thread) : pool.core.settingStackAt(thread, k - 1);
    for (let s = stacks.peek(stack); s !== EMPTY; s = stacks.nextOf(s)) {
      onStacks++;
      expect(slots.timeUsedOf(s)).not.toBe(EXPIRED);
      expect(slots.timeUsedOf(s)).not.toBe(BUSY);
    }
  }
  expect(onStacks).toBe(idle);
  expect(counters.active).toBe(idle + borrowed + inFlight);
  expect(counters.borrowed).toBe(borrowed);
  return { idle, borrowed, inFlight };
}

/** A LocalWaiter for unit tests of the waitlist (no shared cell). */
function localWaiter(setting: number, signal: AbortSignal = new AbortController().signal): LocalWaiter & { outcome: string[] } {
  const outcome: string[] = [];
  return {
    setting, cell: -1, age: 0, startMs: 0, dialing: false, granted: false, signal, outcome,
    serve: (slot: number) => { outcome.push(`conn ${slot}`); },
    fail: (error: Error) => { outcome.push(error.message); },
  };
}

function aborted(): AbortSignal {
  const c = new AbortController();
  c.abort();
  return c.signal;
}

describe('waitlist_test.go (53–60)', () => {
  it('#53 TestWaitlistPoolCloseWithMultipleWaiters: close releases every waiter with an error', async () => {
    const { pool, control } = await openPool({ capacity: 1 });
    const held = await pool.get();
    const w1 = track(pool.get({ timeoutMs: 0 }));
    const w2 = track(pool.get({ timeoutMs: 0 }));
    await parked(pool, 2);
    const closing = track(pool.close());
    await w1.promise;
    await w2.promise;
    expect(w1.error).toBeInstanceOf(PoolClosedError);
    expect(w2.error).toBeInstanceOf(PoolClosedError);
    expect((w1.error as Error).message).toBe('connection pool is closed');
    expect(pool.client.waiting).toBe(0);
    expect(pool.stats().Waiting).toBe(0);
    held.recycle();
    await closing.promise;
    expect(closing.error).toBeUndefined();
    await finishDrained(pool, control);
  });

  it('#54 TestWaitlistWaiterCap: a waiter over maxWaiters is rejected and not listed; the listed ones get other errors on close', async () => {
    const { pool, control } = await openPool({ capacity: 1, maxWaiters: 3 });
    const held = await pool.get();
    const waiters = [track(pool.get({ timeoutMs: 0 })), track(pool.get({ timeoutMs: 0 })), track(pool.get({ timeoutMs: 0 }))];
    await parked(pool, 3);
    const error = await pool.get({ timeoutMs: 0 }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(PoolWaiterCapError);
    expect((error as Error).message).toMatch(/^connection pool waiter cap reached/);
    expect(pool.client.waiting).toBe(3);
    expect(pool.stats()).toMatchObject({ Waiting: 3, WaitCount: 3, WaiterCapRejected: 1 });
    const closing = track(pool.close());
    for (const w of waiters) {
      await w.promise;
      expect(w.error).toBeInstanceOf(PoolClosedError);
      expect(w.error).not.toBeInstanceOf(PoolWaiterCapError);
    }
    held.recycle();
    await closing.promise;
    expect(closing.error).toBeUndefined();
    await finishDrained(pool, control);
  });

  it('#55 TestWaitlistTryReturnConnEvictsExpiredWaiters: [expired, live]: the live one gets the conn, the expired one is evicted', async () => {
    // LocalWaitlist: take() unlinks the dead front waiter (evict callback) and picks the live one.
    const list = new LocalWaitlist();
    const dead = localWaiter(0, aborted());
    const live = localWaiter(0);
    list.push(dead);
    list.push(live);
    const evicted: LocalWaiter[] = [];
    expect(list.take(0, (w) => evicted.push(w))).toBe(live);
    expect(evicted).toEqual([dead]);
    expect(list.length).toBe(0);

    // Through the pool: the expired waiter is still listed when the returner arrives.
    const { pool, control } = await openPool({ capacity: 1, getTimeoutMs: 0 });
    const held = await pool.get();
    const heldConn = fake(held);
    const expiring = new AbortController();
    const seen: number[] = [];
    expiring.signal.addEventListener('abort', () => {
      seen.push(pool.client.waiting); // the expired waiter is still listed
      held.recycle();
      seen.push(pool.client.waiting); // the returner unlinked it and served the live one
    }, { once: true });
    const expired = track(pool.get({ signal: expiring.signal }));
    const liveGet = track(pool.get());
    await parked(pool, 2);
    expiring.abort();
    expect(seen).toEqual([2, 0]);
    await expired.promise;
    await liveGet.promise;
    expect(expired.error).toBeInstanceOf(PoolTimeoutError); // evicted: "woken with nil" → timed out
    expect(liveGet.error).toBeUndefined();
    expect(liveGet.value!.slot).toBe(held.slot);
    expect(liveGet.value!.connection).toBe(heldConn);
    expect(pool.stats().Waiting).toBe(0);
    liveGet.value!.recycle();
    expect(control.opened).toBe(1);
    await finishDrained(pool, control);
  });

  it('#56 TestWaitlistTryReturnConnAllWaitersExpired: all 3 expired: no handoff, all evicted, the conn goes idle', async () => {
    const list = new LocalWaitlist();
    const deads = [localWaiter(0, aborted()), localWaiter(0, aborted()), localWaiter(0, aborted())];
    for (const w of deads) list.push(w);
    const evicted: LocalWaiter[] = [];
    expect(list.take(0, (w) => evicted.push(w))).toBeUndefined();
    expect(evicted).toEqual(deads);
    expect(list.length).toBe(0);

    const { pool, control } = await openPool({ capacity: 1, getTimeoutMs: 0 });
    const held = await pool.get();
    const expiring = new AbortController();
    let waitingAfterReturn = -1;
    expiring.signal.addEventListener('abort', () => {
      held.recycle();
      waitingAfterReturn = pool.client.waiting;
    }, { once: true });
    const waiters = [0, 1, 2].map(() => track(pool.get({ signal: expiring.signal })));
    await parked(pool, 3);
    expiring.abort();
    expect(waitingAfterReturn).toBe(0);
    for (const w of waiters) {
      await w.promise;
      expect(w.error).toBeInstanceOf(PoolTimeoutError);
    }
    // The conn was not handed to anyone: it sits idle.
    expect(pool.stats()).toMatchObject({ Active: 1, InUse: 0, Waiting: 0 });
    expect(pool.core.stacks.peek(pool.core.cleanStack(pool.client.threadIndex))).toBe(held.slot);
    const again = await pool.get();
    expect(again.slot).toBe(held.slot);
    again.recycle();
    await finishDrained(pool, control);
  });

  it('#57 TestWaitlistMaybeStarvingCountSkipsExpiredWaiters: [expired, live] counts 1', () => {
    // Natural unit: LocalWaitlist.maybeStarvingCount (the pool's starvation tick reads only this).
    const list = new LocalWaitlist();
    list.push(localWaiter(0, aborted()));
    list.push(localWaiter(0));
    expect(list.maybeStarvingCount()).toBe(1);
    // A waiter that has been passed over (age > 0) is not "maybe starving" either.
    const aged = localWaiter(0);
    aged.age = 1;
    list.push(aged);
    expect(list.maybeStarvingCount()).toBe(1);
    list.push(localWaiter(3));
    expect(list.maybeStarvingCount()).toBe(2);
  });

  it('#58 TestWaitlistHandoverToLiveWaiter: the waiter receives the identical connection object', async () => {
    const { pool, control } = await openPool({ capacity: 1 });
    const held = await pool.get();
    const heldConn = held.connection;
    const waiter = track(pool.get());
    await parked(pool, 1);
    held.recycle();
    await waiter.promise;
    expect(waiter.error).toBeUndefined();
    expect(waiter.value!.connection).toBe(heldConn);
    expect(waiter.value!.slot).toBe(held.slot);
    expect(pool.stats().WaitCount).toBe(1);
    expect(control.opened).toBe(1);
    waiter.value!.recycle();
    await finishDrained(pool, control);
  });

  it('#59 TestWaitlistClaimedWaiterStillReceivesAfterExpiry: a waiter claimed by a returner keeps the conn even if its signal ends next', async () => {
    const { pool, control } = await openPool({ capacity: 1 });
    const held = await pool.get();
    // (a) The returner claims the waiter, then the caller's signal ends before the get resumes.
    const c1 = new AbortController();
    const w1 = track(pool.get({ signal: c1.signal, timeoutMs: 0 }));
    await parked(pool, 1);
    held.recycle();
    c1.abort();
    await w1.promise;
    expect(w1.error).toBeUndefined();
    expect(w1.value!.slot).toBe(held.slot);
    // (b) Same with a deadline on top of the signal: claimed first, then the signal ends.
    const c2 = new AbortController();
    const current = w1.value!;
    const w2 = track(pool.get({ signal: c2.signal, timeoutMs: 5000 }));
    await parked(pool, 1);
    current.recycle();
    c2.abort();
    await w2.promise;
    expect(w2.error).toBeUndefined();
    expect(w2.value!.slot).toBe(held.slot);
    expect(pool.stats().InUse).toBe(1);
    w2.value!.recycle();
    expect(pool.verify()).toEqual([]);

    // Cross-thread form (WaiterCells): a grant racing the owner's cancel is never lost.
    const core = SharedCore.create({ maxCapacity: 4, maxThreads: 2, maxWaiters: 4, maxSettings: 4 });
    const cells: WaiterCells = core.waiters;
    const cell = cells.enqueue(1, 0, 4);
    expect(cells.grant(cell)).toBe(true); // claimed by a returner
    expect(cells.cancel(cell)).toBe(false); // the owner's expiry comes too late
    expect(cells.state(cell)).toBe(CELL_STATE.GRANTED); // so the owner holds the unit and must use it
    await finishDrained(pool, control);
  });

  it('#60 TestWaitlistConvoyDrainsUnderConcurrentReturns: 4000 expired + 64 live, 8 returners with 64 conns', async () => {
    // LocalWaitlist: the first take() evicts the whole dead prefix, later takes find the live ones.
    const list = new LocalWaitlist();
    for (let i = 0; i < 4000; i++) list.push(localWaiter(0, aborted()));
    const lives = Array.from({ length: 64 }, () => localWaiter(0));
    for (const w of lives) list.push(w);
    let evictions = 0;
    const order: LocalWaiter[] = [];
    for (let i = 0; i < 64; i++) order.push(list.take(0, () => evictions++)!);
    expect(evictions).toBe(4000);
    expect(order).toEqual(lives);
    expect(list.length).toBe(0);

    // Through the pool.
    const { pool, control } = await openPool({ capacity: 64, getTimeoutMs: 0, maxWaiters: 8192 });
    const held: PooledConnection[] = [];
    for (let i = 0; i < 64; i++) held.push(await pool.get());
    const expiring = new AbortController();
    setMaxListeners(5000, expiring.signal);
    let returners: Promise<void>[] = [];
    expiring.signal.addEventListener('abort', () => {
      // The first return meets the whole dead prefix; 8 returners then race with the rest.
      held[0].recycle();
      returners = Array.from({ length: 8 }, async (_, r) => {
        for (let i = 0; i < 8; i++) {
          const k = r * 8 + i;
          if (k === 0) continue;
          await new Promise((resolve) => setImmediate(resolve));
          held[k].recycle();
        }
      });
    }, { once: true });
    const dead = Array.from({ length: 4000 }, () => track(pool.get({ signal: expiring.signal })));
    const live = Array.from({ length: 64 }, () => track(pool.get()));
    await parked(pool, 4064);
    expiring.abort();
    await Promise.all(returners);
    await Promise.all([...dead, ...live].map((w) => w.promise));
    expect(dead.every((w) => w.error instanceof PoolTimeoutError)).toBe(true);
    expect(live.every((w) => w.error === undefined)).toBe(true);
    expect(new Set(live.map((w) => w.value!.slot)).size).toBe(64);
    expect(pool.client.waiting).toBe(0);
    expect(pool.stats()).toMatchObject({ Waiting: 0, InUse: 64, Active: 64 });
    expect(control.opened).toBe(64);
    expect(pool.verify()).toEqual([]);
    for (const w of live) w.value!.recycle();
    await finishDrained(pool, control);
  });
});

describe('stack_test.go (61–62)', () => {
  function stacks(): TreiberStacks {
    return new TreiberStacks(new BigInt64Array(new SharedArrayBuffer(2 * 8)), new Int32Array(new SharedArrayBuffer(8 * 4)));
  }

  it('#61 TestStackPop: the popped node\'s next link is cleared', () => {
    const s = stacks();
    s.push(0, 3);
    s.push(0, 5);
    expect(s.nextOf(5)).toBe(3);
    const tag = s.tag(0);
    expect(s.pop(0)).toBe(5);
    expect(s.nextOf(5)).toBe(EMPTY);
    expect(s.tag(0)).toBe(tag + 1);
    expect(s.peek(0)).toBe(3);
    expect(s.pop(0)).toBe(3);
    expect(s.nextOf(3)).toBe(EMPTY);
    expect(s.pop(0)).toBe(EMPTY);
  });

  it('#62 TestStackPopAll: push A, B; popAll yields B linked to A and leaves the stack empty', () => {
    const s = stacks();
    const A = 1;
    const B = 6;
    s.push(0, A);
    s.push(0, B);
    const tag = s.tag(0);
    const top = s.popAll(0);
    expect(top).toBe(B);
    expect(s.nextOf(B)).toBe(A);
    expect(s.nextOf(A)).toBe(EMPTY);
    expect(s.peek(0)).toBe(EMPTY);
    expect(s.pop(0)).toBe(EMPTY);
    expect(s.popAll(0)).toBe(EMPTY);
    expect(s.tag(0)).toBe(tag + 1); // popAll bumps the tag like a pop (ABA)
  });
});

describe('port-specific additions (63–66)', () => {
  it('#63 over capacity after a partial shrink 3→2 with one waiter: the first return closes, the second is handed over', async () => {
    const { pool, control } = await openPool({ capacity: 3 });
    const held: PooledConnection[] = [];
    for (let i = 0; i < 3; i++) held.push(await pool.get());
    const inner = held.map(fake);
    const waiter = track(pool.get());
    await parked(pool, 1);
    const shrinking = track(pool.setCapacity(2, { timeoutMs: 2000 }));
    await until(() => pool.stats().Capacity === 2, 2000, 'capacity 2');
    held[0].recycle();
    expect(inner[0].isClosed()).toBe(true);
    expect(pool.client.waiting).toBe(1); // not handed over
    await shrinking.promise;
    expect(shrinking.error).toBeUndefined();
    expect(pool.stats().Active).toBe(2);
    held[1].recycle();
    await waiter.promise;
    expect(waiter.error).toBeUndefined();
    expect(waiter.value!.connection).toBe(inner[1]);
    expect(inner[1].isClosed()).toBe(false);
    expect(control.opened).toBe(3);
    waiter.value!.recycle();
    held[2].recycle();
    expect(pool.stats()).toMatchObject({ Capacity: 2, Active: 2, InUse: 0 });
    await finishDrained(pool, control);
  });

  it('#64 put(none) on a closed pool (or over capacity) does not call the connector', async () => {
    const { pool, control } = await openPool({ capacity: 3 });
    const [a, b, c] = [await pool.get(), await pool.get(), await pool.get()];
    // Over capacity: a taint during a shrink releases its unit instead of refilling.
    const shrinking = track(pool.setCapacity(2, { timeoutMs: 2000 }));
    await until(() => pool.stats().Capacity === 2, 2000, 'capacity 2');
    a.taint();
    await shrinking.promise;
    expect(shrinking.error).toBeUndefined();
    await pool.settled();
    expect(control.attempts).toBe(3);
    // Closed: a taint and a recycle of a dead conn release their units; nothing is dialled.
    const closing = track(pool.close({ timeoutMs: 2000 }));
    await until(() => pool.stats().Capacity === 0, 2000, 'capacity 0');
    b.taint();
    fake(c).close();
    c.recycle();
    await closing.promise;
    expect(closing.error).toBeUndefined();
    await pool.settled();
    expect(control.attempts).toBe(3);
    expect(pool.stats().Dials).toBe(3);
    await finishDrained(pool, control);
  });

  it('#65 an EXPIRED conn is never pushed back; active = idle + borrowed + in flight throughout sweeps and gets', async () => {
    const { pool, control } = await openPool({ capacity: 6 });
    const foo = pool.setting('SET foo=1');
    let held: PooledConnection[] = [];
    for (let i = 0; i < 6; i++) held.push(await pool.get({ setting: i % 2 ? foo : null }));
    expectAccounting(pool);
    for (const conn of held) conn.recycle();
    pool.setIdleTimeout(10);
    for (let round = 0; round < 4; round++) {
      await sleep(25);
      pool.client.agent.sweep(); // claims (EXPIRED) up to half of each stack, closes them, reopens
      expectAccounting(pool); // claimed ones are gone from the stacks; reopens are in flight
      expect(pool.verify()).toEqual([]);
      // Gets racing the reopens only ever pop live (non-EXPIRED) conns.
      held = [];
      for (let i = 0; i < 3; i++) held.push(await pool.get({ setting: i % 2 ? foo : null }));
      for (const conn of held) expect(fake(conn).isClosed()).toBe(false);
      expectAccounting(pool);
      await pool.settled();
      expectAccounting(pool);
      for (const conn of held) conn.recycle();
      expectAccounting(pool);
    }
    expect(pool.stats().IdleClosed).toBeGreaterThan(0);

    // A popper that finds a conn claimed by an expirer (EXPIRED) drops it from the stack, never
    // lends it, and the expirer (here: an evicting thread, played by the test) closes it.
    pool.setIdleTimeout(0);
    await pool.settled();
    const clean = pool.core.cleanStack(pool.client.threadIndex);
    const top = pool.core.stacks.peek(clean);
    expect(top).not.toBe(EMPTY);
    const claimedConnCount = control.openNow;
    expect(pool.core.slots.claimForEviction(top)).toBe(true);
    expect(pool.core.slots.casState(top, SLOT_STATE.IDLE, SLOT_STATE.EVICTED)).toBe(true);
    const got = await pool.get();
    expect(got.slot).not.toBe(top);
    expect(pool.core.stacks.peek(clean)).not.toBe(top); // dropped, not pushed back
    pool.client.agent.handleRequests(REQUEST.EVICT); // the owner closes the claimed conn, passes the unit
    expect(control.openNow).toBe(claimedConnCount - 1);
    got.recycle();
    expectAccounting(pool);
    expect(pool.verify()).toEqual([]);
    await finishDrained(pool, control);
  });

  it('#66 a reopen keeps the setting only if the re-apply succeeds; a failing re-apply releases the slot', async () => {
    // Max-lifetime reopen.
    const { pool, control } = await openPool({ capacity: 2, maxLifetimeMs: 10 });
    const foo = pool.setting('SET foo=1');
    const a = await pool.get({ setting: foo });
    const b = await pool.get({ setting: foo });
    await sleep(25);
    a.recycle(); // re-apply succeeds: back on the foo stack
    await pool.settled();
    const thread = pool.client.threadIndex;
    const fooStack = pool.core.settingStack(thread, foo.id);
    expect(pool.core.stacks.peek(fooStack)).toBe(a.slot);
    expect(pool.core.slots.setting(a.slot)).toBe(foo.id);
    expect(pool.stats().Active).toBe(2);
    control.failApply = true;
    b.recycle(); // re-apply fails: conn closed, unit released
    await pool.settled();
    expect(pool.stats().MaxLifetimeClosed).toBe(2);
    expect(pool.stats().Active).toBe(1);
    await until(() => control.openNow === 1, 2000, 'failed reopen closed');
    expect(control.opened).toBe(4);
    expect(pool.core.stacks.peek(pool.core.cleanStack(thread))).toBe(EMPTY); // not kept bare either
    expectAccounting(pool);
    expect(pool.verify()).toEqual([]);
    control.failApply = false;
    await finishDrained(pool, control);

    // Idle-sweep reopen.
    const second = await openPool({ capacity: 2 });
    const p2 = second.pool;
    const bar = p2.setting('SET bar=1');
    const c = await p2.get({ setting: bar });
    c.recycle();
    p2.setIdleTimeout(10);
    await sleep(25);
    second.control.failApply = true;
    p2.client.agent.sweep();
    await p2.settled();
    expect(p2.stats().IdleClosed).toBe(1);
    expect(p2.stats().Active).toBe(0);
    await until(() => second.control.openNow === 0, 2000, 'failed sweep reopen closed');
    expect(second.control.opened).toBe(2);
    expect(p2.core.stacks.peek(p2.core.settingStack(p2.client.threadIndex, bar.id))).toBe(EMPTY);
    expect(p2.verify()).toEqual([]);
    second.control.failApply = false;
    await finishDrained(p2, second.control);
  });
});

