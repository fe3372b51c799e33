/**
 * A CPU-parallel service: piscina workers do CPU work and query MySQL through ONE pool shared by
 * the whole process (capacity 4 for 4 workers), instead of a mysql2 pool per worker.
 *
 *   npm run example        (MYSQL_URL=mysql://user@host:port/db to choose a server; without one an
 *                           in-process MySQL-protocol server answers)
 */
import { Piscina } from 'piscina';
import { resolveMysqlTarget } from '../../bench/support/embedded-mysql.ts';
import { createSharedPool } from '../../src/index.ts';

// MYSQL_URL, else 127.0.0.1:3306 if it answers, else an in-process MySQL-protocol server (said on stderr).
const target = await resolveMysqlTarget();
console.log(`server: ${target.description}`);
const pool = await createSharedPool({
  connection: target.options,
  capacity: 4,
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
const byThread = new Map<number, number>();
for (const r of results) byThread.set(r.threadId, (byThread.get(r.threadId) ?? 0) + 1);

console.log(`400 tasks in ${seconds.toFixed(2)} s across ${byThread.size} workers:`, Object.fromEntries(byThread));
console.log('pool stats:', pool.stats());
await piscina.destroy();
await pool.close();
await target.close();
