// Text a device chose (its id, a tag value, a topic segment, a piece of its payload), made safe to
// show to a person or hand to another system: an email's subject and body, a node status, a log
// line, msg.error. It is the one place where the pack alters such text; the readings themselves are
// stored as they came.
//
// What could break a line or a header, or make the text read differently from what it is, is made
// visible as \uXXXX rather than removed, so "pump\u2028Bcc: x" cannot pass for two lines and two
// hostile ids that differ only in hidden characters still look different:
// - C0 and C1 control characters and DEL (CR, LF, TAB and NEL among them);
// - Unicode line and paragraph separators (U+2028, U+2029);
// - bidirectional embeddings, overrides, isolates and marks (U+202A-U+202E, U+2066-U+2069,
//   U+200E, U+200F, U+061C), which can show "gpj.exe" as "exe.jpg";
// - zero-width and invisible characters (U+200B-U+200D, U+2060-U+2064, U+FEFF, the soft hyphen
//   U+00AD, U+180E, the Hangul fillers U+115F, U+1160, U+3164, U+FFA0) and the interlinear
//   annotation characters U+FFF9-U+FFFB;
// - lone surrogates, which are not text at all and which mail and JSON encoders reject.
// The result is cut to a length, at a whole character, with "…" to show the cut.

const UNSAFE =
  // eslint-disable-next-line no-control-regex -- control characters are what this makes visible
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\u3164\ufeff\uffa0\ufff9-\ufffb]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The longest text shown by default: enough for any honest id, short enough for a subject line. */
export const SHOWN_TEXT_MAX = 200;

const visible = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** Device text as it may be shown: unsafe characters as \uXXXX, at most maxLength characters
 *  (code points) with "…" when cut. Anything not a string is shown through String(). */
export function shownText(value: unknown, maxLength = SHOWN_TEXT_MAX): string {
  const text = typeof value === 'string' ? value : String(value);
  UNSAFE.lastIndex = 0;
  const safe = UNSAFE.test(text) ? text.replace(UNSAFE, visible) : text;
  return cut(safe, maxLength);
}

/** At most max code points; a \uXXXX this made is never cut in two. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const points = Array.from(text);
  if (points.length <= max) return text;
  let end = max - 1;
  // Back off to the start of a \uXXXX sequence that the cut would split.
  const head = points.slice(Math.max(0, end - 5), end).join('');
  const split = /\\u[0-9a-f]{0,3}$/.exec(head);
  if (split) end -= split[0].length;
  return `${points.slice(0, end).join('')}…`;
}

/** Device text inside a message: quoted as JSON quotes it (so quotes and backslashes inside are
 *  plain), anything JSON leaves as it is made visible too, cut at maxLength characters. */
export function quoted(value: unknown, maxLength = 40): string {
  const points = Array.from(typeof value === 'string' ? value : String(value));
  const shown = points.length > maxLength ? `${points.slice(0, maxLength).join('')}…` : points.join('');
  return shownText(JSON.stringify(shown), Infinity);
}

/** A key or name a device chose, inside a message: in single quotes, shown, at most 64 characters. */
export function named(text: string): string {
  return `'${shownText(text, 64)}'`;
}
