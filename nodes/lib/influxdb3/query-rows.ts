// Rows from @influxdata/influxdb3-client shaped for Node-RED messages: 64-bit integers (which the
// client gives as bigint, and which msg.payload cannot carry through JSON, the debug sidebar or
// most nodes) become numbers when exact and decimal strings otherwise; time columns (epoch
// milliseconds from the client) become Date, ISO text or stay epoch ms, as the user chose; and a
// query's $name parameters are checked before they are sent.

export type TimeFormat = 'date' | 'iso' | 'ms';
export type Row = Record<string, unknown>;

export function shapeRow(row: Row, timeColumns: ReadonlySet<string>, time: TimeFormat): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) {
    let value: unknown = v;
    if (typeof v === 'bigint')
      value = v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
    else if (
      v !== null &&
      typeof v === 'object' &&
      typeof (v as { toJSON?: unknown }).toJSON === 'function' &&
      !(v instanceof Date)
    )
      value = (v as { toJSON(): unknown }).toJSON();
    if (timeColumns.has(k) && typeof value === 'number')
      value = time === 'ms' ? value : time === 'iso' ? new Date(value).toISOString() : new Date(value);
    out[k] = value;
  }
  return out;
}

export type QueryParam = string | number | boolean;

/** The parameters the SQL uses, checked: only strings, finite numbers and booleans, and none that
 *  @influxdata/influxdb3-client 2.1.0 would silently drop (0, false, ''). Throws with what to do. */
export function checkParams(sql: string, params: unknown): Record<string, QueryParam> {
  const used = new Set([...sql.matchAll(/\$(\w+)/g)].map((m) => m[1]));
  if (params === undefined || params === null) {
    if (used.size > 0)
      throw new Error(
        `the query uses ${[...used].map((u) => `$${u}`).join(', ')}: give their values in msg.params, e.g. {"${[...used][0]}": "TEMP_001"}`,
      );
    return {};
  }
  if (typeof params !== 'object' || Array.isArray(params))
    throw new Error('msg.params must be an object of name: value, e.g. {"device": "TEMP_001"}');
  const out: Record<string, QueryParam> = {};
  for (const [name, v] of Object.entries(params as Record<string, unknown>)) {
    if (!(typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)))) {
      throw new Error(
        `msg.params.${name} must be a string, a number or a boolean, not ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`,
      );
    }
    if (used.has(name) && (v === 0 || v === false || v === '')) {
      throw new Error(
        `msg.params.${name} is ${JSON.stringify(v)}: the InfluxDB 3 client (2.1.0) does not send 0, false or empty parameters; write that value into the SQL instead`,
      );
    }
    out[name] = v;
  }
  for (const u of used) if (!(u in out)) throw new Error(`the query uses $${u} but msg.params has no "${u}"`);
  return out;
}
