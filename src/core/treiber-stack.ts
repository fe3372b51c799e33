/**
 * Lock-free LIFO stacks of slot indices (Treiber stacks) in shared memory.
 *
 * A head is one 64-bit word: (tag << 32) | (index + 1), 0 meaning empty. Links live in `next`
 * (index + 1, 0 = end of chain). The tag is bumped by every pop and popAll: any interleaving that
 * removes the top and puts it back contains a pop, so a stale (head, tag) snapshot can never win a
 * CAS (the ABA problem). Push does not bump the tag: a push-only interleaving leaves a popper's
 * snapshot consistent. This is smartconnpool's (pointer, pop counter) pair, cut to 64 bits because
 * JavaScript's widest atomic is a BigInt64Array element.
 */
const LOW = 0xffffffffn;

export const EMPTY = -1;

export function headIndex(head: bigint): number {
  return Number(head & LOW) - 1;
}

export function headTag(head: bigint): number {
  return Number((head >> 32n) & LOW);
}

export function makeHead(tag: number, index: number): bigint {
  return BigInt.asIntN(64, (BigInt(tag >>> 0) << 32n) | BigInt(index + 1));
}

/** Index of a head's low 32-bit word in an Int32Array over the same memory (platform byte order). */
const LOW_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;
/** One pop's worth of tag. Values past 2^63 wrap when stored into a BigInt64Array, as intended. */
const TAG_ONE = 1n << 32n;
/**
 * Pre-made deltas, so a push or pop computes its new head with one BigInt addition: BigInt(n) and
 * every BigInt operation allocate, and the stack ops are the pool's hot path. A push adds
 * (new index − old index); a pop adds TAG_ONE + (next index − old index).
 */
const SPAN = 4096;
const PUSH_DELTA = Array.from({ length: 2 * SPAN + 1 }, (_, i) => BigInt(i - SPAN));
const POP_DELTA = Array.from({ length: 2 * SPAN + 1 }, (_, i) => TAG_ONE + BigInt(i - SPAN));
const pushDelta = (d: number): bigint => (d >= -SPAN && d <= SPAN ? PUSH_DELTA[d + SPAN] : BigInt(d));
const popDelta = (d: number): bigint => (d >= -SPAN && d <= SPAN ? POP_DELTA[d + SPAN] : TAG_ONE + BigInt(d));

export class TreiberStacks {
  private readonly heads: BigInt64Array;
  /** The same memory as `heads`, read 32 bits at a time to get a head's index without BigInt math. */
  private readonly halves: Int32Array;
  private readonly next: Int32Array;

  constructor(heads: BigInt64Array, next: Int32Array) {
    this.heads = heads;
    this.halves = new Int32Array(heads.buffer, heads.byteOffset, heads.length * 2);
    this.next = next;
  }

  /*
   * The index is read from the head's low word separately from the 64-bit load. That is sound: the
   * CAS succeeds only if the head still equals the loaded value, and a head can never return to an
   * earlier value (every pop raises the tag; a push changes the index to a slot that was not in the
   * stack), so a successful CAS implies the low word read in between belonged to that same head.
   */

  push(stack: number, index: number): void {
    const heads = this.heads;
    const low = stack * 2 + LOW_WORD;
    for (;;) {
      const head = Atomics.load(heads, stack);
      const top = Atomics.load(this.halves, low);
      Atomics.store(this.next, index, top);
      // Keep the tag, replace the index.
      if (Atomics.compareExchange(heads, stack, head, head + pushDelta(index + 1 - top)) === head) return;
    }
  }

  /** Pops the top index, or returns EMPTY. The popped slot's link is cleared. */
  pop(stack: number): number {
    const heads = this.heads;
    const low = stack * 2 + LOW_WORD;
    for (;;) {
      const head = Atomics.load(heads, stack);
      const top = Atomics.load(this.halves, low);
      if (top === 0) {
        if (Number(head & LOW) === 0) return EMPTY;
        continue;
      }
      const nextTop = Atomics.load(this.next, top - 1);
      if (Atomics.compareExchange(heads, stack, head, head + popDelta(nextTop - top)) === head) {
        Atomics.store(this.next, top - 1, 0);
        return top - 1;
      }
    }
  }

  /**
   * Detaches the whole chain in one CAS and returns its top index (EMPTY if none). The caller walks
   * it with nextOf(); the chain is newest first.
   */
  popAll(stack: number): number {
    const heads = this.heads;
    const low = stack * 2 + LOW_WORD;
    for (;;) {
      const head = Atomics.load(heads, stack);
      const top = Atomics.load(this.halves, low);
      if (top === 0) {
        if (Number(head & LOW) === 0) return EMPTY;
        continue;
      }
      if (Atomics.compareExchange(heads, stack, head, head + popDelta(-top)) === head) return top - 1;
    }
  }

  /** Racy snapshot of the top index (EMPTY if none). */
  peek(stack: number): number {
    return headIndex(Atomics.load(this.heads, stack));
  }

  /** The index after `index` in a detached chain (EMPTY at the end). */
  nextOf(index: number): number {
    return Atomics.load(this.next, index) - 1;
  }

  /** Clears a detached node's link once the caller is done walking past it. */
  unlink(index: number): void {
    Atomics.store(this.next, index, 0);
  }

  /** Current tag of a stack head (tests and diagnostics). */
  tag(stack: number): number {
    return headTag(Atomics.load(this.heads, stack));
  }
}
