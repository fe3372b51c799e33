/**
 * An in-process TCP server on 127.0.0.1 (port 0) that plays a misbehaving MySQL backend.
 *
 * Modes (for connections accepted from now on; switch at any time with setMode):
 *   'mysql'   speaks the MySQL protocol (embedded-mysql/, on mysql2's server-side
 *             Connection), subject to the statement rules below
 *   'dead'    accepts and never answers (a backend that hangs: the client waits for a greeting)
 *   'slow'    greets after `slowMs`, then speaks MySQL
 *   'hangup'  accepts and closes at once
 *   'refuse'  stops listening: connects get ECONNREFUSED (setMode back listens on the same port)
 * Statement rules (in 'mysql'/'slow' mode), first match wins: failOn (error packet), dropOn
 * (server closes: FIN), resetOn (RST via resetAndDestroy), hangOn (never answers), delayOn.
 * A rule matches COM_QUERY / prepared statement text by RegExp or exact string, or a command name
 * ('COM_RESET_CONNECTION', 'COM_PING').
 *
 * close() destroys every socket it accepted and stops listening. `open` counts accepted sockets not
 * yet closed: the way to check that a client left nothing behind.
 */
import net from 'node:net';
import { createMysqlProtocol, type EmbeddedSession, type MysqlProtocol, type QueryAction } from '../../embedded-mysql/index.ts';
import { scaled } from './time-scale.ts';

export type FaultMode = 'mysql' | 'dead' | 'slow' | 'hangup' | 'refuse';

export interface FaultRule {
  match: RegExp | string;
  action: QueryAction;
  /** Applies this many times, then is dropped (default: always). */
  times?: number;
}

export interface FaultServerOptions {
  mode?: FaultMode;
  /** Greeting delay in 'slow' mode. Default 1000. */
  slowMs?: number;
}

export class FaultServer {
  readonly host = '127.0.0.1';
  port = 0;
  slowMs: number;
  readonly rules: FaultRule[] = [];
  /** Every statement or command seen in MySQL mode, in order. */
  readonly statements: string[] = [];
  /** Sessions that reached the MySQL protocol (greeted), in order. */
  readonly sessions: EmbeddedSession[] = [];
  #mode: FaultMode;
  #accepted = 0;
  readonly #sockets = new Set<net.Socket>();
  readonly #held = new Set<net.Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #server: net.Server | null = null;
  readonly #protocol: MysqlProtocol;
  #listening = false;
  #closed = false;

  constructor(options: FaultServerOptions = {}) {
    this.#mode = options.mode ?? 'mysql';
    this.slowMs = options.slowMs ?? 1000;
    this.#protocol = createMysqlProtocol({ onStatement: (sql) => this.#onStatement(sql) });
  }

  get mode(): FaultMode {
    return this.#mode;
  }

  /** Connections accepted so far. */
  get accepted(): number {
    return this.#accepted;
  }

  /** Accepted sockets not yet closed. */
  get open(): number {
    return this.#sockets.size;
  }

  /** Sockets held unanswered by 'dead' mode. */
  get hanging(): number {
    return this.#held.size;
  }

  async listen(): Promise<this> {
    if (this.#listening) return this;
    // A fresh listener each time: a closed net.Server keeps its accepted sockets, not its port.
    const server = net.createServer((socket) => this.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#server = server;
    this.port = (server.address() as net.AddressInfo).port;
    this.#listening = true;
    return this;
  }

  async setMode(mode: FaultMode): Promise<void> {
    this.#mode = mode;
    if (mode === 'refuse' && this.#listening) {
      this.#listening = false;
      // Stops accepting at once; its callback would wait for the accepted sockets.
      this.#server?.close();
    } else if (mode !== 'refuse' && !this.#listening && !this.#closed) {
      await this.listen();
    }
  }

  /** mysql2 connection options for this server (connectTimeout large: the pool must not rely on it). */
  options(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { host: this.host, port: this.port, user: 'fault', database: 'test', connectTimeout: 120_000, ...extra };
  }

  failOn(match: RegExp | string, error: { code?: number; message?: string } = {}, times?: number): this {
    return this.#rule(match, { kind: 'fail', ...error }, times);
  }

  dropOn(match: RegExp | string, times?: number): this {
    return this.#rule(match, { kind: 'drop' }, times);
  }

  resetOn(match: RegExp | string, times?: number): this {
    return this.#rule(match, { kind: 'reset' }, times);
  }

  hangOn(match: RegExp | string, times?: number): this {
    return this.#rule(match, { kind: 'hang' }, times);
  }

  delayOn(match: RegExp | string, ms: number, times?: number): this {
    return this.#rule(match, { kind: 'delay', ms }, times);
  }

  clearRules(): void {
    this.rules.length = 0;
  }

  /** A server restart's effect on clients: every accepted socket is destroyed (sessions gone). */
  dropAll(): void {
    for (const socket of this.#sockets) socket.destroy();
    this.#held.clear();
  }

  /** The backend comes back: every socket held by 'dead' mode is greeted and served. */
  revive(): void {
    for (const socket of [...this.#held]) {
      this.#held.delete(socket);
      if (!socket.destroyed) this.#serve(socket);
    }
  }

  /** Polls `cond` every 10 ms until true, or throws after `unscaledMs` × TEST_TIME_SCALE naming `what`. */
  async until(cond: () => boolean, unscaledMs: number, what: string): Promise<void> {
    const ms = scaled(unscaledMs);
    const end = performance.now() + ms;
    while (!cond()) {
      if (performance.now() > end) throw new Error(`fault server: timed out after ${ms} ms waiting for ${what} (open ${this.open}, hanging ${this.hanging}, accepted ${this.accepted})`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Stops listening and destroys everything it accepted. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const socket of this.#sockets) socket.destroy();
    this.#held.clear();
    this.#protocol.destroyAll();
    if (this.#listening) {
      this.#listening = false;
      this.#server?.close();
    }
    await this.until(() => this.#sockets.size === 0, 2000, 'every socket to close');
  }

  #rule(match: RegExp | string, action: QueryAction, times?: number): this {
    this.rules.push({ match, action, times });
    return this;
  }

  #accept(socket: net.Socket): void {
    this.#accepted++;
    this.#sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => {
      this.#sockets.delete(socket);
      this.#held.delete(socket);
    });
    if (this.#closed) {
      socket.destroy();
      return;
    }
    switch (this.#mode) {
      case 'dead':
        this.#held.add(socket);
        return;
      case 'hangup':
      case 'refuse':
        socket.destroy();
        return;
      case 'slow': {
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          if (!socket.destroyed) this.#serve(socket);
        }, this.slowMs);
        this.#timers.add(timer);
        return;
      }
      case 'mysql':
        this.#serve(socket);
    }
  }

  #serve(socket: net.Socket): void {
    this.sessions.push(this.#protocol.serve(socket));
  }

  #onStatement(sql: string): QueryAction | undefined {
    this.statements.push(sql);
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i];
      const hit = typeof rule.match === 'string' ? rule.match === sql : rule.match.test(sql);
      if (!hit) continue;
      if (rule.times !== undefined && --rule.times <= 0) this.rules.splice(i, 1);
      return rule.action;
    }
    return undefined;
  }
}

export async function startFaultServer(options: FaultServerOptions = {}): Promise<FaultServer> {
  const server = new FaultServer(options);
  await server.listen();
  if (options.mode === 'refuse') await server.setMode('refuse');
  return server;
}

/** A loopback port with nothing listening (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
