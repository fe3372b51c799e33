/** A worker that attaches, uses one connection, and then has nothing left to do: it must exit. */
import { parentPort, workerData } from 'node:worker_threads';
import { attachSharedPool } from '../../src/index.ts';

const db = attachSharedPool(workerData.pool);
const conn = await db.get();
conn.recycle();
parentPort!.postMessage({ type: 'idle', active: db.stats().Active });
