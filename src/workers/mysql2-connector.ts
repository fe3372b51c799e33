/**
 * The default connector: one mysql2 connection per call, promise API for callers.
 * - connect honours its AbortSignal: a connect stuck on a dead backend (TCP accepted, no server
 *   greeting) has its socket destroyed the moment the signal fires, and the promise rejects with
 *   the signal's reason. This is what lets close() return at once.
 * - settings are applied with their SQL; reset runs the setting's reset SQL, or
 *   COM_RESET_CONNECTION (mysql2 `reset()`) when it has none. An abort during either destroys the
 *   connection (a half-applied setting cannot be trusted) and rejects at once.
 * - a fatal error (connection lost, reset, KILL, protocol error) marks the connection closed:
 *   isClosed() turns true, so the pool never puts it back on a stack (recycle refills the slot).
 * - close() writes COM_QUIT on a healthy idle connection (the server then logs no "aborted
 *   connection") and destroys the socket at once, so a freed unit never coexists with its socket.
 * - mysql2's default client flags minus IGNORE_SPACE (unless `flags` names it): the server would
 *   add sql_mode IGNORE_SPACE to fresh sessions only, not to reset ones.
 * - every connection carries the connection attribute program_name=shared-mysql-pool (mysql2
 *   `connectAttributes`; caller-given attributes win). MySQL shows it in
 *   performance_schema.session_connect_attrs; MariaDB only with performance_schema on (it is off by
 *   default), so to find a pool's sessions in information_schema.processlist give the pool its own
 *   user (the tests create 'pooltest_<pid>'@'%').
 * - query/execute call mysql2's callback API in one promise; a failing one carries the caller's
 *   async stack, captured on the error path only (mysql2-call.ts). `trace: true` keeps mysql2's
 *   capture before every command, `trace: false` leaves mysql2's errors as they are.
 * - maxPreparedStatements defaults to 256 (mysql2: 16000, preallocated on every connect).
 */
import mysql from 'mysql2';
import type { Connection as CallbackConnection, ConnectionOptions } from 'mysql2';
import type { Connection as PromiseConnection } from 'mysql2/promise';
import type { PoolConnection, QueryText } from './connector-contract.ts';
import { call, command, send, type SendCallback, stackModeOf, type StackMode } from './mysql2-call.ts';
import { hideCredentials, scrub } from './mysql2-credentials.ts';
import { SessionState, TRACK_STATE_CHANGES } from './mysql2-session-state.ts';

export type Mysql2ConnectorOptions = ConnectionOptions;

export const PROGRAM_NAME = 'shared-mysql-pool';

/**
 * Prepared statements cached per connection unless `maxPreparedStatements` is given. mysql2's
 * default (16000) preallocates its cache's arrays on every connect (0.2–0.8 ms each); a service
 * rarely prepares more than a few hundred distinct statements.
 */
export const DEFAULT_MAX_PREPARED_STATEMENTS = 256;

/** mysql2 internals read defensively (they are not part of its typings). */
interface RawInternals {
  stream?: { destroyed?: boolean; destroy?: () => void; once?: (event: string, fn: () => void) => void };
  _command?: unknown;
  _fatalError?: unknown;
  _protocolError?: unknown;
  _closing?: boolean;
}

export class Mysql2PoolConnection implements PoolConnection {
  readonly raw: CallbackConnection;
  /** mysql2's promise wrapper around `raw`. */
  readonly promise: PromiseConnection;
  /** Where a failed query's stack comes from (mysql2-call.ts). */
  readonly stackMode: StackMode;
  /** Transaction and session-state flags the server reported (see mysql2-session-state.ts). */
  readonly session: SessionState;
  #closed = false;
  /** Session tracking was asked for (it must be turned on again after every reset). */
  #track = false;
  #closing: Promise<void> | null = null;

  constructor(raw: CallbackConnection, stackMode: StackMode = 'caller') {
    this.raw = raw;
    this.stackMode = stackMode;
    this.promise = raw.promise();
    this.session = new SessionState(raw);
    hideCredentials(raw);
    // Fatal errors outside a command (server hung up, RST, KILL of an idle session) arrive here.
    raw.on('error', () => {
      this.#closed = true;
    });
    raw.once('end', () => {
      this.#closed = true;
    });
  }

  /** send()'s errors get the caller's async stack from the pool (stack mode 'caller'). */
  get callerStack(): boolean {
    return this.stackMode === 'caller';
  }

  /** The pool captures the caller's stack before every query (stack mode 'mysql2': `trace: true`). */
  get captureStack(): boolean {
    return this.stackMode === 'mysql2';
  }

  /** The server's id of this session (CONNECTION_ID()). */
  get threadId(): number {
    return this.raw.threadId;
  }

  isClosed(): boolean {
    if (this.#closed) return true;
    // mysql2 3.x: 'error' once a fatal or protocol error was seen, 'disconnected' once closing or
    // once the socket is gone.
    const state = (this.raw as { state?: string }).state;
    if (state !== undefined) return state === 'error' || state === 'disconnected';
    const r = this.raw as unknown as RawInternals;
    return r._fatalError != null || r._protocolError != null || r._closing === true || r.stream?.destroyed === true;
  }

  /**
   * Resolves with `[rows, fields]` (mysql2's promise shape); `sql` is SQL text or mysql2's
   * query-options object. See mysql2-call.ts for the stack of a failed query.
   */
  query(sql: string | QueryText, params?: unknown): Promise<unknown> {
    return call(this.raw, this.promise, this.stackMode, 'query', sql, params);
  }

  /** A prepared statement (mysql2 caches up to `maxPreparedStatements` per connection). */
  execute(sql: string | QueryText, params?: unknown): Promise<unknown> {
    return call(this.raw, this.promise, this.stackMode, 'execute', sql, params);
  }

  /**
   * query()/execute() in callback form (the pool's query path: no promise of its own). The stack
   * is the pool's business here (callerStack, captureStack), so mysql2 captures nothing.
   */
  send(method: 'query' | 'execute', sql: string | QueryText, params: unknown, done: SendCallback): void {
    send(this.raw, method, sql, params, done);
  }

  beginTransaction(): Promise<void> {
    return command(this.raw, this.promise, this.stackMode, 'beginTransaction');
  }

  commit(): Promise<void> {
    return command(this.raw, this.promise, this.stackMode, 'commit');
  }

  rollback(): Promise<void> {
    return command(this.raw, this.promise, this.stackMode, 'rollback');
  }

  ping(): Promise<void> {
    return command(this.raw, this.promise, this.stackMode, 'ping');
  }

  inTransaction(): boolean {
    return this.session.inTransaction;
  }

  sessionDirty(): boolean {
    return this.session.dirty;
  }

  autocommitOff(): boolean {
    return this.session.autocommitOff;
  }

  sessionFlags(): number {
    return this.session.flags;
  }

  /**
   * Asks the server to flag session state changes (SERVER_SESSION_STATE_CHANGED) from now on. Not
   * awaited by the pool: mysql2 queues it ahead of the borrower's first statement, so a dial costs
   * no extra round trip. Until it succeeds the session counts as changed.
   */
  trackSessionState(): Promise<void> {
    this.#track = true;
    return this.#own(TRACK_STATE_CHANGES);
  }

  /** COM_PING, cut short by `signal` (the connection is then destroyed). */
  validate(signal: AbortSignal): Promise<void> {
    return this.guarded(signal, () => command(this.raw, this.promise, 'off', 'ping'));
  }

  /** ROLLBACK of the open transaction, cut short by `signal`. */
  abortTransaction(signal: AbortSignal): Promise<void> {
    return this.guarded(signal, () => command(this.raw, this.promise, 'off', 'rollback'));
  }

  applySetting(sql: string, signal: AbortSignal): Promise<void> {
    return this.guarded(signal, async () => {
      await this.#own(sql);
      // The setting's own change is expected; what the borrower changes afterwards is not.
      this.session.clear();
    });
  }

  resetSetting(sql: string | null, signal: AbortSignal): Promise<void> {
    return this.guarded(signal, async () => {
      if (sql !== null) await this.#own(sql);
      else if (!this.#track) await command(this.raw, this.promise, 'off', 'reset');
      else {
        // COM_RESET_CONNECTION also turns session tracking off: turn it on again in the same
        // round trip (both commands queued before either answer arrives).
        const reset = command(this.raw, this.promise, 'off', 'reset');
        const track = this.#own(TRACK_STATE_CHANGES);
        await reset;
        await track;
      }
      this.session.clear();
    });
  }

  /** A statement of the pool's own (tracking, a setting's SQL): no stack captured, result dropped. */
  #own(sql: string): Promise<void> {
    return call(this.raw, this.promise, 'off', 'query', sql, undefined).then(() => {});
  }

  /** Idempotent; never throws. Resolves when the socket is gone. */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    const healthy = !this.isClosed() && (this.raw as unknown as RawInternals)._command == null;
    this.#closed = true;
    const stream = (this.raw as unknown as RawInternals).stream;
    if (stream && !stream.destroyed && healthy) {
      try {
        // COM_QUIT is written to the socket synchronously, so the server sees a clean goodbye
        // (no "aborted connection"); the kernel still delivers it after the descriptor closes.
        this.raw.end(() => {});
      } catch {
        // fall through to destroy
      }
    }
    // The socket is destroyed at once: a unit is released only after its socket is closed, and a
    // graceful wait here would let the process briefly hold more sockets than its capacity.
    destroy(this.raw);
    this.#closing = Promise.resolve();
    return this.#closing;
  }


  /**
   * Runs a command that may be cut short by `signal`: an abort destroys the connection and rejects
   * at once (mysql2 never settles a command whose connection it was told to close).
   */
  private guarded(signal: AbortSignal, run: () => Promise<void>): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        destroy(this.raw);
        this.#closed = true;
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      run().then(
        () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(scrub(error));
        },
      );
    });
  }
}

/** Destroys the socket now (no COM_QUIT). */
function destroy(raw: CallbackConnection): void {
  try {
    raw.destroy();
  } catch {
    // already closed
  }
  try {
    (raw as unknown as RawInternals).stream?.destroy?.();
  } catch {
    // already destroyed
  }
}

/** TCP keepalive probes start after this much silence unless `keepAliveInitialDelay` is given. */
export const KEEPALIVE_INITIAL_DELAY_MS = 30_000;

function withDefaults(options: unknown): ConnectionOptions {
  const o = (options ?? {}) as ConnectionOptions;
  const given = o.flags as string | string[] | undefined;
  const flags = (Array.isArray(given) ? given : String(given ?? '').split(/\s*,+\s*/))
    .filter((f) => f !== '')
    .map((f) => f.toUpperCase());
  // Without IGNORE_SPACE unless asked for: the server turns that client flag into sql_mode
  // IGNORE_SPACE at login, but COM_RESET_CONNECTION (and sql_mode = DEFAULT) restore the global
  // sql_mode, so fresh and reset "clean" connections would parse SQL differently.
  if (!flags.some((f) => /^-?IGNORE_SPACE$/i.test(f))) flags.push('-IGNORE_SPACE');
  return {
    enableKeepAlive: true,
    keepAliveInitialDelay: KEEPALIVE_INITIAL_DELAY_MS,
    ...o,
    flags,
    maxPreparedStatements: o.maxPreparedStatements ?? DEFAULT_MAX_PREPARED_STATEMENTS,
    connectAttributes: { program_name: PROGRAM_NAME, ...(o.connectAttributes ?? {}) },
  };
}

export function connect(options: unknown, signal: AbortSignal): Promise<PoolConnection> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<PoolConnection>((resolve, reject) => {
    let raw: CallbackConnection;
    try {
      raw = mysql.createConnection(withDefaults(options));
    } catch (error) {
      reject(scrub(error));
      return;
    }
    // A socket that errors after we gave up on it (aborted, failed) must not crash the process.
    raw.on('error', () => {});
    const onAbort = (): void => {
      cleanup();
      destroy(raw);
      reject(signal.reason);
    };
    const onConnect = (): void => {
      cleanup();
      resolve(new Mysql2PoolConnection(raw, stackModeOf((options as ConnectionOptions | null)?.trace)));
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
