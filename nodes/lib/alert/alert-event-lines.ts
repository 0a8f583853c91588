// Alert events as points of their own table (alert_events by default), so the history of every
// episode is in InfluxDB 3 beside the readings it was judged on: one point per event at its time,
// tagged by rule, series, severity, kind, field and the reading's tags, with the event, the episode
// id, the value, threshold or score, the start and (when resolved) the duration as fields.
// Tag values pass the same checks as a reading's: an event InfluxDB 3 could not store (a control
// character or a trailing backslash in a device id) is refused with a reason, never written cut.

import { escapeKeyOrTagValue, escapeMeasurement, quoteStringField } from '../line-protocol/lp-escape';
import type { LineWriter } from '../line-protocol/line-writer';
import { tagCoercer, valueCoercer } from '../schema/compiled-schema';
import { ReadingError } from '../schema/reading-error';
import { Precision, formatAtPrecision } from '../timestamps';
import type { AlertEvent } from './alert-engine';
import { shownText } from '../shown-text';

export const ALERT_EVENTS_TABLE = 'alert_events';
const EVENTS: readonly string[] = ['firing', 'resolved', 'reminder'];
/** The event's own tags; a reading tag of the same name is left out. */
const OWN_TAGS = ['kind', 'rule', 'series', 'severity', 'field'] as const;
const FIELD_NAMES = new Set(['event', 'episode', 'value', 'threshold', 'score', 'started_at', 'duration_s', 'reason']);
const MAX_TAG = 256;
const MAX_TEXT = 1024;

/** What telemetry-alert sends on its first output (enough of it to be one). */
export function isAlertEvent(v: unknown): v is AlertEvent {
  const e = v as Partial<AlertEvent> | null;
  return (
    e !== null &&
    typeof e === 'object' &&
    EVENTS.includes(e.event as string) &&
    typeof e.alertId === 'string' &&
    typeof e.rule === 'string' &&
    typeof e.series === 'string'
  );
}

const checkText = valueCoercer('episode', 'string', MAX_TEXT);

/** Writes one event as a line into `w`; returns why it cannot be stored instead. */
export function encodeAlertEvent(
  w: LineWriter,
  e: AlertEvent,
  table: string,
  precision: Precision,
): ReadingError | undefined {
  const at = Date.parse(e.at);
  if (!Number.isFinite(at))
    return new ReadingError('invalid_timestamp', `the alert event's time (at) is not a time: ${String(e.at)}`, 'at');
  const tags: [string, string][] = [];
  const own: Record<(typeof OWN_TAGS)[number], unknown> = {
    kind: e.kind,
    rule: e.rule,
    series: e.series,
    severity: e.severity,
    field: e.field,
  };
  for (const k of OWN_TAGS) {
    const v = own[k];
    if (v === undefined || v === null || v === '') continue;
    const checked = tagCoercer(k, MAX_TAG)(v);
    if (checked instanceof ReadingError) return checked;
    tags.push([k, checked as string]);
  }
  for (const [k, v] of Object.entries(e.tags ?? {})) {
    if ((OWN_TAGS as readonly string[]).includes(k) || FIELD_NAMES.has(k) || v === undefined || v === null || v === '')
      continue;
    const key = tagCoercer('tag name', MAX_TAG)(k);
    if (key instanceof ReadingError) return key;
    const checked = tagCoercer(k, MAX_TAG)(v);
    if (checked instanceof ReadingError) return checked;
    tags.push([k, checked as string]);
  }
  // Line protocol's own order, so the same event always makes the same line.
  tags.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

  const episode = checkText(e.episodeId);
  if (episode instanceof ReadingError) return episode;
  // Why an alert was resolved unjudged (a series forgotten), or whatever a hand-made event says: shown, capped.
  const reason = e.reason === undefined ? undefined : shownText(e.reason, MAX_TEXT);
  const started = Date.parse(e.startedAt);

  let head = escapeMeasurement(table);
  for (const [k, v] of tags) head += `,${escapeKeyOrTagValue(k)}=${escapeKeyOrTagValue(v)}`;
  w.text(`${head} event=${quoteStringField(e.event)},episode=${quoteStringField(episode as string)}`);
  // Always floats (no suffix): a column's type is fixed by its first write.
  const float = (k: string, v: unknown) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return;
    w.ascii(`,${k}=`);
    w.float(v);
  };
  float('value', e.value);
  float('threshold', e.threshold);
  float('score', e.score);
  if (Number.isFinite(started)) {
    w.ascii(`,started_at="${new Date(started).toISOString()}"`);
    if (e.event === 'resolved') float('duration_s', Math.max(0, at - started) / 1000);
  }
  if (reason !== undefined) w.text(`,reason=${quoteStringField(reason)}`);
  w.ascii(` ${formatAtPrecision({ ms: at, nanos: 0 }, precision)}`);
  w.endLine();
  return undefined;
}
