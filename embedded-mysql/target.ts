/**
 * Target resolution: a real server from MYSQL_URL when one answers, else the embedded one.
 */
import mysql from 'mysql2';
import { LOOPBACK, startEmbeddedMysql } from './server.ts';
import type { MysqlTarget } from './types.ts';

/**
 * MYSQL_URL (default mysql://root@127.0.0.1:3306/test) if a server answers there within
 * `probeTimeoutMs`; otherwise an embedded server (announced on stderr). MYSQL_EMBEDDED=1 skips
 * the probe. close() stops the embedded server (no-op for a real one).
 */
export async function resolveMysqlTarget(opts: { url?: string; probeTimeoutMs?: number } = {}): Promise<MysqlTarget> {
  const url = opts.url ?? process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
  const options = parseMysqlUrl(url);
  const description = `mysql://${options.user}@${options.host}:${options.port}/${options.database ?? ''}`;
  let reason = 'MYSQL_EMBEDDED=1';
  if (process.env.MYSQL_EMBEDDED !== '1') {
    try {
      await probe(options, opts.probeTimeoutMs ?? 1500);
      return { options, embedded: false, description, close: async () => {} };
    } catch (error) {
      const e = error as Error & { code?: string };
      reason = `no answer from ${description}: ${e.code ?? e.message}`;
    }
  }
  const db = await startEmbeddedMysql();
  process.stderr.write(
    `[embedded-mysql] ${reason}; using the in-process embedded MySQL-protocol server on ${db.host}:${db.port} ` +
      '(it measures the pool and the driver, not a database)\n',
  );
  return {
    options: { host: db.host, port: db.port, user: 'root', database: 'test' },
    embedded: true,
    description: `embedded mysql://root@${db.host}:${db.port}/test`,
    sessions: () => db.sessions,
    close: () => db.close(),
  };
}

export function parseMysqlUrl(url: string): MysqlTarget['options'] {
  const u = new URL(url);
  if (u.protocol !== 'mysql:') throw new Error(`not a mysql:// URL: ${u.protocol}//${u.host}`);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  return {
    host: u.hostname || LOOPBACK,
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username) || 'root',
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(database ? { database } : {}),
  };
}

export function probe(options: MysqlTarget['options'], timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const conn = mysql.createConnection({ ...options, connectTimeout: timeoutMs });
    let done = false;
    const finish = (error: Error | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (error) conn.destroy();
      else conn.end(() => {});
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(() => finish(Object.assign(new Error('probe timed out'), { code: 'ETIMEDOUT' })), timeoutMs + 100);
    conn.on('error', (e) => finish(e));
    conn.query('SELECT 1', (e) => finish(e));
  });
}
