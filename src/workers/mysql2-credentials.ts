/**
 * Keeping credentials out of what mysql2 exposes: the options on `connection.config` (printed by
 * util.inspect and loggers) and anything config-shaped on an error. The connection options
 * themselves travel masked between threads (src/host/connection-options.ts, sealed-options.ts).
 */
import type { Connection as CallbackConnection } from 'mysql2';

/**
 * mysql2 keeps the options it connected with on `connection.config`, which util.inspect and loggers
 * print: the credentials there become non-enumerable accessors (mysql2 still reads them, e.g. for
 * changeUser), which JSON.stringify skips and util.inspect does not call.
 */
const SECRET_KEYS = ['password', 'password1', 'password2', 'password3', 'passwordSha1', 'uri', 'ssl'];

export function hideCredentials(raw: CallbackConnection): void {
  const config = (raw as unknown as { config?: Record<string, unknown> }).config;
  if (!config) return;
  for (const key of SECRET_KEYS) {
    if (!Object.prototype.hasOwnProperty.call(config, key)) continue;
    // An accessor: even util.inspect with showHidden (console.log('%o')) shows only [Getter/Setter].
    let value = config[key];
    Object.defineProperty(config, key, {
      get: () => value,
      set: (v: unknown) => {
        value = v;
      },
      enumerable: false,
      configurable: true,
    });
  }
}

/** mysql2 errors never carry the password, but make sure nothing config-shaped rides along. */
export function scrub(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  const e = error as Error & { config?: unknown };
  if ('config' in e) delete e.config;
  return error;
}
