// The test server's SQL bridge and output formatting, without a server: what is rewritten, what is
// left alone (strings, quoted names, comments), what is refused, and how values are printed.
import assert from 'node:assert/strict';
import { floatText, isoNanos } from '../../../support/influxdb3/query-formats';
import { parseCliOptions } from '../../../support/influxdb3/cli';
import { DialectError, maskLiterals, translateQuery } from '../../../support/influxdb3/sql-dialect';

describe('InfluxDB 3 SQL on DuckDB (test server)', () => {
  const tables = ['iot_sensors', 'iot-sensors', 'Home'];

  it('resolves table names as DataFusion does and quotes them for DuckDB', () => {
    assert.equal(translateQuery('SELECT * FROM IOT_SENSORS', tables).sql, 'SELECT * FROM "iot_sensors"');
    assert.equal(translateQuery('SELECT * FROM "iot-sensors" s JOIN iox.iot_sensors t ON true', tables).sql, 'SELECT * FROM "iot-sensors" s JOIN "iot_sensors" t ON true');
    assert.equal(translateQuery("SELECT * FROM 'Home'", tables).sql, 'SELECT * FROM "Home"', "the downsampler plugin's single-quoted form");
    assert.throws(() => translateQuery('SELECT * FROM Home', tables), /table 'public\.iox\.home' not found/, 'unquoted names are lower-cased first');
    assert.deepEqual(translateQuery('WITH recent AS (SELECT * FROM public.iox.iot_sensors) SELECT * FROM recent', tables).tables, ['iot_sensors']);
    assert.equal(translateQuery('SELECT extract(hour FROM time) AS h FROM (SELECT time FROM iot_sensors) x', tables).tables[0], 'iot_sensors');
  });

  it('rewrites only real SQL: never inside strings, quoted names or comments', () => {
    const sql = `SELECT 'FROM nowhere first_value(' AS s, "last_value(x)" , first_value(v ORDER BY time) AS f -- FROM missing\n FROM iot_sensors /* JOIN gone */`;
    const t = translateQuery(sql, [...tables, 'last_value(x)']);
    assert.equal(t.sql, `SELECT 'FROM nowhere first_value(' AS s, "last_value(x)" , first(v ORDER BY time) AS f -- FROM missing\n FROM "iot_sensors" /* JOIN gone */`);
    assert.equal(maskLiterals("a 'b''c' \"d\"\"e\" f").length, "a 'b''c' \"d\"\"e\" f".length);
    assert.equal(translateQuery('SELECT last_value(v) OVER (ORDER BY time) AS l FROM iot_sensors', tables).sql.includes('last_value(v) OVER'), true, 'the window function is left alone');
    assert.match(translateQuery('SELECT approx_percentile_cont(0.9) WITHIN GROUP (ORDER BY v) AS p FROM iot_sensors', tables).sql, /percentile_cont\(0\.9\) WITHIN GROUP/);
  });

  it('collects $name placeholders outside strings, and refuses what is not bridged by name', () => {
    assert.deepEqual(translateQuery("SELECT * FROM iot_sensors WHERE a = $a AND b = '$b' AND c > $c AND d = $a", tables).placeholders, ['a', 'c']);
    for (const q of ["SELECT date_bin_gapfill(INTERVAL '1 minute', time) AS b FROM iot_sensors", 'SELECT arrow_cast(v, \'Int64\') AS x FROM iot_sensors', 'SHOW TABLES', 'SELECT * FROM information_schema.columns']) {
      assert.throws(() => translateQuery(q, tables), (e: unknown) => e instanceof DialectError && e.kind === 'not-implemented', q);
    }
  });

  it('prints timestamps and floats as InfluxDB 3 does', () => {
    assert.equal(isoNanos(0n), '1970-01-01T00:00:00');
    assert.equal(isoNanos(123n), '1970-01-01T00:00:00.000000123');
    assert.equal(isoNanos(1_500_000n), '1970-01-01T00:00:00.001500');
    assert.equal(isoNanos(1795342500123000000n), '2026-11-22T10:15:00.123');
    assert.equal(isoNanos(-1n), '1969-12-31T23:59:59.999999999');
    assert.deepEqual([floatText(2), floatText(-0.5), floatText(1e21), floatText(NaN)], ['2.0', '-0.5', '1e+21', 'NaN']);
  });

  it('reads the command line of the playground server', () => {
    assert.deepEqual(parseCliOptions([]), { port: 8181, walFlushMs: 1000 });
    assert.deepEqual(parseCliOptions(['--port', '0', '--token=s', '--data-dir', '/tmp/x', '--wal-flush-ms', '0']), { port: 0, token: 's', dataDir: '/tmp/x', walFlushMs: 0 });
    assert.throws(() => parseCliOptions(['--port', 'x']), /--port takes a whole number/);
    assert.throws(() => parseCliOptions(['--bogus']), /unknown option --bogus/);
  });
});
