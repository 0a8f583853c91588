// Schema rules and write replies of the test server, against the verbatim replies of InfluxDB 3
// Core (influxdata/influxdb influxdb3_server/src/http.rs and influxdb3_catalog error.rs).
import should from 'should';
import { parseLines } from '../../../support/influxdb3/line-protocol';
import { seededRandom } from '../../../../nodes/lib/simulator/seeded-random';
import { KnownSeries } from '../../../support/influxdb3/known-series';
import { TableStore } from '../../../support/influxdb3/table-store';
import type { Precision } from '../../../support/influxdb3/write-protocol';
import {
  CORE_LIMITS,
  Catalog,
  applyWrite,
  displayLine,
  rustFloat,
  truncateBytes,
} from '../../../support/influxdb3/write-validation';

const line = (lp: string) => {
  const [r] = parseLines(lp);
  should(r.error).equal(undefined, r.error);
  return r.line!;
};

function write(catalog: Catalog, body: string, endpoint: 'v3' | 'v2' | 'v1' = 'v3', acceptPartial = true) {
  const { reply, accepted } = applyWrite(
    catalog,
    endpoint,
    { db: 'db', precision: 'auto', acceptPartial, noSync: false },
    body,
    0n,
  );
  return { reply, stored: accepted };
}

describe('InfluxDB 3 schema rules and write replies (test server)', () => {
  it("answers the server tests' bodies verbatim, partial or not", () => {
    const c = new Catalog();
    const all = write(c, 'cpu,host=a val= 123\ncpu,host=b val=5 124\ncpu,host=b val= 124', 'v3', false);
    should(all.reply).eql({
      status: 400,
      body: '{"error":"line protocol parsing error","data":{"error_message":"No fields were provided","line_number":1,"original_line":"cpu,host=a val= 123"}}',
    });
    should(all.stored).eql([]);
    const partial = write(c, 'cpu,host=b val=2 155\ncpu,host=a val= 123\ncpu,host=b val=5 199');
    should(partial.reply).eql({
      status: 400,
      body: '{"error":"partial write of line protocol occurred","data":[{"error_message":"No fields were provided","line_number":2,"original_line":"cpu,host=a val= 123"}]}',
    });
    should(partial.stored.length).equal(2, 'lines 1 and 3 were written');
    should(write(c, 'cpu,host=b val=7 200').reply).eql({ status: 204, body: '' });
    should(write(c, '\n# nothing\n').reply).eql({ status: 400, body: 'incoming write was empty' });
    should(write(c, '', 'v2').reply).eql({
      status: 400,
      body: '{"code":"invalid","message":"write buffer error: incoming write was empty"}',
    });
  });

  it("fixes a field's type at its first write (the reference design's failure)", () => {
    const c = new Catalog();
    should(write(c, 'iot_sensors,device_id=T1 humidity=12i 1').reply.status).equal(204);
    const r = write(c, 'iot_sensors,device_id=T1 humidity=12.5 2');
    const msg =
      "invalid column type for column 'humidity', expected iox::column_type::field::integer, got iox::column_type::field::float";
    should(JSON.parse(r.reply.body).data[0].error_message).equal(msg);
    should(JSON.parse(r.reply.body).data[0].original_line).equal(
      'iot_sensors,device_i',
      'a schema error quotes the re-serialised line, cut at 20 bytes',
    );
    should(write(c, 'iot_sensors,device_id=T1 humidity=12.5 2', 'v2').reply).eql({
      status: 400,
      body: JSON.stringify({ code: 'invalid', message: `write buffer error: line protocol parse failed: ${msg}` }),
    });
  });

  it('refuses tag/field clashes, duplicate fields and reserved names', () => {
    const c = new Catalog();
    should(c.accept('db', line('cpu,host=a v=1 1'))).equal(undefined);
    should(c.accept('db', line('cpu host="x" 2'))).equal(
      "invalid column type for column 'host', expected iox::column_type::tag, got iox::column_type::field::string",
    );
    should(c.accept('db', line('cpu v=1,v=2 3'))).equal(
      "invalid line protocol - multiple instances of 'v' field found",
    );
    should(c.accept('db', line('fresh time=1 3'))).equal("'time' is a reserved column");
    should(c.accept('db', line('cpu time=1 3'))).equal(
      "invalid column type for column 'time', expected iox::column_type::timestamp, got iox::column_type::field::float",
    );
    should(c.accept('db', line('cpu __chunk_order=1i 3'))).equal("'__chunk_order' is a reserved column");
    should(c.accept('db', line('cpu,host=a,host=b v=1 4'))).equal(
      'Must not contain duplicate tags, but `host` was repeated',
    );
  });

  it("enforces Core's limits with its texts, 422 on a partial write", () => {
    const c = new Catalog();
    for (let i = 0; i < CORE_LIMITS.databases; i++) c.databases.set(`db${i}`, new Map());
    should(c.admitDatabase('db0')).equal(undefined);
    should(c.admitDatabase('one-more')).equal('Adding a new database would exceed limit of 5 databases');
    const wide = new Catalog();
    const fields = Array.from({ length: 501 }, (_, i) => `f${i}=1`).join(',');
    const r = write(wide, `w ${fields} 1\nok v=1 1`);
    should(r.reply.status).equal(422);
    should(JSON.parse(r.reply.body).data[0].error_message).equal(
      'Update to schema would exceed number of columns per table limit of 500 columns',
    );
    should(r.stored.length).equal(1);
  });

  it('re-serialises lines and floats as Rust displays them, and cuts at a character boundary', () => {
    should(displayLine(line('m\\ 1,t\\,k=v\\ x s="a \\"q\\"",f=96.0,i=5i,u=5u,b=T 7'))).equal(
      'm\\ 1,t\\,k=v\\ x s=a \\"q\\",f=96,i=5i,u=5u,b=true 7',
    );
    should([1e21, 1.5e-7, -2.5e22, 96, 0.1].map(rustFloat)).eql([
      '1000000000000000000000',
      '0.00000015',
      '-25000000000000000000000',
      '96',
      '0.1',
    ]);
    should(truncateBytes('ééééééééééé', 20)).equal('éééééééééé');
    should(truncateBytes('aéé', 4)).equal('aé');
  });

  it('answers and stores exactly the same with the ingest shortcut as without it', () => {
    const random = seededRandom('shortcut');
    const pick = <T>(xs: T[]) => xs[Math.floor(random.next() * xs.length)];
    const series = ['m,d=A', 'm,d=B,f=1', 'm,f=1,d=B', 'n', 'm,d=A,d=A', 'm,v=x'];
    const keys = ['v', 'w', 'x'];
    const values = [
      '1.5',
      '-3',
      '2e3',
      '1.',
      '7i',
      '-0i',
      '9223372036854775807i',
      '9223372036854775808i',
      '-9223372036854775808i',
      '5u',
      '18446744073709551615u',
      't',
      'FALSE',
      'True',
      'tru',
      '"s"',
      '-',
    ];
    const stamps = [
      '',
      ' 1795342500000000000',
      ' 9223372036854775807',
      ' 9223372036854775808',
      ' -9223372036854775808',
      ' 1795342500',
      ' 9300000000',
      ' 12',
      ' -5',
      '  7',
      ' 1\r',
      ' x',
    ];
    const line = () => {
      const fields = Array.from(
        { length: random.next() < 0.7 ? 2 : 1 },
        (_, i) =>
          `${random.next() < 0.85 ? keys[i] : pick(keys)}=${random.next() < 0.7 ? values[i % 3] : pick(values)}`,
      );
      return `${pick(series)} ${fields.join(',')}${random.next() < 0.6 ? stamps[1] : pick(stamps)}`;
    };
    const withShortcut = { catalog: new Catalog(), store: new TableStore(), known: new KnownSeries() };
    const without = { catalog: new Catalog(), store: new TableStore(), known: undefined };
    let shortcutLines = 0;
    for (let w = 0; w < 800; w++) {
      // The first write fixes the column types the regular lines use; later ones mix in everything.
      const body =
        w === 0
          ? series.map((s) => `${s} v=1.5,w=-3 1`).join('\n')
          : Array.from({ length: 1 + Math.floor(random.next() * 60) }, line).join(pick(['\n', '\n', '\n\n# note\n']));
      const params = {
        db: 'db',
        precision:
          random.next() < 0.6 ? 'nanosecond' : pick<Precision>(['second', 'millisecond', 'microsecond', 'auto']),
        acceptPartial: w === 0 || random.next() < 0.8,
        noSync: false,
      };
      const endpoint = pick<'v3' | 'v2'>(['v3', 'v3', 'v2']);
      const a = applyWrite(withShortcut.catalog, endpoint, params, body, 42_000_000_000n, withShortcut.known);
      const b = applyWrite(without.catalog, endpoint, params, body, 42_000_000_000n);
      should(a.reply).eql(b.reply, body);
      withShortcut.store.write('db', a.accepted);
      without.store.write('db', b.accepted);
      shortcutLines += a.accepted.reduce((n, x) => n + ('ranges' in x ? x.ranges.length / 2 : 0), 0);
    }
    should(withShortcut.catalog.databases).eql(without.catalog.databases);
    const tables = (store: TableStore) =>
      [...store.materialize('db')!].map(([name, t]) => [
        name,
        t.time,
        Object.fromEntries([...t.columns].map(([c, col]) => [c, col.values])),
      ]);
    should(tables(withShortcut.store)).eql(tables(without.store));
    should(shortcutLines > 500).be.true(`${shortcutLines} lines took the shortcut`);
  });
});
