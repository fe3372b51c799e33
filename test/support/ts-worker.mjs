// Bootstrap for worker threads running TypeScript: Node 20 workers do not inherit the parent's
// module hooks, so each worker registers tsx itself and then imports the real entry.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.__entry);
