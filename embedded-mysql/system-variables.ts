/**
 * Session system variables the server knows, their defaults, and sql_mode as MariaDB expands it.
 */
import type { Value } from './sql-error.ts';

export const DEFAULT_SQL_MODE = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION';
export const SYSTEM_DEFAULTS: Record<string, string | number> = {
  sql_mode: DEFAULT_SQL_MODE,
  autocommit: 1,
  time_zone: 'SYSTEM',
  tx_isolation: 'REPEATABLE-READ',
  transaction_isolation: 'REPEATABLE-READ',
  wait_timeout: 28800,
  session_track_state_change: 0,
  interactive_timeout: 28800,
  max_statement_time: 0,
  character_set_client: 'utf8mb4',
  character_set_connection: 'utf8mb4',
  character_set_results: 'utf8mb4',
  collation_connection: 'utf8mb4_general_ci',
  version: '10.11.0-embedded',
  version_comment: 'shared-mysql-pool embedded server',
  max_allowed_packet: 16777216,
};
export const SQL_MODE_ALIASES: Record<string, string[]> = {
  ANSI: ['REAL_AS_FLOAT', 'PIPES_AS_CONCAT', 'ANSI_QUOTES', 'IGNORE_SPACE', 'ANSI'],
  TRADITIONAL: [
    'STRICT_TRANS_TABLES', 'STRICT_ALL_TABLES', 'NO_ZERO_IN_DATE', 'NO_ZERO_DATE', 'ERROR_FOR_DIVISION_BY_ZERO',
    'TRADITIONAL', 'NO_AUTO_CREATE_USER', 'NO_ENGINE_SUBSTITUTION',
  ],
};

export function normalizeSqlMode(value: Value): string {
  const modes: string[] = [];
  for (const part of String(value ?? '').split(',')) {
    const mode = part.trim().toUpperCase();
    if (mode === '') continue;
    for (const m of SQL_MODE_ALIASES[mode] ?? [mode]) if (!modes.includes(m)) modes.push(m);
  }
  return modes.join(',');
}
