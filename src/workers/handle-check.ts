/**
 * Checks a whole pool handle before attachSharedPool() registers anything: a handle missing its
 * config (or carrying a wrong field) would otherwise fail half-way, after the thread was already
 * registered, and leave a registration nobody serves.
 */
import { LayoutMismatchError } from '../core/errors.ts';
import { type AgentConfig } from './agent.ts';

const NUMBER_FIELDS = ['maxLifetimeMs', 'getTimeoutMs', 'maxWaiters', 'handoffDelayMs'] as const;

/** Throws LayoutMismatchError naming the first missing or wrong field of `handle.config`. */
export function checkHandleConfig(config: unknown): asserts config is AgentConfig {
  if (typeof config !== 'object' || config === null) {
    throw new LayoutMismatchError(`pool handle has no config (got ${config === null ? 'null' : typeof config}): pass pool.handle whole, not just its buffer`);
  }
  const c = config as Record<string, unknown>;
  const connector = c.connector as { module?: unknown } | null | undefined;
  if (typeof connector !== 'object' || connector === null || typeof connector.module !== 'string') {
    throw new LayoutMismatchError('pool handle config.connector.module is missing or not a string: pass pool.handle whole');
  }
  for (const field of [...NUMBER_FIELDS, 'queryTimeoutMs'] as const) {
    const value = c[field];
    if (field === 'queryTimeoutMs' && value === undefined) continue;
    if (typeof value !== 'number' || !(value >= 0)) {
      throw new LayoutMismatchError(`pool handle config.${field} is ${typeof value === 'number' ? value : typeof value}, expected a number ≥ 0: pass pool.handle whole`);
    }
  }
}
