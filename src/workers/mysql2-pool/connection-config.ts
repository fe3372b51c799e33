/**
 * The mysql2 ConnectionConfig the mysql2-compatible pool shows (pool.config.connectionConfig,
 * connection.config): mysql2 reads it for escaping, formatting, named placeholders and stack
 * traces. Credentials are never in it.
 */
import mysql from 'mysql2';

/** Options that authenticate (passwords, TLS keys): left out of every config this module builds. */
const CREDENTIALS = ['password', 'password1', 'password2', 'password3', 'passwordSha1', 'uri', 'authPlugins', 'authSwitchHandler', 'ssl'] as const;

/** What query formatting and result parsing depend on; nothing else is copied from the pool's options. */
const FORMAT_OPTIONS = [
  'host', 'port', 'socketPath', 'database', 'charset', 'timezone', 'namedPlaceholders', 'rowsAsArray', 'nestTables',
  'stringifyObjects', 'dateStrings', 'supportBigNumbers', 'bigNumberStrings', 'decimalNumbers', 'typeCast', 'trace',
  'jsonStrings', 'multipleStatements',
] as const;

import type { ConnectionConfig } from 'mysql2';

export type Mysql2ConnectionConfig = ConnectionConfig;
// mysql2 exports the ConnectionConfig class at runtime; its typings declare only the interface.
const ConnectionConfigClass = (mysql as unknown as { ConnectionConfig: new (options: object) => ConnectionConfig }).ConnectionConfig;

/**
 * A ConnectionConfig for the pool as a whole, from the connector's options (for the mysql2
 * connector, the `connection` option of createSharedPool). Non-object options (a custom
 * connector's) give mysql2's defaults.
 */
export function poolConnectionConfig(options: unknown): Mysql2ConnectionConfig {
  const picked: Record<string, unknown> = {};
  if (typeof options === 'object' && options !== null) {
    for (const key of FORMAT_OPTIONS) {
      const value = (options as Record<string, unknown>)[key];
      if (value !== undefined) picked[key] = value;
    }
  }
  return new ConnectionConfigClass(picked);
}

/** A copy of a live connection's ConnectionConfig without its credentials. */
export function withoutCredentials(config: Mysql2ConnectionConfig): Mysql2ConnectionConfig {
  const copy = Object.create(Object.getPrototypeOf(config), Object.getOwnPropertyDescriptors(config)) as Record<string, unknown>;
  for (const key of CREDENTIALS) delete copy[key];
  return copy as unknown as Mysql2ConnectionConfig;
}
