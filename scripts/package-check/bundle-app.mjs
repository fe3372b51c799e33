// The same app as an ES module bundle (esbuild --format=esm, with the createRequire banner that
// mysql2, a CommonJS package, needs there): the main thread and a worker running the bundle query.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { attachSharedPool, createSharedPool } from 'shared-mysql-pool';

if (isMainThread) {
  const pool = await createSharedPool({ connection: { uri: process.env.MYSQL_URL }, capacity: 2 });
  const [rows] = await pool.query('SELECT 1 + 1 AS v');
  const worker = new Worker(new URL(import.meta.url), { workerData: { pool: pool.handle } });
  pool.watch(worker);
  const reply = await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await new Promise((resolve) => worker.once('exit', resolve));
  await pool.close();
  if (Number(rows[0].v) !== 2 || reply !== 3) throw new Error(`got ${JSON.stringify([rows, reply])}`);
  console.log('bundle (esm): ok');
} else {
  const db = attachSharedPool(workerData.pool);
  const [rows] = await db.query('SELECT 1 + 2 AS v');
  parentPort.postMessage(Number(rows[0].v));
  db.detach();
}
