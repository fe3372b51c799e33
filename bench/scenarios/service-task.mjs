// piscina's entry for the service scenarios. Node 20 workers do not inherit the main thread's tsx
// loader, so register it here and re-export the TypeScript task (as queries-task.mjs does). The
// pool itself is the compiled library (dist/), see bench/lib/library.ts.
import { register } from 'tsx/esm/api';

register();
const mod = await import('./service-task.ts');
export default mod.default;
