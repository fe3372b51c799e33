/**
 * Prepared statements: what the session keeps of one, and COM_STMT_EXECUTE parameters read back
 * into statement text.
 */
import { TYPE } from './packets.ts';
import { SqlError } from './sql-error.ts';
import { replacePlaceholders } from './sql-lexer.ts';

export interface Statement {
  sql: string;
  params: number;
  columns: number;
  types: number[];
}

/** Reads COM_STMT_EXECUTE parameters and returns the statement text with them inlined. */
export function bindParams(stmt: Statement, body: Buffer): string {
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

export function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
