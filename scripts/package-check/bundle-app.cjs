// An app bundled with `esbuild --bundle --platform=node` (default connector, no connector option):
// the main thread queries, then a Worker running the same bundle attaches and queries.
const { isMainThread, parentPort, Worker, workerData } = require('node:worker_threads');
const { attachSharedPool, createSharedPool } = require('shared-mysql-pool');

async function main() {
  const pool = await createSharedPool({ connection: { uri: process.env.MYSQL_URL }, capacity: 2 });
  const [rows] = await pool.query('SELECT 1 + 1 AS v');
  if (Number(rows[0].v) !== 2) throw new Error(`main thread got ${JSON.stringify(rows)}`);
  const worker = new Worker(__filename, { workerData: { pool: pool.handle } });
  pool.watch(worker);
  const reply = await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  if (reply !== 3) throw new Error(`worker got ${JSON.stringify(reply)}`);
  await new Promise((resolve) => worker.once('exit', resolve));
  await pool.close();
  console.log('bundle: ok (main thread and a worker queried through the bundled default connector)');
}

async function worker() {
  const db = attachSharedPool(workerData.pool);
  const [rows] = await db.query('SELECT 1 + 2 AS v');
  parentPort.postMessage(Number(rows[0].v));
  db.detach();
}

(isMainThread ? main() : worker()).catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
