/**
 * The physical limit of a checkout: a minimal standalone Treiber stack — one 64-bit tagged head
 * in a BigInt64Array on a SharedArrayBuffer, links in an Int32Array, nothing else (no slot states,
 * no counters, no promise). A pop + push pair is 2 successful 64-bit CAS; any pool whose checkout
 * goes through such a stack costs at least this.
 *
 * Head = (tag << 32) | (index + 1), 0 = empty; pop bumps the tag (ABA). The head's index is read
 * from its low 32-bit word through an Int32Array over the same memory, and the BigInts for small
 * indices are made once: without these two, the limit would mostly measure BigInt allocation.
 * Imports nothing from src/.
 */
const LOW_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;
const TAG_ONE = 1n << 32n;

export class RawTreiber {
  private readonly head: BigInt64Array;
  private readonly halves: Int32Array;
  private readonly next: Int32Array;
  private readonly big: bigint[];

  constructor(size: number) {
    const buffer = new SharedArrayBuffer(64);
    this.head = new BigInt64Array(buffer, 0, 1);
    this.halves = new Int32Array(buffer, 0, 2);
    this.next = new Int32Array(new SharedArrayBuffer(Math.max(4, size * 4)));
    this.big = Array.from({ length: size + 1 }, (_, i) => BigInt(i));
    for (let i = 0; i < size; i++) this.push(i);
  }

  push(index: number): void {
    const { head, halves, next, big } = this;
    for (;;) {
      const h = Atomics.load(head, 0);
      const top = Atomics.load(halves, LOW_WORD);
      Atomics.store(next, index, top);
      if (Atomics.compareExchange(head, 0, h, h + (big[index + 1] - big[top])) === h) return;
    }
  }

  /** The top index, or -1 when empty. */
  pop(): number {
    const { head, halves, next, big } = this;
    for (;;) {
      const h = Atomics.load(head, 0);
      const top = Atomics.load(halves, LOW_WORD);
      if (top === 0) return -1;
      const after = Atomics.load(next, top - 1);
      if (Atomics.compareExchange(head, 0, h, h + TAG_ONE + (big[after] - big[top])) === h) return top - 1;
    }
  }
}
