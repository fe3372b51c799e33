// piscina imports this file in each worker. Node 20 workers do not inherit the tsx loader of the
// main thread, so register it here; with the compiled package, point piscina at your .js task.
import { register } from 'tsx/esm/api';

register();
const mod = await import('./task.ts');
export default mod.default;
