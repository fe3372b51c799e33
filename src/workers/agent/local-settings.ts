/**
 * LocalSettings: this thread's view of the pool's interned settings (smartconnpool's Setting,
 * §3.3). The same SQL text gets the same id in every thread (the shared settings registry); this
 * part keeps the Setting objects of this thread by id and by text.
 *
 * Owns: the two maps. Touches: the shared settings registry (intern, textOf) only.
 */
import { PoolOptionError } from '../../core/errors.ts';
import { type SharedCore } from '../../core/shared-core.ts';
import { Setting } from '../setting.ts';

export class LocalSettings {
  private readonly core: SharedCore;
  private readonly byId = new Map<number, Setting>();
  private readonly byKey = new Map<string, Setting>();

  constructor(core: SharedCore) {
    this.core = core;
  }

  /** The interned setting for this SQL (same text ⇒ same setting, in every thread). */
  setting(applySql: string, resetSql: string | null = null): Setting {
    if (typeof applySql !== 'string' || applySql.trim() === '') throw new PoolOptionError('setting SQL', applySql, 'a non-empty string');
    if (resetSql !== null && typeof resetSql !== 'string') throw new PoolOptionError('setting reset SQL', resetSql, 'a string or null');
    const key = Setting.key(applySql, resetSql);
    let setting = this.byKey.get(key);
    if (!setting) {
      const id = this.core.settings.intern(key);
      setting = new Setting(id, applySql, resetSql);
      this.byKey.set(key, setting);
      this.byId.set(id, setting);
    }
    return setting;
  }

  /** The setting with this id (0 = none), made here from the shared registry's text if this thread has not seen it. */
  settingById(id: number): Setting | null {
    if (id === 0) return null;
    let setting = this.byId.get(id);
    if (!setting) {
      const { applySql, resetSql } = Setting.parse(this.core.settings.textOf(id));
      setting = this.setting(applySql, resetSql);
    }
    return setting;
  }
}
