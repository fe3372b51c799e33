/**
 * The caller's stack for an error made elsewhere (a driver's socket callback): V8 keeps the chain
 * of awaiting async functions for code running in a promise reaction or after an await, so
 * capturing there, on the error path only, names the caller without a capture per call (what
 * mysql2's promise API does with its `trace` option).
 */

/**
 * Replaces `error`'s frames with the current stack above `from`, async frames included; called
 * in a rejection handler or an async function's catch, that is the caller's. Keeps the error's
 * name, message and every other field. Non-errors are left alone.
 */
export function callerStack(error: unknown, from: (...args: never[]) => unknown): void {
  if (!(error instanceof Error)) return;
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, from);
  const frames = holder.stack ?? '';
  const at = frames.indexOf('\n');
  if (at >= 0) error.stack = `${error.name}: ${error.message}${frames.slice(at)}`;
}
