/**
 * A CPU-parallel service: piscina workers do CPU work and query MySQL through ONE pool shared by
 * the whole process (capacity 4 for 4 workers), instead of a mysql2 pool per worker.
 *
 *   node --import tsx examples/piscina/main.ts          (MYSQL_URL=mysql://user@host:port/db to choose a server)
 */
import { Piscina } from 'piscina';
import { createSharedPool } from '../../src/index.ts';

const url = new URL(process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test');
const pool = await createSharedPool({
  connection: {
    host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password), database: url.pathname.slice(1) || undefined,
  },
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
