/**
 * The settings scenario's connector: the library's own mysql2 connector, with every applySetting
 * and resetSetting counted. The pool loads it by URL (connector.module) in the main thread, where
 * the scenario runs; the counters live on globalThis so they are shared even if the module were
 * instantiated twice.
 */
import type { PoolConnection } from '../../src/index.ts';
import { mysql2Connector } from '../lib/library.ts';

const mysql2Connect = mysql2Connector.connect;

export interface SettingCounters {
  connects: number;
  applies: number;
  resets: number;
}

const KEY = Symbol.for('shared-mysql-pool.bench.settings-counters');

export function settingCounters(): SettingCounters {
  const g = globalThis as { [KEY]?: SettingCounters };
  g[KEY] ??= { connects: 0, applies: 0, resets: 0 };
  return g[KEY];
}

export async function connect(options: unknown, signal: AbortSignal): Promise<PoolConnection> {
  const conn = await mysql2Connect(options, signal);
  const counters = settingCounters();
  counters.connects++;
  const apply = conn.applySetting.bind(conn);
  const reset = conn.resetSetting.bind(conn);
  conn.applySetting = (sql, s) => {
    counters.applies++;
    return apply(sql, s);
  };
  conn.resetSetting = (sql, s) => {
    counters.resets++;
    return reset(sql, s);
  };
  return conn;
}
