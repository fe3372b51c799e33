/**
 * Checks a whole pool handle before attachSharedPool() registers anything: a handle missing its
 * config (or carrying a wrong field) would otherwise fail half-way, after the thread was already
 * registered, and leave a registration nobody serves.
 */
import { LayoutMismatchError } from '../core/errors.ts';
import { type HandleConfig } from './types.ts';
import { RESET_MODES } from './recycle-guard.ts';

const NUMBER_FIELDS = ['maxLifetimeMs', 'getTimeoutMs', 'maxWaiters', 'handoffDelayMs'] as const;

/** Fields a handle may lack (an agent then uses the defaults). */
const OPTIONAL_NUMBER_FIELDS = ['queryTimeoutMs', 'aliveBypassWindowMs', 'validationTimeoutMs', 'leakDetectionMs'] as const;

/** Throws LayoutMismatchError naming the first missing or wrong field of `handle.config`. */

export function checkHandleConfig(config: unknown): asserts config is HandleConfig {
  if (typeof config !== 'object' || config === null) {
    throw new LayoutMismatchError(`pool handle has no config (got ${config === null ? 'null' : typeof config}): pass pool.handle whole, not just its buffer`);
  }
  const c = config as Record<string, unknown>;
  const connector = c.connector as { module?: unknown } | null | undefined;
  if (typeof connector !== 'object' || connector === null || typeof connector.module !== 'string') {
    throw new LayoutMismatchError('pool handle config.connector.module is missing or not a string: pass pool.handle whole');
  }
  const sealed = (connector as { sealed?: unknown }).sealed;
  if (sealed !== undefined && !(sealed instanceof SharedArrayBuffer)) {
    throw new LayoutMismatchError('pool handle config.connector.sealed is not a SharedArrayBuffer: pass pool.handle whole');
  }
  if (c.resetOnRecycle !== undefined && !(RESET_MODES as readonly unknown[]).includes(c.resetOnRecycle)) {
    throw new LayoutMismatchError(`pool handle config.resetOnRecycle is not one of ${RESET_MODES.join(', ')}: pass pool.handle whole`);
  }
  for (const field of [...NUMBER_FIELDS, ...OPTIONAL_NUMBER_FIELDS] as const) {
    const value = c[field];
    if ((OPTIONAL_NUMBER_FIELDS as readonly string[]).includes(field) && value === undefined) continue;
    if (typeof value !== 'number' || !(value >= 0)) {
      throw new LayoutMismatchError(`pool handle config.${field} is ${typeof value === 'number' ? value : typeof value}, expected a number ≥ 0: pass pool.handle whole`);
    }
  }
}
