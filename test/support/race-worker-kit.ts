/** Small helpers shared by the core stress workers (not a test file). */

export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/** Control words of a shared barrier / start gate. */
export const CTL = { GO: 0, COUNT: 1, GEN: 2, ABORT: 3 } as const;
export const CTL_WORDS = 4;

/** Blocks until the main thread opens the gate (workers only: Atomics.wait blocks the thread). */
export function waitForGo(ctl: Int32Array, deadline: number): void {
  while (Atomics.load(ctl, CTL.GO) === 0) {
    if (Date.now() > deadline) throw new Error('start gate never opened');
    Atomics.wait(ctl, CTL.GO, 0, 100);
  }
}

/**
 * A reusable barrier for `parties` workers. Returns false if the run was aborted (a party failed)
 * or the deadline passed, so nobody waits forever for a dead peer.
 */
export function barrier(ctl: Int32Array, parties: number, deadline: number): boolean {
  const gen = Atomics.load(ctl, CTL.GEN);
  if (Atomics.add(ctl, CTL.COUNT, 1) === parties - 1) {
    Atomics.store(ctl, CTL.COUNT, 0);
    Atomics.add(ctl, CTL.GEN, 1);
    Atomics.notify(ctl, CTL.GEN);
    return Atomics.load(ctl, CTL.ABORT) === 0;
  }
  while (Atomics.load(ctl, CTL.GEN) === gen) {
    if (Atomics.load(ctl, CTL.ABORT) !== 0 || Date.now() > deadline) {
      abort(ctl);
      return false;
    }
    Atomics.wait(ctl, CTL.GEN, gen, 50);
  }
  return Atomics.load(ctl, CTL.ABORT) === 0;
}

export function abort(ctl: Int32Array): void {
  Atomics.store(ctl, CTL.ABORT, 1);
  Atomics.add(ctl, CTL.GEN, 1);
  Atomics.notify(ctl, CTL.GEN);
}

/** Collects invariant violations without flooding the message. */
export class Violations {
  count = 0;
  readonly first: string[] = [];
  add(message: string): void {
    this.count++;
    if (this.first.length < 20) this.first.push(message);
  }
}
