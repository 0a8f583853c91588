// The rules of a telemetry-alert node as the editor saves them, checked once at deploy with a reason
// that names the rule and the setting. Numbers that operators may change without a redeploy
// (thresholds) can be a TypedInput value ({type: 'env'|'flow'|'global', value}) resolved per message.

import { describeType } from '../describe';

export const RULE_KINDS = ['threshold', 'zscore', 'robust_zscore', 'ewma', 'flatline', 'deadman', 'rate'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];
export type Severity = 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';
const SEVERITIES: readonly Severity[] = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];

/** A number, or where to read one from at each message. */
export type Setting = number | { type: 'num' | 'env' | 'flow' | 'global'; value: string };

export interface RuleSpec {
  /** Unique in the node: names the alert and keys its saved state. */
  name: string;
  kind: RuleKind;
  /** The reading's key the rule judges ('' for deadman). */
  field: string;
  severity: Severity;
  /** threshold: above, below, or outside [low, high]. */
  op?: 'above' | 'below' | 'outside';
  threshold?: Setting;
  low?: Setting;
  high?: Setting;
  /** threshold: how far back past the threshold a value must be to clear (0 = at the threshold). */
  hysteresis?: Setting;
  /** zscore, robust_zscore, ewma (in sigmas), rate (per second): the score that fires. */
  limit?: Setting;
  /** zscore, robust_zscore: the score above which the severity is HIGH. */
  highAt?: number;
  /** zscore, robust_zscore: the window, by count, or by time when windowSec is set. */
  window?: number;
  windowSec?: number;
  /** zscore, robust_zscore, ewma: samples before judging. */
  minSamples?: number;
  /** zscore, robust_zscore: whether readings judged anomalous join the baseline. */
  includeAnomalies?: boolean;
  /** ewma: the smoothing weight of the newest reading. */
  lambda?: number;
  /** flatline: what counts as unchanged; fires after `readings` unchanged readings or `forSec`. */
  epsilon?: number;
  readings?: number;
  /** flatline: or after this long unchanged; deadman: silent longer than this. */
  seconds?: number;
  /** Lifecycle: the breach must last this many consecutive readings, or this long, before firing. */
  pendingReadings?: number;
  pendingSec?: number;
  /** Lifecycle: after the condition clears, stay firing this long (a new breach keeps the episode). */
  keepFiringSec?: number;
  /** Lifecycle: a reminder while firing at this interval (0 = never). */
  reminderSec?: number;
}

export const RULE_DEFAULTS = {
  hysteresis: 0,
  limit: { zscore: 3, robust_zscore: 3.5, ewma: 3 } as Record<string, number>,
  highAt: 5,
  window: 100,
  // A median and MAD from fewer than 30 samples are too unsteady: on normal data they judge
  // ordinary readings beyond 5 (measured on the reference fleet).
  minSamples: { zscore: 10, robust_zscore: 30, ewma: 20 } as Record<string, number>,
  lambda: 0.2,
  epsilon: 0,
  reminderSec: 300,
};

/** The reference pipeline's rules: temperature above 35 or below 10, humidity above 85, battery
 *  below 20, and the z-score of temperature over a window of 100 readings. */
export function referenceRules(): RuleSpec[] {
  return [
    {
      name: 'temperature high',
      kind: 'threshold',
      field: 'temperature',
      op: 'above',
      threshold: 35,
      hysteresis: 1,
      severity: 'HIGH',
      pendingSec: 60,
    },
    {
      name: 'temperature low',
      kind: 'threshold',
      field: 'temperature',
      op: 'below',
      threshold: 10,
      hysteresis: 1,
      severity: 'HIGH',
      pendingSec: 60,
    },
    {
      name: 'humidity high',
      kind: 'threshold',
      field: 'humidity',
      op: 'above',
      threshold: 85,
      hysteresis: 2,
      severity: 'MEDIUM',
      pendingSec: 60,
    },
    {
      name: 'battery low',
      kind: 'threshold',
      field: 'battery_level',
      op: 'below',
      threshold: 20,
      hysteresis: 2,
      severity: 'LOW',
    },
    { name: 'temperature anomaly', kind: 'zscore', field: 'temperature', severity: 'MEDIUM', limit: 5, window: 100 },
  ];
}

export class RuleError extends Error {}

/** The rule's own severity, or HIGH when that is lower and the score is past the rule's highAt. */
export function escalate(rule: RuleSpec, score: number): Severity {
  const high = Math.abs(score) > (rule.highAt ?? RULE_DEFAULTS.highAt);
  return high && SEVERITIES.indexOf(rule.severity) < SEVERITIES.indexOf('HIGH') ? 'HIGH' : rule.severity;
}

/** The key a rule's score takes on the readings of output 2. */
export function scoreKey(rule: RuleSpec): string {
  return `${rule.name.replace(/[^A-Za-z0-9]+/g, '_')}_score`;
}

/** Checks the editor's rule list; returns the rules with their defaults filled in. */
export function checkRules(raw: unknown): RuleSpec[] {
  if (!Array.isArray(raw)) throw new RuleError(`rules must be a list, not ${describeType(raw)}`);
  if (raw.length === 0) throw new RuleError('add at least one rule');
  const names = new Set<string>();
  const keys = new Set<string>();
  return raw.map((r: unknown, i) => {
    const rule = checkRule(r, i);
    if (names.has(rule.name))
      throw new RuleError(`rule ${i + 1}: the name "${rule.name}" is used twice; names must be unique`);
    if (keys.has(scoreKey(rule)))
      throw new RuleError(`rule ${i + 1}: the name "${rule.name}" gives the score key of another rule; rename one`);
    names.add(rule.name);
    keys.add(scoreKey(rule));
    return rule;
  });
}

function checkRule(raw: unknown, i: number): RuleSpec {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new RuleError(`rule ${i + 1} must be an object`);
  const r = raw as Record<string, unknown>;
  const kind = r.kind as RuleKind;
  if (!RULE_KINDS.includes(kind)) throw new RuleError(`rule ${i + 1}: kind must be one of ${RULE_KINDS.join(', ')}`);
  const field = typeof r.field === 'string' ? r.field.trim() : '';
  if (kind !== 'deadman' && !field) throw new RuleError(`rule ${i + 1} (${kind}): name the field it judges`);
  const name =
    typeof r.name === 'string' && r.name.trim() ? r.name.trim() : kind === 'deadman' ? 'silent' : `${field} ${kind}`;
  const at = `rule "${name}"`;
  const severity = r.severity === undefined || r.severity === '' ? 'MEDIUM' : (r.severity as Severity);
  if (!SEVERITIES.includes(severity)) throw new RuleError(`${at}: severity must be one of ${SEVERITIES.join(', ')}`);
  const rule: RuleSpec = { name, kind, field: kind === 'deadman' ? '' : field, severity };

  const num = (key: keyof RuleSpec, opts: { min?: number; max?: number; integer?: boolean } = {}) => {
    const v = r[key];
    if (v === undefined || v === '' || v === null) return undefined;
    const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
    if (!Number.isFinite(n)) throw new RuleError(`${at}: ${key} must be a number`);
    if (opts.integer && !Number.isInteger(n)) throw new RuleError(`${at}: ${key} must be a whole number`);
    if (opts.min !== undefined && n < opts.min) throw new RuleError(`${at}: ${key} must be at least ${opts.min}`);
    if (opts.max !== undefined && n > opts.max) throw new RuleError(`${at}: ${key} must be at most ${opts.max}`);
    (rule as unknown as Record<string, unknown>)[key] = n;
    return n;
  };
  const setting = (key: 'threshold' | 'low' | 'high' | 'hysteresis' | 'limit', required: boolean) => {
    const v = r[key];
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const t = v as { type?: unknown; value?: unknown };
      if (t.type === 'num' || t.type === undefined) return num2(key, t.value);
      if (t.type !== 'env' && t.type !== 'flow' && t.type !== 'global')
        throw new RuleError(`${at}: ${key} can be a number, env, flow or global`);
      if (typeof t.value !== 'string' || !t.value.trim())
        throw new RuleError(`${at}: ${key} names no ${t.type} variable`);
      rule[key] = { type: t.type, value: t.value.trim() };
      return;
    }
    if (v === undefined || v === '' || v === null) {
      if (required) throw new RuleError(`${at}: set ${key}`);
      return;
    }
    num2(key, v);
  };
  const num2 = (key: 'threshold' | 'low' | 'high' | 'hysteresis' | 'limit', v: unknown) => {
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    if (!Number.isFinite(n)) throw new RuleError(`${at}: ${key} must be a number`);
    if ((key === 'hysteresis' || key === 'limit') && n < 0) throw new RuleError(`${at}: ${key} must not be negative`);
    rule[key] = n;
  };

  num('pendingReadings', { min: 0, integer: true });
  num('pendingSec', { min: 0 });
  num('keepFiringSec', { min: 0 });
  num('reminderSec', { min: 0 });
  switch (kind) {
    case 'threshold': {
      const op = (r.op ?? 'above') as RuleSpec['op'];
      if (op !== 'above' && op !== 'below' && op !== 'outside')
        throw new RuleError(`${at}: op must be above, below or outside`);
      rule.op = op;
      if (op === 'outside') {
        setting('low', true);
        setting('high', true);
        if (typeof rule.low === 'number' && typeof rule.high === 'number' && rule.low >= rule.high) {
          throw new RuleError(`${at}: low must be below high`);
        }
      } else setting('threshold', true);
      setting('hysteresis', false);
      break;
    }
    case 'zscore':
    case 'robust_zscore':
      setting('limit', false);
      num('highAt', { min: 0 });
      num('window', { min: 3, max: 100_000, integer: true });
      num('windowSec', { min: 1 });
      num('minSamples', { min: 3, integer: true });
      if (r.includeAnomalies !== undefined)
        rule.includeAnomalies = r.includeAnomalies === true || r.includeAnomalies === 'true';
      break;
    case 'ewma':
      setting('limit', false);
      num('lambda', { min: 0.001, max: 1 });
      num('minSamples', { min: 3, integer: true });
      break;
    case 'flatline':
      num('epsilon', { min: 0 });
      num('readings', { min: 2, integer: true });
      num('seconds', { min: 1 });
      if (rule.readings === undefined && rule.seconds === undefined)
        throw new RuleError(`${at}: set readings or seconds`);
      break;
    case 'deadman':
      if (num('seconds', { min: 1 }) === undefined)
        throw new RuleError(`${at}: set seconds (how long a device may be silent)`);
      break;
    case 'rate':
      setting('limit', true);
      break;
  }
  return rule;
}
