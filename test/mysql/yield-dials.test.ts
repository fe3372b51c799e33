/**
 * Dials that nobody needs must not hold capacity (issue 9 §2), against test/support/fault-server.ts:
 * a backend that accepts TCP and never answers ('dead'), then recovers (new connects are served,
 * the sockets it already holds stay dead, so those connects would hang until mysql2's
 * connectTimeout). A dial whose waiter has gone, or a background reopen, yields to a foreground
 * get: the get aborts it (its socket destroyed) and dials with its own deadline, in its own thread
 * and across threads. Each test reports the time from the backend's recovery to the first served get.
 * Last, the issue's restart-under-load report as a liveness check (it failed 2 runs in 4 with the
 * doorbell's old order: a thread left EVICT/GRANT requests unanswered).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSharedPool, type SharedPool } from '../../src/index.ts';
import { type FaultServer, startFaultServer } from '../support/fault-server.ts';
import { sleep } from '../support/timing.ts';
import { checkLiveness, takeAll } from '../support/liveness.ts';
import { type MysqlThread, newId, startMysqlThread } from '../support/mysql-thread.ts';
import { scaled } from '../support/time-scale.ts';

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

const code = (e: unknown): string | undefined => (e as { code?: string })?.code;

/** Time from recovery to a served get({ timeoutMs: 1000 }) in the main thread (throws if it fails). */
async function servedAfterRecovery(p: SharedPool, s: FaultServer): Promise<number> {
  await s.setMode('mysql');
  const recoveredAt = performance.now();
  const conn = await p.get({ timeoutMs: 1000 });
  const ms = performance.now() - recoveredAt;
  conn.recycle();
  if (process.env.LIVENESS_VERBOSE) console.log(`recovery → first served get: ${ms.toFixed(0)} ms`);
  return ms;
}

describe('dials nobody needs yield to a foreground get', () => {
  it('capacity 1, dead backend, connectTimeout 10 s: two gets (300 / 600 ms) time out; after recovery a get (1 s) is served — the orphaned connect yields, its socket destroyed', async () => {
    server = await startFaultServer({ mode: 'dead' });
    pool = await createSharedPool({ connection: server.options({ connectTimeout: 10_000 }), capacity: 1 });
    const outcomes = await Promise.allSettled([pool.get({ timeoutMs: 300 }), pool.get({ timeoutMs: 600 })]);
    expect(outcomes.map((o) => (o.status === 'rejected' ? code(o.reason) : 'served'))).toEqual(['POOL_TIMEOUT', 'POOL_TIMEOUT']);
    // The second get's connect (dialled for it after the first gave its unit up) is still hanging.
    expect(server.hanging).toBeGreaterThanOrEqual(1);
    const ms = await servedAfterRecovery(pool, server);
    expect(ms).toBeLessThan(scaled(1000));
    expect(pool.stats()).toMatchObject({ Active: 1, InUse: 0 });
    // The yielded connect's socket is gone: only the served connection stays open.
    await server.until(() => server!.open === 1, 2000, 'the orphaned connect to be destroyed');
    expect(pool.verify()).toEqual([]);
  });

  it('the same across threads: the orphaned connect belongs to a worker, the get comes from main', async () => {
    server = await startFaultServer({ mode: 'dead' });
    pool = await createSharedPool({ connection: server.options({ connectTimeout: 10_000 }), capacity: 1, maxThreads: 4 });
    const [worker] = await Promise.all([startMysqlThread(pool)]);
    threads.push(worker);
    const replies = await Promise.all([worker.get(newId(), { timeoutMs: 300 }), worker.get(newId(), { timeoutMs: 600 })]);
    expect(replies.map((r) => r.code)).toEqual(['POOL_TIMEOUT', 'POOL_TIMEOUT']);
    expect(server.hanging).toBeGreaterThanOrEqual(1);
    const ms = await servedAfterRecovery(pool, server);
    expect(ms).toBeLessThan(scaled(1000));
    await server.until(() => server!.open === 1, 2000, 'the orphaned connect to be destroyed');
    expect(pool.verify()).toEqual([]);
  });

  it('capacity 1, idleTimeoutMs 300: the idle sweep reopens during a 700 ms blip (connect hangs); after it a get (1 s) is served while the reopen still hangs', async () => {
    server = await startFaultServer();
    pool = await createSharedPool({ connection: server.options({ connectTimeout: 2000 }), capacity: 1, idleTimeoutMs: 300 });
    (await pool.get()).recycle();
    await server.setMode('dead');
    // The sweep closes the idle connection (past 300 ms) and reopens it into the dead backend.
    await server.until(() => server!.hanging === 1, 3000, 'the background reopen to hang');
    expect(pool.stats()).toMatchObject({ Active: 1, InUse: 0 });
    await sleep(100);
    const ms = await servedAfterRecovery(pool, server);
    expect(ms).toBeLessThan(scaled(1000));
    await server.until(() => server!.open === 1, 2000, 'the yielded reopen to be destroyed');
    expect(pool.verify()).toEqual([]);
  });

  it('the same across threads: the reopen hangs in a worker, the get comes from main', async () => {
    server = await startFaultServer();
    pool = await createSharedPool({ connection: server.options({ connectTimeout: 2000 }), capacity: 1, idleTimeoutMs: 300, maxThreads: 4 });
    const [worker] = await Promise.all([startMysqlThread(pool)]);
    threads.push(worker);
    const id = newId();
    expect((await worker.get(id, { timeoutMs: 1000 })).type).toBe('got');
    await worker.request({ cmd: 'recycle', id }, 'done');
    await server.setMode('dead');
    await server.until(() => server!.hanging === 1, 3000, "the worker's background reopen to hang");
    await sleep(100);
    const ms = await servedAfterRecovery(pool, server);
    expect(ms).toBeLessThan(scaled(1000));
    await server.until(() => server!.open === 1, 2000, 'the yielded reopen to be destroyed');
    expect(pool.verify()).toEqual([]);
  });
});

describe('liveness after a backend restart under load', () => {
  it('capacity 8, main + 2 workers querying; the backend restarts (sessions dropped, refusing 200 ms); afterwards every thread obtains all 8 units within 1 s, 5 rounds', async () => {
    server = await startFaultServer();
    pool = await createSharedPool({ connection: server.options({ connectTimeout: 2000 }), capacity: 8, maxThreads: 8, getTimeoutMs: 3000 });
    const workers = await Promise.all([startMysqlThread(pool), startMysqlThread(pool)]);
    threads.push(...workers);
    const loops = workers.map((w) => w.request({ cmd: 'loop', id: newId(), n: 400, parallel: 4, sql: 'SELECT 1', timeoutMs: 3000 }, 'loopDone'));
    const p = pool;
    const mainLoop = (async () => {
      for (let i = 0; i < 200; i++) await p.query('SELECT 1').catch(() => {});
    })();
    await sleep(100);
    await server.setMode('refuse');
    server.dropAll();
    await sleep(200);
    await server.setMode('mysql');
    await Promise.all([...loops, mainLoop]);
    const client = pool.client;
    const report = await checkLiveness({
      units: 8, rounds: 5, boundMs: 1000,
      takers: [
        { name: 'main', take: (n, ms) => takeAll(client, n, ms) },
        ...workers.map((w, i) => ({
          name: `worker ${i}`,
          take: async (n: number, ms: number) => {
            const r = await w.request({ cmd: 'takeAll', id: newId(), n, timeoutMs: ms }, 'took') as unknown as { got: number; errors: string[] };
            return { got: r.got, errors: r.errors };
          },
        })),
      ],
    });
    if (process.env.LIVENESS_VERBOSE) console.log(`restart under load: ${report.takes} takes, ${report.failures.length} failed`, report.failures.slice(0, 3));
    expect(report.failures).toEqual([]);
    expect(pool.verify()).toEqual([]);
  });
});
