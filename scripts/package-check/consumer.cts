// A CommonJS TypeScript consumer: `import = require()` of the ESM package type-checks under
// module nodenext (TypeScript ≥ 5.8 models Node's require(esm)).
import shared = require('shared-mysql-pool');
import type { RowDataPacket } from 'shared-mysql-pool';

async function main(): Promise<void> {
  const pool = await shared.createSharedPool({ connection: { uri: process.env.MYSQL_URL }, capacity: 1 });
  const [rows] = await pool.query<RowDataPacket[]>('SELECT 1 AS v');
  console.log(rows[0].v);
  await pool.close();
}
void main();
