/**
 * The connector contract. A connector is a module, loaded by path in each thread that dials
 * (functions cannot cross threads), exporting `connect(options, signal)`. Its options must be
 * structured-cloneable: they travel to every worker inside the pool handle.
 */
import { PoolOptionError } from '../core/errors.ts';

/** What the pool needs from one connection (smartconnpool's Connection, §2.1). */
export interface PoolConnection {
  /** Runs the setting's SQL on the session. */
  applySetting(sql: string, signal: AbortSignal): Promise<void>;
  /** Clears session state: runs `sql` when given, else the connector's own reset. */
  resetSetting(sql: string | null, signal: AbortSignal): Promise<void>;
  /** Closes the connection. Idempotent; must not throw. */
  close(): void | Promise<void>;
  /** True once the connection is known to be dead. */
  isClosed(): boolean;
  /** mysql2-style query, when the connector offers one: SQL text, or mysql2's options object ({ sql, timeout, ... }). */
  query?(sql: string | QueryText, params?: unknown): Promise<unknown>;
  execute?(sql: string | QueryText, params?: unknown): Promise<unknown>;
  /** Transactions, when the connector offers them (mysql2: START TRANSACTION / COMMIT / ROLLBACK). */
  beginTransaction?(): Promise<void>;
  commit?(): Promise<void>;
  rollback?(): Promise<void>;
}

/** What the pool itself reads of a query-options object (mysql2's QueryOptions has these and more). */
export interface QueryText {
  sql: string;
  /** Milliseconds; past it the driver fails the query and closes the connection. */
  timeout?: number;
}

export interface ConnectorModule {
  /** Dials one connection. Must reject promptly (and leave nothing open) when `signal` aborts. */
  connect(options: unknown, signal: AbortSignal): Promise<PoolConnection>;
}

export interface ConnectorSpec {
  /** Absolute path or file: URL of the module. */
  module: string;
  /** Passed to connect(); structured-cloneable. */
  options?: unknown;
}

const loaded = new Map<string, Promise<ConnectorModule>>();

/** Imports a connector module once per thread. */
export function loadConnector(spec: ConnectorSpec): Promise<ConnectorModule> {
  let promise = loaded.get(spec.module);
  if (!promise) {
    promise = import(spec.module).then((mod: Partial<ConnectorModule> & { default?: Partial<ConnectorModule> }) => {
      const connect = mod.connect ?? mod.default?.connect;
      if (typeof connect !== 'function') {
        throw new PoolOptionError('connector.module', spec.module, 'a module exporting connect(options, signal)');
      }
      return { connect } as ConnectorModule;
    });
    loaded.set(spec.module, promise);
    promise.catch(() => loaded.delete(spec.module));
  }
  return promise;
}
