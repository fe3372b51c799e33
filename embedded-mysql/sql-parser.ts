/**
 * The expression parser: + - * /, ( ), literals, variables and the few functions the server knows.
 */
import type { Session } from './session.ts';
import { ER_PARSE, ER_UNKNOWN_SYSTEM_VARIABLE, SqlError, type Value } from './sql-error.ts';
import type { Token } from './sql-lexer.ts';
import { SYSTEM_DEFAULTS } from './system-variables.ts';

export class Parser {
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

export function arith(a: Value, b: Value, op: (x: number, y: number) => number): Value {
  if (a === null || b === null) return null;
  const x = typeof a === 'number' ? a : Number.parseFloat(a) || 0;
  const y = typeof b === 'number' ? b : Number.parseFloat(b) || 0;
  return op(x, y);
}
