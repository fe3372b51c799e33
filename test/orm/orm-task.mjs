// piscina imports its task file in each worker; Node 20 workers do not inherit tsx, so register it here.
import { register } from 'tsx/esm/api';

register();
const mod = await import('./orm-task.ts');
export default mod.default;
