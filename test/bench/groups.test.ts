/** The bench prints its sections in the order of their numbers (1, 2, 3, 3a, 3b, 4, ...), anchors first. */
import { describe, expect, it } from 'vitest';
import { GROUPS } from '../../bench/groups.ts';

const NUMBERED = /^(\d+)([a-z]?)\. /;

describe('bench groups', () => {
  it('numbered sections run in ascending order with no gap, after the unnumbered anchors', () => {
    const labels = GROUPS.map((g) => NUMBERED.exec(g.title)).filter((m) => m !== null).map((m) => `${m[1]}${m[2]}`);
    const sorted = [...labels].sort((a, b) => parseInt(a, 10) - parseInt(b, 10) || a.localeCompare(b));
    expect(labels).toEqual(sorted);
    const integers = [...new Set(labels.map((l) => parseInt(l, 10)))];
    expect(integers).toEqual(integers.map((_, i) => i + 1));
    const firstNumbered = GROUPS.findIndex((g) => NUMBERED.test(g.title));
    expect(GROUPS.slice(firstNumbered).every((g) => NUMBERED.test(g.title))).toBe(true);
  });
});
