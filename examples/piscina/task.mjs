/** The piscina task: some CPU work, then a query on the shared pool (attached once per worker). */
import { threadId, workerData } from 'node:worker_threads';
import { attachSharedPool } from 'shared-mysql-pool';

const db = attachSharedPool(workerData.pool);
const ansi = db.setting("SET SESSION sql_mode = 'ANSI'"); // the same text is the same setting in every thread

export default async function task({ n }) {
  let acc = 0;
  for (let i = 0; i < 200_000; i++) acc += Math.sqrt(i * n);
  // Half the tasks run with a session setting; the pool keeps those connections apart.
  const [rows] = await db.query('SELECT ? + 1 AS v', [n], { setting: n % 2 ? ansi : null });
  return { threadId, value: Number(rows[0].v) + (acc >= 0 ? 0 : 1) };
}
