import { describe, expect, it } from 'vitest';
import { HEADER, PoolLimitError, SETTING_TEXT_BYTES, SharedCore, STAT, STAT_COUNT } from '../../src/core/index.ts';
import { WAIT_BUCKET_FIRST, WAIT_BUCKETS_MS } from '../../src/core/stats.ts';
import { makeCore } from '../support/core.ts';

describe('SettingsRegistry', () => {
  it('gives the same text the same id, ids starting at 1', () => {
    const s = makeCore({ maxSettings: 4 }).settings;
    expect(s.count).toBe(0);
    expect(s.intern('SET SESSION sql_mode = ANSI')).toBe(1);
    expect(s.intern('SET time_zone = "+00:00"')).toBe(2);
    expect(s.intern('SET SESSION sql_mode = ANSI')).toBe(1);
    expect(s.intern('SET SESSION sql_mode = ANSI ')).toBe(3); // different text
    expect(s.count).toBe(3);
    expect(s.textOf(2)).toBe('SET time_zone = "+00:00"');
  });

  it('is shared by every attachment of the buffer (another thread sees the same ids)', () => {
    const core = makeCore({ maxSettings: 4 });
    const other = SharedCore.attach(core.buffer);
    expect(core.settings.intern('a')).toBe(1);
    expect(other.settings.intern('b')).toBe(2);
    expect(other.settings.intern('a')).toBe(1);
    expect(core.settings.intern('b')).toBe(2);
    expect(core.settings.textOf(2)).toBe('b');
  });

  it('round-trips UTF-8 text and the empty string', () => {
    const s = makeCore().settings;
    const text = "SET @x = 'héllo wörld ✓ 日本'";
    const id = s.intern(text);
    expect(s.textOf(id)).toBe(text);
    const empty = s.intern('');
    expect(empty).toBe(id + 1);
    expect(s.textOf(empty)).toBe('');
    expect(s.intern('')).toBe(empty);
  });

  it('accepts exactly SETTING_TEXT_BYTES bytes and rejects one more (counted in UTF-8 bytes)', () => {
    const core = makeCore();
    const s = core.settings;
    const max = 'x'.repeat(SETTING_TEXT_BYTES);
    expect(s.textOf(s.intern(max))).toBe(max);
    expect(() => s.intern(max + 'y')).toThrow(PoolLimitError);
    expect(() => s.intern(max + 'y')).toThrow(new RegExp(`${SETTING_TEXT_BYTES + 1} bytes; at most ${SETTING_TEXT_BYTES}`));
    // 600 two-byte characters: 600 chars, 1200 bytes.
    expect(() => s.intern('é'.repeat(600))).toThrow(/1200 bytes/);
    expect(s.count).toBe(1);
    expect(core.memory.header[HEADER.SETTINGS_LOCK]).toBe(0);
  });

  it('throws PoolLimitError when the registry is full, and still finds interned texts', () => {
    const core = makeCore({ maxSettings: 2 });
    const s = core.settings;
    s.intern('one');
    s.intern('two');
    let error: unknown;
    try {
      s.intern('three');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PoolLimitError);
    expect((error as PoolLimitError).code).toBe('POOL_LIMIT');
    expect((error as Error).message).toMatch(/maxSettings = 2/);
    expect(core.memory.header[HEADER.SETTINGS_LOCK]).toBe(0); // lock released after the throw
    expect(s.intern('two')).toBe(2);
    expect(s.count).toBe(2);
  });

  it('rejects ids that are not interned', () => {
    const s = makeCore().settings;
    s.intern('a');
    for (const id of [0, 2, -1, 1.5, Number.NaN]) expect(() => s.textOf(id)).toThrow(PoolLimitError);
  });

  it('does not confuse texts with the same length', () => {
    const s = makeCore({ maxSettings: 64 }).settings;
    const ids = new Map<string, number>();
    for (let i = 0; i < 64; i++) ids.set(`SET @v = ${String(i).padStart(2, '0')}`, s.intern(`SET @v = ${String(i).padStart(2, '0')}`));
    expect(new Set(ids.values()).size).toBe(64);
    for (const [text, id] of ids) {
      expect(s.intern(text)).toBe(id);
      expect(s.textOf(id)).toBe(text);
    }
  });
});

describe('ThreadStats', () => {
  it('adds per thread and totals over every row', () => {
    const core = makeCore({ maxThreads: 3 });
    const st = core.stats;
    st.add(0, STAT.GET);
    st.add(0, STAT.GET);
    st.add(2, STAT.GET, 5);
    st.add(1, STAT.WAIT_TIME_NS, 1.5e9);
    expect(st.total(STAT.GET)).toBe(7);
    expect(st.total(STAT.WAIT_TIME_NS)).toBe(1.5e9);
    expect(st.total(STAT.EVICTIONS)).toBe(0);
    expect(st.row(2)).toBe(2 * STAT_COUNT);
    // Rows are in the buffer: another attachment reads the same totals.
    expect(SharedCore.attach(core.buffer).stats.total(STAT.GET)).toBe(7);
  });

  it('retire folds a departed thread\'s row into the retired row and zeroes it', () => {
    const core = makeCore({ maxThreads: 3 });
    const st = core.stats;
    st.add(1, STAT.GRANTS, 4);
    st.add(1, STAT.CLOSED, 2);
    st.add(0, STAT.GRANTS, 1);
    st.retire(1);
    expect(st.total(STAT.GRANTS)).toBe(5);
    expect(st.total(STAT.CLOSED)).toBe(2);
    const rows = core.memory.threadStats;
    expect(rows[1 * STAT_COUNT + STAT.GRANTS]).toBe(0);
    expect(rows[3 * STAT_COUNT + STAT.GRANTS]).toBe(4); // retired row = maxThreads
    // A new thread in the same entry starts from zero; totals keep counting.
    st.add(1, STAT.GRANTS, 1);
    st.retire(1);
    expect(rows[3 * STAT_COUNT + STAT.GRANTS]).toBe(5);
    expect(st.total(STAT.GRANTS)).toBe(6);
  });

  it('snapshot names every counter', () => {
    const st = makeCore().stats;
    st.add(0, STAT.REAPED_THREADS, 2);
    const snap = st.snapshot();
    // The named counters come first; the wait histogram's buckets follow them.
    expect(Object.keys(snap)).toHaveLength(WAIT_BUCKET_FIRST);
    expect(STAT_COUNT).toBe(WAIT_BUCKET_FIRST + WAIT_BUCKETS_MS.length + 1);
    expect(snap.REAPED_THREADS).toBe(2);
    expect(snap.GET).toBe(0);
  });

  it('addWait: the wait time and one bucket (upper bound inclusive; longer than the last bound: the overflow bucket)', () => {
    const st = makeCore().stats;
    st.addWait(0, 1e6); // exactly 1 ms: the ≤ 1 ms bucket
    st.addWait(0, 1e6 + 1);
    st.addWait(0, 60_000e6);
    expect(st.of(0, STAT.WAIT_TIME_NS)).toBe(1e6 + 1e6 + 1 + 60_000e6);
    const bucket = (ms: number): number => st.of(0, WAIT_BUCKET_FIRST + WAIT_BUCKETS_MS.indexOf(ms));
    expect(bucket(1)).toBe(1);
    expect(bucket(2.5)).toBe(1);
    expect(st.of(0, WAIT_BUCKET_FIRST + WAIT_BUCKETS_MS.length)).toBe(1);
  });
});
