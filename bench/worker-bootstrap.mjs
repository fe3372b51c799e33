// Worker entry for TypeScript scenario workers. Node 20 workers do not inherit the parent's
// loader hooks, so each worker registers tsx itself, then imports the real entry
// (workerData.__entry, a file: URL) through it.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.__entry);
