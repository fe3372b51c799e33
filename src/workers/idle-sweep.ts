/**
 * The selection half of the idle sweep (smartconnpool §3.13): detach each of a thread's stacks in
 * one CAS, walk it oldest first, claim (timeUsed → EXPIRED) at most half of it among connections
 * idle longer than the timeout, and hand every other one back at once. Scratch arrays are
 * preallocated, so a sweep allocates nothing per connection. The agent closes the claimed ones
 * and reopens them with their setting.
 */
import { SETTING_STACKS } from '../core/layout.ts';
import { type SharedCore } from '../core/shared-core.ts';
import { EMPTY } from '../core/treiber-stack.ts';

export class IdleSweep {
  private readonly core: SharedCore;
  private readonly thread: number;
  private readonly chain: Int32Array;
  /** Slots claimed by the last collect(), and the setting each carried. */
  readonly claimed: Int32Array;
  readonly claimedSetting: Int32Array;

  constructor(core: SharedCore, thread: number) {
    const size = core.memory.layout.maxCapacity;
    this.core = core;
    this.thread = thread;
    this.chain = new Int32Array(size);
    this.claimed = new Int32Array(size);
    this.claimedSetting = new Int32Array(size);
  }

  /**
   * Claims expired connections from the 8 setting stacks, then the clean one; calls `keep` for
   * every connection it does not claim (oldest first, so the newest end up on top again).
   * Returns how many were claimed (in claimed / claimedSetting).
   */
  collect(nowNs: bigint, timeoutNs: bigint, keep: (slot: number) => void): number {
    const { stacks, slots } = this.core;
    let claimed = 0;
    for (let k = 0; k <= SETTING_STACKS; k++) {
      const stack = k < SETTING_STACKS ? this.core.settingStackAt(this.thread, k) : this.core.cleanStack(this.thread);
      let slot = stacks.popAll(stack);
      let n = 0;
      while (slot !== EMPTY) {
        const next = stacks.nextOf(slot);
        stacks.unlink(slot);
        this.chain[n++] = slot;
        slot = next;
      }
      if (n === 0) continue;
      // Budget per stack, not from Active: a stack with 2 expired connections loses 1 per sweep.
      const budget = Math.max(n >> 1, 1);
      let taken = 0;
      // The chain came newest first: walk it oldest first.
      for (let i = n - 1; i >= 0; i--) {
        const s = this.chain[i];
        if (taken < budget && slots.expired(s, nowNs, timeoutNs)) {
          this.claimed[claimed] = s;
          this.claimedSetting[claimed++] = slots.setting(s);
          taken++;
        } else {
          keep(s);
        }
      }
    }
    return claimed;
  }
}
