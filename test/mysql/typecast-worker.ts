/** Attaches to the pool and reports what a DECIMAL column comes back as in this thread. */
import { parentPort, workerData } from 'node:worker_threads';
import type { RowDataPacket } from 'mysql2';
import { attachSharedPool } from '../../src/index.ts';

const db = attachSharedPool(workerData.pool);
try {
  const [rows] = await db.query<(RowDataPacket & { d: unknown })[]>('SELECT CAST(1.5 AS DECIMAL(4,2)) AS d');
  parentPort!.postMessage({ type: 'result', value: rows[0].d });
} catch (error) {
  parentPort!.postMessage({ type: 'result', error: String(error) });
} finally {
  await db.settled();
  db.detach();
}
