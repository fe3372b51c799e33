/**
 * The raw limit: one thread doing nothing but successful Atomics.compareExchange on one element of a
 * SharedArrayBuffer, 64-bit (BigInt64Array, what the stack heads use) and 32-bit (Int32Array).
 * Each step alternates 0 → 1 → 0 with constant operands, and checks the returned value as the
 * stack does (`=== expected`), so every op is one successful CAS plus a compare.
 * On a 64-bit view the returned value is a fresh BigInt: that allocation is part of the limit.
 */
import { measureBatches } from '../lib/measure.ts';
import type { ScenarioGroup, ScenarioResult } from '../lib/types.ts';

export const CAS64 = 'raw.cas64';
export const CAS32 = 'raw.cas32';

const BATCH = 10_000; // even: the loops do two CAS per step

export const rawCas: ScenarioGroup = {
  id: 'raw-cas',
  title: 'Raw Atomics.compareExchange, one thread',
  async run(ctx) {
    // Separate buffers, one element each at offset 0 (8-byte aligned by construction).
    const i64 = new BigInt64Array(new SharedArrayBuffer(64));
    const i32 = new Int32Array(new SharedArrayBuffer(64));
    let failures = 0;

    const cas64 = (n: number): void => {
      const a = i64;
      let fail = 0;
      for (let i = 0; i < n; i += 2) {
        if (Atomics.compareExchange(a, 0, 0n, 1n) !== 0n) fail++;
        if (Atomics.compareExchange(a, 0, 1n, 0n) !== 1n) fail++;
      }
      failures += fail;
    };
    const cas32 = (n: number): void => {
      const a = i32;
      let fail = 0;
      for (let i = 0; i < n; i += 2) {
        if (Atomics.compareExchange(a, 0, 0, 1) !== 0) fail++;
        if (Atomics.compareExchange(a, 0, 1, 0) !== 1) fail++;
      }
      failures += fail;
    };

    const measured = await measureBatches(
      [
        { id: CAS64, batch: BATCH, loop: cas64 },
        { id: CAS32, batch: BATCH, loop: cas32 },
      ],
      ctx.options.timing,
    );
    if (failures !== 0 || i64[0] !== 0n || i32[0] !== 0) {
      throw new Error(`raw CAS loop saw ${failures} failed CAS in one thread (values ${i64[0]}, ${i32[0]})`);
    }

    const names: Record<string, string> = {
      [CAS64]: 'CAS 64-bit (BigInt64Array)',
      [CAS32]: 'CAS 32-bit (Int32Array)',
    };
    return measured.map((m): ScenarioResult => ({
      id: m.id,
      group: 'raw-cas',
      name: names[m.id],
      unit: 'CAS',
      threads: 1,
      opsPerSec: m.opsPerSec,
      rme: m.rme,
      samples: m.samples,
      casPerOp: 1,
      durationMs: m.durationMs,
      ...(m.cpuShare !== undefined ? { cpuShare: m.cpuShare } : {}),
    }));
  },
};
