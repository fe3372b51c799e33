// ESM consumer: the package and its connector subpath import by name and run a query.
import assert from 'node:assert/strict';
import { createSharedPool, PoolClosedError, PoolOptionError } from 'shared-mysql-pool';
import { connect, Mysql2PoolConnection } from 'shared-mysql-pool/mysql2-connector';

assert.equal(typeof connect, 'function');
assert.equal(typeof Mysql2PoolConnection, 'function');
const pool = await createSharedPool({ connection: { uri: process.env.MYSQL_URL }, capacity: 1 });
const [rows] = await pool.query('SELECT ? + 1 AS v', [41]);
assert.equal(Number(rows[0].v), 42);
await pool.close();
await assert.rejects(pool.reopen(), PoolClosedError);
await assert.rejects(createSharedPool({ connection: { typeCast: () => null } }), PoolOptionError);
console.log('esm: ok');
