/**
 * Statements: SELECT, SET, BEGIN/COMMIT/ROLLBACK, DO, evaluated against a session.
 */
import { column, typeOf } from './packets.ts';
import type { ColumnDef } from './server-connection.ts';
import type { Session } from './session.ts';
import { ER_PARSE, ER_SPECIFIC_ACCESS_DENIED, ER_UNKNOWN_SYSTEM_VARIABLE, SqlError, type Value } from './sql-error.ts';
import { keyword, tokenize, type Token } from './sql-lexer.ts';
import { Parser } from './sql-parser.ts';
import { normalizeSqlMode, SYSTEM_DEFAULTS } from './system-variables.ts';

export type Result =
  | { kind: 'ok'; sleepMs: number }
  | { kind: 'rows'; columns: ColumnDef[]; rows: Value[][]; sleepMs: number };

export const SUPPORTED = 'SELECT <expressions>, SET, BEGIN/START TRANSACTION/COMMIT/ROLLBACK, DO';

export function evaluate(session: Session, sql: string): Result {
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
export function preparedColumns(sql: string): number {
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

export function select(session: Session, sql: string, tokens: Token[]): Result {
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

export function set(session: Session, tokens: Token[]): void {
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
