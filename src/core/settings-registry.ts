/**
 * Interned settings, shared by every thread: the same SQL text gets the same id everywhere, so a
 * waiter in one thread can ask for "the connection with setting 3" and a returner in another knows
 * what that means. Ids start at 1 (0 = no setting); a setting's bucket is its id (stack-ids.ts: settingBucket).
 * Interning is rare (once per text per thread), so a short spin lock guards the append.
 */
import { PoolLimitError } from './errors.ts';
import { SETTING_FIELD, HEADER, SETTING_TEXT_BYTES, SETTING_WORDS } from './layout.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function fnv1a(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193);
  return hash | 0;
}

export class SettingsRegistry {
  private readonly words: Int32Array;
  private readonly text: Uint8Array;
  private readonly header: Int32Array;
  readonly maxSettings: number;

  constructor(words: Int32Array, text: Uint8Array, header: Int32Array) {
    this.words = words;
    this.text = text;
    this.header = header;
    this.maxSettings = words.length / SETTING_WORDS;
  }

  /** The id of `key` (1-based), interning it if new. */
  intern(key: string): number {
    const bytes = encoder.encode(key);
    if (bytes.length > SETTING_TEXT_BYTES) {
      throw new PoolLimitError(`setting text is ${bytes.length} bytes; at most ${SETTING_TEXT_BYTES} are supported`);
    }
    const hash = fnv1a(bytes);
    const found = this.find(bytes, hash, Atomics.load(this.header, HEADER.SETTINGS_COUNT));
    if (found > 0) return found;
    this.lock();
    try {
      const count = Atomics.load(this.header, HEADER.SETTINGS_COUNT);
      const again = this.find(bytes, hash, count);
      if (again > 0) return again;
      if (count >= this.maxSettings) {
        throw new PoolLimitError(`all ${this.maxSettings} settings are in use (maxSettings = ${this.maxSettings}); raise maxSettings`);
      }
      this.text.set(bytes, count * SETTING_TEXT_BYTES);
      Atomics.store(this.words, count * SETTING_WORDS + SETTING_FIELD.LENGTH, bytes.length);
      Atomics.store(this.words, count * SETTING_WORDS + SETTING_FIELD.HASH, hash);
      // Publishing the count makes the entry visible (the stores above happen before it).
      Atomics.store(this.header, HEADER.SETTINGS_COUNT, count + 1);
      return count + 1;
    } finally {
      this.unlock();
    }
  }

  /** The text of an interned id. */
  textOf(id: number): string {
    const count = Atomics.load(this.header, HEADER.SETTINGS_COUNT);
    if (!Number.isInteger(id) || id < 1 || id > count) throw new PoolLimitError(`setting id ${id} is not interned (${count} settings)`);
    const length = Atomics.load(this.words, (id - 1) * SETTING_WORDS + SETTING_FIELD.LENGTH);
    const start = (id - 1) * SETTING_TEXT_BYTES;
    // TextDecoder refuses shared memory: copy out first.
    return decoder.decode(this.text.slice(start, start + length));
  }

  get count(): number {
    return Atomics.load(this.header, HEADER.SETTINGS_COUNT);
  }

  private find(bytes: Uint8Array, hash: number, count: number): number {
    outer: for (let i = 0; i < count; i++) {
      if (Atomics.load(this.words, i * SETTING_WORDS + SETTING_FIELD.HASH) !== hash) continue;
      if (Atomics.load(this.words, i * SETTING_WORDS + SETTING_FIELD.LENGTH) !== bytes.length) continue;
      const start = i * SETTING_TEXT_BYTES;
      for (let j = 0; j < bytes.length; j++) if (this.text[start + j] !== bytes[j]) continue outer;
      return i + 1;
    }
    return 0;
  }

  private lock(): void {
    while (Atomics.compareExchange(this.header, HEADER.SETTINGS_LOCK, 0, 1) !== 0) {
      // Held for a few microseconds by another thread appending; spin.
    }
  }

  private unlock(): void {
    Atomics.store(this.header, HEADER.SETTINGS_LOCK, 0);
  }
}
