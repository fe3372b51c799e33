/**
 * node:diagnostics_channel publications (src/workers/diagnostics.ts): the messages each channel
 * carries, in the thread that publishes them, and silence once nobody subscribes.
 */
import diagnostics from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { createSharedPool, PooledConnection, PoolTimeoutError, type SharedPool } from '../../src/index.ts';
import { CHANNEL } from '../../src/workers/diagnostics.ts';
import { fakeConnector, until } from '../support/fake-connector.ts';
import { newId, type PoolThread, startPoolThread, endPoolAndThreads } from '../support/pool-thread.ts';

let pool: SharedPool | null = null;
const threads: PoolThread[] = [];
const unsubscribers: (() => void)[] = [];
afterEach(async () => {
  for (const off of unsubscribers.splice(0)) off();
  await endPoolAndThreads(pool, threads);
  pool = null;
});

type Event = [string, Record<string, unknown>];

/** Records every publication of the pool's channels as [name, message] (tracing: name:phase). */
function record(): Event[] {
  const events: Event[] = [];
  for (const name of ['get', 'wait', 'dial'] as const) {
    const handlers = {
      start: (m: unknown) => events.push([`${name}:start`, { ...(m as object) }]),
      end: () => {},
      asyncStart: () => {},
      asyncEnd: (m: unknown) => events.push([`${name}:asyncEnd`, { ...(m as object) }]),
      error: (m: unknown) => events.push([`${name}:error`, { ...(m as object) }]),
    };
    const channel = diagnostics.tracingChannel(CHANNEL[name]);
    channel.subscribe(handlers);
    unsubscribers.push(() => channel.unsubscribe(handlers));
  }
  for (const name of ['grant', 'evict', 'reap', 'close'] as const) {
    const handler = (m: unknown): void => {
      events.push([name, { ...(m as object) }]);
    };
    diagnostics.subscribe(CHANNEL[name], handler);
    unsubscribers.push(() => diagnostics.unsubscribe(CHANNEL[name], handler));
  }
  return events;
}

describe('diagnostics_channel', () => {
  it('get, dial, wait (served and timed out) and close, with their contexts; nothing once unsubscribed', async () => {
    const { connector } = fakeConnector();
    pool = await createSharedPool({ connector, capacity: 1 });
    const thread = pool.client.threadIndex;
    const events = record();

    const first = await pool.get();
    expect(events.map(([n]) => n)).toEqual(['get:start', 'dial:start', 'dial:asyncEnd', 'get:asyncEnd']);
    expect(events[0][1]).toEqual({ thread, setting: null, timeoutMs: undefined });
    expect(events[1][1]).toMatchObject({ thread, slot: first.slot });
    expect(events[3][1].result).toBe(first);

    events.length = 0;
    const waiting = pool.get({ timeoutMs: 5000 });
    expect(events.map(([n]) => n)).toEqual(['get:start', 'wait:start']);
    expect(events[1][1]).toEqual({ thread, setting: null });
    first.recycle();
    const second = await waiting;
    expect(events.map(([n]) => n)).toEqual(['get:start', 'wait:start', 'wait:asyncEnd', 'get:asyncEnd']);
    expect(events[3][1].result).toBeInstanceOf(PooledConnection);

    events.length = 0;
    await expect(pool.get({ timeoutMs: 20 })).rejects.toBeInstanceOf(PoolTimeoutError);
    // Node's tracePromise publishes asyncEnd after error too.
    expect(events.map(([n]) => n)).toEqual(['get:start', 'wait:start', 'wait:error', 'wait:asyncEnd', 'get:error', 'get:asyncEnd']);
    expect(events[2][1].error).toBeInstanceOf(PoolTimeoutError);

    events.length = 0;
    const slot = second.slot;
    second.taint();
    await pool.settled();
    expect(events.map(([n]) => n)).toEqual(['close', 'dial:start', 'dial:asyncEnd']);
    expect(events[0][1]).toEqual({ thread, slot });

    for (const off of unsubscribers.splice(0)) off();
    events.length = 0;
    (await pool.get()).recycle();
    expect(events).toEqual([]);
  });

  it('grant and evict across threads, reap of a thread that exited', async () => {
    const { connector } = fakeConnector();
    pool = await createSharedPool({ connector, capacity: 1, maxThreads: 8 });
    const main = pool.client.threadIndex;
    const events = record();
    const [worker] = await Promise.all([startPoolThread(pool)]);
    threads.push(worker);

    // The main thread holds the only unit; the worker waits; the return grants it the unit.
    const held = await pool.get();
    const workerGet = worker.get(newId(), { timeoutMs: 5000 });
    await until(() => pool!.stats().Waiting === 1, 5000, 'the worker waiting');
    held.recycle();
    const got = await workerGet;
    expect(got.type).toBe('got');
    expect(events.filter(([n]) => n === 'grant')).toEqual([['grant', { thread: main, to: worker.index }]]);

    // The worker's connection goes idle in the worker; a get here evicts it.
    await worker.request({ cmd: 'recycle', id: newId() - 1 }, 'done');
    const evicting = pool.get({ timeoutMs: 5000 });
    (await evicting).recycle();
    expect(events.filter(([n]) => n === 'evict')).toEqual([['evict', { thread: main, owner: worker.index }]]);

    // A worker that exits is reaped by the host.
    const threadId = worker.worker.threadId;
    pool.watch(worker.worker);
    await worker.worker.terminate();
    threads.splice(0);
    await until(() => events.some(([n]) => n === 'reap'), 5000, 'the reap');
    expect(events.find(([n]) => n === 'reap')![1]).toMatchObject({ threadId, thread: worker.index });
    expect(pool.verify()).toEqual([]);
  });
});
