// A line refused in a partial write can still change InfluxDB 3's schema: its validator creates the
// table and the columns of a line one by one in the catalog transaction, stops at the first problem
// without undoing them, and commits the transaction with the good lines (influxdb3_write
// write_buffer/validator.rs, write_buffer/mod.rs write_lp).
import should from 'should';
import { describeForEachTarget } from '../support/influxdb3/contract-target';

describeForEachTarget('InfluxDB 3 contract: what refused lines leave in the schema', (target) => {
  const db = () => target().db('contract_refused_lines');
  const write = async (body: string, query = '') => {
    const res = await target().fetch(`/api/v3/write_lp?db=${db()}&precision=second${query}`, { method: 'POST', body });
    return [res.status, await res.text()];
  };
  const sql = async (q: string) => {
    const res = await target().fetch('/api/v3/query_sql', { method: 'POST', body: JSON.stringify({ db: db(), q }) });
    return [res.status, await res.text()];
  };
  const refused = (line: string, message: string) =>
    `{"error":"partial write of line protocol occurred","data":[{"error_message":"${message}","line_number":1,"original_line":"${line}"}]}`;

  it('keeps the table and the float column of a refused x=1,x=2: the table reads empty, x=5i is refused', async () => {
    should(await write('dup x=1,x=2 1')).eql([
      400,
      refused('dup x=1,x=2 1', "invalid line protocol - multiple instances of 'x' field found"),
    ]);
    should(await sql('SELECT * FROM dup')).eql([200, '[]'], 'the table exists, with no rows');
    should(await write('dup x=5i 2')).eql([
      400,
      refused(
        'dup x=5i 2',
        "invalid column type for column 'x', expected iox::column_type::field::float, got iox::column_type::field::integer",
      ),
    ]);
    should(await write('dup x=5 3')).eql([204, '']);
    should(await sql('SELECT x FROM dup')).eql([200, '[{"x":5.0}]']);
  });

  it('creates the columns of a line in order: a second value of another type is a type conflict', async () => {
    should(await write('mixed,t=a v=1i,v=2 1')).eql([
      400,
      refused(
        'mixed,t=a v=1i,v=2 1',
        "invalid column type for column 'v', expected iox::column_type::field::integer, got iox::column_type::field::float",
      ),
    ]);
    should(await write('mixed,t=a v=2 2')).eql([
      400,
      refused(
        'mixed,t=a v=2 2',
        "invalid column type for column 'v', expected iox::column_type::field::integer, got iox::column_type::field::float",
      ),
    ]);
  });

  it('changes nothing when accept_partial=false refuses the write', async () => {
    should(await write('other x=1 1')).eql([204, '']);
    const [status] = await write('whole x=1,x=2 1', '&accept_partial=false');
    should(status).equal(400);
    const [notFound, body] = await sql('SELECT * FROM whole');
    should([notFound, body]).eql([400, "Error during planning: table 'public.iox.whole' not found"]);
  });
});
