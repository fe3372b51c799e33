/**
 * The connector contract. A connector is a module, loaded by path in each thread that dials
 * (functions cannot cross threads), exporting `connect(options, signal)`. Its options must be
 * structured-cloneable: they travel to every worker inside the pool handle.
 * The default (mysql2) connector is imported statically, not by path, so it survives bundling.
 */
import { PoolOptionError } from '../core/errors.ts';
import * as mysql2Connector from './mysql2-connector.ts';
import { type SealedOptions, unseal } from './sealed-options.ts';
import type { ConnectorModule } from './connector-contract.ts';

export type { ConnectorModule, ConnectorSpec, PoolConnection, QueryText } from './connector-contract.ts';

/** Bits of PoolConnection.sessionFlags(). */
export const SESSION_FLAGS = { IN_TRANSACTION: 1, DIRTY: 2, AUTOCOMMIT_OFF: 4 } as const;

/**
 * The module name that means the built-in mysql2 connector (also its subpath export). It is never
 * imported by path: the static import above is used, so a bundled app needs no file on disk.
 */
export const DEFAULT_CONNECTOR = 'shared-mysql-pool/mysql2-connector';

/** A connector as the handle carries it: the mysql2 connection options travel sealed. */
export interface HandleConnector {
  module: string;
  options?: unknown;
  sealed?: SealedOptions;
}

/** The options to dial with (unsealed for this one dial; nothing keeps them). */
export function dialOptions(spec: HandleConnector): unknown {
  return spec.sealed ? unseal(spec.sealed) : spec.options;
}

const loaded = new Map<string, Promise<ConnectorModule>>();

/** Imports a connector module once per thread. */
export function loadConnector(spec: { module: string }): Promise<ConnectorModule> {
  if (spec.module === DEFAULT_CONNECTOR) return Promise.resolve(mysql2Connector);
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
