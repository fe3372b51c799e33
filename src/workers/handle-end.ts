/**
 * The end of a borrowed handle (close() at its deadline revokes it), which its queries in flight
 * wait on: a plain listener list. An AbortSignal would do, but its first listener costs ~7 µs
 * (Node's EventTarget bookkeeping), and every pool.query() borrows a fresh handle: that was a
 * third of a SELECT 1's CPU in the calling thread.
 */
export class HandleEnd {
  #ended = false;
  #reason: unknown = undefined;
  readonly #listeners: Array<(reason: unknown) => void> = [];

  get ended(): boolean {
    return this.#ended;
  }

  /** Why it ended (undefined while it has not). */
  get reason(): unknown {
    return this.#reason;
  }

  /** Calls every listener once with `reason`; later calls do nothing. */
  end(reason: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#reason = reason;
    for (const listener of this.#listeners.splice(0)) listener(reason);
  }

  on(listener: (reason: unknown) => void): void {
    this.#listeners.push(listener);
  }

  off(listener: (reason: unknown) => void): void {
    const at = this.#listeners.indexOf(listener);
    if (at >= 0) this.#listeners.splice(at, 1);
  }
}
