/**
 * The caller's stack for an error made elsewhere (a driver's socket callback). V8 keeps the chain
 * of awaiting async functions for code running in a promise reaction or after an await, so
 * capturing there, on the error path only, names the caller without a capture per call. mysql2's
 * `trace: true` asks for a capture before every call instead: captureCaller() at the pool's public
 * entry, applyCaller() on failure, so the pool's own frames do not push the caller out of
 * Error.stackTraceLimit.
 */

/** What Error.captureStackTrace fills in. */
export interface StackHolder {
  stack?: string;
}

/** The current stack above `from` (async frames included), for applyCaller() later. */
export function captureCaller(from: (...args: never[]) => unknown): StackHolder {
  const holder: StackHolder = {};
  Error.captureStackTrace(holder, from);
  return holder;
}

/**
 * Replaces `error`'s frames with those of `holder`, keeping the error's name, message and every
 * other field. Non-errors are left alone.
 */
export function applyCaller(error: unknown, holder: StackHolder): void {
  if (!(error instanceof Error)) return;
  const frames = holder.stack ?? '';
  const at = frames.indexOf('\n');
  if (at >= 0) error.stack = `${error.name}: ${error.message}${frames.slice(at)}`;
}

/**
 * Replaces `error`'s frames with the current stack above `from`; called in a rejection handler or
 * an async function's catch, that is the caller's.
 */
export function callerStack(error: unknown, from: (...args: never[]) => unknown): void {
  if (error instanceof Error) applyCaller(error, captureCaller(from));
}
