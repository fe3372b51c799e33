import { describe, expect, it } from 'vitest';
import {
  assertAligned, computeLayout, checkLimit, HEADER, HEADER_WORDS, LAYOUT_VERSION, LayoutMismatchError, LIMITS, MAGIC,
  ORIGIN_BYTE, PoolOptionError, SharedCore, SharedPoolMemory, STAT_COUNT, STACKS_PER_THREAD, type Layout,
  type LayoutLimits,
} from '../../src/core/index.ts';

const REGIONS_64 = ['heads', 'timeUsed', 'timeCreated', 'threadStats'] as const;

/** Regions in buffer order with their byte sizes. */
function regions(l: Layout): [string, number, number][] {
  return [
    ['header', 0, HEADER_WORDS * 4],
    ['heads', l.heads, l.headCount * 8],
    ['timeUsed', l.timeUsed, l.maxCapacity * 8],
    ['timeCreated', l.timeCreated, l.maxCapacity * 8],
    ['threadStats', l.threadStats, (l.maxThreads + 1) * STAT_COUNT * 8],
    ['next', l.next, l.maxCapacity * 4],
    ['slots', l.slots, l.maxCapacity * 6 * 4],
    ['threads', l.threads, l.maxThreads * 8 * 4],
    ['waiters', l.waiters, l.maxWaiters * 6 * 4],
    ['settings', l.settings, l.maxSettings * 2 * 4],
    ['settingText', l.settingText, l.maxSettings * 1024],
  ];
}

describe('layout', () => {
  const values = [1, 2, 3, 5, 7, 8, 9, 13, 31, 64, 127, 1000, 4095];
  const combos: LayoutLimits[] = [];
  for (const maxCapacity of values) {
    for (const maxThreads of [1, 2, 3, 7, 16, 33]) {
      for (const maxWaiters of [1, 3, 8, 17]) combos.push({ maxCapacity, maxThreads, maxWaiters, maxSettings: 1 + ((maxCapacity + maxThreads) % 9) });
    }
  }
  combos.push({ maxCapacity: LIMITS.maxCapacity.max, maxThreads: LIMITS.maxThreads.max, maxWaiters: LIMITS.maxWaiters.max, maxSettings: LIMITS.maxSettings.max });
  combos.push({ maxCapacity: 1, maxThreads: 1, maxWaiters: 1, maxSettings: 1 });

  it(`puts every 64-bit region at an 8-byte-aligned offset (${combos.length} limit combinations)`, () => {
    for (const limits of combos) {
      const l = computeLayout(limits, STAT_COUNT);
      for (const name of REGIONS_64) expect(l[name] % 8, `${name} for ${JSON.stringify(limits)}`).toBe(0);
      expect(l.byteLength % 8).toBe(0);
      expect(l.headCount).toBe(1 + limits.maxThreads * STACKS_PER_THREAD);
      // Regions are in order, do not overlap and fit in the buffer.
      const rs = regions(l);
      for (let i = 1; i < rs.length; i++) expect(rs[i][1], `${rs[i][0]} after ${rs[i - 1][0]}`).toBeGreaterThanOrEqual(rs[i - 1][1] + rs[i - 1][2]);
      const [, lastStart, lastSize] = rs[rs.length - 1];
      expect(lastStart + lastSize).toBeLessThanOrEqual(l.byteLength);
    }
  });

  it('keeps 64-bit regions aligned with odd statistic counts too', () => {
    for (const statCount of [1, 3, 17, 31]) {
      const l = computeLayout({ maxCapacity: 3, maxThreads: 5, maxWaiters: 7, maxSettings: 1 }, statCount);
      for (const name of REGIONS_64) expect(l[name] % 8).toBe(0);
    }
  });

  it('builds every typed view (a misaligned BigInt64Array would throw RangeError)', () => {
    for (const limits of combos.filter((_, i) => i % 7 === 0).slice(0, 40)) {
      const mem = SharedPoolMemory.create(limits);
      expect(mem.heads.byteOffset % 8).toBe(0);
      expect(mem.timeUsed.length).toBe(limits.maxCapacity);
      expect(mem.buffer.byteLength).toBe(mem.layout.byteLength);
    }
    expect(ORIGIN_BYTE % 8).toBe(0);
    expect(ORIGIN_BYTE + 8).toBeLessThanOrEqual(HEADER_WORDS * 4);
  });

  const bad: [keyof typeof LIMITS, unknown][] = [
    ['maxCapacity', 0], ['maxCapacity', -1], ['maxCapacity', 1.5], ['maxCapacity', Number.NaN],
    ['maxCapacity', LIMITS.maxCapacity.max + 1], ['maxCapacity', Infinity], ['maxCapacity', '8'],
    ['maxThreads', 0], ['maxThreads', 4097], ['maxThreads', 2.25], ['maxThreads', Number.NaN], ['maxThreads', undefined],
    ['maxWaiters', 0], ['maxWaiters', (1 << 20) + 1], ['maxWaiters', 0.5], ['maxWaiters', Number.NaN],
    ['maxSettings', 0], ['maxSettings', 4097], ['maxSettings', 3.3], ['maxSettings', null],
  ];
  it.each(bad)('rejects %s = %s with PoolOptionError naming the limit and value', (name, value) => {
    const limits = { maxCapacity: 4, maxThreads: 2, maxWaiters: 4, maxSettings: 2, [name]: value } as LayoutLimits;
    let error: unknown;
    try {
      computeLayout(limits, STAT_COUNT);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PoolOptionError);
    const err = error as PoolOptionError;
    expect(err.code).toBe('POOL_BAD_OPTION');
    expect(err.message).toContain(name);
    const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
    expect(err.message).toContain(shown);
    expect(err.message).toContain(`${LIMITS[name].min} to ${LIMITS[name].max}`);
    expect(() => SharedPoolMemory.create(limits)).toThrow(PoolOptionError);
  });

  it('accepts the bounds of every limit', () => {
    for (const name of Object.keys(LIMITS) as (keyof typeof LIMITS)[]) {
      expect(checkLimit(name, LIMITS[name].min)).toBe(LIMITS[name].min);
      expect(checkLimit(name, LIMITS[name].max)).toBe(LIMITS[name].max);
    }
  });

  it('assertAligned rejects a misaligned layout with LayoutMismatchError naming the region', () => {
    const good = computeLayout({ maxCapacity: 3, maxThreads: 1, maxWaiters: 1, maxSettings: 1 }, STAT_COUNT);
    expect(() => assertAligned(good)).not.toThrow();
    for (const name of REGIONS_64) {
      const misaligned = { ...good, [name]: good[name] + 4 };
      expect(() => assertAligned(misaligned)).toThrow(LayoutMismatchError);
      expect(() => assertAligned(misaligned)).toThrow(new RegExp(`"${name}" at byte offset ${good[name] + 4} is not 8-byte aligned`));
    }
    // And the reason it matters: such an offset cannot even carry a BigInt64Array view.
    expect(() => new BigInt64Array(new SharedArrayBuffer(64), 4, 2)).toThrow(RangeError);
  });
});

describe('SharedPoolMemory', () => {
  const limits: LayoutLimits = { maxCapacity: 5, maxThreads: 2, maxWaiters: 3, maxSettings: 2 };

  it('creates an initialised buffer: magic, version, limits, every slot on the free stack', () => {
    const mem = SharedPoolMemory.create(limits);
    expect(mem.header[HEADER.MAGIC]).toBe(MAGIC);
    expect(mem.header[HEADER.VERSION]).toBe(LAYOUT_VERSION);
    expect(mem.header[HEADER.MAX_CAPACITY]).toBe(5);
    expect(mem.header[HEADER.MAX_THREADS]).toBe(2);
    expect(mem.header[HEADER.MAX_WAITERS]).toBe(3);
    expect(mem.header[HEADER.MAX_SETTINGS]).toBe(2);
    expect(mem.header[HEADER.LIFETIME_CANCELLED]).toBe(1);
    expect(Array.from(mem.next)).toEqual([2, 3, 4, 5, 0]);
    expect(mem.heads[0]).toBe(1n);
    expect(Math.abs(mem.nowMs())).toBeLessThan(1000);
  });

  it('attaches to its own buffer with the same layout and shared views', () => {
    const mem = SharedPoolMemory.create(limits);
    const other = SharedPoolMemory.attach(mem.buffer);
    expect(other.layout).toEqual(mem.layout);
    other.header[HEADER.ACTIVE] = 3;
    expect(mem.header[HEADER.ACTIVE]).toBe(3);
    other.timeUsed[4] = 42n;
    expect(mem.timeUsed[4]).toBe(42n);
    expect(SharedCore.attach(mem.buffer).memory.layout).toEqual(mem.layout);
  });

  function attachError(buffer: unknown): LayoutMismatchError {
    try {
      SharedPoolMemory.attach(buffer);
    } catch (e) {
      expect(e).toBeInstanceOf(LayoutMismatchError);
      expect((e as LayoutMismatchError).code).toBe('POOL_LAYOUT_MISMATCH');
      return e as LayoutMismatchError;
    }
    throw new Error('attach did not throw');
  }

  it('rejects something that is not a SharedArrayBuffer', () => {
    expect(attachError(new ArrayBuffer(4096)).message).toMatch(/not a SharedArrayBuffer/);
    expect(attachError(null).message).toMatch(/null, not a SharedArrayBuffer/);
    expect(attachError(undefined).message).toMatch(/undefined, not a SharedArrayBuffer/);
    expect(attachError('buffer').message).toMatch(/string, not a SharedArrayBuffer/);
    expect(attachError(new Int32Array(new SharedArrayBuffer(4096))).message).toMatch(/not a SharedArrayBuffer/);
  });

  it('rejects a buffer smaller than the header', () => {
    expect(attachError(new SharedArrayBuffer(16)).message).toMatch(/16 bytes, smaller than the 256-byte header/);
  });

  it('rejects a wrong magic word', () => {
    expect(attachError(new SharedArrayBuffer(4096)).message).toMatch(/magic is 0x0, expected 0x534d4350: not a shared pool buffer/);
    const mem = SharedPoolMemory.create(limits);
    mem.header[HEADER.MAGIC] = -1;
    expect(attachError(mem.buffer).message).toMatch(/magic is 0xffffffff/);
  });

  it('rejects another layout version', () => {
    const mem = SharedPoolMemory.create(limits);
    mem.header[HEADER.VERSION] = LAYOUT_VERSION + 1;
    const err = attachError(mem.buffer);
    expect(err.message).toContain(`version is ${LAYOUT_VERSION + 1}`);
    expect(err.message).toContain(`reads version ${LAYOUT_VERSION}`);
    expect(err.message).toMatch(/another version of the library/);
  });

  it('rejects a buffer whose size does not match its header', () => {
    const mem = SharedPoolMemory.create(limits);
    const bigger = new SharedArrayBuffer(mem.buffer.byteLength + 8);
    new Uint8Array(bigger).set(new Uint8Array(mem.buffer));
    const err = attachError(bigger);
    expect(err.message).toContain(`${bigger.byteLength} bytes, its header implies ${mem.buffer.byteLength}`);
    // Same bytes, header claiming more slots than the buffer holds.
    mem.header[HEADER.MAX_CAPACITY] = 5 + 64; // enough slots that 64-byte alignment cannot absorb them
    expect(attachError(mem.buffer).message).toMatch(/its header implies/);
  });

  it('rejects a header whose limits are corrupt as a layout mismatch, not a bad option', () => {
    const mem = SharedPoolMemory.create(limits);
    mem.header[HEADER.MAX_THREADS] = 0;
    const err = attachError(mem.buffer);
    expect(err.message).toMatch(/maxThreads/);
    expect(err.message).toMatch(/0/);
  });
});
