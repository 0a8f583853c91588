// One email of alert events: subject, text and HTML from Mustache templates (the syntax of
// Node-RED's template node). Every value from a reading is escaped in the HTML part (Mustache's
// {{ }}), and line breaks and control characters are stripped from everything that becomes a
// header, so a device id cannot add a header or change the page.

import Mustache from 'mustache';
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
    '  RESOLVED {{device}}  {{location}} floor {{floor}}: {{field}} = {{value}}  {{startedAt}} - {{resolvedAt}}',
    '{{/resolved}}',
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
    '{{#resolved}}<tr><td>RESOLVED</td><td>{{device}}</td><td>{{location}}</td><td>{{floor}}</td><td>{{field}}</td><td>{{value}}</td><td>{{limit}}</td><td>{{startedAt}} - {{resolvedAt}}</td></tr>{{/resolved}}',
    '</table>',
    '{{/groups}}',
    '{{#digest}}<p>Several alert groups are in this one email: the hourly email limit was reached.</p>{{/digest}}',
  ].join('\n'),
};

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

// eslint-disable-next-line no-control-regex -- control characters are what this removes
const HEADER_UNSAFE = /[\u0000-\u001f\u007f]+/g;

/** Removes what could end a header line (CR, LF) or hide in one (other control characters). */
export function headerSafe(s: string): string {
  return s.replace(HEADER_UNSAFE, ' ').trim();
}

function row(e: AlertEvent) {
  const limit =
    e.score !== undefined
      ? `score ${round(e.score)} > ${e.threshold}`
      : e.threshold !== undefined
        ? `threshold ${e.threshold}`
        : '';
  // Values from readings on one line each, in the body too: a device id cannot fake a line.
  return {
    device: headerSafe(e.series),
    rule: headerSafe(e.rule),
    severity: e.severity,
    field: headerSafe(e.field) || '(silent)',
    value: round(e.value),
    limit,
    location: tagText(e.tags?.location),
    floor: tagText(e.tags?.floor),
    startedAt: e.startedAt,
    resolvedAt: e.resolvedAt ?? '',
  };
}

function tagText(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' ? headerSafe(String(v)) : '';
}

function round(n: number): string {
  return Number.isFinite(n) ? String(Math.round(n * 1000) / 1000) : String(n);
}

/** The view the templates see: the first alert's fields at the top level (for the subject), and
 *  every group with its firing and resolved alerts. */
export function mailView(n: Notification) {
  const groups = n.groups.map((g) => {
    const firing = g.firing.map(row);
    const resolved = g.resolved.map(row);
    const rule = (g.firing[0] ?? g.resolved[0])?.rule ?? '';
    const title = `${rule}: ${firing.length} firing${resolved.length ? `, ${resolved.length} resolved` : ''}${n.repeat ? ' (still firing)' : ''}`;
    return { title, rule, firing, resolved };
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
    subject: headerSafe(plain(t.subject)).slice(0, 200),
    text: plain(t.text),
    html: Mustache.render(t.html, view),
  };
}
