/**
 * Credentials are never shown (issue 10 §5): a child process runs a pool in its main thread and in
 * two workers and prints every surface a program or logger might print — the handle (workerData),
 * the pool, clients, connection handles and mysql2 wrappers (console.log, util.inspect depth 6,
 * '%o' with hidden properties, JSON.stringify), errors (message, stack, cause) of failed queries,
 * refused and denied connections, rejected URIs and options, stats and verify(). The password of
 * this run's user (random, a canary) must not appear in any output, in clear, hex or base64.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import util from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSharedPool, PoolError } from '../../src/index.ts';
import { type MysqlEnv, mysqlSkip, setupMysql } from '../support/mysql.ts';
import type { RowDataPacket } from 'mysql2';

const skip = await mysqlSkip();
const run = promisify(execFile);
const child = fileURLToPath(new URL('./credentials-child.ts', import.meta.url));

let env: MysqlEnv;

function forms(secret: string): string[] {
  const bytes = Buffer.from(secret);
  return [secret, bytes.toString('hex'), bytes.toString('base64'), [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ')];
}

describe.skipIf(skip)('credentials never shown', () => {
  beforeAll(async () => {
    env = await setupMysql();
  });
  afterAll(async () => {
    await env?.close();
  });

  it('no surface of a main + workers process prints the password', async () => {
    const connection = env.connection();
    const canary = String(connection.password);
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', child], {
      env: { ...process.env, POOL_CONNECTION: JSON.stringify(connection) },
      timeout: 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(stdout).toContain('all done');
    expect(stdout.match(/worker done/g)).toHaveLength(2);
    expect(stdout).toContain('ER_NO_SUCH_TABLE'); // the errors were really printed
    expect(stdout).toContain('--- worker connection wrapper');
    for (const form of forms(canary)) {
      expect(stdout.includes(form), `stdout shows the password (${form === canary ? 'clear' : 'encoded'})`).toBe(false);
      expect(stderr.includes(form), `stderr shows the password (${form === canary ? 'clear' : 'encoded'})`).toBe(false);
    }
  });

  it('a rejected connection value is never echoed; a URI is accepted like mysql2 does', async () => {
    const canary = 'Canary-Secret-4242';
    for (const bad of [`mysql//u:${canary}@h`, `ftp://u:${canary}@h/db`, canary, `mysql://u:${canary}@/db`]) {
      const error = await createSharedPool({ connection: bad }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PoolError);
      const e = error as Error & { cause?: unknown };
      expect(`${e.message}\n${e.stack}\n${util.inspect(e, { depth: 6, showHidden: true })}\n${JSON.stringify(e)}`).not.toContain(canary);
      expect(e.message).toContain('connection');
    }
    const { user, password, host, port, database } = env.connection();
    const pool = await createSharedPool({ connection: `mysql://${user}:${encodeURIComponent(String(password))}@${host}:${port}/${database}`, capacity: 1 });
    const [rows] = await pool.query<({ u: string } & RowDataPacket)[]>('SELECT CURRENT_USER() AS u');
    expect(rows[0].u).toContain(String(user));
    expect(JSON.stringify(pool.handle)).not.toContain(String(password));
    await pool.close();
  });
});
