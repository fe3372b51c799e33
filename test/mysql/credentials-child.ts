/**
 * Child process of credentials.test.ts: a pool in the main thread and two worker threads, printing
 * everything a careless program or logger might print (handles, pools, clients, connections, errors,
 * stats) with console.log, JSON.stringify and util.inspect. The parent checks that the password,
 * given in POOL_CONNECTION, appears nowhere in this process's output.
 */
import { isMainThread, workerData } from 'node:worker_threads';
import util from 'node:util';
import { attachSharedPool, createSharedPool, type PooledConnection, type SharedPoolClient } from '../../src/index.ts';
import { spawnTsWorker } from '../support/spawn.ts';

function dump(label: string, value: unknown): void {
  console.log(`--- ${label}`);
  console.log(value);
  console.log(util.inspect(value, { depth: 6 }));
  console.log('%o', value);
  try {
    console.log(JSON.stringify(value));
  } catch (error) {
    console.log(`JSON.stringify failed: ${(error as Error).message}`);
  }
}

function dumpError(label: string, error: unknown): void {
  const e = error as Error & { cause?: unknown };
  dump(label, error);
  console.log(e?.message, e?.stack, e?.cause);
  console.error(error);
}

async function exercise(client: SharedPoolClient, where: string): Promise<void> {
  dump(`${where} client`, client);
  const conn: PooledConnection = await client.get();
  dump(`${where} connection handle`, conn);
  dump(`${where} connection wrapper`, conn.connection);
  await conn.query('SELECT * FROM no_such_table_here').catch((e) => dumpError(`${where} query error`, e));
  conn.recycle();
  await client.query('SELECT 1');
  dump(`${where} stats`, client.stats());
}

if (isMainThread) {
  const connection = JSON.parse(process.env.POOL_CONNECTION!) as Record<string, string | number>;
  const pool = await createSharedPool({ connection, capacity: 3 });
  dump('handle', pool.handle);
  dump('pool', pool);
  await exercise(pool.client, 'main');
  dump('verify', pool.verify());
  const workers = [0, 1].map(() => spawnTsWorker(new URL(import.meta.url), { pool: pool.handle }));
  for (const worker of workers) pool.watch(worker);
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once('exit', resolve))));
  // A URI pool (mysql2's form), and rejected or failing connection values of every kind.
  const { user, password, host, port, database } = connection;
  const uri = `mysql://${user}:${encodeURIComponent(String(password))}@${host}:${port}/${database}`;
  const viaUri = await createSharedPool({ connection: uri, capacity: 1 });
  dump('uri pool handle', viaUri.handle);
  await viaUri.query('SELECT 1');
  await viaUri.close();
  for (const bad of [`mysql//${user}:${password}@${host}`, `http://${user}:${password}@${host}/db`, `${password}`]) {
    await createSharedPool({ connection: bad }).catch((e) => dumpError('rejected URI', e));
  }
  await createSharedPool({ connection: { ...connection, typeCast: () => password } as never }).catch((e) => dumpError('uncloneable option', e));
  const denied = await createSharedPool({ connection: { ...connection, user: 'no_such_user_here' }, capacity: 1 });
  await denied.query('SELECT 1').catch((e) => dumpError('access denied', e));
  await denied.close();
  const refused = await createSharedPool({ connection: { ...connection, port: 1 }, capacity: 1 });
  await refused.query('SELECT 1').catch((e) => dumpError('refused', e));
  await refused.close();
  dump('stats at the end', pool.stats());
  await pool.close();
  process.stdout.write('all done\n');
} else {
  dump('workerData', workerData);
  const client = attachSharedPool(workerData.pool);
  await exercise(client, 'worker');
  client.detach();
  process.stdout.write('worker done\n');
}
