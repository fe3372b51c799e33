/**
 * The default connector: one mysql2 connection per call, promise API for callers.
 * - connect honours its AbortSignal: a connect stuck on a dead backend has its socket destroyed
 *   the moment the signal fires (this is what lets close() return at once);
 * - settings are applied with their SQL; reset runs the setting's reset SQL, or COM_RESET_CONNECTION;
 * - a fatal error (connection lost, reset, killed) marks the connection closed, so the pool never
 *   puts it back on a stack.
 */
import mysql from 'mysql2';
import type { Connection as CallbackConnection, ConnectionOptions } from 'mysql2';
import type { Connection as PromiseConnection } from 'mysql2/promise';
import type { PoolConnection } from './connector.ts';

export type Mysql2ConnectorOptions = ConnectionOptions;

export class Mysql2PoolConnection implements PoolConnection {
  readonly raw: CallbackConnection;
  readonly promise: PromiseConnection;
  #closed = false;

  constructor(raw: CallbackConnection) {
    this.raw = raw;
    this.promise = raw.promise();
    raw.on('error', () => {
      // Fatal errors arrive here after the handshake; the connection is unusable from now on.
      this.#closed = true;
    });
    raw.once('end', () => {
      this.#closed = true;
    });
  }

  isClosed(): boolean {
    const stream = (this.raw as unknown as { stream?: { destroyed?: boolean } }).stream;
    return this.#closed || (this.raw as unknown as { _fatalError?: unknown })._fatalError != null || stream?.destroyed === true;
  }

  query(sql: string, params?: unknown): Promise<unknown> {
    return this.promise.query(sql, params as never);
  }

  execute(sql: string, params?: unknown): Promise<unknown> {
    return this.promise.execute(sql, params as never);
  }

  async applySetting(sql: string, signal: AbortSignal): Promise<void> {
    await this.guarded(signal, () => this.promise.query(sql));
  }

  async resetSetting(sql: string | null, signal: AbortSignal): Promise<void> {
    await this.guarded(signal, async () => {
      if (sql === null) await this.promise.reset();
      else await this.promise.query(sql);
    });
  }

  close(): void {
    if (this.#closed && (this.raw as unknown as { stream?: { destroyed?: boolean } }).stream?.destroyed) return;
    this.#closed = true;
    destroy(this.raw);
  }

  /** Runs a command; an abort destroys the connection (a half-run setting cannot be trusted). */
  private async guarded<T>(signal: AbortSignal, run: () => Promise<T>): Promise<T> {
    signal.throwIfAborted();
    const onAbort = (): void => this.close();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await run();
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }
}

function destroy(raw: CallbackConnection): void {
  try {
    raw.destroy();
  } catch {
    // already closed
  }
  (raw as unknown as { stream?: { destroy?: () => void } }).stream?.destroy?.();
}

export function connect(options: unknown, signal: AbortSignal): Promise<PoolConnection> {
  signal.throwIfAborted();
  return new Promise<PoolConnection>((resolve, reject) => {
    const raw = mysql.createConnection(options as ConnectionOptions);
    const onAbort = (): void => {
      cleanup();
      destroy(raw);
      reject(signal.reason);
    };
    const onConnect = (): void => {
      cleanup();
      resolve(new Mysql2PoolConnection(raw));
    };
    const onError = (error: Error): void => {
      cleanup();
      destroy(raw);
      reject(scrub(error));
    };
    const cleanup = (): void => {
      signal.removeEventListener('abort', onAbort);
      raw.off('connect', onConnect);
      raw.off('error', onError);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    raw.once('connect', onConnect);
    raw.once('error', onError);
  });
}

/** mysql2 errors never carry the password, but make sure nothing config-shaped rides along. */
function scrub(error: Error): Error {
  const e = error as Error & { config?: unknown };
  if ('config' in e) delete e.config;
  return error;
}
