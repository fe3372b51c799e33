/**
 * A thread's doorbell loop: wait on the doorbell word, take the request bits, handle them, wait again.
 *
 * The order is what keeps it live. The word to wait on is read BEFORE the bits are taken: a ring
 * that lands after the read (whether before or after the take, or while the bits are handled) has
 * bumped the word past the value read, so the next wait returns at once and the loop takes the
 * new bits. Reading the word after handling (the earlier shape) waits past such a ring: its bits
 * stay set and nobody handles them until some later, unrelated ring.
 */
import { type ThreadRegistry } from '../core/thread-registry.ts';

/** What a doorbell hands the request bits to (the agent's DoorbellRequests). */
export interface RequestHandler {
  handleRequests(requests: number): void;
}

export class Doorbell {
  private readonly threads: ThreadRegistry;
  private readonly index: number;
  private readonly handler: RequestHandler;
  private stopped = false;

  constructor(threads: ThreadRegistry, index: number, handler: RequestHandler) {
    this.threads = threads;
    this.index = index;
    this.handler = handler;
  }

  /** Starts the loop (requests already pending are taken on the first turn). */
  start(): void {
    this.turn();
  }

  /** Ends the loop: a wake-up after this handles nothing. */
  stop(): void {
    this.stopped = true;
  }

  private turn(): void {
    if (this.stopped) return;
    const seen = this.threads.doorbell(this.index);
    const requests = this.threads.takeRequests(this.index);
    try {
      if (requests !== 0) this.handler.handleRequests(requests);
    } finally {
      // Re-armed even if a handler threw: a thread that stops answering strands every unit it holds.
      this.rearm(seen);
    }
  }

  private rearm(seen: number): void {
    if (this.stopped) return;
    this.threads.answer(this.index, seen);
    const result = this.threads.waitDoorbell(this.index, seen);
    if (result.async) void result.value.then(() => this.turn());
    else queueMicrotask(() => this.turn());
  }
}
