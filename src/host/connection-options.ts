/**
 * The `connection` option: mysql2 connection options or a connection URI. It is checked here and
 * never echoed: an error names the option (or its key) and the value's type only, since the value
 * may hold a password.
 */
import { Hidden, PoolOptionError } from '../core/errors.ts';

const URI_SCHEMES = new Set(['mysql:', 'mariadb:']);

/** mysql2 options for `connection` (a URI becomes `{ uri }`, which mysql2 expands itself). */
export function connectionOptions(connection: unknown): Record<string, unknown> {
  if (connection === undefined) return {};
  const expected = 'mysql2 connection options or a mysql://user:password@host:port/database URI';
  if (typeof connection === 'string') {
    let url: URL | null = null;
    try {
      url = new URL(connection);
    } catch {
      // reported below without the text
    }
    if (url === null || !URI_SCHEMES.has(url.protocol) || url.hostname === '') throw new PoolOptionError('connection', new Hidden('string'), expected);
    return { uri: connection };
  }
  if (typeof connection !== 'object' || connection === null || Array.isArray(connection)) {
    throw new PoolOptionError('connection', new Hidden(connection === null ? 'null' : Array.isArray(connection) ? 'array' : typeof connection), expected);
  }
  // The options travel to every thread: resolveOptions checks each value survives structured
  // cloning (assertCloneable), for a custom connector's options too.
  return { ...(connection as Record<string, unknown>) };
}
