/**
 * The protocol engine: mysql2 does the handshake, then each command packet is answered here in
 * order (text and binary protocol), after the hooks have had their say.
 */
import type net from 'node:net';
import mysql from 'mysql2';
import { binaryRow, CAPABILITIES, CHARSET_UTF8, CMD, column, columnPacket, lenenc, STATUS_AUTOCOMMIT, TYPE, writeRaw } from './packets.ts';
import type { ColumnDef, ServerConnection } from './server-connection.ts';
import { Session } from './session.ts';
import { ER_UNKNOWN_STMT_HANDLER, SqlError } from './sql-error.ts';
import { countPlaceholders } from './sql-lexer.ts';
import { evaluate, preparedColumns, type Result } from './sql-statements.ts';
import { bindParams, type Statement } from './statement-params.ts';
import { SYSTEM_DEFAULTS } from './system-variables.ts';
import type { EmbeddedSession, ProtocolHooks } from './types.ts';

export class ProtocolEngine {
  readonly open = new Set<Session>();
  commands = 0;
  private nextId = 1000;
  private readonly hooks: ProtocolHooks;

  constructor(hooks: ProtocolHooks) {
    this.hooks = hooks;
  }

  /** Speaks the MySQL protocol on an accepted socket. */
  serve(socket: net.Socket): EmbeddedSession {
    socket.on('error', () => {});
    // An answer is several small packets: no Nagle delay (and they are corked into one write).
    socket.setNoDelay(true);
    // What mysql.createServer() does for each socket, without its connect timer (a quiet client
    // is not an error here).
    const m = mysql as unknown as { ConnectionConfig: new (o: unknown) => unknown; Connection: new (o: unknown) => ServerConnection };
    const conn = new m.Connection({ config: new m.ConnectionConfig({ stream: socket, isServer: true, connectTimeout: 0 }) });
    conn.on('error', () => {});
    const session = new Session(this.nextId++, conn);
    this.open.add(session);
    socket.once('close', () => this.open.delete(session));
    const cmd = conn.serverHandshake({
      protocolVersion: 10,
      serverVersion: String(SYSTEM_DEFAULTS.version),
      connectionId: session.id,
      statusFlags: STATUS_AUTOCOMMIT,
      characterSet: CHARSET_UTF8,
      capabilityFlags: CAPABILITIES,
    });
    // mysql2's ServerHandshake dispatches commands to events with some guesswork (SET arrives as
    // a prepared statement, execute parameters are sniffed). Once the handshake is done, take the
    // raw command packets instead; the handshake and auth stay mysql2's.
    const dispatch = (Object.getPrototypeOf(cmd) as { dispatchCommands?: unknown }).dispatchCommands;
    if (typeof dispatch !== 'function') throw new Error('embedded-mysql: unexpected mysql2 server internals');
    // Sequence ids: mysql2 expects every incoming packet to carry conn.sequenceId, and answers
    // continue from it. Answers here may be delayed, so each command's answer gets its own sequence
    // (the request's + 1) and conn.sequenceId rests at 0 (what the next command will carry).
    const writePacket = conn.writePacket.bind(conn);
    let ready = false;
    let outSeq = 0;
    conn.writePacket = (packet) => {
      if (!ready) {
        writePacket(packet);
        return;
      }
      if (!socket.writableCorked) {
        socket.cork();
        process.nextTick(() => socket.uncork());
      }
      (conn as unknown as { sequenceId: number }).sequenceId = outSeq;
      writePacket(packet);
      outSeq = (outSeq + 1) & 0xff;
      (conn as unknown as { sequenceId: number }).sequenceId = 0;
    };
    const execute = cmd.execute;
    cmd.execute = (packet, connection) => {
      if (!packet || !ready) {
        const done = execute.call(cmd, packet, connection);
        if (cmd.next === dispatch && !ready) {
          ready = true;
          (conn as unknown as { sequenceId: number }).sequenceId = 0;
          session.user = conn.clientHelloReply?.user ?? '';
          session.database = conn.clientHelloReply?.database ?? '';
          session.attributes = { ...(conn.clientHelloReply?.connectAttributes ?? {}) };
        }
        return done;
      }
      const seq = ((packet.sequenceId ?? 0) + 1) & 0xff;
      (conn as unknown as { sequenceId: number }).sequenceId = 0;
      const payload = Buffer.from(packet.buffer.subarray(packet.offset, packet.end));
      session.queue = session.queue
        .then(() => {
          outSeq = seq;
          return this.command(session, payload);
        })
        .catch(() => {
          socket.destroy();
        });
      return false;
    };
    return session;
  }

  destroyAll(): void {
    for (const session of this.open) session.socket.destroy();
    this.open.clear();
  }

  private async command(session: Session, payload: Buffer): Promise<void> {
    if (session.socket.destroyed) return;
    const conn = session.conn;
    const code = payload[0];
    const body = payload.subarray(1);
    switch (code) {
      case CMD.QUIT:
        session.socket.end();
        return;
      case CMD.STMT_CLOSE:
        session.statements.delete(body.readUInt32LE(0));
        return;
      case CMD.QUERY: {
        const sql = body.toString('utf8');
        if (!(await this.hook(session, sql))) return;
        this.commands++;
        await this.runText(session, sql);
        return;
      }
      case CMD.STMT_PREPARE: {
        const sql = body.toString('utf8');
        if (!(await this.hook(session, sql))) return;
        this.commands++;
        this.prepare(session, sql);
        return;
      }
      case CMD.STMT_EXECUTE: {
        const id = body.readUInt32LE(0);
        const stmt = session.statements.get(id);
        if (!(await this.hook(session, stmt?.sql ?? 'COM_STMT_EXECUTE'))) return;
        this.commands++;
        if (!stmt) {
          conn.writeError({ code: ER_UNKNOWN_STMT_HANDLER, message: `Unknown prepared statement handler (${id}) given to mysqld_stmt_execute` });
          return;
        }
        await this.execute(session, stmt, body);
        return;
      }
      case CMD.PING:
      case CMD.INIT_DB:
      case CMD.STMT_RESET:
      case CMD.RESET_CONNECTION: {
        const name = { [CMD.PING]: 'COM_PING', [CMD.INIT_DB]: 'COM_INIT_DB', [CMD.STMT_RESET]: 'COM_STMT_RESET', [CMD.RESET_CONNECTION]: 'COM_RESET_CONNECTION' }[code];
        if (!(await this.hook(session, name))) return;
        this.commands++;
        if (code === CMD.RESET_CONNECTION) session.reset();
        if (code === CMD.INIT_DB) session.database = body.toString('utf8');
        conn.writeOk({ serverStatus: session.status });
        return;
      }
      default:
        conn.writeError({ code: 1047, message: `Unknown command 0x${code.toString(16)} (embedded server)` });
    }
  }

  /** Runs the hook; false when the statement must not be answered. */
  private async hook(session: Session, sql: string): Promise<boolean> {
    const action = this.hooks.onStatement?.(sql, session);
    if (!action || action.kind === 'answer') return true;
    switch (action.kind) {
      case 'fail':
        session.conn.writeError({ code: action.code ?? 1105, message: action.message ?? `forced failure of: ${sql}` });
        return false;
      case 'drop':
        session.socket.end();
        session.socket.destroySoon();
        return false;
      case 'reset':
        session.socket.resetAndDestroy();
        return false;
      case 'hang':
        await new Promise<void>((resolve) => session.socket.once('close', () => resolve()));
        return false;
      case 'delay':
        await delay(action.ms, session.socket);
        return !session.socket.destroyed;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // text protocol

  /**
   * Evaluates `sql` and answers everything but a result set (an error, or OK), after the
   * statement's sleep. Returns the rows to encode, or undefined when the reply is already written
   * (or the socket is gone).
   */
  private async evaluateAndAnswer(session: Session, sql: string): Promise<Extract<Result, { kind: 'rows' }> | undefined> {
    const conn = session.conn;
    let result: Result;
    try {
      result = evaluate(session, sql);
    } catch (error) {
      writeSqlError(conn, error);
      return undefined;
    }
    if (result.sleepMs > 0) await delay(result.sleepMs, session.socket);
    if (session.socket.destroyed) return undefined;
    if (result.kind === 'ok') {
      conn.writeOk({ serverStatus: session.status });
      return undefined;
    }
    return result;
  }

  private async runText(session: Session, sql: string): Promise<void> {
    const conn = session.conn;
    const result = await this.evaluateAndAnswer(session, sql);
    if (!result) return;
    conn.writeColumns(result.columns);
    for (const row of result.rows) conn.writeTextRow(row.map((v) => (typeof v === 'number' ? String(v) : v)));
    conn.writeEof(0, session.status);
  }

  // ---------------------------------------------------------------------------------------------
  // binary protocol (prepared statements)

  private prepare(session: Session, sql: string): void {
    const conn = session.conn;
    let columns = 0;
    try {
      columns = preparedColumns(sql);
    } catch (error) {
      writeSqlError(conn, error);
      return;
    }
    const params = countPlaceholders(sql);
    const id = session.nextStatement++;
    session.statements.set(id, { sql, params, columns, types: [] });
    const head = Buffer.alloc(12);
    head[0] = 0;
    head.writeUInt32LE(id, 1);
    head.writeUInt16LE(columns, 5);
    head.writeUInt16LE(params, 7);
    writeRaw(conn, head);
    const placeholder = (name: string): ColumnDef => column(name, TYPE.VAR_STRING);
    if (params > 0) {
      for (let i = 0; i < params; i++) conn.writePacket(columnPacket(placeholder('?')));
      conn.writeEof(0, session.status);
    }
    if (columns > 0) {
      for (let i = 0; i < columns; i++) conn.writePacket(columnPacket(placeholder(`c${i}`)));
      conn.writeEof(0, session.status);
    }
  }

  private async execute(session: Session, stmt: Statement, body: Buffer): Promise<void> {
    const conn = session.conn;
    let sql: string;
    try {
      sql = bindParams(stmt, body);
    } catch (error) {
      writeSqlError(conn, error);
      return;
    }
    const result = await this.evaluateAndAnswer(session, sql);
    if (!result) return;
    writeRaw(conn, lenenc(result.columns.length));
    for (const c of result.columns) conn.writePacket(columnPacket(c));
    conn.writeEof(0, session.status);
    for (const row of result.rows) writeRaw(conn, binaryRow(row, result.columns));
    conn.writeEof(0, session.status);
  }
}

export function writeSqlError(conn: ServerConnection, error: unknown): void {
  if (error instanceof SqlError) conn.writeError({ code: error.errno, message: error.message });
  else conn.writeError({ code: 1105, message: (error as Error).message ?? String(error) });
}

export function delay(ms: number, socket: net.Socket): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      socket.off('close', done);
      resolve();
    }
    socket.once('close', done);
  });
}
