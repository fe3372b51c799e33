/**
 * The connector contract, types only: what the pool needs from one connection, and what a
 * connector module exports. Apart from connector.ts (which loads connectors), so the built-in
 * mysql2 connector can implement it without importing its own loader back.
 */
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
  /**
   * query/execute in callback form, when the connector offers it: `done(null, result)` with what
   * query/execute would resolve with, or `done(error)`. The pool's query path prefers it: one
   * promise per query instead of three. May throw synchronously for bad arguments.
   */
  send?(method: 'query' | 'execute', sql: string | QueryText, params: unknown, done: (error: Error | null, result?: unknown) => void): void;
  /** True: send()'s errors carry the driver's frames; the pool replaces them with the caller's async stack. */
  readonly callerStack?: boolean;
  /**
   * True: the pool captures the caller's stack before every query and puts it on a failure
   * (mysql2's `trace: true`), at its public entry so that its own frames do not count.
   */
  readonly captureStack?: boolean;
  /** Transactions, when the connector offers them (mysql2: START TRANSACTION / COMMIT / ROLLBACK). */
  beginTransaction?(): Promise<void>;
  commit?(): Promise<void>;
  rollback?(): Promise<void>;
  // Safety checks (optional: a connector without them is taken to be clean and alive).
  /** The server's last status said a transaction is open (SERVER_STATUS_IN_TRANS). */
  inTransaction?(): boolean;
  /**
   * The three checks below in one call (the recycle path asks on every return): SESSION_FLAGS bits (connector.ts).
   * A connector offering it need not offer the others for the pool.
   */
  sessionFlags?(): number;
  /** The session may differ from a fresh one (a state change reported, or unknown). */
  sessionDirty?(): boolean;
  /** The server's last status said autocommit is off (SERVER_STATUS_AUTOCOMMIT clear). */
  autocommitOff?(): boolean;
  /**
   * Asks the server to report session state changes from now on (and after every reset); called
   * after each dial, not awaited, unless resetOnRecycle is 'never'.
   */
  trackSessionState?(): Promise<void>;
  /** A cheap round trip proving the connection is alive (mysql2: COM_PING). */
  validate?(signal: AbortSignal): Promise<void>;
  /** Rolls back the open transaction. */
  abortTransaction?(signal: AbortSignal): Promise<void>;
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
  /**
   * Absolute path or file: URL of the module (or a bare package specifier the threads can resolve).
   * 'shared-mysql-pool/mysql2-connector' is the built-in mysql2 connector.
   */
  module: string;
  /** Passed to connect(); structured-cloneable. */
  options?: unknown;
}
