/**
 * The pool's node:diagnostics_channel publications. Names follow Node's convention (the package
 * name, then the event); tracing channels publish Node's `tracing:<name>:start|end|asyncStart|
 * asyncEnd|error` sub-channels.
 *
 * - `shared-mysql-pool:get` (tracing): every get(); context `{ thread, setting, timeoutMs }`,
 *   `result` the PooledConnection, or `error`.
 * - `shared-mysql-pool:wait` (tracing): a get() that had to wait, from enqueue until it is served
 *   or fails; context `{ thread, setting }`.
 * - `shared-mysql-pool:dial` (tracing): every connect (for a caller, a waiter, a refill or a
 *   reopen); context `{ thread, slot }`.
 * - `shared-mysql-pool:grant`: a unit moved to a waiter of thread `to`; `{ thread, to }`.
 * - `shared-mysql-pool:evict`: a waiter of `thread` claimed an idle connection of `owner`; `{ thread, owner }`.
 * - `shared-mysql-pool:reap`: the host reclaimed a thread that left; `{ threadId, thread, slots, borrowed, waiters, grants }`.
 * - `shared-mysql-pool:close`: a connection was closed; `{ thread, slot }`.
 * - `shared-mysql-pool:leak` (leak-detector.ts): a connection held past leakDetectionMs, and its return.
 *
 * `thread` is the publishing thread's index in the pool's thread registry (stats().PerThread[].Thread).
 * diagnostics_channel is per thread: subscribe in every thread whose events you want (each worker
 * publishes its own). With no subscriber a hook costs one property read.
 */
import diagnostics from 'node:diagnostics_channel';

export const CHANNEL = {
  get: 'shared-mysql-pool:get',
  wait: 'shared-mysql-pool:wait',
  dial: 'shared-mysql-pool:dial',
  grant: 'shared-mysql-pool:grant',
  evict: 'shared-mysql-pool:evict',
  reap: 'shared-mysql-pool:reap',
  close: 'shared-mysql-pool:close',
} as const;

export interface GetContext { thread: number; setting: number | null; timeoutMs: number | undefined }
export interface WaitContext { thread: number; setting: number | null }
export interface DialContext { thread: number; slot: number }

const getChannel = diagnostics.tracingChannel<unknown, GetContext>(CHANNEL.get);
const waitChannel = diagnostics.tracingChannel<unknown, WaitContext>(CHANNEL.wait);
const dialChannel = diagnostics.tracingChannel<unknown, DialContext>(CHANNEL.dial);
const grantChannel = diagnostics.channel(CHANNEL.grant);
const evictChannel = diagnostics.channel(CHANNEL.evict);
const reapChannel = diagnostics.channel(CHANNEL.reap);
const closeChannel = diagnostics.channel(CHANNEL.close);

/** True when someone traces get(): then the agent routes get() through traceGet. */
export function tracingGet(): boolean {
  return getChannel.hasSubscribers;
}

/**
 * Runs `acquire.call(agent, options)` inside the get tracing channel. No closure: get() stays
 * allocation-free when nobody traces.
 */
export function traceGet<O extends { setting?: { id: number } | null; timeoutMs?: number }, T>(
  thread: number, options: O | undefined, acquire: (options?: O) => Promise<T>, agent: object,
): Promise<T> {
  const context = { thread, setting: options?.setting ? options.setting.id : null, timeoutMs: options?.timeoutMs };
  return getChannel.tracePromise(acquire, context, agent, options);
}

/** Traces an enqueued wait (`waiting` already created); returns it unchanged when nobody listens. */
export function traceWait<T>(thread: number, setting: number, waiting: Promise<T>): Promise<T> {
  if (!waitChannel.hasSubscribers) return waiting;
  return waitChannel.tracePromise(() => waiting, { thread, setting: setting === 0 ? null : setting });
}

export function traceDial<T>(thread: number, slot: number, dial: () => Promise<T>): Promise<T> {
  if (!dialChannel.hasSubscribers) return dial();
  return dialChannel.tracePromise(dial, { thread, slot });
}

export function publishGrant(thread: number, to: number): void {
  if (grantChannel.hasSubscribers) grantChannel.publish({ thread, to });
}

export function publishEvict(thread: number, owner: number): void {
  if (evictChannel.hasSubscribers) evictChannel.publish({ thread, owner });
}

export function publishReap(threadId: number, thread: number, reclaimed: object): void {
  if (reapChannel.hasSubscribers) reapChannel.publish({ threadId, thread, ...reclaimed });
}

export function publishClose(thread: number, slot: number): void {
  if (closeChannel.hasSubscribers) closeChannel.publish({ thread, slot });
}
