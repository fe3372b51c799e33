/**
 * A CPU-parallel service: piscina workers do CPU work and query MySQL through ONE pool shared by
 * the whole process (capacity 4 for 4 workers), instead of a mysql2 pool per worker.
 *
 * Copy this directory into an app that depends on shared-mysql-pool and piscina, then
 *   MYSQL_URL=mysql://user:password@host:3306/db node main.mjs
 * (default mysql://root@127.0.0.1:3306/test). In this repository: npm run example.
 */
import { Piscina } from 'piscina';
import { createSharedPool } from 'shared-mysql-pool';

const pool = await createSharedPool({
  connection: { uri: process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test' },
  capacity: 4, // for the whole process
  idleTimeoutMs: 30_000,
  maxLifetimeMs: 300_000,
});

const piscina = new Piscina({
  filename: new URL('./task.mjs', import.meta.url).href,
  minThreads: 4,
  maxThreads: 4,
  atomics: 'disabled', // required: 'sync' parks idle workers in Atomics.wait and freezes their sockets
  workerData: { pool: pool.handle },
});
pool.watch(piscina); // reclaims a worker's connections when piscina destroys it

const started = performance.now();
const results = await Promise.all(Array.from({ length: 400 }, (_, i) => piscina.run({ n: i })));
const seconds = (performance.now() - started) / 1000;
const byThread = new Map();
for (const r of results) byThread.set(r.threadId, (byThread.get(r.threadId) ?? 0) + 1);
const wrong = results.filter((r, i) => r.value !== i + 1).length;

console.log(`400 tasks in ${seconds.toFixed(2)} s across ${byThread.size} workers:`, Object.fromEntries(byThread));
const { Capacity, Active, Dials, Grants, Evictions } = pool.stats();
console.log('pool stats:', { Capacity, Active, Dials, Grants, Evictions });
await piscina.destroy();
await pool.close();
if (wrong > 0) {
  console.error(`${wrong} tasks returned a wrong value`);
  process.exitCode = 1;
}
