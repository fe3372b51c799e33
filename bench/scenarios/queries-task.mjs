// piscina's entry for the queries scenario. Node 20 workers do not inherit the main thread's tsx
// loader, so register it here and re-export the TypeScript task (as examples/piscina/task.mjs does).
import { register } from 'tsx/esm/api';

register();
const mod = await import('./queries-task.ts');
export default mod.default;
