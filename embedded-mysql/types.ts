/**
 * The embedded server's public shapes: the server, its hooks, a session as hooks see it, a
 * resolved target.
 */
import type net from 'node:net';

export interface EmbeddedMysql {
  readonly host: string;
  readonly port: number;
  /** Sessions (client connections past the TCP accept) currently open. */
  readonly sessions: number;
  /** Statements and commands answered so far (all sessions). */
  readonly commands: number;
  /** Stops listening and destroys every open session. */
  close(): Promise<void>;
}

export interface EmbeddedMysqlOptions {
  /** Default 0 (any free port). The server only ever listens on 127.0.0.1. */
  port?: number;
  hooks?: ProtocolHooks;
}

/** What a hook may do with a statement before it is answered. */
export type QueryAction =
  | { kind: 'answer' }
  | { kind: 'fail'; code?: number; message?: string }
  /** The server closes the connection (FIN) instead of answering. */
  | { kind: 'drop' }
  /** The server resets the connection (RST) instead of answering. */
  | { kind: 'reset' }
  /** The server never answers this statement. */
  | { kind: 'hang' }
  | { kind: 'delay'; ms: number };

export interface ProtocolHooks {
  /**
   * Sees every statement before it is answered: COM_QUERY and COM_STMT_PREPARE text, the
   * statement text of a COM_STMT_EXECUTE, or the command name for the others ('COM_PING',
   * 'COM_RESET_CONNECTION', 'COM_INIT_DB', 'COM_STMT_RESET').
   */
  onStatement?(sql: string, session: EmbeddedSession): QueryAction | undefined | void;
}

export interface EmbeddedSession {
  readonly id: number;
  readonly user: string;
  readonly database: string;
  readonly socket: net.Socket;
  /** Connection attributes the client sent (mysql2 `connectAttributes`). */
  readonly attributes: Record<string, string>;
  /** Current value of a session system variable (lower-case name), or undefined. */
  variable(name: string): unknown;
}

export interface MysqlTarget {
  /** mysql2 connection options (plain, structured-cloneable). */
  options: { host: string; port: number; user: string; password?: string; database?: string };
  embedded: boolean;
  /** The target without its password, for logs. */
  description: string;
  /** The embedded server's open sessions now (undefined for a real server: use its processlist). */
  sessions?: () => number;
  close(): Promise<void>;
}

/** The protocol alone, to serve sockets accepted elsewhere (the fault server does). */
export interface MysqlProtocol {
  /** Greets the client on `socket` and answers its commands until it closes. */
  serve(socket: net.Socket): EmbeddedSession;
  /** Sessions currently open. */
  readonly sessions: number;
  readonly commands: number;
  /** Destroys every open session's socket. */
  destroyAll(): void;
}
