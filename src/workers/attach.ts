/**
 * attachSharedPool(handle): joins the pool from any thread. The handle is structured-cloneable (the
 * SharedArrayBuffer plus plain options), so it travels in a Worker's or piscina's workerData.
 */
import { threadId } from 'node:worker_threads';
import { LayoutMismatchError } from '../core/errors.ts';
import { reclaimThread } from '../core/reclaim.ts';
import { SharedCore } from '../core/shared-core.ts';
import { checkHandleConfig } from './handle-check.ts';
import { ThreadAgent } from './agent.ts';
import { SharedPoolClient } from './pool-client.ts';
import { HANDLE_KIND, type HandleConfig, type PoolHandle } from './types.ts';

/** This thread's client per pool buffer (one per thread and pool). */
const attached = new WeakMap<SharedArrayBuffer, SharedPoolClient>();

/**
 * Attaches this thread to the pool (once per thread; later calls return the same client).
 * Throws LayoutMismatchError, before registering anything, when `handle` is not a whole pool.handle
 * (wrong kind, buffer not a pool buffer of this version, config missing or malformed), and
 * PoolLimitError when maxThreads threads are attached.
 */
export function attachSharedPool(handle: PoolHandle): SharedPoolClient {
  if (typeof handle !== 'object' || handle === null || handle.kind !== HANDLE_KIND) {
    throw new LayoutMismatchError(`attachSharedPool() needs pool.handle; got ${handle === null ? 'null' : typeof handle === 'object' ? `an object of kind ${JSON.stringify((handle as { kind?: unknown }).kind)}` : typeof handle}`);
  }
  const existing = attached.get(handle.buffer);
  if (existing) return existing;
  // Everything is checked before the thread registers: a failure here leaves no trace.
  const core = SharedCore.attach(handle.buffer);
  checkHandleConfig(handle.config);
  const index = core.threads.attach(threadId);
  try {
    return joinAsThread(core, index, handle.config);
  } catch (error) {
    // Undo the registration: it holds nothing yet, but a reaper would otherwise find it first.
    reclaimThread(core, index, index);
    throw error;
  }
}

/**
 * Starts this thread's agent for registry index `index` and records its client, so a later
 * attachSharedPool(handle) in this thread returns it (the host's own thread joins through here
 * too). detach() forgets it, so a later attach starts afresh.
 */
export function joinAsThread(core: SharedCore, index: number, config: HandleConfig): SharedPoolClient {
  const agent = new ThreadAgent(core, index, config);
  const client = new SharedPoolClient(agent, () => attached.delete(core.buffer));
  attached.set(core.buffer, client);
  return client;
}
