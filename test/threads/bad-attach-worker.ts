/**
 * A worker that first attaches with half a handle (kind and buffer, no config), then properly, uses
 * `hold` connections (recycled, so they stay idle here) and exits. workerData.keep: exit holding
 * them borrowed instead.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { attachSharedPool, type PoolHandle } from '../../src/index.ts';

const handle = workerData.pool as PoolHandle;
let firstError: { name: string; code?: string; message: string } | null = null;
try {
  attachSharedPool({ kind: handle.kind, buffer: handle.buffer } as PoolHandle);
} catch (error) {
  const e = error as Error & { code?: string };
  firstError = { name: e.name, code: e.code, message: e.message };
}
const db = attachSharedPool(handle);
const conns = await Promise.all(Array.from({ length: workerData.hold as number }, () => db.get({ timeoutMs: 5000 })));
if (!workerData.keep) for (const c of conns) c.recycle();
parentPort!.postMessage({ type: 'done', firstError, index: db.threadIndex });
