/**
 * Stack ids in the heads region, named in one place: stack 0 holds the free slots; thread t owns
 * stack 1 + 9t (clean connections) and 2 + 9t + b (connections with a setting in bucket b, 0..7).
 * A setting's bucket is its id modulo 8, so one stack may mix settings (smartconnpool's ring).
 */
import { FREE_STACK, STACK_MASK, STACKS_PER_THREAD } from './layout.ts';

export { FREE_STACK };

/** The bucket (0..7) of a setting id: which of a thread's setting stacks it lives in. */
export function settingBucket(settingId: number): number {
  return settingId & STACK_MASK;
}

/** The k-th of a thread's STACKS_PER_THREAD stacks: k = 0 the clean one, k = 1 + b setting bucket b. */
export function threadStackId(thread: number, k: number): number {
  return 1 + thread * STACKS_PER_THREAD + k;
}

/** Thread `thread`'s stack of clean connections. */
export function cleanStackId(thread: number): number {
  return threadStackId(thread, 0);
}

/** Thread `thread`'s setting stack for bucket `bucket` (taken modulo 8). */
export function settingStackId(thread: number, bucket: number): number {
  return threadStackId(thread, 1 + settingBucket(bucket));
}
