// Escaping for InfluxDB line protocol, as InfluxDB 3's parser reads it
// (influxdata/influxdb core/influxdb_line_protocol/src/lib.rs: `measurement`, `tag_key`,
// `tag_value`, `field_key`, `escaped_value`, `field_string_value`).
//
// - measurement: `,` and space are escaped; `=` is literal (its escape would be kept as `\=`).
// - tag keys, tag values, field keys: `,`, `=` and space are escaped.
// - A backslash is doubled only where a parser would otherwise read it as the start of an escape
//   (before `,` `=` space `\`). Elsewhere it stays single: both InfluxDB 3 and the 1.x parser keep
//   an unknown escape such as `\d` literally, so more values read back the same on both. A name or
//   tag value that ends with a backslash is refused before it gets here: InfluxDB 3 rejects it
//   however it is escaped (`escape_or_fallback`, EndsWithBackslash).
// - string field values: `"` and `\` are escaped and the value is quoted.
// Names and tag values with control characters (newline above all) are refused before they get
// here: line protocol has no escape for them, so they could split one reading into two lines.

const NEEDS_ESCAPE_KEY = /[,= \\]/;
const NEEDS_ESCAPE_MEASUREMENT = /[, \\]/;
const NEEDS_ESCAPE_STRING = /["\\]/;

export function escapeKeyOrTagValue(s: string): string {
  return NEEDS_ESCAPE_KEY.test(s) ? escapeWith(s, true) : s;
}

export function escapeMeasurement(s: string): string {
  return NEEDS_ESCAPE_MEASUREMENT.test(s) ? escapeWith(s, false) : s;
}

export function quoteStringField(s: string): string {
  return NEEDS_ESCAPE_STRING.test(s) ? `"${s.replace(/["\\]/g, '\\$&')}"` : `"${s}"`;
}

function escapeWith(s: string, escapeEquals: boolean): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === ',' || c === ' ' || (escapeEquals && c === '=')) {
      out += '\\' + c;
    } else if (c === '\\') {
      const next = s[i + 1];
      const ambiguous =
        next === undefined || next === ',' || next === ' ' || next === '\\' || (escapeEquals && next === '=');
      out += ambiguous ? '\\\\' : '\\';
    } else {
      out += c;
    }
  }
  return out;
}
