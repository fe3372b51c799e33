import { describe, expect, it } from 'vitest';
import { EMPTY, headIndex, headTag, makeHead, TreiberStacks } from '../../src/core/index.ts';

function stacks(count = 3, nodes = 8): { s: TreiberStacks; heads: BigInt64Array; next: Int32Array } {
  const heads = new BigInt64Array(new SharedArrayBuffer(count * 8));
  const next = new Int32Array(new SharedArrayBuffer(nodes * 4));
  return { s: new TreiberStacks(heads, next), heads, next };
}

function chain(s: TreiberStacks, top: number): number[] {
  const out: number[] = [];
  for (let i = top; i !== EMPTY; i = s.nextOf(i)) out.push(i);
  return out;
}

describe('head word encoding', () => {
  it('packs (tag << 32) | (index + 1), 0 meaning empty', () => {
    expect(makeHead(0, 0)).toBe(1n);
    expect(makeHead(3, 4)).toBe((3n << 32n) | 5n);
    expect(headIndex(0n)).toBe(EMPTY);
    expect(headIndex(makeHead(7, 9))).toBe(9);
    expect(headTag(makeHead(7, 9))).toBe(7);
    expect(headIndex(makeHead(7, -1))).toBe(EMPTY);
  });

  it('round-trips tags at the sign bit and at 2^32 - 1 (the head is a signed 64-bit word)', () => {
    for (const tag of [0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff]) {
      const head = makeHead(tag, 12345);
      expect(head).toBe(BigInt.asIntN(64, head));
      expect(headTag(head)).toBe(tag);
      expect(headIndex(head)).toBe(12345);
    }
  });
});

describe('TreiberStacks', () => {
  it('pop on an empty stack returns EMPTY and does not bump the tag', () => {
    const { s } = stacks();
    expect(s.pop(0)).toBe(EMPTY);
    expect(s.popAll(0)).toBe(EMPTY);
    expect(s.peek(0)).toBe(EMPTY);
    expect(s.tag(0)).toBe(0);
  });

  it('is LIFO and keeps stacks independent', () => {
    const { s } = stacks();
    for (const i of [0, 1, 2, 3]) s.push(1, i);
    s.push(2, 4);
    expect(s.peek(1)).toBe(3);
    expect(s.peek(2)).toBe(4);
    expect([s.pop(1), s.pop(1), s.pop(1), s.pop(1), s.pop(1)]).toEqual([3, 2, 1, 0, EMPTY]);
    expect(s.pop(2)).toBe(4);
    expect(s.peek(0)).toBe(EMPTY);
  });

  it('clears the popped node\'s next link', () => {
    const { s, next } = stacks();
    s.push(0, 5);
    s.push(0, 6);
    expect(next[6]).toBe(6); // 6 -> 5 (stored as index + 1)
    expect(s.pop(0)).toBe(6);
    expect(next[6]).toBe(0);
    expect(s.nextOf(6)).toBe(EMPTY);
    expect(s.pop(0)).toBe(5);
    expect(next[5]).toBe(0);
  });

  it('popAll detaches the whole chain, newest first, and leaves the stack empty', () => {
    const { s } = stacks();
    for (const i of [4, 0, 7, 2]) s.push(1, i);
    const top = s.popAll(1);
    expect(s.peek(1)).toBe(EMPTY);
    expect(s.pop(1)).toBe(EMPTY);
    expect(chain(s, top)).toEqual([2, 7, 0, 4]);
    // unlink() clears a detached node once walked past.
    s.unlink(2);
    expect(s.nextOf(2)).toBe(EMPTY);
  });

  it('bumps the tag on pop and popAll but not on push', () => {
    const { s } = stacks();
    expect(s.tag(0)).toBe(0);
    s.push(0, 1);
    s.push(0, 2);
    s.push(0, 3);
    expect(s.tag(0)).toBe(0);
    s.pop(0);
    expect(s.tag(0)).toBe(1);
    s.push(0, 3);
    expect(s.tag(0)).toBe(1);
    s.popAll(0);
    expect(s.tag(0)).toBe(2);
    s.pop(0); // empty: no change
    s.popAll(0); // empty: no change
    expect(s.tag(0)).toBe(2);
    s.push(0, 4);
    expect(s.tag(0)).toBe(2);
    expect(s.peek(0)).toBe(4);
  });

  it('keeps working when the tag wraps past the sign bit and past 2^32', () => {
    const { s, heads } = stacks();
    for (const start of [0x7fffffff, 0xffffffff]) {
      heads[0] = makeHead(start, -1);
      s.push(0, 1);
      s.push(0, 2);
      expect(s.tag(0)).toBe(start);
      expect(s.pop(0)).toBe(2);
      expect(s.tag(0)).toBe((start + 1) >>> 0);
      expect(s.peek(0)).toBe(1);
      s.push(0, 2);
      expect(s.popAll(0)).toBe(2);
      expect(s.tag(0)).toBe((start + 2) >>> 0);
      expect(s.peek(0)).toBe(EMPTY);
    }
  });

  it('handles a node moving between stacks', () => {
    const { s } = stacks();
    s.push(0, 1);
    s.push(0, 2);
    const n = s.pop(0);
    s.push(1, n);
    expect(s.peek(0)).toBe(1);
    expect(s.peek(1)).toBe(2);
    expect(s.nextOf(2)).toBe(EMPTY);
    expect(s.nextOf(1)).toBe(EMPTY);
  });
});

/** What a stack would be without the tag: the head word holds only index + 1. */
class TaglessStack {
  constructor(readonly head: Int32Array, readonly next: Int32Array) {}
  push(index: number): void {
    for (;;) {
      const h = Atomics.load(this.head, 0);
      Atomics.store(this.next, index, h);
      if (Atomics.compareExchange(this.head, 0, h, index + 1) === h) return;
    }
  }
  pop(): number {
    const [h, n] = this.read();
    return h === 0 ? EMPTY : this.finishPop(h, n) ? h - 1 : this.pop();
  }
  /** First half of pop: read head and its next. */
  read(): [number, number] {
    const h = Atomics.load(this.head, 0);
    return [h, h === 0 ? 0 : Atomics.load(this.next, h - 1)];
  }
  /** Second half of pop: the CAS compares only the index. */
  finishPop(h: number, n: number): boolean {
    return Atomics.compareExchange(this.head, 0, h, n) === h;
  }
}

describe('ABA', () => {
  const A = 0, B = 1, C = 2;

  it('a tagless CAS installs a node that is not on the stack; the tagged head refuses it', () => {
    // --- tagless reference: stack A -> B -> C ---
    const tl = new TaglessStack(new Int32Array(new SharedArrayBuffer(4)), new Int32Array(new SharedArrayBuffer(12)));
    tl.push(C);
    tl.push(B);
    tl.push(A);
    // Thread P starts a pop: reads head = A and A.next = B, then is preempted.
    const [pHead, pNext] = tl.read();
    expect([pHead - 1, pNext - 1]).toEqual([A, B]);
    // Other threads: pop A, pop B (B is now held elsewhere), push A back.
    expect(tl.pop()).toBe(A);
    expect(tl.pop()).toBe(B);
    tl.push(A);
    // Stack is A -> C. P resumes: its CAS sees head == A and succeeds...
    expect(tl.finishPop(pHead, pNext)).toBe(true);
    // ...installing B, which is not on the stack any more: the stack is corrupt (C lost, B duplicated).
    expect(Atomics.load(tl.head, 0) - 1).toBe(B);

    // --- the real tagged stack, same interleaving ---
    const heads = new BigInt64Array(new SharedArrayBuffer(8));
    const next = new Int32Array(new SharedArrayBuffer(12));
    const s = new TreiberStacks(heads, next);
    s.push(0, C);
    s.push(0, B);
    s.push(0, A);
    // P reads (head, tag) and A.next exactly as pop() does...
    const snapshot = Atomics.load(heads, 0);
    const top = Number(snapshot & 0xffffffffn);
    const nextTop = Atomics.load(next, top - 1);
    expect([headIndex(snapshot), headTag(snapshot), nextTop - 1]).toEqual([A, 0, B]);
    const wanted = BigInt.asIntN(64, (((snapshot >> 32n) + 1n) << 32n) | BigInt(nextTop));
    // Others: pop A, pop B, push A.
    expect(s.pop(0)).toBe(A);
    expect(s.pop(0)).toBe(B);
    s.push(0, A);
    expect(s.peek(0)).toBe(A); // same index on top as P saw...
    expect(s.tag(0)).toBe(2); // ...but a different tag
    // P's CAS fails.
    expect(Atomics.compareExchange(heads, 0, snapshot, wanted)).not.toBe(snapshot);
    // The stack is intact: A -> C, and a retried pop returns A then C.
    expect(chain(s, s.peek(0))).toEqual([A, C]);
    expect(s.pop(0)).toBe(A);
    expect(s.pop(0)).toBe(C);
    expect(s.pop(0)).toBe(EMPTY);
  });

  it('a popAll + re-push in between also defeats a stale snapshot', () => {
    const heads = new BigInt64Array(new SharedArrayBuffer(8));
    const next = new Int32Array(new SharedArrayBuffer(12));
    const s = new TreiberStacks(heads, next);
    s.push(0, B);
    s.push(0, A);
    const snapshot = Atomics.load(heads, 0);
    const wanted = BigInt.asIntN(64, (((snapshot >> 32n) + 1n) << 32n) | BigInt(Atomics.load(next, A)));
    const top = s.popAll(0);
    expect(chain(s, top)).toEqual([A, B]);
    s.push(0, A); // B kept by the sweeper
    expect(Atomics.compareExchange(heads, 0, snapshot, wanted)).not.toBe(snapshot);
    expect(chain(s, s.peek(0))).toEqual([A]);
  });
});
