/**
 * Wire constants and the packets written by hand: column definitions, binary rows, raw payloads
 * (mysql2's server side writes the rest).
 */
import type { ColumnDef, ServerConnection } from './server-connection.ts';
import type { Value } from './sql-error.ts';

export const CMD = {
  QUIT: 0x01, INIT_DB: 0x02, QUERY: 0x03, PING: 0x0e, STMT_PREPARE: 0x16, STMT_EXECUTE: 0x17,
  STMT_CLOSE: 0x19, STMT_RESET: 0x1a, RESET_CONNECTION: 0x1f,
} as const;

export const TYPE = { DOUBLE: 0x05, NULL: 0x06, LONGLONG: 0x08, VAR_STRING: 0xfd } as const;
export const CHARSET_UTF8 = 33;
export const CHARSET_BINARY = 63;
export const STATUS_AUTOCOMMIT = 0x0002;
export const STATUS_IN_TRANS = 0x0001;
export const STATUS_SESSION_STATE_CHANGED = 0x4000;

/**
 * Capabilities offered to clients: protocol 4.1, native password auth, connect attributes. Not
 * offered: SSL, compression, DEPRECATE_EOF (the server writes EOF packets), session tracking,
 * query attributes.
 */
export const CAPABILITIES =
  0x00000001 | 0x00000002 | 0x00000004 | 0x00000008 | 0x00000200 | 0x00002000 | 0x00008000 |
  0x00010000 | 0x00020000 | 0x00080000 | 0x00100000 | 0x00200000;

/** A payload written through the connection, so mysql2 keeps the sequence ids. */
export function writeRaw(conn: ServerConnection, payload: Buffer): void {
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

export function lenenc(n: number): Buffer {
  if (n < 251) return Buffer.from([n]);
  if (n < 0x10000) return Buffer.from([0xfc, n & 0xff, n >> 8]);
  if (n < 0x1000000) return Buffer.from([0xfd, n & 0xff, (n >> 8) & 0xff, n >> 16]);
  const b = Buffer.alloc(9);
  b[0] = 0xfe;
  b.writeBigUInt64LE(BigInt(n), 1);
  return b;
}

export function lenencString(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  return Buffer.concat([lenenc(bytes.length), bytes]);
}

export function column(name: string, type: number): ColumnDef {
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

export function columnPacket(c: ColumnDef): { buffer: Buffer; length(): number; writeHeader(seq: number): void } {
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

export function binaryRow(row: Value[], columns: ColumnDef[]): Buffer {
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

export function typeOf(v: Value): number {
  if (v === null) return TYPE.NULL;
  if (typeof v === 'number') return Number.isInteger(v) ? TYPE.LONGLONG : TYPE.DOUBLE;
  return TYPE.VAR_STRING;
}
