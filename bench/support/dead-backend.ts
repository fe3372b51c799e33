/**
 * A dead backend for the close scenarios: a TCP server on 127.0.0.1 (port 0) that accepts every
 * connection and never writes a byte, so a MySQL client stays in its handshake (waiting for the
 * server greeting) until its own connect timeout or until it gives up. Imports nothing from src/.
 *
 *   const dead = await startDeadBackend();
 *   mysql.createConnection({ host: dead.host, port: dead.port, connectTimeout: 2000 });
 *   await dead.untilAccepted(16);   // 16 sockets are hanging
 *   await dead.close();             // destroys whatever is still open, stops listening
 */
import net from 'node:net';

export interface DeadBackend {
  readonly host: string;
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Connections currently open (accepted, not yet closed by either side). */
  readonly open: number;
  /** Resolves once `n` connections have been accepted (rejects after `timeoutMs`). */
  untilAccepted(n: number, timeoutMs?: number): Promise<void>;
  /** Resolves once no accepted connection is open any more (rejects after `timeoutMs`). */
  untilAllClosed(timeoutMs?: number): Promise<void>;
  /** Destroys every open socket and stops listening. Idempotent. */
  close(): Promise<void>;
}

const LOOPBACK = '127.0.0.1';

export async function startDeadBackend(): Promise<DeadBackend> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  let changed: (() => void)[] = [];
  const notify = (): void => {
    const waiting = changed;
    changed = [];
    for (const fn of waiting) fn();
  };
  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    // Never write; just notice when the client goes away.
    socket.on('error', () => {});
    socket.on('data', () => {});
    socket.once('close', () => {
      sockets.delete(socket);
      notify();
    });
    notify();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as net.AddressInfo).port;

  const until = (cond: () => boolean, timeoutMs: number, what: () => string): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (cond()) {
        resolve();
        return;
      }
      const timer = setTimeout(() => reject(new Error(`dead backend: ${what()} after ${timeoutMs} ms`)), timeoutMs);
      const check = (): void => {
        if (cond()) {
          clearTimeout(timer);
          resolve();
        } else {
          changed.push(check);
        }
      };
      changed.push(check);
    });

  let closing: Promise<void> | null = null;
  return {
    host: LOOPBACK,
    port,
    get accepted() {
      return accepted;
    },
    get open() {
      return sockets.size;
    },
    untilAccepted(n, timeoutMs = 10_000) {
      return until(() => accepted >= n, timeoutMs, () => `only ${accepted} of ${n} connections accepted`);
    },
    untilAllClosed(timeoutMs = 10_000) {
      return until(() => sockets.size === 0, timeoutMs, () => `${sockets.size} connections still open`);
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
