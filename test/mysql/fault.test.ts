/**
 * The mysql2 connector and the pool against a misbehaving backend (test/support/fault-server.ts):
 * dead (accepts, never greets), refusing, hanging up, slow, failing or dropping chosen statements,
 * resetting (RST) mid-query. No database needed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSharedPool, type PooledConnection, type SharedPool } from '../../src/index.ts';
import { connect, type Mysql2PoolConnection, PROGRAM_NAME } from '../../src/workers/mysql2-connector.ts';
import { closedPort, type FaultServer, startFaultServer } from '../support/fault-server.ts';
import { until } from '../support/fake-connector.ts';
import { sleep } from '../support/timing.ts';
import { type MysqlThread, newId, startMysqlThread } from '../support/mysql-thread.ts';
import { scaled } from '../support/time-scale.ts';
import type { RowDataPacket } from 'mysql2';

let pool: SharedPool | null = null;
let server: FaultServer | null = null;
const threads: MysqlThread[] = [];

afterEach(async () => {
  await pool?.close({ timeoutMs: 3000 }).catch(() => {});
  await Promise.all(threads.splice(0).map((t) => t.worker.terminate()));
  await server?.close();
  pool = null;
  server = null;
});

async function spawn(n: number): Promise<MysqlThread[]> {
  const started = await Promise.all(Array.from({ length: n }, () => startMysqlThread(pool!)));
  threads.push(...started);
  return started;
}

function sessionId(conn: PooledConnection): number {
  return (conn.connection as Mysql2PoolConnection).threadId;
}

describe('connector: connect honours its AbortSignal', () => {
  it('a connect blocked on a dead backend has its socket destroyed when the signal fires', async () => {
    server = await startFaultServer({ mode: 'dead' });
    const controller = new AbortController();
    const pending = connect(server.options(), controller.signal);
    await server.until(() => server!.hanging === 1, 5000, 'the connect to hang');
    const reason = new Error('stop');
    const started = performance.now();
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(performance.now() - started).toBeLessThan(scaled(100));
    await server.until(() => server!.open === 0, 2000, 'the socket to be gone');
  });

  it('an already-aborted signal dials nothing', async () => {
    server = await startFaultServer({ mode: 'dead' });
    const controller = new AbortController();
    controller.abort(new Error('early'));
    await expect(connect(server.options(), controller.signal)).rejects.toThrow('early');
    await sleep(50);
    expect(server.accepted).toBe(0);
  });

  it(`every connection carries the attribute program_name=${PROGRAM_NAME}; caller attributes are kept`, async () => {
    server = await startFaultServer();
    const conn = await connect(server.options({ connectAttributes: { service: 'billing' } }), new AbortController().signal);
    expect(server.sessions[0].attributes).toMatchObject({ program_name: PROGRAM_NAME, service: 'billing' });
    await conn.close();
    await server.until(() => server!.open === 0, 2000, 'the socket to close');
  });
});

describe('close() and setCapacity() against a dead backend', () => {
  it('close() with 16 connects hanging in 2 threads returns far inside its deadline; no socket is left open', async () => {
    server = await startFaultServer({ mode: 'dead' });
    pool = await createSharedPool({ connection: server.options(), capacity: 16, maxThreads: 8 });
    const workers = await spawn(2);
    const pending = workers.flatMap((t) => Array.from({ length: 8 }, () => t.get(newId(), { timeoutMs: 60_000 })));
    await server.until(() => server!.hanging === 16, 10_000, '16 connects hanging');
    expect(pool.stats()).toMatchObject({ Active: 16, InUse: 0 });
    const deadline = 10_000;
    const started = performance.now();
    await pool.close({ timeoutMs: deadline });
    const took = performance.now() - started;
    console.log(`[measure] close() with 16 connects hanging on a dead backend in 2 threads: ${took.toFixed(1)} ms (deadline ${deadline} ms)`);
    expect(took).toBeLessThan(scaled(1000));
    const outcomes = await Promise.all(pending);
    for (const o of outcomes) expect(o).toMatchObject({ type: 'error', code: 'POOL_CLOSED' });
    await server.until(() => server!.open === 0, 2000, 'every socket to be closed by the client');
    expect(pool.stats()).toMatchObject({ Active: 0, InUse: 0, Waiting: 0 });
    expect(pool.verify()).toEqual([]);
  });

  it('setCapacity(16 → 4) with waiters and refills hanging on a dead backend completes; the waiters are served when it comes back', async () => {
    server = await startFaultServer();
    pool = await createSharedPool({ connection: server.options(), capacity: 16 });
    const conns = await Promise.all(Array.from({ length: 16 }, () => pool!.get()));
    await server.setMode('dead');
    for (const c of conns.slice(0, 4)) c.taint(); // 4 refills hang
    await server.until(() => server!.hanging === 4, 5000, '4 refills hanging');
    const waiters = Array.from({ length: 4 }, () => pool!.get({ timeoutMs: 30_000 }));
    await until(() => pool!.stats().Waiting === 4, 5000, '4 waiters');
    const started = performance.now();
    const shrink = pool.setCapacity(4, { timeoutMs: 10_000 });
    await until(() => pool!.stats().Capacity === 4, 5000, 'the new capacity');
    for (const c of conns.slice(4)) c.recycle(); // over capacity: closed, never handed to a waiter
    await shrink;
    const took = performance.now() - started;
    console.log(`[measure] setCapacity(16 → 4) with 4 waiters and 4 hanging refills: ${took.toFixed(1)} ms`);
    expect(took).toBeLessThan(scaled(2000));
    // The hanging refills yielded to the waiters (their connects aborted, sockets destroyed); the
    // units they freed were released while over capacity, and once active fell to 4 the last
    // returns went to the waiters (or, on a slower run, the waiters dial for themselves).
    expect(pool.stats()).toMatchObject({ Capacity: 4, Active: 4 });
    // The backend comes back: any waiter still dialling is served.
    await server.setMode('mysql');
    server.revive();
    const served = await Promise.all(waiters);
    for (const c of served) {
      const [rows] = await c.query<({ v: number } & RowDataPacket)[]>('SELECT 1 + 1 AS v');
      expect(rows[0].v).toBe(2);
    }
    expect(pool.stats()).toMatchObject({ Active: 4, InUse: 4, Waiting: 0 });
    for (const c of served) c.recycle();
    await pool.close();
    await server.until(() => server!.open === 0, 3000, 'every socket closed');
    expect(pool.verify()).toEqual([]);
  });

  it('taint refills and max-lifetime reopens hanging on a dead backend do not stall close() (PR #20122 fixes 2, 3)', async () => {
    server = await startFaultServer();
    pool = await createSharedPool({ connection: server.options(), capacity: 4, maxLifetimeMs: 300 });
    const conns = await Promise.all(Array.from({ length: 4 }, () => pool!.get()));
    await server.setMode('dead');
    await sleep(650); // past 2 × maxLifetime: every return is a max-lifetime reopen
    conns[0].recycle();
    conns[1].recycle();
    conns[2].taint();
    conns[3].taint();
    await server.until(() => server!.hanging === 4, 5000, '2 reopens and 2 refills hanging');
    expect(pool.stats()).toMatchObject({ MaxLifetimeClosed: 2, Active: 4, InUse: 0 });
    const started = performance.now();
    await pool.close({ timeoutMs: 10_000 });
    const took = performance.now() - started;
    console.log(`[measure] close() with 2 max-lifetime reopens and 2 taint refills hanging: ${took.toFixed(1)} ms (deadline 10000 ms)`);
    expect(took).toBeLessThan(scaled(1000));
    await pool.settled();
    await server.until(() => server!.open === 0, 2000, 'every socket closed');
    expect(pool.stats()).toMatchObject({ Active: 0, InUse: 0 });
    expect(pool.verify()).toEqual([]);
  });
});

describe('faults reach the caller and the slot is reclaimed', () => {
  it('an RST mid-query reaches the caller as an error; pool.query() taints, the slot is refilled', async () => {
    server = await startFaultServer();
    pool = await createSharedPool({ connection: server.options(), capacity: 2 });
    await pool.query('SELECT 1');
    expect(pool.stats()).toMatchObject({ Active: 1, InUse: 0 });
    server.resetOn('SELECT 42', 1);
    await expect(pool.query('SELECT 42')).rejects.toMatchObject({ code: 'ECONNRESET', fatal: true });
    await pool.settled();
    expect(pool.stats()).toMatchObject({ Active: 1, InUse: 0 });
    expect(server.accepted).toBe(2); // the refill
    const [rows] = await pool.query<({ v: number } & RowDataPacket)[]>('SELECT 41 + 1 AS v');
    expect(rows[0].v).toBe(42);
    expect(pool.verify()).toEqual([]);
  });

  it('an RST mid-query on a borrowed connection: isClosed() turns true, recycle() refills instead of stacking it', async () => {
    server = await startFaultServer();
    pool = await createSharedPool({ connection: server.options(), capacity: 1 });
    const conn = await pool.get();
    const before = sessionId(conn);
    server.resetOn('SELECT 43', 1);
    await expect(conn.query('SELECT 43')).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(conn.connection.isClosed()).toBe(true);
    conn.recycle();
    await pool.settled();
    expect(pool.stats()).toMatchObject({ Active: 1, InUse: 0 });
    const next = await pool.get();
    expect(sessionId(next)).not.toBe(before);
    await next.query('SELECT 1');
    next.recycle();
    expect(pool.verify()).toEqual([]);
  });

  it('a connection the server drops (FIN) on a chosen query is tainted and replaced', async () => {
    server = await startFaultServer();
    pool = await createSharedPool({ connection: server.options(), capacity: 1 });
    server.dropOn('SELECT 7', 1);
    await expect(pool.query('SELECT 7')).rejects.toMatchObject({ code: 'PROTOCOL_CONNECTION_LOST', fatal: true });
    await pool.settled();
    expect(pool.stats()).toMatchObject({ Active: 1, InUse: 0 });
    await pool.query('SELECT 7');
    expect(pool.verify()).toEqual([]);
  });

  it('a connection the server hangs up on while idle is never handed out again', async () => {
    server = await startFaultServer();
    pool = await createSharedPool({ connection: server.options(), capacity: 1 });
    const conn = await pool.get();
    const dead = conn.connection as Mysql2PoolConnection;
    const before = dead.threadId;
    conn.recycle();
    // The server side of the idle session goes away.
    server.sessions.find((s) => s.id === before)!.socket.destroy();
    await until(() => dead.isClosed(), 2000, 'the client to notice');
    const next = await pool.get();
    expect(sessionId(next)).not.toBe(before);
    await next.query('SELECT 1');
    next.recycle();
    await pool.settled();
    expect(pool.stats()).toMatchObject({ Active: 1, InUse: 0 });
    expect(pool.verify()).toEqual([]);
  });

  it('connection refused (closed port, refuse mode) and hang-up reach the caller verbatim; nothing is held', async () => {
    const port = await closedPort();
    pool = await createSharedPool({ connection: { host: '127.0.0.1', port, user: 'x' }, capacity: 2 });
    await expect(pool.get()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(pool.stats()).toMatchObject({ Active: 0, InUse: 0, DialFailures: 1 });
    await pool.close();

    server = await startFaultServer({ mode: 'refuse' });
    pool = await createSharedPool({ connection: server.options(), capacity: 2 });
    await expect(pool.get()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await server.setMode('hangup');
    await expect(pool.get()).rejects.toMatchObject({ fatal: true });
    await server.setMode('mysql');
    await pool.query('SELECT 1');
    expect(pool.stats()).toMatchObject({ Active: 1, InUse: 0, DialFailures: 2 });
    expect(pool.verify()).toEqual([]);
  });

  it('a slow greeting past the get() deadline: POOL_TIMEOUT, the socket is destroyed', async () => {
    server = await startFaultServer({ mode: 'slow', slowMs: 3000 });
    pool = await createSharedPool({ connection: server.options(), capacity: 1 });
    const started = performance.now();
    await expect(pool.get({ timeoutMs: 200 })).rejects.toMatchObject({ code: 'POOL_TIMEOUT' });
    expect(performance.now() - started).toBeLessThan(scaled(1500));
    await server.until(() => server!.open === 0, 2000, 'the socket to be destroyed');
    expect(pool.stats()).toMatchObject({ Active: 0, InUse: 0 });
    // Within its deadline a slow backend is fine.
    server.slowMs = 100;
    await pool.query('SELECT 1', undefined, { timeoutMs: 5000 });
    expect(pool.verify()).toEqual([]);
  });

  it('a failing SET: get({ setting }) rejects with the server error, the connection is closed and the unit freed', async () => {
    server = await startFaultServer();
    pool = await createSharedPool({ connection: server.options(), capacity: 1 });
    const ansi = pool.setting("SET SESSION sql_mode = 'ANSI'");
    server.failOn(/^SET SESSION sql_mode/, { code: 1231, message: 'forced failure of SET' }, 1);
    await expect(pool.get({ setting: ansi })).rejects.toMatchObject({ errno: 1231, message: 'forced failure of SET' });
    await server.until(() => server!.open === 0, 2000, 'the connection to be closed');
    expect(pool.stats()).toMatchObject({ Active: 0, InUse: 0 });
    const conn = await pool.get({ setting: ansi });
    const [rows] = await conn.query<(Record<string, string> & RowDataPacket)[]>('SELECT @@session.sql_mode AS m');
    expect(rows[0].m).toContain('ANSI');
    conn.recycle();
    expect(pool.verify()).toEqual([]);
  });

  it('a SET that hangs is cut by the get() deadline: the connection is destroyed, the unit freed', async () => {
    server = await startFaultServer();
    pool = await createSharedPool({ connection: server.options(), capacity: 1 });
    const ansi = pool.setting("SET SESSION sql_mode = 'ANSI'");
    server.hangOn(/^SET /, 1);
    const started = performance.now();
    await expect(pool.get({ setting: ansi, timeoutMs: 300 })).rejects.toMatchObject({ code: 'POOL_TIMEOUT' });
    expect(performance.now() - started).toBeLessThan(scaled(1500));
    await server.until(() => server!.open === 0, 2000, 'the connection to be destroyed');
    expect(pool.stats()).toMatchObject({ Active: 0, InUse: 0 });
    expect(pool.verify()).toEqual([]);
  });

  it('a recycle-time reset that fails or hangs: the connection is closed and refilled, never lent (resetOnRecycle)', async () => {
    server = await startFaultServer();
    pool = await createSharedPool({ connection: server.options(), capacity: 1, resetOnRecycle: 'always', validationTimeoutMs: 200 });
    for (const fault of ['fail', 'hang'] as const) {
      const a = await pool.get();
      const first = sessionId(a);
      if (fault === 'fail') server.failOn('COM_RESET_CONNECTION', {}, 1);
      else server.hangOn('COM_RESET_CONNECTION', 1);
      a.recycle();
      const b = await pool.get({ timeoutMs: 5000 });
      expect(sessionId(b)).not.toBe(first);
      const [rows] = await b.query<(Record<string, number> & RowDataPacket)[]>('SELECT 1 AS v');
      expect(rows[0].v).toBe(1);
      b.recycle();
      await pool.settled();
      expect(pool.stats()).toMatchObject({ Active: 1, InUse: 0 });
      expect(pool.verify()).toEqual([]);
    }
  });

  it('a rollback on return that fails: the connection is closed and refilled (a transaction is never lent)', async () => {
    server = await startFaultServer();
    pool = await createSharedPool({ connection: server.options(), capacity: 1, resetOnRecycle: 'never' });
    const a = await pool.get();
    const first = sessionId(a);
    await a.query('START TRANSACTION');
    server.failOn(/^ROLLBACK/, {}, 1);
    a.recycle();
    const b = await pool.get({ timeoutMs: 5000 });
    expect(sessionId(b)).not.toBe(first);
    b.recycle();
    expect(pool.verify()).toEqual([]);
  });

  it('a failing COM_RESET_CONNECTION reopens the connection bare (fix 4)', async () => {
    server = await startFaultServer();
    pool = await createSharedPool({ connection: server.options(), capacity: 1 });
    const ansi = pool.setting("SET SESSION sql_mode = 'ANSI'");
    const a = await pool.get({ setting: ansi });
    const first = sessionId(a);
    a.recycle();
    server.failOn('COM_RESET_CONNECTION', {}, 1);
    const b = await pool.get();
    expect(sessionId(b)).not.toBe(first);
    const [rows] = await b.query<(Record<string, string> & RowDataPacket)[]>('SELECT @@session.sql_mode AS m');
    expect(rows[0].m).not.toContain('ANSI');
    b.recycle();
    expect(pool.stats()).toMatchObject({ ResetSetting: 1, Active: 1, InUse: 0 });
    expect(server.statements).toContain('COM_RESET_CONNECTION');
    expect(pool.verify()).toEqual([]);
  });
});
