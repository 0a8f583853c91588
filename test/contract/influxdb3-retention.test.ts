// Retention periods as InfluxDB 3 Core (3.2 and later) treats them: set when a database is created
// (POST /api/v3/configure/database with retention_period, a humantime duration), readable from the
// _internal database's system.databases (what `influxdb3 show retention` reads), enforced at query
// time; then ensureDatabase, which the pack's nodes use, against the same target.
import should from 'should';
import { ensureDatabase } from '../../nodes/lib/influxdb3/database-retention';
import { InfluxDB3Http } from '../../nodes/lib/influxdb3/influxdb3-http';
import { describeForEachTarget } from '../support/influxdb3/contract-target';

const DAY_NS = 86_400n * 1_000_000_000n;

describeForEachTarget('InfluxDB 3 contract: retention periods', (target) => {
  const create = (body: object) =>
    target().fetch('/api/v3/configure/database', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const sql = async (db: string, q: string, params: object = {}) => {
    const res = await target().fetch('/api/v3/query_sql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ db, q, params }),
    });
    should(res.status).equal(200, await res.clone().text());
    return (await res.json()) as Record<string, unknown>[];
  };
  const retention = async (db: string) =>
    (
      await sql(
        '_internal',
        'SELECT retention_period_ns / 1000000000 AS s FROM system.databases WHERE database_name = $db',
        { db },
      )
    ).map((r) => r.s ?? null);

  it('creates a database with a retention period, readable from system.databases, and refuses a second create', async () => {
    const db = target().db('retention-7d');
    const res = await create({ db, retention_period: '7d' });
    should(res.status).equal(200, await res.text());
    should(await retention(db)).eql([7 * 86400]);
    const again = await create({ db, retention_period: '30d' });
    should(again.status).equal(409);
    should(await again.text()).match(/already exists/);
    should(await retention(db)).eql([7 * 86400], 'a second create changes nothing');
  });

  it('reads humantime durations and refuses what is not one', async () => {
    const year = target().db('retention-1y');
    should((await create({ db: year, retention_period: '1y' })).status).equal(200);
    should(await retention(year)).eql([31_557_600], 'a humantime year is 365.25 days');
    const bad = await create({ db: target().db('retention-bad'), retention_period: '7 parsecs' });
    should(bad.status).equal(400);
    should(await bad.text()).match(/^serde json error/);
  });

  it('does not return rows older than the retention period', async () => {
    // (Core counts at most 5 databases: the suite makes do with 4.)
    const db = target().db('retention-7d');
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const recent = await target().fetch(`/api/v3/write_lp?db=${db}`, {
      method: 'POST',
      body: `m,k=recent v=1 ${nowNs - DAY_NS}`,
    });
    should(recent.status).equal(204, await recent.text());
    // Core may refuse a point older than the retention period, or take it and hide it: either way,
    // a query does not return it.
    await target().fetch(`/api/v3/write_lp?db=${db}`, { method: 'POST', body: `m,k=old v=2 ${nowNs - 30n * DAY_NS}` });
    should(await sql(db, 'SELECT k, v FROM m ORDER BY k')).eql([{ k: 'recent', v: 1 }]);
  });

  it('ensureDatabase creates with the retention, leaves an existing database as it is and says how it differs', async () => {
    const http = new InfluxDB3Http({
      url: target().url,
      token: target().token || undefined,
      timeoutMs: 10_000,
      gzipThreshold: 1 << 20,
      headers: {},
      rejectUnauthorized: true,
      maxSockets: 2,
    });
    try {
      const db = target().db('ensure-90d');
      should(await ensureDatabase(http, db, '90d')).eql({ kind: 'created' });
      should(await retention(db)).eql([90 * 86400]);
      should(await ensureDatabase(http, db, '90d')).eql({ kind: 'exists' });
      should(await ensureDatabase(http, db, '2160h')).eql({ kind: 'exists' }, '2160 hours are 90 days');
      const other = await ensureDatabase(http, db, '30d');
      should(other.kind).equal('different');
      should((other as { message: string }).message).match(
        /already exists with retention 90d, not 30d: it is left as it is \(change it with "influxdb3 update database --retention-period 30d/,
      );
      should(await retention(db)).eql([90 * 86400]);
      should(await ensureDatabase(http, db, '')).eql({ kind: 'exists' });
      const none = target().db('retention-none');
      should((await create({ db: none })).status).equal(200);
      should(await retention(none)).eql([null]);
      should(await ensureDatabase(http, none, '7d')).match({
        kind: 'different',
        message: /already exists with retention none \(infinite\), not 7d/,
      });
    } finally {
      http.close();
    }
  });
});
