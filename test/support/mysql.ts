/**
 * The real database for test/mysql: MYSQL_URL (default mysql://root@127.0.0.1:3306/test, loopback
 * only), an admin connection, and a user of this test process's own.
 *
 * How the tests find this pool's sessions: the pool connects as 'pooltest_<pid>'@'%', a user
 * created for this process (random password, ALL on the test database) and dropped at the end, so
 * `information_schema.processlist WHERE USER = 'pooltest_<pid>'` is exactly this pool's sessions.
 * (The connector also sends the attribute program_name=shared-mysql-pool, but MariaDB shows
 * connection attributes only in performance_schema, which is off by default.) Users left by
 * crashed runs (their pid gone) are dropped on setup.
 *
 * SKIP_MYSQL=1 skips these suites (with a warning on stderr) whether or not a server answers;
 * otherwise an unreachable server fails them with a message saying so.
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { parseMysqlUrl } from '../../embedded-mysql/index.ts';
import type { SharedPool } from '../../src/index.ts';
import { scaled } from './time-scale.ts';

/**
 * Ends a test's pool: close() within `timeoutMs`; if that fails (a failed test may leave
 * connections borrowed), detach this thread so what it holds is closed regardless; then wait for
 * the pool's background work, so the session count that follows is final.
 */
export async function endTestPool(pool: SharedPool, timeoutMs: number): Promise<void> {
  await pool.close({ timeoutMs }).catch(() => pool.client.detach());
  await pool.settled();
}

export const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const target = parseMysqlUrl(MYSQL_URL);
const where = `${target.host}:${target.port}`;
if (!['127.0.0.1', 'localhost', '::1'].includes(target.host)) {
  throw new Error(`test/support/mysql.ts: MYSQL_URL must point at a loopback address, not ${target.host}`);
}

export interface Reachability {
  ok: boolean;
  reason: string;
}

let probed: Promise<Reachability> | null = null;

/** Whether the server answers (memoized). */
export function probeMysql(): Promise<Reachability> {
  probed ??= (async () => {
    try {
      const conn = await mysql.createConnection({ ...target, connectTimeout: 3000 });
      await conn.query('SELECT 1');
      await conn.end();
      return { ok: true, reason: '' };
    } catch (error) {
      const e = error as Error & { code?: string };
      return { ok: false, reason: e.code ? `${e.code}: ${e.message}` : e.message };
    }
  })();
  return probed;
}

/**
 * Top-level in a test file: `const skip = await mysqlSkip()` then `describe.skipIf(skip)(...)`,
 * and `await requireMysql()` first thing in beforeAll.
 */
export async function mysqlSkip(): Promise<boolean> {
  if (process.env.SKIP_MYSQL !== '1') return false;
  process.stderr.write(`\n*** SKIP_MYSQL=1: MariaDB/MySQL tests (server ${where}) SKIPPED ***\n\n`);
  return true;
}

/** Throws the reason the suite cannot run. */
export async function requireMysql(): Promise<void> {
  const r = await probeMysql();
  if (!r.ok) {
    throw new Error(
      `MariaDB/MySQL is unreachable at ${where} (${r.reason}). These tests need it: start it ` +
        '(start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd) or set SKIP_MYSQL=1 to skip them.',
    );
  }
}

export interface MysqlEnv {
  /** The pool's user ('pooltest_<pid>'). */
  readonly user: string;
  /** mysql2 options the pool connects with (this user). */
  connection(extra?: Record<string, unknown>): Record<string, unknown>;
  /** An admin connection (root): not one of the pool's sessions. */
  readonly admin: mysql.Connection;
  /** The pool's sessions now (ids from information_schema.processlist). */
  sessionIds(): Promise<number[]>;
  sessions(): Promise<number>;
  /**
   * Polls (20 ms) until the pool has `n` sessions, for at most `ms` × TEST_TIME_SCALE — the server notices
   * disconnects asynchronously — and returns the last count.
   */
  untilSessions(n: number, ms?: number): Promise<number>;
  /**
   * Polls (20 ms) until the pool's session ids are exactly `ids` (any order), for at most `ms`, and
   * returns the last list sorted. The server drops a closed session a moment after the client
   * closed it, so a check right after a close must wait for it.
   */
  untilSessionIds(ids: number[], ms?: number): Promise<number[]>;
  /** KILL CONNECTION <id> from the admin connection. */
  kill(id: number): Promise<void>;
  /** Drops the user and closes the admin connection. */
  close(): Promise<void>;
}

export async function setupMysql(): Promise<MysqlEnv> {
  await requireMysql();
  const admin = await mysql.createConnection({ ...target });
  await dropStaleUsers(admin);
  const user = `pooltest_${process.pid}`;
  const password = randomBytes(12).toString('hex');
  const database = target.database ?? 'test';
  await admin.query('CREATE DATABASE IF NOT EXISTS ??', [database]);
  await admin.query('DROP USER IF EXISTS ?@?', [user, '%']);
  await admin.query('CREATE USER ?@? IDENTIFIED BY ?', [user, '%', password]);
  await admin.query('GRANT ALL ON ??.* TO ?@?', [database, user, '%']);
  const sessionIds = async (): Promise<number[]> => {
    const [rows] = await admin.query<mysql.RowDataPacket[]>('SELECT ID FROM information_schema.processlist WHERE USER = ? ORDER BY ID', [user]);
    return rows.map((r) => Number(r.ID));
  };
  const sessions = async (): Promise<number> => (await sessionIds()).length;
  return {
    user,
    admin,
    connection: (extra = {}) => ({ host: target.host, port: target.port, user, password, database, ...extra }),
    sessionIds,
    sessions,
    async untilSessions(n, ms = 3000) {
      const end = performance.now() + scaled(ms);
      for (;;) {
        const count = await sessions();
        if (count === n || performance.now() > end) return count;
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async untilSessionIds(ids, ms = 3000) {
      const want = JSON.stringify([...ids].sort((x, y) => x - y));
      const end = performance.now() + ms;
      for (;;) {
        const now = (await sessionIds()).sort((x, y) => x - y);
        if (JSON.stringify(now) === want || performance.now() > end) return now;
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async kill(id) {
      await admin.query('KILL CONNECTION ?', [id]);
    },
    async close() {
      // Sessions of this user still open would be orphaned: kill them before dropping it.
      for (const id of await sessionIds()) await admin.query('KILL CONNECTION ?', [id]).catch(() => {});
      await admin.query('DROP USER IF EXISTS ?@?', [user, '%']);
      await admin.end();
    },
  };
}

/** Drops pooltest_<pid> users whose process is gone (left by crashed runs). */
async function dropStaleUsers(admin: mysql.Connection): Promise<void> {
  const [rows] = await admin.query<mysql.RowDataPacket[]>("SELECT User, Host FROM mysql.user WHERE User LIKE 'pooltest\\_%'");
  for (const row of rows) {
    const pid = Number(/^pooltest_(\d+)$/.exec(String(row.User))?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid || alive(pid)) continue;
    await admin.query('DROP USER IF EXISTS ?@?', [row.User, row.Host]).catch(() => {});
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface SessionSampling {
  /** Stops sampling; resolves with every sample and the peak. */
  /** `transient`: samples above the limit whose excess was gone 100 ms later. */
  stop(): Promise<{ samples: number[]; peak: number; transient: number }>;
}

/**
 * Samples the pool's session count on the server every 5 ms until stop().
 *
 * The server drops a session a moment after the client closed its socket (it has to read the
 * COM_QUIT / EOF first), so right after the pool hands a unit to another thread (close, then dial)
 * a sample can show the closed session beside the new one. A sample above `limit` therefore
 * counts only the sessions still there when the processlist is read again 100 ms later: a real
 * excess keeps its sessions, a closed one is gone.
 */
export function sampleSessions(env: MysqlEnv, limit = Number.POSITIVE_INFINITY): SessionSampling {
  let sampling = true;
  const samples: number[] = [];
  let transient = 0;
  const loop = (async () => {
    while (sampling) {
      const ids = await env.sessionIds();
      if (ids.length > limit) {
        await new Promise((r) => setTimeout(r, 100));
        const still = new Set(await env.sessionIds());
        const kept = ids.filter((id) => still.has(id)).length;
        if (kept <= limit) transient++;
        samples.push(kept);
      } else {
        samples.push(ids.length);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    async stop() {
      sampling = false;
      await loop;
      return { samples, peak: Math.max(0, ...samples), transient };
    },
  };
}
