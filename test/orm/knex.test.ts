/** knex on the shared pool's mysql2-compatible view (see suite.ts). */
import { ormSuite } from './suite.ts';

await ormSuite('knex');
