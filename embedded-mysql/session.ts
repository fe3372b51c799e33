/**
 * One client session: its variables, prepared statements, transaction flag and status word.
 */
import type net from 'node:net';
import { STATUS_AUTOCOMMIT, STATUS_IN_TRANS, STATUS_SESSION_STATE_CHANGED } from './packets.ts';
import type { ServerConnection } from './server-connection.ts';
import type { Value } from './sql-error.ts';
import type { Statement } from './statement-params.ts';
import { SYSTEM_DEFAULTS } from './system-variables.ts';
import type { EmbeddedSession } from './types.ts';

export class Session implements EmbeddedSession {
  readonly id: number;
  readonly socket: net.Socket;
  readonly conn: ServerConnection;
  user = '';
  database = '';
  attributes: Record<string, string> = {};
  vars = new Map<string, Value>();
  userVars = new Map<string, Value>();
  statements = new Map<number, Statement>();
  nextStatement = 1;
  inTransaction = false;
  /** Commands are answered strictly in order, even when one is delayed. */
  queue: Promise<void> = Promise.resolve();

  constructor(id: number, conn: ServerConnection) {
    this.id = id;
    this.conn = conn;
    this.socket = conn.stream;
  }

  variable(name: string): unknown {
    const key = name.toLowerCase();
    return this.vars.has(key) ? this.vars.get(key) : SYSTEM_DEFAULTS[key];
  }

  reset(): void {
    this.vars.clear();
    this.userVars.clear();
    this.statements.clear();
    this.inTransaction = false;
  }

  /** A variable changed while session_track_state_change is on: the next status says so (once). */
  stateChanged = false;

  get status(): number {
    const changed = this.stateChanged ? STATUS_SESSION_STATE_CHANGED : 0;
    this.stateChanged = false;
    return STATUS_AUTOCOMMIT | (this.inTransaction ? STATUS_IN_TRANS : 0) | changed;
  }
}
