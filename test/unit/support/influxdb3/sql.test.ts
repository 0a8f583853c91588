// The test server's SQL bridge and output formatting, without a server: what is rewritten, what is
// left alone (strings, quoted names, comments), what is refused, and how values are printed.
import should from 'should';
import { floatText, isoNanos } from '../../../support/influxdb3/query-formats';
import { parseCliOptions } from '../../../support/influxdb3/cli';
import { DialectError, maskLiterals, translateQuery } from '../../../support/influxdb3/sql-dialect';

describe('InfluxDB 3 SQL on DuckDB (test server)', () => {
  const tables = ['iot_sensors', 'iot-sensors', 'Home'];

  it('resolves table names as DataFusion does and quotes them for DuckDB', () => {
    should(translateQuery('SELECT * FROM IOT_SENSORS', tables).sql).equal('SELECT * FROM "iot_sensors"');
    should(translateQuery('SELECT * FROM "iot-sensors" s JOIN iox.iot_sensors t ON true', tables).sql).equal(
      'SELECT * FROM "iot-sensors" s JOIN "iot_sensors" t ON true',
    );
    should(translateQuery("SELECT * FROM 'Home'", tables).sql).equal(
      'SELECT * FROM "Home"',
      "the downsampler plugin's single-quoted form",
    );
    // Unquoted names are lower-cased first.
    should(() => translateQuery('SELECT * FROM Home', tables)).throw(/table 'public\.iox\.home' not found/);
    should(
      translateQuery('WITH recent AS (SELECT * FROM public.iox.iot_sensors) SELECT * FROM recent', tables).tables,
    ).eql(['iot_sensors']);
    should(
      translateQuery('SELECT extract(hour FROM time) AS h FROM (SELECT time FROM iot_sensors) x', tables).tables[0],
    ).equal('iot_sensors');
  });

  it('rewrites only real SQL: never inside strings, quoted names or comments', () => {
    const sql = `SELECT 'FROM nowhere first_value(' AS s, "last_value(x)" , first_value(v ORDER BY time) AS f -- FROM missing\n FROM iot_sensors /* JOIN gone */`;
    const t = translateQuery(sql, [...tables, 'last_value(x)']);
    should(t.sql).equal(
      `SELECT 'FROM nowhere first_value(' AS s, "last_value(x)" , first(v ORDER BY time) AS f -- FROM missing\n FROM "iot_sensors" /* JOIN gone */`,
    );
    should(maskLiterals('a \'b\'\'c\' "d""e" f').length).equal('a \'b\'\'c\' "d""e" f'.length);
    should(
      translateQuery('SELECT last_value(v) OVER (ORDER BY time) AS l FROM iot_sensors', tables).sql.includes(
        'last_value(v) OVER',
      ),
    ).equal(true, 'the window function is left alone');
    should(
      translateQuery('SELECT approx_percentile_cont(0.9) WITHIN GROUP (ORDER BY v) AS p FROM iot_sensors', tables).sql,
    ).match(/approx_percentile_cont\(v, 0\.9\) AS p/);
  });

  it('collects $name placeholders outside strings, and refuses what is not bridged by name', () => {
    should(
      translateQuery("SELECT * FROM iot_sensors WHERE a = $a AND b = '$b' AND c > $c AND d = $a", tables).placeholders,
    ).eql(['a', 'c']);
    for (const q of [
      "SELECT date_bin_gapfill(INTERVAL '1 minute', time) AS b FROM iot_sensors",
      "SELECT arrow_cast(v, 'Int64') AS x FROM iot_sensors",
      'SHOW TABLES',
      'SELECT * FROM information_schema.columns',
    ]) {
      should(() => translateQuery(q, tables)).throw(DialectError, { kind: 'not-implemented' });
    }
  });

  it('prints timestamps and floats as InfluxDB 3 does', () => {
    should(isoNanos(0n)).equal('1970-01-01T00:00:00');
    should(isoNanos(123n)).equal('1970-01-01T00:00:00.000000123');
    should(isoNanos(1_500_000n)).equal('1970-01-01T00:00:00.001500');
    should(isoNanos(1795342500123000000n)).equal('2026-11-22T10:15:00.123');
    should(isoNanos(-1n)).equal('1969-12-31T23:59:59.999999999');
    should([floatText(2), floatText(-0.5), floatText(1e21), floatText(NaN)]).eql(['2.0', '-0.5', '1e+21', 'NaN']);
  });

  it('reads the command line of the playground server', () => {
    should(parseCliOptions([])).eql({ port: 8181, walFlushMs: 1000 });
    should(parseCliOptions(['--port', '0', '--token=s', '--data-dir', '/tmp/x', '--wal-flush-ms', '0'])).eql({
      port: 0,
      token: 's',
      dataDir: '/tmp/x',
      walFlushMs: 0,
    });
    should(() => parseCliOptions(['--port', 'x'])).throw(/--port takes a whole number/);
    should(() => parseCliOptions(['--bogus'])).throw(/unknown option --bogus/);
  });
});
