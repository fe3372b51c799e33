/**
 * Diagnostic probe: what the first requests after a pause cost a worker thread, shared pool vs a
 * mysql2 pool of the same size (docs/service-load.md). One worker at a time runs requests of 3
 * parallel `SELECT 1` on a pool of 2 (so one get per request waits), warms up, then for each pause
 * (0, 200, 600, 1200 ms; 8 times each) measures its own CPU (/proc/thread-self/schedstat) per
 * request over the first 10 requests after the pause and over the next 100.
 *
 *   npm run build && node bench/probe/burst-start.mjs ['{"aliveBypassWindowMs":60000}']
 *
 * The optional argument: extra createSharedPool options as JSON. MariaDB/MySQL on 127.0.0.1:3306,
 * user root, database test (MYSQL_HOST, MYSQL_PORT, MYSQL_USER, MYSQL_DATABASE override).
 */
import { Worker, isMainThread, workerData, parentPort } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { createSharedPool, attachSharedPool } from '../../dist/src/index.js';

const connection = {
  host: process.env.MYSQL_HOST ?? '127.0.0.1',
  port: Number(process.env.MYSQL_PORT ?? 3306),
  user: process.env.MYSQL_USER ?? 'root',
  database: process.env.MYSQL_DATABASE ?? 'test',
};
const PAUSES_MS = [0, 200, 600, 1200];
const REPEATS = 8;

if (isMainThread) {
  const extra = process.argv[2] ? JSON.parse(process.argv[2]) : {};
  const pool = await createSharedPool({ connection, capacity: 2, ...extra });
  for (const kind of ['shared', 'mysql2', 'shared', 'mysql2']) {
    const worker = new Worker(new URL(import.meta.url), { workerData: { kind, handle: pool.handle } });
    pool.watch(worker);
    const result = await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    console.log(kind, result);
    await worker.terminate();
  }
  await pool.close();
} else {
  const cpuUs = () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e3;
  let query;
  let end = async () => {};
  if (workerData.kind === 'shared') {
    const db = attachSharedPool(workerData.handle);
    query = (sql) => db.query(sql);
  } else {
    const own = mysql.createPool({ ...connection, connectionLimit: 2 });
    query = (sql) => own.query(sql);
    end = () => own.end();
  }
  const requests = async (n) => {
    for (let i = 0; i < n; i++) await Promise.all([query('SELECT 1'), query('SELECT 1'), query('SELECT 1')]);
  };
  await requests(2000);
  const out = {};
  for (const pause of PAUSES_MS) {
    let first = 0;
    let next = 0;
    for (let r = 0; r < REPEATS; r++) {
      await new Promise((resolve) => setTimeout(resolve, pause));
      const c0 = cpuUs();
      await requests(10);
      const c1 = cpuUs();
      await requests(100);
      const c2 = cpuUs();
      first += (c1 - c0) / 10;
      next += (c2 - c1) / 100;
    }
    out[`pause ${pause} ms`] = `first 10: ${(first / REPEATS).toFixed(0)} µs/request, next 100: ${(next / REPEATS).toFixed(0)} µs/request`;
  }
  await end();
  parentPort.postMessage(out);
}
