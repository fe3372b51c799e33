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

export class TreiberStacks {
  private readonly heads: BigInt64Array;
  private readonly next: Int32Array;

  constructor(heads: BigInt64Array, next: Int32Array) {
    this.heads = heads;
    this.next = next;
  }

  push(stack: number, index: number): void {
    const heads = this.heads;
    for (;;) {
      const head = Atomics.load(heads, stack);
      // Keep the tag, replace the index.
      Atomics.store(this.next, index, Number(head & LOW));
      const updated = BigInt.asIntN(64, (head & ~LOW) | BigInt(index + 1));
      if (Atomics.compareExchange(heads, stack, head, updated) === head) return;
    }
  }

  /** Pops the top index, or returns EMPTY. The popped slot's link is cleared. */
  pop(stack: number): number {
    const heads = this.heads;
    for (;;) {
      const head = Atomics.load(heads, stack);
      const top = Number(head & LOW);
      if (top === 0) return EMPTY;
      const nextTop = Atomics.load(this.next, top - 1);
      const updated = BigInt.asIntN(64, (((head >> 32n) + 1n) << 32n) | BigInt(nextTop));
      if (Atomics.compareExchange(heads, stack, head, updated) === head) {
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
    for (;;) {
      const head = Atomics.load(heads, stack);
      const top = Number(head & LOW);
      if (top === 0) return EMPTY;
      const updated = BigInt.asIntN(64, ((head >> 32n) + 1n) << 32n);
      if (Atomics.compareExchange(heads, stack, head, updated) === head) return top - 1;
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
