/**
 * An in-process MySQL-protocol server (mysql2's server-side Connection) for benchmarks and examples
 * on machines without a database, and the protocol half of test/support/fault-server.ts.
 * Imports nothing from src/.
 *
 * It answers what the bench and the example send, per session:
 *   SELECT <expr> [AS alias], ...      numbers, 'strings', + - * /, ( ), NULL, @@[session.]var,
 *                                      @uservar, CONNECTION_ID(), DATABASE(), VERSION(), USER(),
 *                                      SLEEP(s) (delays the answer)
 *   SET [SESSION] var = value, ...     system variables (sql_mode expands ANSI like MariaDB), @vars,
 *                                      SET NAMES, SET TRANSACTION; DEFAULT restores the default
 *   BEGIN / START TRANSACTION / COMMIT / ROLLBACK / DO ...
 *   prepared statements (COM_STMT_PREPARE / EXECUTE / CLOSE / RESET) of the same statements
 *   COM_PING, COM_INIT_DB, COM_RESET_CONNECTION (session back to defaults), COM_QUIT
 * Anything else is an ER_PARSE_ERROR (1064) naming what is supported.
 *
 *   const db = await startEmbeddedMysql();     // 127.0.0.1, port 0
 *   mysql.createConnection({ host: '127.0.0.1', port: db.port, user: 'root' });
 *   await db.close();
 *
 * resolveMysqlTarget() picks MYSQL_URL (or mysql://root@127.0.0.1:3306/test) when it answers,
 * else starts the embedded server and says so on stderr.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import mysql from 'mysql2';

// ------------------------------------------------------------------------------------------------
// public API

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

const LOOPBACK = '127.0.0.1';

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

export function createMysqlProtocol(hooks: ProtocolHooks = {}): MysqlProtocol {
  const engine = new ProtocolEngine(hooks);
  return {
    serve: (socket) => engine.serve(socket),
    get sessions() {
      return engine.open.size;
    },
    get commands() {
      return engine.commands;
    },
    destroyAll: () => engine.destroyAll(),
  };
}

export async function startEmbeddedMysql(options: EmbeddedMysqlOptions = {}): Promise<EmbeddedMysql> {
  const engine = new ProtocolEngine(options.hooks ?? {});
  const server = net.createServer((socket) => engine.serve(socket));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as net.AddressInfo).port;
  let closing: Promise<void> | null = null;
  return {
    host: LOOPBACK,
    port,
    get sessions() {
      return engine.open.size;
    },
    get commands() {
      return engine.commands;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        engine.destroyAll();
      });
      return closing;
    },
  };
}

/**
 * MYSQL_URL (default mysql://root@127.0.0.1:3306/test) if a server answers there within
 * `probeTimeoutMs`; otherwise an embedded server (announced on stderr). MYSQL_EMBEDDED=1 skips
 * the probe. close() stops the embedded server (no-op for a real one).
 */
export async function resolveMysqlTarget(opts: { url?: string; probeTimeoutMs?: number } = {}): Promise<MysqlTarget> {
  const url = opts.url ?? process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
  const options = parseMysqlUrl(url);
  const description = `mysql://${options.user}@${options.host}:${options.port}/${options.database ?? ''}`;
  let reason = 'MYSQL_EMBEDDED=1';
  if (process.env.MYSQL_EMBEDDED !== '1') {
    try {
      await probe(options, opts.probeTimeoutMs ?? 1500);
      return { options, embedded: false, description, close: async () => {} };
    } catch (error) {
      const e = error as Error & { code?: string };
      reason = `no answer from ${description}: ${e.code ?? e.message}`;
    }
  }
  const db = await startEmbeddedMysql();
  process.stderr.write(
    `[embedded-mysql] ${reason}; using the in-process embedded MySQL-protocol server on ${db.host}:${db.port} ` +
      '(it measures the pool and the driver, not a database)\n',
  );
  return {
    options: { host: db.host, port: db.port, user: 'root', database: 'test' },
    embedded: true,
    description: `embedded mysql://root@${db.host}:${db.port}/test`,
    sessions: () => db.sessions,
    close: () => db.close(),
  };
}

export function parseMysqlUrl(url: string): MysqlTarget['options'] {
  const u = new URL(url);
  if (u.protocol !== 'mysql:') throw new Error(`not a mysql:// URL: ${u.protocol}//${u.host}`);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  return {
    host: u.hostname || LOOPBACK,
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username) || 'root',
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(database ? { database } : {}),
  };
}

function probe(options: MysqlTarget['options'], timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const conn = mysql.createConnection({ ...options, connectTimeout: timeoutMs });
    let done = false;
    const finish = (error: Error | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (error) conn.destroy();
      else conn.end(() => {});
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(() => finish(Object.assign(new Error('probe timed out'), { code: 'ETIMEDOUT' })), timeoutMs + 100);
    conn.on('error', (e) => finish(e));
    conn.query('SELECT 1', (e) => finish(e));
  });
}

// ------------------------------------------------------------------------------------------------
// protocol

const CMD = {
  QUIT: 0x01, INIT_DB: 0x02, QUERY: 0x03, PING: 0x0e, STMT_PREPARE: 0x16, STMT_EXECUTE: 0x17,
  STMT_CLOSE: 0x19, STMT_RESET: 0x1a, RESET_CONNECTION: 0x1f,
} as const;

const TYPE = { DOUBLE: 0x05, NULL: 0x06, LONGLONG: 0x08, VAR_STRING: 0xfd } as const;
const CHARSET_UTF8 = 33;
const CHARSET_BINARY = 63;
const STATUS_AUTOCOMMIT = 0x0002;
const STATUS_IN_TRANS = 0x0001;
const STATUS_SESSION_STATE_CHANGED = 0x4000;

const ER_PARSE = 1064;
const ER_UNKNOWN_SYSTEM_VARIABLE = 1193;
const ER_UNKNOWN_STMT_HANDLER = 1243;
const ER_SPECIFIC_ACCESS_DENIED = 1227;

/**
 * Capabilities offered to clients: protocol 4.1, native password auth, connect attributes. Not
 * offered: SSL, compression, DEPRECATE_EOF (the server writes EOF packets), session tracking,
 * query attributes.
 */
const CAPABILITIES =
  0x00000001 | 0x00000002 | 0x00000004 | 0x00000008 | 0x00000200 | 0x00002000 | 0x00008000 |
  0x00010000 | 0x00020000 | 0x00080000 | 0x00100000 | 0x00200000;

const DEFAULT_SQL_MODE = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION';
const SYSTEM_DEFAULTS: Record<string, string | number> = {
  sql_mode: DEFAULT_SQL_MODE,
  autocommit: 1,
  time_zone: 'SYSTEM',
  tx_isolation: 'REPEATABLE-READ',
  transaction_isolation: 'REPEATABLE-READ',
  wait_timeout: 28800,
  session_track_state_change: 0,
  interactive_timeout: 28800,
  max_statement_time: 0,
  character_set_client: 'utf8mb4',
  character_set_connection: 'utf8mb4',
  character_set_results: 'utf8mb4',
  collation_connection: 'utf8mb4_general_ci',
  version: '10.11.0-embedded',
  version_comment: 'shared-mysql-pool embedded server',
  max_allowed_packet: 16777216,
};
const SQL_MODE_ALIASES: Record<string, string[]> = {
  ANSI: ['REAL_AS_FLOAT', 'PIPES_AS_CONCAT', 'ANSI_QUOTES', 'IGNORE_SPACE', 'ANSI'],
  TRADITIONAL: [
    'STRICT_TRANS_TABLES', 'STRICT_ALL_TABLES', 'NO_ZERO_IN_DATE', 'NO_ZERO_DATE', 'ERROR_FOR_DIVISION_BY_ZERO',
    'TRADITIONAL', 'NO_AUTO_CREATE_USER', 'NO_ENGINE_SUBSTITUTION',
  ],
};

type Value = number | string | null;

class SqlError extends Error {
  constructor(readonly errno: number, message: string) {
    super(message);
  }
}

/** The part of mysql2's (untyped) server-side connection used here. */
interface ServerConnection extends EventEmitter {
  stream: net.Socket;
  connectTimeout: NodeJS.Timeout | null;
  clientHelloReply?: { user?: string; database?: string; connectAttributes?: Record<string, string> };
  serverHandshake(args: Record<string, unknown>): HandshakeCommand;
  writeOk(args?: { affectedRows?: number; insertId?: number; serverStatus?: number }): void;
  writeError(args: { code: number; message: string }): void;
  writeColumns(columns: ColumnDef[]): void;
  writeTextRow(values: Value[]): void;
  writeEof(warnings?: number, statusFlags?: number): void;
  writePacket(packet: { length(): number; writeHeader(seq: number): void; buffer: Buffer }): void;
}

interface HandshakeCommand {
  next: unknown;
  execute(packet: IncomingPacket | null, connection: ServerConnection): boolean;
}

interface IncomingPacket {
  sequenceId?: number;
  buffer: Buffer;
  offset: number;
  end: number;
}

interface ColumnDef {
  catalog: string; schema: string; table: string; orgTable: string; name: string; orgName: string;
  characterSet: number; columnLength: number; columnType: number; flags: number; decimals: number;
}

interface Statement {
  sql: string;
  params: number;
  columns: number;
  types: number[];
}

class Session implements EmbeddedSession {
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

class ProtocolEngine {
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

function writeSqlError(conn: ServerConnection, error: unknown): void {
  if (error instanceof SqlError) conn.writeError({ code: error.errno, message: error.message });
  else conn.writeError({ code: 1105, message: (error as Error).message ?? String(error) });
}

function delay(ms: number, socket: net.Socket): Promise<void> {
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

/** A payload written through the connection, so mysql2 keeps the sequence ids. */
function writeRaw(conn: ServerConnection, payload: Buffer): void {
  const buffer = Buffer.allocUnsafe(payload.length + 4);
  payload.copy(buffer, 4);
  conn.writePacket({
    buffer,
    length: () => buffer.length,
    writeHeader(seq: number) {
      buffer.writeUIntLE(payload.length, 0, 3);
      buffer[3] = seq;
    },
  });
}

function lenenc(n: number): Buffer {
  if (n < 251) return Buffer.from([n]);
  if (n < 0x10000) return Buffer.from([0xfc, n & 0xff, n >> 8]);
  if (n < 0x1000000) return Buffer.from([0xfd, n & 0xff, (n >> 8) & 0xff, n >> 16]);
  const b = Buffer.alloc(9);
  b[0] = 0xfe;
  b.writeBigUInt64LE(BigInt(n), 1);
  return b;
}

function lenencString(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  return Buffer.concat([lenenc(bytes.length), bytes]);
}

function column(name: string, type: number): ColumnDef {
  const isString = type === TYPE.VAR_STRING;
  return {
    catalog: 'def', schema: '', table: '', orgTable: '', name, orgName: '',
    characterSet: isString ? CHARSET_UTF8 : CHARSET_BINARY,
    columnLength: isString ? 1024 : type === TYPE.DOUBLE ? 23 : 21,
    columnType: type,
    flags: type === TYPE.NULL ? 0 : 1 /* NOT_NULL */ | (isString ? 0 : 128 /* BINARY */),
    decimals: type === TYPE.DOUBLE ? 31 : 0,
  };
}

function columnPacket(c: ColumnDef): { buffer: Buffer; length(): number; writeHeader(seq: number): void } {
  const head = Buffer.alloc(13);
  head[0] = 0x0c;
  head.writeUInt16LE(c.characterSet, 1);
  head.writeUInt32LE(c.columnLength, 3);
  head[7] = c.columnType;
  head.writeUInt16LE(c.flags, 8);
  head[10] = c.decimals;
  const payload = Buffer.concat([
    lenencString(c.catalog), lenencString(c.schema), lenencString(c.table), lenencString(c.orgTable),
    lenencString(c.name), lenencString(c.orgName), head,
  ]);
  const buffer = Buffer.allocUnsafe(payload.length + 4);
  payload.copy(buffer, 4);
  return {
    buffer,
    length: () => buffer.length,
    writeHeader(seq: number) {
      buffer.writeUIntLE(payload.length, 0, 3);
      buffer[3] = seq;
    },
  };
}

function binaryRow(row: Value[], columns: ColumnDef[]): Buffer {
  const bitmap = Buffer.alloc((columns.length + 7 + 2) >> 3);
  const parts: Buffer[] = [Buffer.from([0]), bitmap];
  row.forEach((v, i) => {
    if (v === null) {
      bitmap[(i + 2) >> 3] |= 1 << ((i + 2) & 7);
      return;
    }
    const type = columns[i].columnType;
    if (type === TYPE.LONGLONG) {
      const b = Buffer.alloc(8);
      b.writeBigInt64LE(BigInt(v as number));
      parts.push(b);
    } else if (type === TYPE.DOUBLE) {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(v as number);
      parts.push(b);
    } else {
      parts.push(lenencString(String(v)));
    }
  });
  return Buffer.concat(parts);
}

function typeOf(v: Value): number {
  if (v === null) return TYPE.NULL;
  if (typeof v === 'number') return Number.isInteger(v) ? TYPE.LONGLONG : TYPE.DOUBLE;
  return TYPE.VAR_STRING;
}

/** Reads COM_STMT_EXECUTE parameters and returns the statement text with them inlined. */
function bindParams(stmt: Statement, body: Buffer): string {
  if (stmt.params === 0) return stmt.sql;
  let off = 4 + 1 + 4;
  const nullBytes = (stmt.params + 7) >> 3;
  const nulls = body.subarray(off, off + nullBytes);
  off += nullBytes;
  const bound = body[off++];
  if (bound === 1) {
    stmt.types = [];
    for (let i = 0; i < stmt.params; i++) {
      stmt.types.push(body[off] | (body[off + 1] << 8));
      off += 2;
    }
  }
  if (stmt.types.length !== stmt.params) throw new SqlError(1210, 'Incorrect arguments to mysqld_stmt_execute');
  const values: string[] = [];
  for (let i = 0; i < stmt.params; i++) {
    if (nulls[i >> 3] & (1 << (i & 7))) {
      values.push('NULL');
      continue;
    }
    const type = stmt.types[i] & 0xff;
    const unsigned = (stmt.types[i] & 0x8000) !== 0;
    switch (type) {
      case 0x01: values.push(String(unsigned ? body.readUInt8(off) : body.readInt8(off))); off += 1; break;
      case 0x02: values.push(String(unsigned ? body.readUInt16LE(off) : body.readInt16LE(off))); off += 2; break;
      case 0x03: values.push(String(unsigned ? body.readUInt32LE(off) : body.readInt32LE(off))); off += 4; break;
      case 0x08: values.push(String(unsigned ? body.readBigUInt64LE(off) : body.readBigInt64LE(off))); off += 8; break;
      case 0x04: values.push(String(body.readFloatLE(off))); off += 4; break;
      case 0x05: values.push(String(body.readDoubleLE(off))); off += 8; break;
      case TYPE.NULL: values.push('NULL'); break;
      default: {
        // Length-encoded bytes: strings, blobs, JSON, decimals.
        const first = body[off];
        let len: number;
        if (first < 0xfb) { len = first; off += 1; }
        else if (first === 0xfc) { len = body.readUInt16LE(off + 1); off += 3; }
        else if (first === 0xfd) { len = body.readUIntLE(off + 1, 3); off += 4; }
        else { len = Number(body.readBigUInt64LE(off + 1)); off += 9; }
        values.push(quote(body.subarray(off, off + len).toString('utf8')));
        off += len;
      }
    }
  }
  let i = 0;
  return replacePlaceholders(stmt.sql, () => values[i++]);
}

function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

// ------------------------------------------------------------------------------------------------
// a small SQL subset

type Token =
  | { t: 'num'; v: number; s: number; e: number }
  | { t: 'str'; v: string; s: number; e: number }
  | { t: 'sysvar'; scope: string; v: string; s: number; e: number }
  | { t: 'uservar'; v: string; s: number; e: number }
  | { t: 'id'; v: string; s: number; e: number }
  | { t: 'op'; v: string; s: number; e: number }
  | { t: 'param'; s: number; e: number };

function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (/\s/.test(c)) { i++; continue; }
    if (c === '-' && sql[i + 1] === '-' && /\s|$/.test(sql[i + 2] ?? '')) { while (i < sql.length && sql[i] !== '\n') i++; continue; }
    if (c === '#') { while (i < sql.length && sql[i] !== '\n') i++; continue; }
    if (c === '/' && sql[i + 1] === '*') { const end = sql.indexOf('*/', i + 2); i = end < 0 ? sql.length : end + 2; continue; }
    const s = i;
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      const m = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(sql.slice(i))!;
      i += m[0].length;
      out.push({ t: 'num', v: Number(m[0]), s, e: i });
      continue;
    }
    if (c === "'" || c === '"') {
      let v = '';
      i++;
      for (;;) {
        if (i >= sql.length) throw new SqlError(ER_PARSE, 'unterminated string');
        const ch = sql[i];
        if (ch === '\\') { v += unescape(sql[i + 1] ?? ''); i += 2; continue; }
        if (ch === c) {
          if (sql[i + 1] === c) { v += c; i += 2; continue; }
          i++;
          break;
        }
        v += ch;
        i++;
      }
      out.push({ t: 'str', v, s, e: i });
      continue;
    }
    if (c === '@' && sql[i + 1] === '@') {
      const m = /^@@(?:(session|local|global)\.)?([A-Za-z_][A-Za-z0-9_]*)/i.exec(sql.slice(i));
      if (!m) throw new SqlError(ER_PARSE, `bad system variable near '${sql.slice(i, i + 20)}'`);
      i += m[0].length;
      out.push({ t: 'sysvar', scope: (m[1] ?? 'session').toLowerCase(), v: m[2].toLowerCase(), s, e: i });
      continue;
    }
    if (c === '@') {
      const m = /^@([A-Za-z0-9_$.]+)/.exec(sql.slice(i));
      if (!m) throw new SqlError(ER_PARSE, `bad user variable near '${sql.slice(i, i + 20)}'`);
      i += m[0].length;
      out.push({ t: 'uservar', v: m[1].toLowerCase(), s, e: i });
      continue;
    }
    if (c === '`') {
      const end = sql.indexOf('`', i + 1);
      if (end < 0) throw new SqlError(ER_PARSE, 'unterminated identifier');
      out.push({ t: 'id', v: sql.slice(i + 1, end), s, e: end + 1 });
      i = end + 1;
      continue;
    }
    if (/[A-Za-z_$]/.test(c)) {
      const m = /^[A-Za-z0-9_$]+/.exec(sql.slice(i))!;
      i += m[0].length;
      out.push({ t: 'id', v: m[0], s, e: i });
      continue;
    }
    if (c === '?') { i++; out.push({ t: 'param', s, e: i }); continue; }
    if (c === ':' && sql[i + 1] === '=') { i += 2; out.push({ t: 'op', v: '=', s, e: i }); continue; }
    if ('(),+-*/=;.'.includes(c)) { i++; out.push({ t: 'op', v: c, s, e: i }); continue; }
    throw new SqlError(ER_PARSE, `You have an error in your SQL syntax near '${sql.slice(i, i + 20)}'`);
  }
  return out;
}

function unescape(c: string): string {
  return ({ n: '\n', r: '\r', t: '\t', '0': '\0', Z: '\x1a', b: '\b' } as Record<string, string>)[c] ?? c;
}

function countPlaceholders(sql: string): number {
  return tokenize(sql).filter((t) => t.t === 'param').length;
}

function replacePlaceholders(sql: string, next: () => string): string {
  let out = '';
  let last = 0;
  for (const t of tokenize(sql)) {
    if (t.t !== 'param') continue;
    out += sql.slice(last, t.s) + next();
    last = t.e;
  }
  return out + sql.slice(last);
}

type Result =
  | { kind: 'ok'; sleepMs: number }
  | { kind: 'rows'; columns: ColumnDef[]; rows: Value[][]; sleepMs: number };

const SUPPORTED = 'SELECT <expressions>, SET, BEGIN/START TRANSACTION/COMMIT/ROLLBACK, DO';

function keyword(t: Token | undefined, ...words: string[]): boolean {
  return t !== undefined && t.t === 'id' && words.includes(t.v.toUpperCase());
}

function evaluate(session: Session, sql: string): Result {
  const tokens = tokenize(sql);
  while (tokens.length > 0 && tokens[tokens.length - 1].t === 'op' && (tokens[tokens.length - 1] as { v: string }).v === ';') tokens.pop();
  if (tokens.length === 0) throw new SqlError(1065, 'Query was empty');
  const first = tokens[0];
  if (keyword(first, 'SELECT')) return select(session, sql, tokens);
  if (keyword(first, 'SET')) {
    set(session, tokens);
    return { kind: 'ok', sleepMs: 0 };
  }
  if (keyword(first, 'BEGIN') || (keyword(first, 'START') && keyword(tokens[1], 'TRANSACTION'))) {
    session.inTransaction = true;
    return { kind: 'ok', sleepMs: 0 };
  }
  if (keyword(first, 'COMMIT', 'ROLLBACK')) {
    session.inTransaction = false;
    return { kind: 'ok', sleepMs: 0 };
  }
  if (keyword(first, 'DO')) {
    const p = new Parser(session, sql, tokens, 1);
    do p.expr(); while (p.eat(','));
    p.end();
    return { kind: 'ok', sleepMs: p.sleepMs };
  }
  throw new SqlError(ER_PARSE, `You have an error in your SQL syntax; the embedded server supports ${SUPPORTED} (got '${sql.slice(0, 40)}')`);
}

/** Columns a prepared statement will return (for the COM_STMT_PREPARE answer). */
function preparedColumns(sql: string): number {
  const tokens = tokenize(sql);
  if (!keyword(tokens[0], 'SELECT')) {
    if (!keyword(tokens[0], 'SET', 'BEGIN', 'START', 'COMMIT', 'ROLLBACK', 'DO')) {
      throw new SqlError(ER_PARSE, `You have an error in your SQL syntax; the embedded server supports ${SUPPORTED}`);
    }
    return 0;
  }
  let depth = 0;
  let n = 1;
  for (const t of tokens) {
    if (t.t !== 'op') continue;
    if (t.v === '(') depth++;
    else if (t.v === ')') depth--;
    else if (t.v === ',' && depth === 0) n++;
  }
  return n;
}

function select(session: Session, sql: string, tokens: Token[]): Result {
  const p = new Parser(session, sql, tokens, 1);
  const columns: ColumnDef[] = [];
  const row: Value[] = [];
  do {
    const start = p.peek();
    const value = p.expr();
    const text = sql.slice(start!.s, p.lastEnd).trim();
    let name = text;
    if (keyword(p.peek(), 'AS')) {
      p.pos++;
      name = p.alias();
    } else if (p.peek() && (p.peek()!.t === 'id' || p.peek()!.t === 'str') && !keyword(p.peek(), 'FROM')) {
      name = p.alias();
    }
    columns.push(column(name, typeOf(value)));
    row.push(value);
  } while (p.eat(','));
  if (keyword(p.peek(), 'FROM')) {
    p.pos++;
    if (!keyword(p.peek(), 'DUAL')) throw new SqlError(1146, 'the embedded server has no tables (only FROM DUAL)');
    p.pos++;
  }
  p.end();
  return { kind: 'rows', columns, rows: [row], sleepMs: p.sleepMs };
}

function set(session: Session, tokens: Token[]): void {
  const p = new Parser(session, '', tokens, 1);
  if (keyword(p.peek(), 'TRANSACTION') || (keyword(p.peek(), 'SESSION') && keyword(tokens[2], 'TRANSACTION'))) return;
  if (keyword(p.peek(), 'NAMES', 'CHARACTER')) return;
  do {
    let scope = 'session';
    if (keyword(p.peek(), 'SESSION', 'LOCAL', 'GLOBAL')) scope = (p.next() as { v: string }).v.toLowerCase();
    const target = p.next();
    let name: string;
    let user = false;
    if (target?.t === 'sysvar') {
      scope = target.scope;
      name = target.v;
    } else if (target?.t === 'uservar') {
      name = target.v;
      user = true;
    } else if (target?.t === 'id') {
      name = target.v.toLowerCase();
    } else {
      throw new SqlError(ER_PARSE, 'You have an error in your SQL syntax near SET');
    }
    if (!p.eat('=')) throw new SqlError(ER_PARSE, `You have an error in your SQL syntax: expected = after ${name}`);
    if (user) {
      session.userVars.set(name, p.expr());
      if (session.variable('session_track_state_change') === 1) session.stateChanged = true;
      continue;
    }
    if (scope === 'global') throw new SqlError(ER_SPECIFIC_ACCESS_DENIED, 'Access denied; the embedded server has no global variables');
    if (!(name in SYSTEM_DEFAULTS)) throw new SqlError(ER_UNKNOWN_SYSTEM_VARIABLE, `Unknown system variable '${name}'`);
    let value: Value;
    if (keyword(p.peek(), 'DEFAULT')) {
      p.pos++;
      session.vars.delete(name);
      continue;
    }
    const t = p.peek();
    if (t?.t === 'id' && !(p.tokens[p.pos + 1]?.t === 'op' && (p.tokens[p.pos + 1] as { v: string }).v === '(')) {
      p.pos++;
      value = t.v;
    } else {
      value = p.expr();
    }
    if (typeof value === 'string' && /^(ON|TRUE)$/i.test(value)) value = 1;
    if (typeof value === 'string' && /^(OFF|FALSE)$/i.test(value)) value = 0;
    if (name === 'sql_mode') value = normalizeSqlMode(value);
    session.vars.set(name, value);
    if (session.variable('session_track_state_change') === 1) session.stateChanged = true;
  } while (p.eat(','));
  p.end();
}

function normalizeSqlMode(value: Value): string {
  const modes: string[] = [];
  for (const part of String(value ?? '').split(',')) {
    const mode = part.trim().toUpperCase();
    if (mode === '') continue;
    for (const m of SQL_MODE_ALIASES[mode] ?? [mode]) if (!modes.includes(m)) modes.push(m);
  }
  return modes.join(',');
}

class Parser {
  pos: number;
  lastEnd = 0;
  sleepMs = 0;
  constructor(readonly session: Session, readonly sql: string, readonly tokens: Token[], start: number) {
    this.pos = start;
  }

  peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  next(): Token | undefined {
    const t = this.tokens[this.pos++];
    if (t) this.lastEnd = t.e;
    return t;
  }

  eat(op: string): boolean {
    const t = this.peek();
    if (t?.t === 'op' && t.v === op) {
      this.next();
      return true;
    }
    return false;
  }

  end(): void {
    const t = this.peek();
    if (t) throw new SqlError(ER_PARSE, `You have an error in your SQL syntax near '${this.sql.slice(t.s, t.s + 20) || (t as { v?: unknown }).v}'`);
  }

  alias(): string {
    const t = this.next();
    if (t?.t === 'id' || t?.t === 'str') return t.v;
    throw new SqlError(ER_PARSE, 'expected an alias');
  }

  expr(): Value {
    let v = this.term();
    for (;;) {
      if (this.eat('+')) v = arith(v, this.term(), (a, b) => a + b);
      else if (this.eat('-')) v = arith(v, this.term(), (a, b) => a - b);
      else return v;
    }
  }

  private term(): Value {
    let v = this.factor();
    for (;;) {
      if (this.eat('*')) v = arith(v, this.factor(), (a, b) => a * b);
      else if (this.eat('/')) {
        const d = this.factor();
        v = d === 0 || d === null || v === null ? null : Number(v) / Number(d);
      } else return v;
    }
  }

  private factor(): Value {
    const t = this.next();
    if (!t) throw new SqlError(ER_PARSE, 'You have an error in your SQL syntax: unexpected end of statement');
    switch (t.t) {
      case 'num': return t.v;
      case 'str': return t.v;
      case 'param': throw new SqlError(ER_PARSE, 'a ? placeholder outside a prepared statement');
      case 'uservar': return this.session.userVars.get(t.v) ?? null;
      case 'sysvar': {
        if (!(t.v in SYSTEM_DEFAULTS)) throw new SqlError(ER_UNKNOWN_SYSTEM_VARIABLE, `Unknown system variable '${t.v}'`);
        const v = t.scope === 'global' ? SYSTEM_DEFAULTS[t.v] : this.session.variable(t.v);
        return v as Value;
      }
      case 'op':
        if (t.v === '(') {
          const v = this.expr();
          if (!this.eat(')')) throw new SqlError(ER_PARSE, 'expected )');
          return v;
        }
        if (t.v === '-') return arith(0, this.factor(), (a, b) => a - b);
        if (t.v === '+') return this.factor();
        throw new SqlError(ER_PARSE, `You have an error in your SQL syntax near '${t.v}'`);
      case 'id': {
        const word = t.v.toUpperCase();
        if (word === 'NULL') return null;
        if (word === 'TRUE') return 1;
        if (word === 'FALSE') return 0;
        if (!this.eat('(')) throw new SqlError(1054, `Unknown column '${t.v}' in 'field list'`);
        const args: Value[] = [];
        if (!this.eat(')')) {
          do args.push(this.expr()); while (this.eat(','));
          if (!this.eat(')')) throw new SqlError(ER_PARSE, 'expected )');
        }
        return this.call(word, args);
      }
    }
  }

  private call(fn: string, args: Value[]): Value {
    switch (fn) {
      case 'CONNECTION_ID': return this.session.id;
      case 'DATABASE': case 'SCHEMA': return this.session.database || null;
      case 'VERSION': return String(SYSTEM_DEFAULTS.version);
      case 'USER': case 'CURRENT_USER': case 'SESSION_USER': return `${this.session.user}@localhost`;
      case 'SLEEP': {
        const s = Number(args[0] ?? 0);
        if (s > 0) this.sleepMs += s * 1000;
        return 0;
      }
      default: throw new SqlError(1305, `FUNCTION ${fn} does not exist (embedded server)`);
    }
  }
}

function arith(a: Value, b: Value, op: (x: number, y: number) => number): Value {
  if (a === null || b === null) return null;
  const x = typeof a === 'number' ? a : Number.parseFloat(a) || 0;
  const y = typeof b === 'number' ? b : Number.parseFloat(b) || 0;
  return op(x, y);
}
