/**
 * The part of mysql2's (untyped) server-side Connection the engine uses.
 */
import type { EventEmitter } from 'node:events';
import type net from 'node:net';
import type { Value } from './sql-error.ts';

export interface ServerConnection extends EventEmitter {
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

export interface HandshakeCommand {
  next: unknown;
  execute(packet: IncomingPacket | null, connection: ServerConnection): boolean;
}

export interface IncomingPacket {
  sequenceId?: number;
  buffer: Buffer;
  offset: number;
  end: number;
}

export interface ColumnDef {
  catalog: string; schema: string; table: string; orgTable: string; name: string; orgName: string;
  characterSet: number; columnLength: number; columnType: number; flags: number; decimals: number;
}
