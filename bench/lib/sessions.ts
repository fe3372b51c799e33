/**
 * Server sessions per variant of a scenario, counted on the server.
 *
 * Against MariaDB/MySQL each variant connects as its own throw-away user (smpb_<pid>_<tag><n>,
 * created and dropped here, no privileges) and a sampler counts each user's rows in
 * information_schema.processlist (MariaDB keeps performance_schema, and so connection attributes,
 * off by default). Without a database each variant gets its own embedded server, and the sampler
 * reads its open-session count.
 */
import mysql from 'mysql2/promise';
import { sleep } from './windows.ts';
import { resolveMysqlTarget, startEmbeddedMysql, type EmbeddedMysql, type MysqlTarget } from '../../embedded-mysql/index.ts';

/** Session sampling period: a processlist query against a real server; a counter read when embedded. */
const SAMPLE_MS = { real: 20, embedded: 5 } as const;

export interface SessionSource {
  readonly description: string;
  readonly sampleMs: number;
  /** Connection options of a variant's pools (by variant id). */
  optionsFor(id: string): Record<string, unknown>;
  /** Current sessions of every variant (by id). */
  sample(): Promise<Map<string, number>>;
  /** Drops the users / stops the embedded servers. */
  close(): Promise<void>;
}

/**
 * A session source for the variants `ids`: a user per variant on the server MYSQL_URL names (or
 * the default), else an embedded server per variant. `tag` keeps user names apart between groups.
 */
export async function openSessionSource(ids: readonly string[], tag: string): Promise<SessionSource> {
  const target = await resolveMysqlTarget();
  if (!target.embedded) return realServerSessions(target, ids, tag);
  await target.close();
  return embeddedSessions(ids);
}

async function realServerSessions(target: MysqlTarget, ids: readonly string[], tag: string): Promise<SessionSource> {
  const admin = await mysql.createConnection({ ...target.options });
  const users = new Map<string, string>();
  try {
    for (const [n, id] of ids.entries()) {
      const user = `smpb_${process.pid}_${tag}${n}`;
      await admin.query('CREATE USER IF NOT EXISTS ?@?', [user, '%']);
      users.set(id, user);
    }
  } catch (error) {
    for (const user of users.values()) await admin.query('DROP USER IF EXISTS ?@?', [user, '%']).catch(() => {});
    await admin.end().catch(() => {});
    throw new Error(`cannot create the bench users on ${target.description} (${(error as Error).message})`, { cause: error });
  }
  const byUser = new Map([...users].map(([id, user]) => [user, id]));
  return {
    description: `${target.description}, sessions = processlist rows of a throw-away user per variant`,
    sampleMs: SAMPLE_MS.real,
    // No database: the bench users have no privileges, and the scenarios' queries need none.
    optionsFor: (id) => ({ host: target.options.host, port: target.options.port, user: users.get(id)! }),
    async sample() {
      const [rows] = await admin.query(
        'SELECT USER AS u, COUNT(*) AS n FROM information_schema.processlist WHERE USER IN (?) GROUP BY USER',
        [[...users.values()]],
      );
      const out = new Map(ids.map((id) => [id, 0]));
      for (const r of rows as { u: string; n: number }[]) out.set(byUser.get(r.u)!, Number(r.n));
      return out;
    },
    async close() {
      try {
        for (const user of users.values()) await admin.query('DROP USER IF EXISTS ?@?', [user, '%']);
      } finally {
        await admin.end().catch(() => {});
      }
    },
  };
}

async function embeddedSessions(ids: readonly string[]): Promise<SessionSource> {
  const servers = new Map<string, EmbeddedMysql>();
  for (const id of ids) servers.set(id, await startEmbeddedMysql());
  return {
    description: 'embedded MySQL-protocol servers (one per variant), sessions = their open sessions',
    sampleMs: SAMPLE_MS.embedded,
    optionsFor: (id) => {
      const db = servers.get(id)!;
      return { host: db.host, port: db.port, user: 'root', database: 'test' };
    },
    sample: async () => new Map([...servers].map(([id, db]) => [id, db.sessions])),
    close: async () => {
      await Promise.all([...servers.values()].map((db) => db.close()));
    },
  };
}

export interface Sampler {
  /** Highest count seen per variant since the start or the last reset(). */
  readonly peaks: Map<string, number>;
  reset(): void;
  stop(): Promise<void>;
}

/** Samples every sampleMs (one query at a time) and keeps each variant's peak. */
export function startSampler(source: SessionSource, ids: readonly string[]): Sampler {
  const peaks = new Map(ids.map((id) => [id, 0]));
  let stopped = false;
  let failure: unknown = null;
  const take = async (): Promise<void> => {
    for (const [id, n] of await source.sample()) peaks.set(id, Math.max(peaks.get(id) ?? 0, n));
  };
  const loop = (async () => {
    while (!stopped) {
      try {
        await take();
      } catch (error) {
        failure = error;
        return;
      }
      await sleep(source.sampleMs);
    }
  })();
  return {
    peaks,
    reset() {
      for (const id of ids) peaks.set(id, 0);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await loop;
      if (failure) throw failure;
      await take();
    },
  };
}

/** Polls until no variant has a session left (or the timeout); returns the last counts. */
export async function untilNoSessions(source: SessionSource, timeoutMs: number): Promise<Map<string, number>> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const now = await source.sample();
    if ([...now.values()].every((n) => n === 0) || performance.now() > deadline) return now;
    await sleep(20);
  }
}

/**
 * A scenario's teardown: stops sampling, closes its variants (`closeVariants`), waits up to 5 s
 * for their sessions to leave the server (logging any still open), then releases the source.
 */
export async function closeWithSessions(source: SessionSource, sampler: Sampler | null, closeVariants: () => Promise<void>, log: (line: string) => void): Promise<void> {
  const closing = sampler?.stop().catch(() => {});
  await closeVariants();
  await closing;
  const left = await untilNoSessions(source, 5000).catch(() => new Map<string, number>());
  for (const [id, n] of left) if (n > 0) log(`${id}: ${n} sessions still open 5 s after closing`);
  await source.close();
}
