/**
 * The scenario groups in the order they run and print. Numbered titles ascend (1, 2, 3, 3a, 3b,
 * 4, ...; test/bench/groups.test.ts checks it); the unnumbered anchors (raw CAS, raw stack) come first.
 */
import type { ScenarioGroup } from './lib/types.ts';
import { checkout } from './scenarios/checkout.ts';
import { close } from './scenarios/close.ts';
import { contention } from './scenarios/contention.ts';
import { handoff } from './scenarios/handoff.ts';
import { queries } from './scenarios/queries.ts';
import { queryCost } from './scenarios/query-cost.ts';
import { rawCas } from './scenarios/raw-cas.ts';
import { safety } from './scenarios/safety.ts';
import { service } from './scenarios/service.ts';
import { settings } from './scenarios/settings.ts';
import { stackSingle, stackThreads } from './scenarios/stack.ts';

export const GROUPS: ScenarioGroup[] = [
  rawCas, stackSingle, stackThreads, checkout, contention, queries, queryCost, service, handoff, close, settings, safety,
];
