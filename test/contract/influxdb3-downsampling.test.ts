// The reference pipeline's downsampling SQL (docs/reference-pipeline.md "Downsampling"): raw ->
// 5 minutes -> 1 hour, run unchanged through the official client, on data whose aggregates are
// worked out by hand below. The hourly tier weights each 5-minute mean by its sample_count (the
// original job averaged the averages; this data tells the two apart).
import should from 'should';
import { describeForEachTarget } from '../support/influxdb3/contract-target';
import { silenceClientLog } from '../support/influxdb3/quiet-client';

const HOUR_10 = 1795341600n; // 2026-11-22T10:00:00Z
const TAGS = {
  T1: 'device_type=temperature,location=warehouse_a,floor=1',
  T2: 'device_type=temperature,location=office_main,floor=3',
};

export const RAW_TO_5MIN = `
SELECT date_bin(INTERVAL '5 minutes', time) AS bucket, device_id, device_type, location, floor,
       avg(temperature) AS avg_temperature, min(temperature) AS min_temperature, max(temperature) AS max_temperature,
       avg(humidity) AS avg_humidity, avg(battery_level) AS avg_battery_level, count(*) AS sample_count
FROM iot_sensors
WHERE time >= $start AND time < $end
GROUP BY bucket, device_id, device_type, location, floor
ORDER BY bucket, device_id`;

export const FIVE_MIN_TO_HOUR = `
SELECT date_bin(INTERVAL '1 hour', time) AS bucket, device_id, device_type, location, floor,
       sum(avg_temperature * sample_count) / sum(sample_count) AS avg_temperature,
       min(min_temperature) AS min_temperature, max(max_temperature) AS max_temperature,
       sum(avg_humidity * sample_count) / sum(sample_count) AS avg_humidity,
       sum(sample_count) AS sample_count
FROM iot_sensors_5min
WHERE time >= $start AND time < $end
GROUP BY bucket, device_id, device_type, location, floor
ORDER BY bucket, device_id`;

/** 14 five-minute buckets from 10:00: T1 reads 20+b, 21+b, 22+b at +0/+100/+200 s of bucket b;
 *  T2 reads 30+b, (b mod 3)+1 times, from +50 s. Humidity is 50 throughout, battery 90. */
function rawLines(): string[] {
  const lines: string[] = [];
  for (let b = 0; b < 14; b++) {
    const start = HOUR_10 + BigInt(b * 300);
    for (let k = 0; k < 3; k++)
      lines.push(
        `iot_sensors,device_id=T1,${TAGS.T1} temperature=${20 + b + k},humidity=50,battery_level=90 ${start + BigInt(k * 100)}`,
      );
    for (let k = 0; k < (b % 3) + 1; k++)
      lines.push(
        `iot_sensors,device_id=T2,${TAGS.T2} temperature=${30 + b},humidity=50,battery_level=90 ${start + 50n + BigInt(k * 60)}`,
      );
  }
  return lines;
}

describeForEachTarget('InfluxDB 3 contract: the reference downsampling SQL', (target) => {
  silenceClientLog();

  it('computes the 5-minute tier and the sample-weighted hourly tier from it', async () => {
    const raw = target().db('iot-sensors');
    const fiveMin = target().db('iot-sensors-5min');
    const lines = rawLines();
    const res = await target().fetch(`/api/v3/write_lp?db=${raw}&precision=second`, {
      method: 'POST',
      body: lines.join('\n'),
    });
    should(res.status).equal(204, await res.text());

    const window = { start: '2026-11-22T10:00:00Z', end: '2026-11-22T11:10:00Z' };
    const buckets: Record<string, unknown>[] = [];
    for await (const row of target().client(raw).query(RAW_TO_5MIN, undefined, { params: window }))
      buckets.push({ ...row });
    should(buckets.length).equal(28, '14 buckets x 2 devices');
    should(buckets[0]).eql({
      bucket: 1795341600000,
      device_id: 'T1',
      device_type: 'temperature',
      location: 'warehouse_a',
      floor: '1',
      avg_temperature: 21,
      min_temperature: 20,
      max_temperature: 22,
      avg_humidity: 50,
      avg_battery_level: 90,
      sample_count: 3n,
    });
    const t2 = buckets.filter((r) => r.device_id === 'T2');
    should(t2.map((r) => [r.avg_temperature, r.sample_count])).eql(
      Array.from({ length: 14 }, (_, b) => [30 + b, BigInt((b % 3) + 1)]),
    );

    const tier = buckets
      .map((r) => {
        const tags = TAGS[r.device_id as 'T1' | 'T2'];
        const fields = `avg_temperature=${r.avg_temperature},min_temperature=${r.min_temperature},max_temperature=${r.max_temperature},avg_humidity=${r.avg_humidity},avg_battery_level=${r.avg_battery_level},sample_count=${r.sample_count}i`;
        return `iot_sensors_5min,device_id=${r.device_id},${tags} ${fields} ${r.bucket}`;
      })
      .join('\n');
    const written = await target().fetch(`/api/v3/write_lp?db=${fiveMin}&precision=millisecond`, {
      method: 'POST',
      body: tier,
    });
    should(written.status).equal(204, await written.text());

    const hours = JSON.parse(
      await (
        await target().fetch('/api/v3/query_sql', {
          method: 'POST',
          body: JSON.stringify({
            db: fiveMin,
            q: FIVE_MIN_TO_HOUR,
            params: { start: '2026-11-22T10:00:00Z', end: '2026-11-22T12:00:00Z' },
          }),
        })
      ).text(),
    );
    const round = (v: number) => Math.round(v * 1e9) / 1e9;
    should(
      hours.map((h: Record<string, number | string>) => [
        h.bucket,
        h.device_id,
        round(h.avg_temperature as number),
        h.min_temperature,
        h.max_temperature,
        h.avg_humidity,
        h.sample_count,
      ]),
    ).eql([
      // T1: every bucket has 3 samples, so the hourly mean is the plain mean of 21..32 = 26.5.
      ['2026-11-22T10:00:00', 'T1', 26.5, 20, 33, 50, 36],
      // T2: buckets 0..11 hold 1,2,3,1,2,3,... samples of 30+b: (30*24 + 140) / 24. Averaging the
      // averages would give 35.5.
      ['2026-11-22T10:00:00', 'T2', round(30 + 140 / 24), 30, 41, 50, 24],
      ['2026-11-22T11:00:00', 'T1', 33.5, 32, 35, 50, 6],
      // Buckets 12 (1 sample of 42) and 13 (2 samples of 43): 128 / 3.
      ['2026-11-22T11:00:00', 'T2', round(128 / 3), 42, 43, 50, 3],
    ]);
  });
});
