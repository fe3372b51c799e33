/**
 * What the server says about a mysql2 session, read from its replies: the status flags of every OK
 * and EOF packet (SERVER_STATUS_IN_TRANS, SERVER_SESSION_STATE_CHANGED) and, for GET_LOCK (which no
 * server reports), the text of the statements sent. The pool uses it on recycle: a connection
 * inside a transaction is rolled back, one whose session state changed is reset.
 *
 * (The same hook blanks the password mysql2 copies into every command it starts.)
 *
 * mysql2 parses the status of a result's OK packet (ResultSetHeader.serverStatus) but drops the one
 * of EOF packets and offers no per-connection hook, so this wraps the connection's handlePacket and
 * addCommand. Only packets whose kind is unambiguous are read: an OK while the command waits for a
 * result header (Query, Execute), a ping or reset reply, and an EOF (0xfe, shorter than 9 bytes).
 * A binary or text row may also start with 0x00, so 0x00 packets in other states are never read.
 *
 * SERVER_SESSION_STATE_CHANGED is sent only when the session asked for it: track() runs
 * `SET SESSION session_track_state_change = ON` (MySQL ≥ 5.7, MariaDB ≥ 10.2, with the
 * CLIENT_SESSION_TRACK capability mysql2 asks for by default).
 */
import type { Connection as CallbackConnection } from 'mysql2';

/** mysql2's constants/server_status.js. */
export const SERVER_STATUS_IN_TRANS = 0x0001;
export const SERVER_STATUS_AUTOCOMMIT = 0x0002;
export const SERVER_SESSION_STATE_CHANGED = 0x4000;

/** Turns tracking on; its own reply (read in packet order) marks the session tracked and unchanged. */
export const TRACK_STATE_CHANGES = 'SET SESSION session_track_state_change = ON';

/** A statement that takes a user-level lock, which session tracking does not report. */
const USER_LOCK = /get_lock/i;

interface RawPacket {
  buffer: Buffer;
  offset: number;
  end: number;
}

type State = (packet: RawPacket, connection: unknown) => unknown;

interface RawCommand {
  next?: State | null;
  options?: Record<string, unknown>;
  sql?: string;
  resultsetHeader?: State;
  pingResponse?: State;
  resetConnectionResponse?: State;
}

interface Hookable {
  _command?: RawCommand;
  handlePacket(packet?: RawPacket): void;
  addCommand(cmd: RawCommand): RawCommand;
}

export class SessionState {
  /** Status flags of the last OK/EOF (a fresh session: autocommit, no transaction). */
  status = SERVER_STATUS_AUTOCOMMIT;
  /** The server reported a session state change since the last clear(). */
  changed = false;
  /** A statement since the last clear() mentioned GET_LOCK. */
  userLock = false;
  /** session_track_state_change is on: `changed` can be trusted. */
  tracking = false;
  /** A statement ran while tracking was off: what it changed is unknown. */
  untracked = false;
  /** The queued command turning tracking on, if any. */
  private trackCommand: RawCommand | null = null;

  constructor(raw: CallbackConnection) {
    const conn = raw as unknown as Hookable;
    const handlePacket = conn.handlePacket;
    const addCommand = conn.addCommand;
    conn.handlePacket = (packet?: RawPacket): void => {
      if (packet) this.read(conn._command, packet);
      handlePacket.call(conn, packet);
      // mysql2 copies the connection's options, password included, into every command it starts
      // (ConnectionConfig.queryOptions): blank them (same shape) so an inspected command shows none.
      const options = conn._command?.options;
      if (options !== undefined && options.password !== undefined) scrubCommandOptions(options);
    };
    conn.addCommand = (cmd: RawCommand): RawCommand => {
      if (cmd.sql === TRACK_STATE_CHANGES) {
        this.trackCommand = cmd;
        this.tracking = false;
      } else {
        // Queued behind a pending tracking SET, a statement is answered with tracking on.
        if (!this.tracking && this.trackCommand === null) this.untracked = true;
        if (typeof cmd.sql === 'string' && USER_LOCK.test(cmd.sql)) this.userLock = true;
      }
      return addCommand.call(conn, cmd);
    };
  }

  get inTransaction(): boolean {
    return (this.status & SERVER_STATUS_IN_TRANS) !== 0;
  }

  /** The session runs with autocommit off (SET autocommit = 0): every statement opens a transaction. */
  get autocommitOff(): boolean {
    return (this.status & SERVER_STATUS_AUTOCOMMIT) === 0;
  }

  /** SESSION_FLAGS of connector.ts: in transaction 1, dirty 2, autocommit off 4. */
  get flags(): number {
    const status = this.status;
    return (status & SERVER_STATUS_IN_TRANS) | (this.dirty ? 2 : 0) | (status & SERVER_STATUS_AUTOCOMMIT ? 0 : 4);
  }

  /** Whether the session may differ from a fresh one (unknown counts as yes). */
  get dirty(): boolean {
    return this.userLock || this.changed || this.untracked;
  }

  /** After a reset, or after a state change the pool made itself (a setting). */
  clear(): void {
    this.changed = false;
    this.userLock = false;
    this.untracked = false;
  }

  private read(cmd: RawCommand | undefined, packet: RawPacket): void {
    if (!cmd) return;
    const b = packet.buffer;
    const start = packet.offset;
    const length = packet.end - start;
    const head = b[start];
    if (head === 0xff && cmd === this.trackCommand) {
      // The server refused tracking: nothing it reports about this session can be trusted.
      this.trackCommand = null;
      this.untracked = true;
      return;
    }
    let status = -1;
    if (head === 0x00 && length >= 7) {
      const next = cmd.next;
      if (next != null && (next === cmd.resultsetHeader || next === cmd.pingResponse || next === cmd.resetConnectionResponse)) {
        const at = skipLenenc(b, skipLenenc(b, start + 1));
        status = b[at] | (b[at + 1] << 8);
      }
    } else if (head === 0xfe && length >= 5 && length < 9 && cmd.resultsetHeader !== undefined) {
      status = b[start + 3] | (b[start + 4] << 8);
    }
    if (status < 0) return;
    this.status = status;
    if (cmd === this.trackCommand) {
      // Handled here, in packet order: a borrower's statement queued behind it keeps its own flag.
      this.trackCommand = null;
      this.tracking = true;
      return;
    }
    if (status & SERVER_SESSION_STATE_CHANGED) this.changed = true;
  }
}

/** What a Query/Execute never needs from the connection's options. */
function scrubCommandOptions(options: Record<string, unknown>): void {
  options.password = undefined;
  options.password1 = undefined;
  options.password2 = undefined;
  options.password3 = undefined;
  options.passwordSha1 = undefined;
}

/** Offset after a length-encoded integer at `at`. */
function skipLenenc(b: Buffer, at: number): number {
  const first = b[at];
  if (first < 0xfb) return at + 1;
  if (first === 0xfc) return at + 3;
  if (first === 0xfd) return at + 4;
  return at + 9;
}
