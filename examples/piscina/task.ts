/** The piscina task: some CPU work, then a query on the shared pool. */
import { threadId, workerData } from 'node:worker_threads';
import { attachSharedPool } from '../../src/index.ts';

const db = attachSharedPool(workerData.pool);
const mode = db.setting("SET SESSION sql_mode = 'ANSI'");

export default async function task({ n }: { n: number }): Promise<{ threadId: number; value: number }> {
  let acc = 0;
  for (let i = 0; i < 200_000; i++) acc += Math.sqrt(i * n);
  // Half the tasks run with a session setting; the pool keeps those connections apart.
  const [rows] = await db.query<[{ v: number }[], unknown]>('SELECT ? + 1 AS v', [n], { setting: n % 2 ? mode : null });
  return { threadId, value: rows[0].v + (acc > 0 ? 0 : 1) };
}
