/**
 * Never lend a dead connection (issue 10 §2), against the real server: a connection idle longer
 * than aliveBypassWindowMs (default 500 ms) is pinged before it is lent, and a failed ping is
 * invisible to the caller (closed, redialled within the get's deadline). Two ways a connection dies
 * unseen: a middlebox drops the idle flow silently (the freezing proxy), and the server KILLs idle
 * sessions while this thread's event loop is blocked (their FIN is not read before the next get).
 */
import { Worker } from 'node:worker_threads';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSharedPool, type SharedPool } from '../../src/index.ts';
import { FreezingProxy } from '../support/freezing-proxy.ts';
import { MYSQL_URL, type MysqlEnv, mysqlSkip, setupMysql, endTestPool } from '../support/mysql.ts';
import { sleep, within } from '../support/timing.ts';
import type { RowDataPacket } from 'mysql2';

const skip = await mysqlSkip();

let env: MysqlEnv;
let pool: SharedPool | null = null;
let proxy: FreezingProxy | null = null;

/** Past the default aliveBypassWindowMs (500): the idle time is the input here, not a wait for an event. */
const IDLE_PAST_WINDOW_MS = 650;

describe.skipIf(skip)('validation of idle connections on MariaDB', () => {
  beforeAll(async () => {
    env = await setupMysql();
  });
  afterAll(async () => {
    await env?.close();
  });
  afterEach(async () => {
    if (pool) {
      const p = pool;
      pool = null;
      await endTestPool(p, 3000);
    }
    await proxy?.close();
    proxy = null;
    expect(await env.untilSessions(0, 3000)).toBe(0);
  });

  it('TCP keepalive is on by default, with a 30 s initial delay (mysql2 enableKeepAlive, keepAliveInitialDelay)', async () => {
    pool = await createSharedPool({ capacity: 1, connection: env.connection() });
    const conn = await pool.get();
    const config = (conn.connection as unknown as { raw: { config: { enableKeepAlive: boolean; keepAliveInitialDelay: number } } }).raw.config;
    expect(config).toMatchObject({ enableKeepAlive: true, keepAliveInitialDelay: 30_000 });
    conn.recycle();
  });

  it('a flow dropped silently by a middlebox: with default options, get + SELECT 1 answers (validated, replaced)', async () => {
    const target = env.connection();
    proxy = await FreezingProxy.start(String(target.host), Number(target.port));
    pool = await createSharedPool({ capacity: 1, connection: { ...target, host: '127.0.0.1', port: proxy.port } });
    await pool.query('SELECT 1');
    await sleep(IDLE_PAST_WINDOW_MS);
    proxy.freeze();
    const [rows] = await within(pool.query<({ v: number } & RowDataPacket)[]>('SELECT 1 AS v', undefined, { timeoutMs: 8000 }), 5000, 'get + SELECT 1 over a silently dropped flow');
    expect(rows[0].v).toBe(1);
    expect(proxy.live).toBe(1); // the replacement
    expect(pool.verify()).toEqual([]);
  });

  it("validation stays within the get's own deadline: a short get over a dead flow times out on time, the next one is served", async () => {
    const target = env.connection();
    proxy = await FreezingProxy.start(String(target.host), Number(target.port));
    // A long validation timeout, so that the get's own deadline is what must end the ping.
    pool = await createSharedPool({ capacity: 1, validationTimeoutMs: 5000, connection: { ...target, host: '127.0.0.1', port: proxy.port } });
    await pool.query('SELECT 1');
    await sleep(IDLE_PAST_WINDOW_MS);
    proxy.freeze();
    const started = performance.now();
    await expect(pool.get({ timeoutMs: 200 })).rejects.toMatchObject({ code: 'POOL_TIMEOUT' });
    expect(performance.now() - started).toBeLessThan(4000); // the get's 200 ms, not the 5 s validation timeout
    const [rows] = await pool.query<({ v: number } & RowDataPacket)[]>('SELECT 1 AS v', undefined, { timeoutMs: 5000 });
    expect(rows[0].v).toBe(1);
    await pool.settled();
    expect(pool.stats()).toMatchObject({ Active: 1, InUse: 0 });
    expect(pool.verify()).toEqual([]);
  });

  it('a thread blocked while the server KILLed its idle sessions lends none of them: 100 of 100 gets + queries succeed', async () => {
    const capacity = 4;
    pool = await createSharedPool({ capacity, connection: env.connection() });
    const held = await Promise.all(Array.from({ length: capacity }, () => pool!.get()));
    for (const conn of held) conn.recycle();
    const ids = await env.sessionIds();
    expect(ids).toHaveLength(capacity);
    // A helper thread KILLs them while this thread's event loop is blocked in Atomics.wait.
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const killer = new Worker(KILLER, { eval: true, workerData: { url: MYSQL_URL, ids, user: env.user, flag, minMs: IDLE_PAST_WINDOW_MS } });
    const exited = new Promise((resolve) => killer.once('exit', resolve));
    expect(Atomics.wait(flag, 0, 0, 20_000)).not.toBe('timed-out');
    // Still the same macrotask: the FINs are unread, the connections look alive.
    const first = Array.from({ length: capacity }, () => pool!.query('SELECT 1').then(() => null, (e: Error) => e));
    const failures = (await Promise.all(first)).filter((e) => e !== null);
    for (let i = capacity; i < 100; i++) await pool.query('SELECT 1').catch((e: Error) => failures.push(e));
    await exited;
    expect(failures.map((e) => (e as { code?: string }).code ?? e.message)).toEqual([]);
    expect(Atomics.load(flag, 0)).toBe(1);
  });
});

/** Worker source: KILL the ids, wait until the server dropped them and minMs passed, then wake the main thread. */
const KILLER = `
const { workerData } = require('node:worker_threads');
const mysql = require('mysql2/promise');
(async () => {
  const start = Date.now();
  const u = new URL(workerData.url);
  const admin = await mysql.createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) });
  for (const id of workerData.ids) await admin.query('KILL CONNECTION ?', [id]);
  for (;;) {
    const [rows] = await admin.query('SELECT COUNT(*) AS n FROM information_schema.processlist WHERE USER = ?', [workerData.user]);
    if (Number(rows[0].n) === 0) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  await admin.end();
  const left = workerData.minMs - (Date.now() - start);
  if (left > 0) await new Promise((r) => setTimeout(r, left));
  Atomics.store(workerData.flag, 0, 1);
  Atomics.notify(workerData.flag, 0);
})().catch((e) => { console.error(e); Atomics.store(workerData.flag, 0, 2); Atomics.notify(workerData.flag, 0); });
`;
