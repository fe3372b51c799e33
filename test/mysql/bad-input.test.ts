/**
 * Bad input, the whole class (issue 10 §4): every public function and option, given a bad value,
 * fails with a typed PoolError naming the argument (and, unless it may hold credentials, the value)
 * before any shared state changes. Each case is followed by a successful get + query on the same
 * pool, and the pool's counters (stats()) must not have moved.
 *
 * How the class was enumerated: every exported function and every method of SharedPool,
 * SharedPoolClient and PooledConnection that takes an argument (src/index.ts), and every option of
 * createSharedPool (KNOWN in src/host/options.ts), each with wrong types, out-of-range numbers
 * (negative, fractional, NaN, Infinity, above setTimeout's 2^31−1) and look-alike objects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachSharedPool, createSharedPool, type PoolHandle, PoolError, type SharedPool } from '../../src/index.ts';
import { type MysqlEnv, mysqlSkip, setupMysql } from '../support/mysql.ts';
import type { RowDataPacket } from 'mysql2';

const skip = await mysqlSkip();

let env: MysqlEnv;
let pool: SharedPool;

type Call = (pool: SharedPool) => unknown;
/** [what is wrong, the call, text the error message must contain] */
const cases: [string, Call, string][] = [];
const add = (what: string, call: Call, names: string): void => void cases.push([what, call, names]);
const work = async (): Promise<void> => {};
const big = 2 ** 31;

// get (pool, client) — options object, setting, signal, timeoutMs
for (const [label, target] of [['pool', (p: SharedPool) => p], ['client', (p: SharedPool) => p.client]] as const) {
  const get = (options: unknown) => (p: SharedPool) => target(p).get(options as never);
  add(`${label}.get('x')`, get('x'), 'get options');
  add(`${label}.get(5)`, get(5), 'get options');
  add(`${label}.get([])`, get([]), 'get options');
  add(`${label}.get({ signal: 'x' })`, get({ signal: 'x' }), 'signal');
  add(`${label}.get({ signal: {} })`, get({ signal: {} }), 'signal');
  add(`${label}.get({ signal: { aborted: false } })`, get({ signal: { aborted: false, addEventListener() {} } }), 'signal');
  add(`${label}.get({ timeoutMs: 1e10 })`, get({ timeoutMs: 1e10 }), 'timeoutMs');
  add(`${label}.get({ timeoutMs: 2^31 })`, get({ timeoutMs: big }), 'timeoutMs');
  add(`${label}.get({ timeoutMs: -1 })`, get({ timeoutMs: -1 }), 'timeoutMs');
  add(`${label}.get({ timeoutMs: NaN })`, get({ timeoutMs: Number.NaN }), 'timeoutMs');
  add(`${label}.get({ timeoutMs: Infinity })`, get({ timeoutMs: Number.POSITIVE_INFINITY }), 'timeoutMs');
  add(`${label}.get({ timeoutMs: '100' })`, get({ timeoutMs: '100' }), 'timeoutMs');
  add(`${label}.get({ setting: 'SET x = 1' })`, get({ setting: 'SET x = 1' }), 'setting');
  add(`${label}.get({ setting: {} })`, get({ setting: {} }), 'setting');
  add(`${label}.get({ timeout: 5 }) (unknown key)`, get({ timeout: 5 }), 'timeout');
}
// query / execute (pool, client)
for (const [label, target] of [['pool', (p: SharedPool) => p], ['client', (p: SharedPool) => p.client]] as const) {
  for (const fn of ['query', 'execute'] as const) {
    const call = (...args: unknown[]) => (p: SharedPool) => (target(p)[fn] as (...a: unknown[]) => unknown)(...args);
    add(`${label}.${fn}(undefined)`, call(undefined), `${fn} sql`);
    add(`${label}.${fn}(null)`, call(null), `${fn} sql`);
    add(`${label}.${fn}('')`, call(''), `${fn} sql`);
    add(`${label}.${fn}(42)`, call(42), `${fn} sql`);
    add(`${label}.${fn}({ sql: 5 })`, call({ sql: 5 }), `${fn} sql`);
    add(`${label}.${fn}({ sql, timeout: 3e9 })`, call({ sql: 'SELECT 1', timeout: 3e9 }), `${fn} sql.timeout`);
    add(`${label}.${fn}({ sql, timeout: -5 })`, call({ sql: 'SELECT 1', timeout: -5 }), `${fn} sql.timeout`);
    add(`${label}.${fn}({ sql, timeout: 'abc' })`, call({ sql: 'SELECT 1', timeout: 'abc' }), `${fn} sql.timeout`);
    add(`${label}.${fn}('SELECT 1', 'x')`, call('SELECT 1', 'x'), `${fn} params`);
    add(`${label}.${fn}('SELECT 1', [], { signal: 1 })`, call('SELECT 1', [], { signal: 1 }), 'signal');
    add(`${label}.${fn}('SELECT 1', [], { timeoutMs: 2^31 })`, call('SELECT 1', [], { timeoutMs: big }), 'timeoutMs');
    add(`${label}.${fn}('SELECT 1', [], { queryTimeoutMs: -1 })`, call('SELECT 1', [], { queryTimeoutMs: -1 }), 'queryTimeoutMs');
    add(`${label}.${fn}('SELECT 1', [], { queryTimeout: 5 }) (unknown key)`, call('SELECT 1', [], { queryTimeout: 5 }), 'queryTimeout');
  }
}
// withConnection
add('withConnection(undefined, undefined)', (p) => p.withConnection(undefined, undefined as never), 'withConnection work');
add("withConnection(undefined, 'work')", (p) => p.withConnection(undefined, 'work' as never), 'withConnection work');
add('withConnection({ signal: 1 }, work)', (p) => p.withConnection({ signal: 1 } as never, work), 'signal');
add('withConnection(7, work)', (p) => p.withConnection(7 as never, work), 'get options');
add('client.withConnection({ timeoutMs: -1 }, work)', (p) => p.client.withConnection({ timeoutMs: -1 }, work), 'timeoutMs');
// setting
add("setting('')", (p) => p.setting(''), 'setting SQL');
add('setting(undefined)', (p) => p.setting(undefined as never), 'setting SQL');
add('setting(5)', (p) => p.setting(5 as never), 'setting SQL');
add("setting('SET @a = 1', 5)", (p) => p.setting('SET @a = 1', 5 as never), 'setting reset SQL');
add('client.setting(null)', (p) => p.client.setting(null as never), 'setting SQL');
// setCapacity / close / setIdleTimeout
add('setCapacity(-1)', (p) => p.setCapacity(-1), 'capacity');
add('setCapacity(1.5)', (p) => p.setCapacity(1.5), 'capacity');
add("setCapacity('2')", (p) => p.setCapacity('2' as never), 'capacity');
add('setCapacity(maxCapacity + 1)', (p) => p.setCapacity(p.options.maxCapacity + 1), 'capacity');
add('setCapacity(1, { timeoutMs: -5 })', (p) => p.setCapacity(1, { timeoutMs: -5 }), 'timeoutMs');
add("setCapacity(1, 'x')", (p) => p.setCapacity(1, 'x' as never), 'setCapacity options');
add('setCapacity(1, null)', (p) => p.setCapacity(1, null as never), 'setCapacity options');
add('close({ timeoutMs: 1e10 })', (p) => p.close({ timeoutMs: 1e10 }), 'timeoutMs');
add("close('x')", (p) => p.close('x' as never), 'close options');
add("close({ timeoutMs: 'x' })", (p) => p.close({ timeoutMs: 'x' as never }), 'timeoutMs');
add('setIdleTimeout(-1)', (p) => p.setIdleTimeout(-1), 'idleTimeoutMs');
add('setIdleTimeout(2^31)', (p) => p.setIdleTimeout(big), 'idleTimeoutMs');
add("setIdleTimeout('5')", (p) => p.setIdleTimeout('5' as never), 'idleTimeoutMs');
// watch / reap / verify
add('watch(null)', (p) => p.watch(null as never), 'watch target');
add('watch({})', (p) => p.watch({} as never), 'watch target');
add("reap('x')", (p) => p.reap('x' as never), 'threadId');
add('reap(1.5)', (p) => p.reap(1.5), 'threadId');
add("verify('x')", (p) => p.verify('x' as never), 'verify options');
add("verify({ allowOverCapacity: 'yes' })", (p) => p.verify({ allowOverCapacity: 'yes' as never }), 'verify options');
// a borrowed connection
const onConn = (fn: (c: Awaited<ReturnType<SharedPool['get']>>) => unknown) => async (p: SharedPool) => {
  const conn = await p.get();
  try {
    return await fn(conn);
  } finally {
    conn.recycle();
  }
};
add('conn.query(undefined)', onConn((c) => c.query(undefined as never)), 'query sql');
add('conn.execute(5)', onConn((c) => c.execute(5 as never)), 'execute sql');
add('conn.query({ sql, timeout: 1.5 })', onConn((c) => c.query({ sql: 'SELECT 1', timeout: 1.5 })), 'query sql.timeout');
add("conn.query('SELECT ?', 7)", onConn((c) => c.query('SELECT ?', 7)), 'query params');
add("conn.query('SELECT 1', [], { queryTimeoutMs: 1e10 })", onConn((c) => c.query('SELECT 1', [], { queryTimeoutMs: 1e10 })), 'queryTimeoutMs');
// attachSharedPool
add('attachSharedPool(undefined)', () => attachSharedPool(undefined as never), 'attachSharedPool');
add("attachSharedPool({ kind: 'x' })", () => attachSharedPool({ kind: 'x' } as never), 'attachSharedPool');
add("attachSharedPool('handle')", () => attachSharedPool('handle' as unknown as PoolHandle), 'attachSharedPool');
// createSharedPool: every option
const create = (options: unknown) => () => createSharedPool(options as never);
add('createSharedPool(undefined)', create(undefined), 'options');
add('createSharedPool(5)', create(5), 'options');
add('unknown option', create({ capacty: 1 }), 'option name');
for (const [option, values] of Object.entries({
  capacity: [-1, 1.5, 'ten', 2 ** 21],
  maxCapacity: [0, -3],
  maxIdle: [-1, 0.5],
  idleTimeoutMs: [-1, big, Number.NaN],
  maxLifetimeMs: [big, 'x'],
  getTimeoutMs: [Number.NaN, -1, 1e10],
  queryTimeoutMs: [-1, 'x'],
  closeTimeoutMs: ['1', -1],
  refreshIntervalMs: [-1],
  handoffDelayMs: [-1, 1.5],
  maxThreads: [0, 1e6],
  maxWaiters: [-1],
  maxSettings: [0],
  resetOnRecycle: ['sometimes', true, 1],
  aliveBypassWindowMs: [-1, big],
  validationTimeoutMs: [0, -1],
  leakDetectionMs: [1e12, -1],
  refresh: ['yes'],
})) {
  for (const value of values) add(`createSharedPool({ ${option}: ${String(value)} })`, create({ [option]: value }), option);
}
add('createSharedPool({ connection: 5 })', create({ connection: 5 }), 'connection');
add("createSharedPool({ connection: 'not a uri' })", create({ connection: 'not a uri' }), 'connection');
add("createSharedPool({ connection: 'http://h/db' })", create({ connection: 'http://h/db' }), 'connection');
add('createSharedPool({ connection: { typeCast: fn } })', create({ connection: { typeCast: () => 1 } }), 'connection.typeCast');
add("createSharedPool({ connector: { module: '' } })", create({ connector: { module: '' } }), 'connector.module');

describe.skipIf(skip)('bad input: typed errors, nothing moves', () => {
  beforeAll(async () => {
    env = await setupMysql();
    pool = await createSharedPool({ capacity: 2, maxCapacity: 4, connection: env.connection() });
    await pool.query('SELECT 1');
  });
  afterAll(async () => {
    await pool?.close({ timeoutMs: 3000 }).catch(() => {});
    await env?.close();
  });

  it(`has at least 60 cases (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
  });

  it.each(cases)('%s → PoolError naming it; then get + query works and no counter moved', async (_what, call, names) => {
    const onConnection = _what.startsWith('conn.');
    const before = pool.stats();
    let error: unknown = null;
    try {
      await call(pool);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PoolError);
    expect((error as Error).message).toContain(names);
    // A case that borrows a connection to misuse it moves the borrow counters by design.
    if (!onConnection) expect(pool.stats()).toEqual(before);
    expect(pool.isOpen).toBe(true);
    const conn = await pool.get({ timeoutMs: 2000 });
    const [rows] = await conn.query<({ v: number } & RowDataPacket)[]>('SELECT 1 AS v');
    conn.recycle();
    expect(rows[0].v).toBe(1);
    expect(pool.stats()).toMatchObject({ Waiting: 0, InUse: 0, Capacity: 2 });
    expect(pool.verify()).toEqual([]);
  });
});
