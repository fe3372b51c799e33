/**
 * The documented way to use function-valued mysql2 options: a connector module that wraps the
 * built-in mysql2 connector and adds them. Every thread imports it, so each has its own typeCast.
 * This one returns DECIMAL columns as numbers (mysql2 returns strings).
 */
import type { TypeCast } from 'mysql2';
import { connect as mysql2Connect, type Mysql2ConnectorOptions } from '../../src/workers/mysql2-connector.ts';

const typeCast: TypeCast = (field, next) => (field.type === 'NEWDECIMAL' ? Number(field.string()) : next());

export function connect(options: Mysql2ConnectorOptions, signal: AbortSignal): ReturnType<typeof mysql2Connect> {
  return mysql2Connect({ ...options, typeCast }, signal);
}
