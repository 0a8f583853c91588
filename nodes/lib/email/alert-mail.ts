// One email of alert events: subject, text and HTML from Mustache templates (the syntax of
// Node-RED's template node). Every value from a reading is shown through shownText (line breaks,
// control, bidirectional and invisible characters made visible, lengths capped) and escaped in the
// HTML part (Mustache's {{ }}), so a device id cannot add a header, fake a line or change the page.

import Mustache from 'mustache';
import { shownText } from '../shown-text';
import type { AlertEvent } from '../alert/alert-engine';
import type { Notification } from './alert-grouper';

export interface MailTemplates {
  subject: string;
  text: string;
  html: string;
}

export const DEFAULT_TEMPLATES: MailTemplates = {
  subject:
    '[IoT ALERT] {{rule}} - {{device}}{{#more}} and {{more}} more{{/more}}{{#resolvedOnly}} (resolved){{/resolvedOnly}}',
  text: [
    '{{#groups}}',
    '{{title}}',
    '{{#firing}}',
    '  FIRING   {{device}}  {{location}} floor {{floor}}: {{field}} = {{value}} ({{limit}})  since {{startedAt}}',
    '{{/firing}}',
    '{{#resolved}}',
    '  RESOLVED {{device}}  {{location}} floor {{floor}}: {{field}} = {{value}}  {{startedAt}} - {{resolvedAt}}{{#reason}}  ({{reason}}){{/reason}}',
    '{{/resolved}}',
    '{{#moreFiring}}  ... and {{moreFiring}} more firing{{/moreFiring}}',
    '{{#moreResolved}}  ... and {{moreResolved}} more resolved{{/moreResolved}}',
    '',
    '{{/groups}}',
    '{{#digest}}Several alert groups are in this one email: the hourly email limit was reached.{{/digest}}',
  ].join('\n'),
  html: [
    '{{#groups}}',
    '<h3>{{title}}</h3>',
    '<table border="1" cellpadding="4" cellspacing="0">',
    '<tr><th>state</th><th>device</th><th>location</th><th>floor</th><th>field</th><th>value</th><th>threshold or score</th><th>time</th></tr>',
    '{{#firing}}<tr><td>FIRING</td><td>{{device}}</td><td>{{location}}</td><td>{{floor}}</td><td>{{field}}</td><td>{{value}}</td><td>{{limit}}</td><td>since {{startedAt}}</td></tr>{{/firing}}',
    '{{#resolved}}<tr><td>RESOLVED</td><td>{{device}}</td><td>{{location}}</td><td>{{floor}}</td><td>{{field}}</td><td>{{value}}</td><td>{{limit}}</td><td>{{startedAt}} - {{resolvedAt}}{{#reason}} ({{reason}}){{/reason}}</td></tr>{{/resolved}}',
    '</table>',
    '{{#moreFiring}}<p>... and {{moreFiring}} more firing</p>{{/moreFiring}}',
    '{{#moreResolved}}<p>... and {{moreResolved}} more resolved</p>{{/moreResolved}}',
    '{{/groups}}',
    '{{#digest}}<p>Several alert groups are in this one email: the hourly email limit was reached.</p>{{/digest}}',
  ].join('\n'),
};

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** The longest device id, rule, field or tag value a mail shows. */
const VALUE_MAX = 100;
const SUBJECT_MAX = 200;
/** The most alerts of each state a group lists: a storm of thousands is counted, not listed. */
export const ROWS_PER_GROUP = 100;

function row(e: AlertEvent) {
  const limit =
    e.score !== undefined
      ? `score ${round(e.score)} > ${e.threshold}`
      : e.threshold !== undefined
        ? `threshold ${e.threshold}`
        : '';
  // Values from readings on one line each, in the body too: a device id cannot fake a line.
  return {
    device: shownText(e.series, VALUE_MAX),
    rule: shownText(e.rule, VALUE_MAX),
    severity: shownText(e.severity, VALUE_MAX),
    field: shownText(e.field, VALUE_MAX) || '(silent)',
    value: Number.isNaN(e.value) ? '' : round(e.value),
    limit,
    location: tagText(e.tags?.location),
    floor: tagText(e.tags?.floor),
    startedAt: shownText(e.startedAt),
    resolvedAt: shownText(e.resolvedAt ?? ''),
    reason: shownText(e.reason ?? '', 300),
  };
}

function tagText(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' ? shownText(v, VALUE_MAX) : '';
}

function round(n: number): string {
  return Number.isFinite(n) ? String(Math.round(n * 1000) / 1000) : String(n);
}

/** The view the templates see: the first alert's fields at the top level (for the subject), and
 *  every group with its firing and resolved alerts. */
export function mailView(n: Notification) {
  const groups = n.groups.map((g) => {
    const firing = g.firing.slice(0, ROWS_PER_GROUP).map(row);
    const resolved = g.resolved.slice(0, ROWS_PER_GROUP).map(row);
    const moreFiring = g.firing.length - firing.length;
    const moreResolved = g.resolved.length - resolved.length;
    const rule = shownText((g.firing[0] ?? g.resolved[0])?.rule ?? '', VALUE_MAX);
    const title = `${rule}: ${g.firing.length} firing${g.resolved.length ? `, ${g.resolved.length} resolved` : ''}${n.repeat ? ' (still firing)' : ''}`;
    return { title, rule, firing, resolved, moreFiring, moreResolved };
  });
  const all = n.groups.flatMap((g) => [...g.firing, ...g.resolved]);
  const first = all[0]
    ? row(all[0])
    : row({ series: '', rule: '', field: '', value: NaN, tags: {} } as unknown as AlertEvent);
  return {
    ...first,
    rule: n.digest ? `${n.groups.length} alert groups` : first.rule,
    more: all.length > 1 ? all.length - 1 : 0,
    count: all.length,
    resolvedOnly: n.groups.every((g) => g.firing.length === 0),
    digest: n.digest,
    repeat: n.repeat,
    groups,
  };
}

export function renderMail(n: Notification, t: MailTemplates): RenderedMail {
  const view = mailView(n);
  const plain = (tpl: string) => Mustache.render(tpl, view, {}, { escape: (s: string) => String(s) });
  return {
    subject: shownText(plain(t.subject).trim(), SUBJECT_MAX),
    text: plain(t.text),
    html: Mustache.render(t.html, view),
  };
}
