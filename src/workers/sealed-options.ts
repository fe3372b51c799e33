/**
 * Connection options (credentials included) as they travel in the pool handle: serialized, masked
 * with random bytes, in a SharedArrayBuffer of their own. A SharedArrayBuffer survives structured
 * cloning into every worker, JSON.stringify prints it as `{}`, and util.inspect (what loggers use)
 * shows only masked bytes, so no log of `workerData` can show a password. Each thread unseals the
 * options only to dial and keeps no copy.
 */
import { randomBytes } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';

/** Masked bytes: the first half is the mask, the second the options XOR the mask. */
export type SealedOptions = SharedArrayBuffer;

export function seal(options: unknown): SealedOptions {
  const plain = serialize(options);
  const mask = randomBytes(plain.length);
  const sealed = new SharedArrayBuffer(plain.length * 2);
  const bytes = new Uint8Array(sealed);
  bytes.set(mask, 0);
  for (let i = 0; i < plain.length; i++) bytes[plain.length + i] = plain[i] ^ mask[i];
  plain.fill(0);
  return sealed;
}

export function unseal(sealed: SealedOptions): unknown {
  const bytes = new Uint8Array(sealed);
  const n = bytes.length / 2;
  const plain = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) plain[i] = bytes[n + i] ^ bytes[i];
  try {
    return deserialize(plain);
  } finally {
    plain.fill(0);
  }
}
