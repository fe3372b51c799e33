/**
 * npm run example: runs examples/piscina against MYSQL_URL (default 127.0.0.1:3306), or, when no
 * server answers there, against the in-process MySQL-protocol server (said on stderr). The example
 * imports the package by name, so `npm run example` builds dist/ first.
 */
import { resolveMysqlTarget } from '../embedded-mysql/index.ts';

const target = await resolveMysqlTarget();
const { host, port, user, password, database } = target.options;
const auth = password ? `${encodeURIComponent(user)}:${encodeURIComponent(password)}` : encodeURIComponent(user);
process.env.MYSQL_URL = `mysql://${auth}@${host}:${port}/${database ?? ''}`;
console.log(`server: ${target.description}`);
try {
  await import(new URL('./piscina/main.mjs', import.meta.url).href);
} finally {
  await target.close();
}
