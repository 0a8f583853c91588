// telemetry-alert's settings, declared once for the runtime and the editor. The rules are the
// reference fleet's (pipeline.md's thresholds and detectors), which the dialog shows a new node.

import { RuleSpec, checkRules, referenceRules } from '../lib/alert/rules';
import { declareSettings } from '../lib/node-settings/declared-settings';
import { problemOf } from '../lib/settings';

export const settings = declareSettings('telemetry-alert', {
  rules: { kind: 'data', value: referenceRules(), check: rulesProblem },
  seriesKey: { kind: 'text', value: 'device_id', required: { label: 'Series key' } },
  tagKeys: { kind: 'text', value: 'device_type,location,floor' },
  timestampKey: { kind: 'text', value: 'timestamp', required: { label: 'Timestamp key' } },
  maxSeries: { kind: 'number', value: 10_000, label: 'Max series', min: 1, integer: true },
  forgetAfter: { kind: 'number', value: 86_400, label: 'Forget after (s)', min: 60, max: 365 * 86_400 },
  clock: { kind: 'choice', value: 'system', label: 'Clock', options: ['system', 'readings'] as const },
  checkSec: { kind: 'number', value: 1, label: 'Check every (s)', min: 0.05, max: 3600 },
});

/** The rules as checked rule specs; flows from before rules were edited as a list hold JSON text. */
export function rulesOf(rules: RuleSpec[] | string): RuleSpec[] {
  return checkRules(typeof rules === 'string' ? (rules.trim() === '' ? referenceRules() : JSON.parse(rules)) : rules);
}

function rulesProblem(rules: unknown): string | undefined {
  return problemOf(() => rulesOf(rules as RuleSpec[] | string));
}
