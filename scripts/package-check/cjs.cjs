// CommonJS consumer: require() of the ESM package (Node >= 20.19 require(esm) via exports' require condition).
const assert = require('node:assert/strict');
const { createSharedPool } = require('shared-mysql-pool');
const { connect } = require('shared-mysql-pool/mysql2-connector');

assert.equal(typeof connect, 'function');
(async () => {
  const pool = await createSharedPool({ connection: { uri: process.env.MYSQL_URL }, capacity: 1 });
  const [rows] = await pool.query('SELECT ? + 1 AS v', [41]);
  assert.equal(Number(rows[0].v), 42);
  await pool.close();
  console.log('cjs: ok');
})().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
