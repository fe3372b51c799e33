/**
 * Connection options travel to every thread inside the pool handle (structured clone), so a
 * function-valued option (mysql2's typeCast, queryFormat, authPlugins, infileStreamFactory, stream,
 * authSwitchHandler, Promise, ...) cannot be passed as data: `new Worker` would throw a bare
 * DataCloneError printing the function's source. This finds such a value before any shared state
 * exists and names the option; the value itself is never printed (it may hold credentials).
 */
import { Hidden, PoolOptionError } from '../core/errors.ts';

const HOW = 'structured-cloneable data: functions cannot cross threads; set them in each thread by wrapping the mysql2 connector (README: "Function-valued mysql2 options")';

/** Throws PoolOptionError naming `name.key` for the first value that cannot cross threads. */
export function assertCloneable(name: string, options: unknown): void {
  if (typeof options === 'function' || typeof options === 'symbol') throw new PoolOptionError(name, options, HOW);
  if (typeof options !== 'object' || options === null) return;
  for (const [key, value] of Object.entries(options)) {
    const found = findUncloneable(value, '', new Set());
    if (found !== null) {
      const at = found.path === '' ? '' : ` (at ${name}.${key}${found.path})`;
      throw new PoolOptionError(`${name}.${key}${at}`, found.value, HOW);
    }
    try {
      structuredClone(value);
    } catch (error) {
      // Something the walk does not look for (a WeakMap, a URL, a native handle): only the error's
      // class, as its message may print the value (which may hold credentials).
      throw new PoolOptionError(`${name}.${key}`, new Hidden(`value structuredClone refuses (${(error as Error).name})`), HOW);
    }
  }
}

/** The first function or symbol inside `value` and its path ('' = value itself), or null. */
function findUncloneable(value: unknown, path: string, seen: Set<object>): { path: string; value: unknown } | null {
  if (typeof value === 'function' || typeof value === 'symbol') return { path, value };
  if (typeof value !== 'object' || value === null || seen.has(value)) return null;
  seen.add(value);
  for (const [key, inner] of Object.entries(value)) {
    const found = findUncloneable(inner, `${path}.${key}`, seen);
    if (found !== null) return found;
  }
  return null;
}
