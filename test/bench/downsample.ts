// influxdb3-downsample: a day of the reference fleet (80 devices every 5 s, 1.38 M readings) in the
// project's InfluxDB 3 compatible server (its own process, 1 s WAL flush as Core), downsampled to
// 5-minute buckets through the node in a real Node-RED, against its named baseline in the same
// run: the same aggregation as one hand-written SQL query through @influxdata/influxdb3-client
// (Arrow Flight) plus one client.write() of all its points. Target: the node at >= 0.8 of the
// baseline's readings per second. The node works in bounded chunks; its peak memory (RSS and JS
// heap above what the process held before the run) is printed for two chunk sizes, to show it
// follows the chunk, not the day.
import { InfluxDBClient, setLogger } from '@influxdata/influxdb3-client';
import { InfluxDB3Http } from '../../nodes/lib/influxdb3/influxdb3-http';
import { FleetDay } from '../support/fleet-day';
import { startNodeRed } from '../support/node-red-instance';
import { freePort, startServer, stopServer } from './writer-memory';

const DAY = 86_400_000;
/** BENCH_HOURS shortens the simulated day (for a quick look); the target is judged on a whole day. */
const HOURS = Number(process.env.BENCH_HOURS ?? 24);
const HAND_SQL = `
SELECT date_bin(INTERVAL '5 minutes', time) AS bucket, device_id, device_type, location, floor,
       count(*) AS sample_count,
       avg(temperature) AS temperature_mean, min(temperature) AS temperature_min,
       max(temperature) AS temperature_max, count(temperature) AS temperature_count,
       avg(humidity) AS humidity_mean, count(humidity) AS humidity_count,
       avg(battery_level) AS battery_level_mean, count(battery_level) AS battery_level_count
FROM iot_sensors
WHERE time >= $start AND time < $end
GROUP BY date_bin(INTERVAL '5 minutes', time), device_id, device_type, location, floor`;

type Ev = {
  destination: { id: string };
  msg: { payload?: { buckets?: number; pointsWritten?: number }; tier?: { table?: string } };
};

export async function benchDownsample(): Promise<void> {
  setLogger({ error: () => undefined, warn: () => undefined });
  const port = await freePort();
  const server = await startServer(port);
  const url = `http://127.0.0.1:${port}`;
  const http = new InfluxDB3Http({
    url,
    timeoutMs: 120_000,
    gzipThreshold: 1000,
    headers: {},
    rejectUnauthorized: true,
    maxSockets: 4,
  });
  const start = Math.floor(Date.now() / DAY) * DAY - DAY;
  const end = start + HOURS * 3_600_000;
  const day = new FleetDay(start, 'bench');
  await day.writeUntil(http, 'iot-sensors', end - 1);
  const readings = day.readings;
  const nr = await startNodeRed();
  const client = new InfluxDBClient({ host: url, token: '', database: 'iot-sensors' });
  try {
    const tiers = [
      { id: 'ds0', table: 'node_0', rows: 500_000 },
      { id: 'ds1', table: 'node_1', rows: 500_000 },
      { id: 'ds2', table: 'node_2', rows: 500_000 },
      { id: 'small', table: 'node_small', rows: 100_000 },
    ];
    await nr.deploy([
      { id: 'tab', type: 'tab', label: 'bench' },
      { id: 'cfg', type: 'influxdb3-config', url, database: 'iot-sensors', timeout: 120 },
      ...tiers.map((t, i) => ({
        id: t.id,
        type: 'influxdb3-downsample',
        z: 'tab',
        x: 100,
        y: 100 + i * 40,
        server: 'cfg',
        clock: 'manual',
        targetTable: t.table,
        // The first run takes the recount horizon: a day, so the whole day goes through the node.
        recountMinutes: HOURS * 60,
        rowsPerQuery: t.rows,
        wires: [['sink']],
      })),
      { id: 'sink', type: 'debug', z: 'tab', x: 400, y: 100, active: false, wires: [] },
    ]);
    const sample = () => {
      const m = process.memoryUsage();
      return { rss: m.rss, heap: m.heapUsed };
    };
    const throughNode = async (id: string, table: string) => {
      const node = nr.RED.nodes.getNode(id) as unknown as { receive(msg: object): void };
      let report: Ev['msg']['payload'] | undefined;
      nr.RED.hooks.add('onReceive.bench', (e: Ev) => {
        if (e.destination.id === 'sink' && e.msg.tier?.table === table) report = e.msg.payload;
      });
      (globalThis as { gc?: () => void }).gc?.();
      const before = sample();
      let peak = { ...before };
      const watch = setInterval(() => {
        const s = sample();
        peak = { rss: Math.max(peak.rss, s.rss), heap: Math.max(peak.heap, s.heap) };
      }, 5);
      const t0 = performance.now();
      node.receive({ now: end + 61_000 });
      while (!report) await new Promise((r) => setTimeout(r, 2));
      const seconds = (performance.now() - t0) / 1000;
      clearInterval(watch);
      nr.RED.hooks.remove('onReceive.bench');
      if (report.buckets !== HOURS * 12) throw new Error(`the node did ${report.buckets} buckets, not ${HOURS * 12}`);
      return {
        rate: readings / seconds,
        points: report.pointsWritten ?? 0,
        rss: peak.rss - before.rss,
        heap: peak.heap - before.heap,
      };
    };
    const handWritten = async (table: string) => {
      const t0 = performance.now();
      const lines: string[] = [];
      const rows = client.query(HAND_SQL, 'iot-sensors', {
        params: { start: new Date(start).toISOString(), end: new Date(end).toISOString() },
      }) as AsyncGenerator<Record<string, unknown>>;
      for await (const r of rows) {
        const tags = ['device_id', 'device_type', 'location', 'floor'].map((k) => `,${k}=${String(r[k])}`).join('');
        const fields = Object.entries(r)
          .filter(([k, v]) => !['bucket', 'device_id', 'device_type', 'location', 'floor'].includes(k) && v !== null)
          .map(([k, v]) => `${k}=${typeof v === 'bigint' ? `${v}i` : String(v)}`)
          .join(',');
        lines.push(`${table}${tags} ${fields} ${Number(r.bucket) / 1000}`);
      }
      await client.write(lines.join('\n'), 'iot-sensors-5min', undefined, { precision: 's' });
      return { rate: readings / ((performance.now() - t0) / 1000), points: lines.length };
    };

    const node: number[] = [];
    const hand: number[] = [];
    let last = { rss: 0, heap: 0, points: 0 };
    for (let i = 0; i < 3; i++) {
      const n = await throughNode(tiers[i].id, tiers[i].table);
      const h = await handWritten(`hand_${i}`);
      if (n.points !== h.points) throw new Error(`the node wrote ${n.points} points, the baseline ${h.points}`);
      node.push(n.rate);
      hand.push(h.rate);
      last = n;
    }
    const small = await throughNode('small', 'node_small');
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const k = (r: number) => `${Math.round(r).toLocaleString('en')} readings/s`;
    const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
    console.log(
      `downsample: a day of the reference fleet (${readings.toLocaleString('en')} readings) to 5-minute buckets`,
    );
    console.log(`  baseline, one hand-written SQL query + one client.write(): ${k(median(hand))}`);
    console.log(`  influxdb3-downsample in Node-RED (chunks of <= 500,000 rows): ${k(median(node))}`);
    console.log(`  ratio node / baseline: ${(median(node) / median(hand)).toFixed(2)} (target >= 0.80)`);
    console.log(
      `  node's peak memory above the start of its run: RSS +${mb(last.rss)}, JS heap +${mb(last.heap)} with chunks of <= 500,000 rows (${last.points.toLocaleString('en')} points in all)`,
    );
    console.log(
      `                                                  RSS +${mb(small.rss)}, JS heap +${mb(small.heap)} with chunks of <= 100,000 rows (${k(small.rate)})`,
    );
  } finally {
    await client.close();
    await nr.stop();
    http.close();
    await stopServer(server);
  }
}
