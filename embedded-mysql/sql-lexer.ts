/**
 * The SQL lexer: tokens of the small subset the server answers, and ? placeholders.
 */
import { ER_PARSE, SqlError } from './sql-error.ts';

export type Token =
  | { t: 'num'; v: number; s: number; e: number }
  | { t: 'str'; v: string; s: number; e: number }
  | { t: 'sysvar'; scope: string; v: string; s: number; e: number }
  | { t: 'uservar'; v: string; s: number; e: number }
  | { t: 'id'; v: string; s: number; e: number }
  | { t: 'op'; v: string; s: number; e: number }
  | { t: 'param'; s: number; e: number };

export function tokenize(sql: string): Token[] {
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

export function unescape(c: string): string {
  return ({ n: '\n', r: '\r', t: '\t', '0': '\0', Z: '\x1a', b: '\b' } as Record<string, string>)[c] ?? c;
}

export function countPlaceholders(sql: string): number {
  return tokenize(sql).filter((t) => t.t === 'param').length;
}

export function replacePlaceholders(sql: string, next: () => string): string {
  let out = '';
  let last = 0;
  for (const t of tokenize(sql)) {
    if (t.t !== 'param') continue;
    out += sql.slice(last, t.s) + next();
    last = t.e;
  }
  return out + sql.slice(last);
}

export function keyword(t: Token | undefined, ...words: string[]): boolean {
  return t !== undefined && t.t === 'id' && words.includes(t.v.toUpperCase());
}
