import { register } from 'tsx/esm/api';
register();
const mod = await import('./probe-task.ts');
export default mod.default;
