/**
 * The library as users run it: the compiled JavaScript in dist/ (`npm run build`; `npm run bench`
 * builds first), never the TypeScript sources through tsx. Every scenario and worker imports the
 * pool from here, so one process never mixes two copies of it. Types come from the sources (the
 * same declarations tsc emits), so the bench typechecks without a build.
 *
 * Refuses a dist/ older than any file of src/: numbers of stale code are worse than none.
 */
import { readdirSync, statSync } from 'node:fs';
import type * as Api from '../../src/index.ts';
import type * as Core from '../../src/core/index.ts';
import type * as Connector from '../../src/workers/mysql2-connector.ts';

const ROOT = new URL('../../', import.meta.url);
const DIST = new URL('dist/src/', ROOT);

function newestMtime(dir: URL): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const url = new URL(entry.isDirectory() ? `${entry.name}/` : entry.name, dir);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(url) : statSync(url).mtimeMs);
  }
  return newest;
}

function checkBuilt(): void {
  let built: number;
  try {
    built = statSync(new URL('index.js', DIST)).mtimeMs;
  } catch {
    throw new Error('bench: dist/src/index.js is missing: run `npm run build` (npm run bench does it first)');
  }
  if (newestMtime(new URL('src/', ROOT)) > built) {
    throw new Error('bench: dist/ is older than src/: run `npm run build` (npm run bench does it first)');
  }
}

checkBuilt();

/** The public API (dist/src/index.js). */
export const lib = (await import(new URL('index.js', DIST).href)) as typeof Api;
/** Shared-memory internals for the stack scenarios (dist/src/core/index.js). */
export const core = (await import(new URL('core/index.js', DIST).href)) as typeof Core;
/** The default connector module (dist/src/workers/mysql2-connector.js). */
export const mysql2Connector = (await import(new URL('workers/mysql2-connector.js', DIST).href)) as typeof Connector;

export const { createSharedPool, attachSharedPool } = lib;
