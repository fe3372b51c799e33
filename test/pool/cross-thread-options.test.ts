/**
 * Options travel to every thread by structured clone. Anything that cannot (functions: mysql2's
 * typeCast, queryFormat, authPlugins, infileStreamFactory, stream, authSwitchHandler, Promise;
 * symbols) is refused by createSharedPool with a PoolOptionError naming the option — never the
 * function's source or a credential — before any shared state exists.
 */
import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createSharedPool, PoolClosedError, PoolOptionError, type SharedPoolOptions } from '../../src/index.ts';
import { fakeConnector } from '../support/fake-connector.ts';

const SOURCE_MARK = 'secret_function_body_marker';
// eslint-disable-next-line @typescript-eslint/no-unused-vars
const fn = function typeCastLike(): string {
  return SOURCE_MARK;
};

async function refused(options: SharedPoolOptions): Promise<PoolOptionError> {
  const error = await createSharedPool(options).then(
    async (pool) => {
      await pool.close();
      throw new Error('expected createSharedPool to reject');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PoolOptionError);
  const message = (error as Error).message;
  expect(message).not.toContain(SOURCE_MARK);
  expect(message).not.toContain('pw-s3cret');
  return error as PoolOptionError;
}

describe('function-valued connection options are refused up front', () => {
  it.each([
    ['typeCast', fn, 'connection.typeCast: a function'],
    ['queryFormat', fn, 'connection.queryFormat: a function'],
    ['infileStreamFactory', fn, 'connection.infileStreamFactory: a function'],
    ['authSwitchHandler', fn, 'connection.authSwitchHandler: a function'],
    ['Promise', Promise, 'connection.Promise: a function'],
    ['stream', fn, 'connection.stream: a function'],
    ['stream', new Duplex(), 'connection.stream (at connection.stream.'],
    ['authPlugins', { mysql_clear_password: fn }, 'connection.authPlugins (at connection.authPlugins.mysql_clear_password): a function'],
    ['connectAttributes', { tag: Symbol('x') }, 'connection.connectAttributes (at connection.connectAttributes.tag): symbol'],
    ['ssl', { ca: new WeakMap() }, 'connection.ssl: a value structuredClone refuses (DataCloneError) (not shown'],
  ])('%s', async (name, value, message) => {
    const error = await refused({ connection: { host: '127.0.0.1', password: 'pw-s3cret', [name]: value } as never });
    expect(error.message).toContain(`invalid ${message}`);
    expect(error.message).toContain('Function-valued mysql2 options');
  });

  it('in a custom connector\'s options too', async () => {
    const { connector } = fakeConnector();
    const error = await refused({ connector: { ...connector, options: { ...(connector.options as object), typeCast: fn } } });
    expect(error.message).toContain('invalid connector.options.typeCast: a function');
  });

  it('plain data (strings, numbers, buffers, arrays, nested objects) passes', async () => {
    const { connector } = fakeConnector();
    const pool = await createSharedPool({ connector: { ...connector, options: { ...(connector.options as object), ssl: { ca: Buffer.from('x') }, flags: ['-FOUND_ROWS'] } } });
    await pool.close();
  });
});

describe('reopen()', () => {
  it('after close() rejects with PoolClosedError (a closed pool cannot be reopened)', async () => {
    const { connector } = fakeConnector();
    const pool = await createSharedPool({ connector, capacity: 2 });
    await pool.close();
    await expect(pool.reopen()).rejects.toBeInstanceOf(PoolClosedError);
    expect(pool.stats().Capacity).toBe(0);
  });

  it('on an open pool replaces the connections and keeps the capacity', async () => {
    const { connector } = fakeConnector();
    const pool = await createSharedPool({ connector, capacity: 2 });
    (await pool.get()).recycle();
    const dials = pool.stats().Dials;
    await pool.reopen();
    (await pool.get()).recycle();
    expect(pool.stats().Capacity).toBe(2);
    expect(pool.stats().Dials).toBeGreaterThan(dials);
    await pool.close();
  });
});
