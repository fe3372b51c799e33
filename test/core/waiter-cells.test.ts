import { describe, expect, it } from 'vitest';
import { CELL_STATE, HEADER, WAITER_WORDS } from '../../src/core/index.ts';
import { makeCore } from '../support/core.ts';

describe('WaiterCells', () => {
  it('enqueues up to the cap and returns -1 beyond it', () => {
    const core = makeCore({ maxWaiters: 6 });
    const w = core.waiters;
    const cells = [w.enqueue(0, 0, 3), w.enqueue(1, 2, 3), w.enqueue(0, 1, 3)];
    expect(new Set(cells).size).toBe(3);
    expect(cells.every((c) => c >= 0)).toBe(true);
    expect(w.enqueue(0, 0, 3)).toBe(-1);
    expect(w.waiting).toBe(3);
    expect(w.count(CELL_STATE.WAITING)).toBe(3);
    expect(w.threadOf(cells[1])).toBe(1);
    expect(w.settingOf(cells[1])).toBe(2);
    expect(w.state(cells[0])).toBe(CELL_STATE.WAITING);
  });

  it('returns -1 when every cell is taken, even under the cap, and restores the count', () => {
    const w = makeCore({ maxWaiters: 3 }).waiters;
    for (let i = 0; i < 3; i++) expect(w.enqueue(0, 0, 100)).toBeGreaterThanOrEqual(0);
    expect(w.enqueue(0, 0, 100)).toBe(-1);
    expect(w.waiting).toBe(3);
    // An ended but not yet freed cell is still taken.
    w.cancel(0);
    expect(w.waiting).toBe(2);
    expect(w.enqueue(0, 0, 100)).toBe(-1);
    expect(w.waiting).toBe(2);
    w.free(0);
    expect(w.enqueue(0, 0, 100)).toBe(0);
  });

  it.each([
    ['grant', CELL_STATE.GRANTED],
    ['cancel', CELL_STATE.CANCELLED],
    ['reject', CELL_STATE.REJECTED],
  ] as const)('a cell ends exactly once (%s first)', (first, state) => {
    const w = makeCore().waiters;
    const cell = w.enqueue(0, 0, 8);
    expect(w[first](cell)).toBe(true);
    expect(w.state(cell)).toBe(state);
    expect(w.waiting).toBe(0);
    expect([w.grant(cell), w.cancel(cell), w.reject(cell)]).toEqual([false, false, false]);
    expect(w.state(cell)).toBe(state);
    expect(w.waiting).toBe(0);
  });

  it('cannot end a cell that is not WAITING', () => {
    const w = makeCore().waiters;
    expect(w.grant(0)).toBe(false);
    expect(w.cancel(1)).toBe(false);
    expect(w.waiting).toBe(0);
  });

  it('frees only ended cells', () => {
    const core = makeCore();
    const w = core.waiters;
    expect(() => w.free(0)).toThrow(/freed in state 0/); // FREE
    const cell = w.enqueue(2, 0, 8);
    expect(() => w.free(cell)).toThrow(/only ended cells can be freed/); // WAITING
    core.memory.waiters[7 * WAITER_WORDS] = CELL_STATE.INIT;
    expect(() => w.free(7)).toThrow(/freed in state 1/); // INIT (being filled)
    w.grant(cell);
    w.free(cell);
    expect(w.state(cell)).toBe(CELL_STATE.FREE);
    expect(w.threadOf(cell)).toBe(-1);
    expect(() => w.free(cell)).toThrow(); // twice
  });

  it('bumps the generation each time a cell is reused, and resets its age', () => {
    const w = makeCore({ maxWaiters: 1 }).waiters;
    const cell = w.enqueue(0, 0, 8);
    const gen = w.generation(cell);
    w.bumpAge(cell);
    w.bumpAge(cell);
    expect(w.ageOf(cell)).toBe(2);
    w.cancel(cell);
    w.free(cell);
    expect(w.enqueue(0, 0, 8)).toBe(cell);
    expect(w.generation(cell)).toBe(gen + 1);
    expect(w.ageOf(cell)).toBe(0);
  });

  it('lists waiting cells oldest first, skipping ended cells and an excluded thread', () => {
    const w = makeCore({ maxWaiters: 8 }).waiters;
    const a = w.enqueue(0, 0, 8);
    const b = w.enqueue(1, 0, 8);
    const c = w.enqueue(0, 0, 8);
    const d = w.enqueue(2, 0, 8);
    expect(w.waitingInOrder()).toEqual([a, b, c, d]);
    w.grant(b);
    expect(w.waitingInOrder()).toEqual([a, c, d]);
    expect(w.waitingInOrder(0)).toEqual([d]);
    expect(w.cellsOf(0, CELL_STATE.WAITING)).toEqual([a, c]);
    expect(w.cellsOf(1, CELL_STATE.GRANTED)).toEqual([b]);
    for (const x of [a, c, d]) w.cancel(x);
    expect(w.waitingInOrder()).toEqual([]);
  });

  it('keeps FIFO order across sequence wraparound, with cells reused out of index order', () => {
    const core = makeCore({ maxWaiters: 4 });
    const w = core.waiters;
    core.memory.header[HEADER.WAITER_SEQ] = 0x7fffffff - 2;
    const first = [w.enqueue(0, 0, 8), w.enqueue(0, 0, 8), w.enqueue(0, 0, 8), w.enqueue(0, 0, 8)];
    expect(first).toEqual([0, 1, 2, 3]);
    // Cells 0 and 1 leave; two newer waiters reuse them and get sequence numbers past the wrap.
    w.cancel(0);
    w.free(0);
    w.cancel(1);
    w.free(1);
    const late = [w.enqueue(1, 0, 8), w.enqueue(1, 0, 8)];
    expect(late.sort()).toEqual([0, 1]);
    const [x, y] = [w.seqOf(2), w.seqOf(3)];
    expect(x).toBe(0x7fffffff);
    expect(y).toBe(-0x80000000); // wrapped
    expect(w.seqOf(0)).toBeLessThan(0);
    // Enqueue order: cell 2, cell 3, then 0 and 1 (in their enqueue order).
    const order = w.waitingInOrder();
    expect(order.slice(0, 2)).toEqual([2, 3]);
    expect(order.slice(2).sort()).toEqual([0, 1]);
    expect(w.seqOf(order[2]) + 1).toBe(w.seqOf(order[3]));
  });

  it('keeps each thread\'s waiting count, also when a cell is reused by another thread', () => {
    const core = makeCore({ maxWaiters: 1, maxThreads: 3 });
    const w = core.waiters;
    const cell = w.enqueue(0, 0, 8);
    expect([w.waitingOf(0), w.waitingOf(1)]).toEqual([1, 0]);
    w.cancel(cell);
    expect(w.waitingOf(0)).toBe(0);
    w.free(cell);
    expect(w.enqueue(1, 0, 8)).toBe(cell);
    expect(w.threadOf(cell)).toBe(1);
    expect([w.waitingOf(0), w.waitingOf(1)]).toEqual([0, 1]);
    // A grant made with a stale reference ends the cell's current waiter, whose count falls.
    expect(w.grant(cell)).toBe(true);
    expect([w.waitingOf(0), w.waitingOf(1)]).toEqual([0, 0]);
    expect(w.state(cell)).toBe(CELL_STATE.GRANTED);
    expect(w.cellsOf(1, CELL_STATE.GRANTED)).toEqual([cell]);
    expect(w.count(CELL_STATE.GRANTED)).toBe(1);
  });
});
