/**
 * Waiter cells: the cross-thread waitlist. A get() that has to wait takes a cell, so that a thread
 * returning a connection (or the host freeing capacity) can see it and grant it a unit.
 *
 * A cell ends exactly once, by one CAS out of WAITING:
 *   GRANTED   a unit was moved to it (the returner closed its own connection, active unchanged);
 *   CANCELLED its owner gave up (timeout, abort) or served it locally;
 *   REJECTED  the pool closed.
 * The owner frees the cell after reading the outcome. A grant racing a cancel is never lost: if the
 * owner's cancel CAS fails, the cell was granted and the owner now holds that unit and must use or
 * release it.
 */
import { HEADER, THREAD_FIELD, THREAD_WORDS, WAITER_FIELD, WAITER_WORDS } from './layout.ts';
import { PoolInvariantError } from './errors.ts';

export const CELL_STATE = { FREE: 0, INIT: 1, WAITING: 2, GRANTED: 3, CANCELLED: 4, REJECTED: 5 } as const;
export type CellState = (typeof CELL_STATE)[keyof typeof CELL_STATE];

/** smartconnpool's age cap: a waiter skipped more than this many times is served next. */
export const MAX_AGE = 8;

/**
 * The state word also carries the waiting thread (bits 3 and up hold thread + 1), so the one CAS that
 * ends a cell tells the ender whose cell it ended: the owner may free and reuse the cell the moment
 * that CAS lands, so WAITER_FIELD.THREAD cannot be read safely afterwards.
 */
const STATE_BITS = 7;
const OWNER_SHIFT = 3;

export class WaiterCells {
  private readonly cells: Int32Array;
  private readonly header: Int32Array;
  /** Thread registry words: each thread's WAITING count is kept next to its doorbell. */
  private readonly threads: Int32Array | null;
  readonly size: number;

  constructor(cells: Int32Array, header: Int32Array, threads: Int32Array | null = null) {
    this.cells = cells;
    this.header = header;
    this.threads = threads;
    this.size = cells.length / WAITER_WORDS;
  }

  /** Cells at or above this index have never been used: scans stop here. */
  high(): number {
    return Math.min(this.size, Atomics.load(this.header, HEADER.WAITER_HIGH));
  }

  /** WAITING cells of one thread. */
  waitingOf(thread: number): number {
    return this.threads ? Atomics.load(this.threads, thread * THREAD_WORDS + THREAD_FIELD.WAITING) : 0;
  }

  /** Cells currently WAITING, over all threads. */
  get waiting(): number {
    return Atomics.load(this.header, HEADER.WAITING);
  }

  /**
   * Takes a cell for `thread` wanting `setting`, or returns -1 if `cap` waiters already wait or the
   * table has no free cell.
   */
  enqueue(thread: number, setting: number, cap: number, startMs = 0): number {
    if (Atomics.add(this.header, HEADER.WAITING, 1) >= cap) {
      Atomics.sub(this.header, HEADER.WAITING, 1);
      return -1;
    }
    // Lowest free cell first, so live cells stay packed below WAITER_HIGH and scans stay short.
    const size = this.size;
    for (let cell = 0; cell < size; cell++) {
      const base = cell * WAITER_WORDS;
      if (Atomics.load(this.cells, base + WAITER_FIELD.STATE) !== CELL_STATE.FREE) continue;
      if (Atomics.compareExchange(this.cells, base + WAITER_FIELD.STATE, CELL_STATE.FREE, CELL_STATE.INIT) === CELL_STATE.FREE) {
        Atomics.store(this.cells, base + WAITER_FIELD.THREAD, thread);
        Atomics.store(this.cells, base + WAITER_FIELD.SETTING, setting);
        Atomics.store(this.cells, base + WAITER_FIELD.AGE, 0);
        Atomics.store(this.cells, base + WAITER_FIELD.START, startMs | 0);
        Atomics.store(this.cells, base + WAITER_FIELD.SEQ, Atomics.add(this.header, HEADER.WAITER_SEQ, 1));
        Atomics.add(this.cells, base + WAITER_FIELD.GEN, 1);
        if (this.threads && thread >= 0) Atomics.add(this.threads, thread * THREAD_WORDS + THREAD_FIELD.WAITING, 1);
        for (;;) {
          const high = Atomics.load(this.header, HEADER.WAITER_HIGH);
          if (high > cell || Atomics.compareExchange(this.header, HEADER.WAITER_HIGH, high, cell + 1) === high) break;
        }
        Atomics.store(this.cells, base + WAITER_FIELD.STATE, CELL_STATE.WAITING | ((thread + 1) << OWNER_SHIFT));
        return cell;
      }
    }
    Atomics.sub(this.header, HEADER.WAITING, 1);
    return -1;
  }

  /** Whether a cell is WAITING and belongs to a thread other than `thread` (one load). */
  isForeignWaiting(cell: number, thread: number): boolean {
    const word = Atomics.load(this.cells, cell * WAITER_WORDS + WAITER_FIELD.STATE);
    return (word & STATE_BITS) === CELL_STATE.WAITING && (word >>> OWNER_SHIFT) - 1 !== thread;
  }

  state(cell: number): CellState {
    return (Atomics.load(this.cells, cell * WAITER_WORDS + WAITER_FIELD.STATE) & STATE_BITS) as CellState;
  }
  threadOf(cell: number): number {
    return Atomics.load(this.cells, cell * WAITER_WORDS + WAITER_FIELD.THREAD);
  }
  settingOf(cell: number): number {
    return Atomics.load(this.cells, cell * WAITER_WORDS + WAITER_FIELD.SETTING);
  }
  seqOf(cell: number): number {
    return Atomics.load(this.cells, cell * WAITER_WORDS + WAITER_FIELD.SEQ);
  }
  ageOf(cell: number): number {
    return Atomics.load(this.cells, cell * WAITER_WORDS + WAITER_FIELD.AGE);
  }
  /** How long a cell has waited, in ms on the pool clock (wrap-safe for waits under 24 days). */
  waitedMs(cell: number, nowMs: number): number {
    return ((nowMs | 0) - Atomics.load(this.cells, cell * WAITER_WORDS + WAITER_FIELD.START)) | 0;
  }
  bumpAge(cell: number): void {
    Atomics.add(this.cells, cell * WAITER_WORDS + WAITER_FIELD.AGE, 1);
  }
  generation(cell: number): number {
    return Atomics.load(this.cells, cell * WAITER_WORDS + WAITER_FIELD.GEN);
  }

  /**
   * Ends a WAITING cell with `to`. Returns the owner thread if this caller made the transition
   * (read from the same CAS: the owner may free the cell right after), else -2.
   */
  private end(cell: number, to: CellState): number {
    const at = cell * WAITER_WORDS + WAITER_FIELD.STATE;
    for (;;) {
      const word = Atomics.load(this.cells, at);
      if ((word & STATE_BITS) !== CELL_STATE.WAITING) return -2;
      if (Atomics.compareExchange(this.cells, at, word, (word & ~STATE_BITS) | to) === word) {
        Atomics.sub(this.header, HEADER.WAITING, 1);
        const thread = (word >>> OWNER_SHIFT) - 1;
        if (this.threads && thread >= 0) Atomics.sub(this.threads, thread * THREAD_WORDS + THREAD_FIELD.WAITING, 1);
        return thread;
      }
    }
  }
  grant(cell: number): boolean {
    return this.end(cell, CELL_STATE.GRANTED) !== -2;
  }
  /** Grants a unit; returns the owner thread to ring, or -2 if the cell was no longer waiting. */
  grantOwner(cell: number): number {
    return this.end(cell, CELL_STATE.GRANTED);
  }
  cancel(cell: number): boolean {
    return this.end(cell, CELL_STATE.CANCELLED) !== -2;
  }
  reject(cell: number): boolean {
    return this.end(cell, CELL_STATE.REJECTED) !== -2;
  }

  /** Returns an ended cell to the table. Only its owner (or the host reaping it) calls this. */
  free(cell: number): void {
    const base = cell * WAITER_WORDS;
    const state = Atomics.load(this.cells, base + WAITER_FIELD.STATE) & STATE_BITS;
    if (state === CELL_STATE.WAITING || state === CELL_STATE.FREE || state === CELL_STATE.INIT) {
      throw new PoolInvariantError(`waiter cell ${cell} freed in state ${state}: only ended cells can be freed`);
    }
    Atomics.store(this.cells, base + WAITER_FIELD.THREAD, -1);
    Atomics.store(this.cells, base + WAITER_FIELD.STATE, CELL_STATE.FREE);
  }

  /** WAITING cells, oldest first, optionally excluding one thread's. Slow path: allocates. */
  waitingInOrder(excludeThread = -1): number[] {
    const out: number[] = [];
    if (Atomics.load(this.header, HEADER.WAITING) === 0) return out;
    const high = this.high();
    for (let cell = 0; cell < high; cell++) {
      const base = cell * WAITER_WORDS;
      if ((Atomics.load(this.cells, base + WAITER_FIELD.STATE) & STATE_BITS) !== CELL_STATE.WAITING) continue;
      if (excludeThread >= 0 && Atomics.load(this.cells, base + WAITER_FIELD.THREAD) === excludeThread) continue;
      out.push(cell);
    }
    // Sequence numbers wrap at 2^32: compare by signed difference.
    out.sort((a, b) => (this.seqOf(a) - this.seqOf(b)) | 0);
    return out;
  }

  /** Every cell of `thread` in a given state (host reaping, close). */
  cellsOf(thread: number, state: CellState): number[] {
    const out: number[] = [];
    const high = this.high();
    for (let cell = 0; cell < high; cell++) {
      const base = cell * WAITER_WORDS;
      if ((Atomics.load(this.cells, base + WAITER_FIELD.STATE) & STATE_BITS) === state && Atomics.load(this.cells, base + WAITER_FIELD.THREAD) === thread) out.push(cell);
    }
    return out;
  }

  /** Count of cells in a state (verify, tests). */
  count(state: CellState): number {
    const high = this.high();
    // Cells at or above the high-water mark were never used: they are FREE.
    let n = state === CELL_STATE.FREE ? this.size - high : 0;
    for (let cell = 0; cell < high; cell++) if ((Atomics.load(this.cells, cell * WAITER_WORDS + WAITER_FIELD.STATE) & STATE_BITS) === state) n++;
    return n;
  }

}
