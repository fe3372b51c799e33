/**
 * Starts the embedded server on a loopback port, or hands out the protocol alone for sockets
 * accepted elsewhere (the fault server does).
 */
import net from 'node:net';
import { ProtocolEngine } from './engine.ts';
import type { EmbeddedMysql, EmbeddedMysqlOptions, MysqlProtocol, ProtocolHooks } from './types.ts';

export const LOOPBACK = '127.0.0.1';

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
