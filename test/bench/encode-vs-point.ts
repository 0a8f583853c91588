// Encoding 200,000 reference-fleet readings: our schema-compiled encoder against building the same
// lines with Point from @influxdata/influxdb3-client, on the same data in the same run.
import { Point } from '@influxdata/influxdb3-client';
import { compileSchema } from '../../nodes/lib/schema/compiled-schema';
import { createLineBytesEncoder } from '../../nodes/lib/line-protocol/line-encoder';
import { LineWriter } from '../../nodes/lib/line-protocol/line-writer';
import { referenceSchema } from '../../nodes/lib/schema/reference-schema';
import { compareRates, fleetReadings, medianRate, mps } from './fleet-readings';

export function benchEncodeVsPoint(): { ours: number; point: number; ratio: number } {
  const readings = fleetReadings(200_000);
  const schema = referenceSchema();
  const compiled = compileSchema(schema);
  const encodeInto = createLineBytesEncoder(compiled);
  const now = Date.now();

  // Both sides produce what the line-protocol node sends: batches of 5,000 lines joined by \n.
  const BATCH = 5000;
  const batched = (line: (i: number) => string) => {
    const batches: string[] = [];
    for (let start = 0; start < readings.length; start += BATCH) {
      const lines: string[] = [];
      for (let i = start; i < Math.min(start + BATCH, readings.length); i++) lines.push(line(i));
      batches.push(lines.join('\n'));
    }
    return batches;
  };
  // Ours writes bytes, as the line-protocol node does, and decodes each batch once.
  const w = new LineWriter(1 << 20);
  const ours = () => {
    const batches: string[] = [];
    for (let start = 0; start < readings.length; start += BATCH) {
      w.reset();
      for (let i = start; i < Math.min(start + BATCH, readings.length); i++) encodeInto(w, readings[i], now);
      batches.push(w.toString());
    }
    return batches;
  };
  // The baseline gets the same typing knowledge: one typed setter per declared column.
  const withPoint = () =>
    batched((i) => {
      const r = readings[i];
      const plan = compiled.deviceTypes.get(r.device_type as string)!;
      const p = Point.measurement(schema.measurement);
      for (const t of plan.tags) p.setTag(t.key, r[t.key] as string);
      for (const f of plan.fields) {
        const v = r[f.key];
        if (f.spec.type === 'float') p.setFloatField(f.key, v);
        else if (f.spec.type === 'integer') p.setIntegerField(f.key, v);
        else if (f.spec.type === 'boolean') p.setBooleanField(f.key, v);
        else p.setStringField(f.key, v);
      }
      p.setTimestamp(new Date(r.timestamp as string));
      return p.toLineProtocol() as string;
    });

  // Same lines, modulo the order of fields (Point sorts them) and boolean spelling (T/F).
  const norm = (l: string) => {
    const [key, fields, ts] = l.split(' ');
    return `${key} ${fields.split(',').sort().join(',').replace(/=T\b/g, '=true').replace(/=F\b/g, '=false')} ${ts}`;
  };
  const a = ours().join('\n').split('\n');
  const b = withPoint().join('\n').split('\n');
  if (a.length !== readings.length || b.length !== readings.length) throw new Error('a line is missing');
  for (let i = 0; i < a.length; i += 997) {
    if (norm(a[i]) !== norm(b[i])) throw new Error(`lines differ:\n  ours:  ${a[i]}\n  Point: ${b[i]}`);
  }

  for (let i = 0; i < 2; i++) {
    ours();
    withPoint();
  }
  const { a: oursRate, b: pointRate, ratio } = compareRates(readings.length, 9, ours, withPoint);
  console.log(
    `machine: Point.toLineProtocol of a 2-tag, 3-field point ${mps(pointCalibration())} (~0.45 M/s on the machines this pack was first measured on)`,
  );
  console.log(
    `encode 200,000 reference-fleet readings: ours ${mps(oursRate)}, Point ${mps(pointRate)} -> ratio ${ratio.toFixed(2)}x (target >= 5x)`,
  );
  return { ours: oursRate, point: pointRate, ratio };
}

/** The wire reference's own measure of Point, so results can be read against that machine's speed. */
function pointCalibration(): number {
  const n = 200_000;
  const run = () => {
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const p = Point.measurement('m')
        .setTag('host', `h${i % 50}`)
        .setTag('region', 'eu')
        .setFloatField('a', i * 0.5)
        .setFloatField('b', 1.25)
        .setIntegerField('c', i)
        .setTimestamp(String(1_700_000_000_000_000_000n + BigInt(i)));
      bytes += (p.toLineProtocol() as string).length;
    }
    return bytes;
  };
  run();
  return medianRate(n, 3, run);
}
