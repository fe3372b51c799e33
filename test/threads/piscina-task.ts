/** A piscina task that uses the shared pool: CPU work, then a query on a pooled connection. */
import { threadId, workerData } from 'node:worker_threads';
import { attachSharedPool } from '../../src/index.ts';
import type { RowDataPacket } from 'mysql2';

const db = attachSharedPool(workerData.pool);

export default async function task({ spin }: { spin: number }): Promise<{ threadId: number; rows: unknown }> {
  let x = 0;
  for (let i = 0; i < spin; i++) x += Math.sqrt(i);
  const [rows] = await db.query<RowDataPacket[]>('SELECT 1', undefined, { timeoutMs: 10_000 });
  return { threadId, rows: x >= 0 ? rows : null };
}
