/**
 * A session setting: the SQL that sets it and, optionally, the SQL that clears it. Settings are
 * interned: the same text gives the same id in every thread (through the shared registry) and the
 * same object within a thread, so comparing settings is comparing ids.
 */
import { settingBucket } from '../core/stack-ids.ts';
export class Setting {
  /** Shared id (1-based); the setting lives in its thread's idle stack of bucket settingBucket(id). */
  readonly id: number;
  readonly applySql: string;
  /** null: the connector's own reset (COM_RESET_CONNECTION for mysql2). */
  readonly resetSql: string | null;

  constructor(id: number, applySql: string, resetSql: string | null) {
    this.id = id;
    this.applySql = applySql;
    this.resetSql = resetSql;
  }

  get bucket(): number {
    return settingBucket(this.id);
  }

  /** The registry key: both texts, so two settings with the same apply but another reset differ. */
  static key(applySql: string, resetSql: string | null): string {
    return resetSql === null ? applySql : `${applySql}\u0000${resetSql}`;
  }

  static parse(key: string): { applySql: string; resetSql: string | null } {
    const at = key.indexOf('\u0000');
    return at < 0 ? { applySql: key, resetSql: null } : { applySql: key.slice(0, at), resetSql: key.slice(at + 1) };
  }
}
