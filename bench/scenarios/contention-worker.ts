/**
 * Worker entry of scenario 2 (loaded through bench/worker-bootstrap.mjs): attaches to the shared
 * pool, warms up alone (its first get dials its own connection), meets the others at the start
 * barrier, then runs `await get(); recycle()` until the shared stop flag is set, and leaves the
 * pool (detach closes its connections) so the thread can exit by itself.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { attachSharedPool } from '../lib/library.ts';
import type { PoolHandle, SharedPoolClient } from '../../src/index.ts';
import { cpuShare, threadCpu } from '../lib/cpu.ts';
import { replyWithAsync } from '../lib/pool-workers.ts';
import { arriveAndWait, createControl, CTRL } from '../lib/threads.ts';

export interface ContentionWorkerData {
  handle: PoolHandle;
  ctrl: Int32Array;
  parties: number;
  durationMs: number;
  warmupMs: number;
}

export interface ContentionWorkerResult {
  pairs: number;
  elapsedMs: number;
  chunks: number;
  startEpochMs: number;
  endEpochMs: number;
  cpuShare?: number;
  /** Share of the loop's time the thread was runnable but waiting for a CPU (Linux only). */
  runnableWaitShare?: number;
  /** Pool-wide counters seen by this thread after its loop (before leaving). */
  dials: number;
  waits: number;
  grants: number;
  evictions: number;
}

/** Pairs between two checks of the clock and the stop flag. */
const CHUNK = 256;

async function loop(client: SharedPoolClient, durationMs: number, stop: Int32Array): Promise<{ pairs: number; elapsedMs: number; chunks: number; t0: number; t1: number }> {
  let pairs = 0;
  let chunks = 0;
  const t0 = performance.now();
  let now = t0;
  for (;;) {
    for (let i = 0; i < CHUNK; i++) {
      const c = await client.get();
      c.recycle();
    }
    pairs += CHUNK;
    chunks++;
    now = performance.now();
    if (Atomics.load(stop, CTRL.STOP) !== 0) break;
    if (now - t0 >= durationMs) {
      Atomics.store(stop, CTRL.STOP, 1);
      break;
    }
  }
  return { pairs, elapsedMs: now - t0, chunks, t0, t1: now };
}

if (!parentPort) throw new Error('contention-worker.ts must run in a worker thread');
const port = parentPort;

void replyWithAsync<ContentionWorkerResult>(port, async () => {
  const data = workerData as ContentionWorkerData;
  const client = attachSharedPool(data.handle);
  try {
    await loop(client, data.warmupMs, createControl());
    arriveAndWait(data.ctrl, data.parties);
    const before = threadCpu();
    const r = await loop(client, data.durationMs, data.ctrl);
    const after = threadCpu();
    const share = cpuShare(before, after, r.elapsedMs);
    const waitShare = before && after ? (after.waitMs - before.waitMs) / r.elapsedMs : undefined;
    const st = client.stats();
    const origin = performance.timeOrigin;
    return {
      pairs: r.pairs,
      elapsedMs: r.elapsedMs,
      chunks: r.chunks,
      startEpochMs: origin + r.t0,
      endEpochMs: origin + r.t1,
      ...(share !== undefined ? { cpuShare: share } : {}),
      ...(waitShare !== undefined ? { runnableWaitShare: waitShare } : {}),
      dials: st.Dials,
      waits: st.WaitCount,
      grants: st.Grants,
      evictions: st.Evictions,
    };
  } finally {
    client.detach();
  }
});
