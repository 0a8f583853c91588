// A simulated day of the reference fleet (80 devices, a reading every 5 s, the simulator's manual
// clock), written to the raw table as the simulated time passes, with the tiers it should produce
// worked out independently from every reading.
import { compileSchema } from '../../nodes/lib/schema/compiled-schema';
import { referenceSchema } from '../../nodes/lib/schema/reference-schema';
import { createLineEncoder } from '../../nodes/lib/line-protocol/line-encoder';
import type { InfluxDB3Http } from '../../nodes/lib/influxdb3/influxdb3-http';
import { FleetSimulator } from '../../nodes/lib/simulator/fleet-simulator';
import { referenceFleet } from '../../nodes/lib/simulator/fleet-spec';
import { ExpectedTier, writeLines } from './tier-fixtures';

/** The aggregates the fleet-day tests keep: every kind, an integer and a boolean field. */
export const FLEET_FIELDS = [
  { field: 'temperature', aggregates: ['mean', 'min', 'max', 'sum', 'first', 'last', 'stddev'] },
  { field: 'humidity', aggregates: ['mean'] },
  { field: 'battery_level', aggregates: ['mean', 'min', 'stddev'] },
  { field: 'signal_strength', aggregates: ['mean', 'min', 'max'] },
  { field: 'motion_detected', aggregates: ['mean', 'sum'] },
];

/** As the node's settings take them. */
export const FLEET_FIELD_SETTINGS = FLEET_FIELDS.map((f) => ({
  field: f.field,
  aggregates: [...f.aggregates, 'count'],
}));

export class FleetDay {
  readonly fiveMinutes = new ExpectedTier(300_000, FLEET_FIELDS);
  readonly hours = new ExpectedTier(3_600_000, FLEET_FIELDS);
  readings = 0;
  private written: number;
  private readonly sim: FleetSimulator;
  private readonly encode = createLineEncoder(compileSchema(referenceSchema()), 'ms');

  constructor(
    readonly startMs: number,
    seed = 'fleet-day',
  ) {
    this.written = startMs;
    this.sim = new FleetSimulator(referenceFleet(), {
      seed,
      startMs,
      intervalMs: 5000,
      mode: 'array',
      topicTemplate: 'iot/sensors/{{device_type}}/{{device_id}}',
      utcOffsetMinutes: 0,
      faults: [],
    });
  }

  /** Simulates up to `untilMs` and writes those readings to database/table iot_sensors. */
  async writeUntil(http: InfluxDB3Http, database: string, untilMs: number): Promise<void> {
    let lines: string[] = [];
    const flush = async () => {
      if (lines.length > 0) await writeLines(http, database, lines.join('\n'), 'ms');
      lines = [];
    };
    for (let t = this.written + 60_000; ; t += 60_000) {
      const step = Math.min(t, untilMs);
      for (const e of this.sim.advance(step)) {
        for (const r of e.payload as Record<string, unknown>[]) {
          const line = this.encode(r, step);
          if (typeof line !== 'string')
            throw new Error(`the simulator made a reading the schema refuses: ${line.message}`);
          lines.push(line);
          const time = Date.parse(String(r.timestamp));
          const values = r as Record<string, number | boolean | undefined>;
          this.fiveMinutes.add(time, String(r.device_id), values);
          this.hours.add(time, String(r.device_id), values);
          this.readings++;
        }
      }
      if (lines.length >= 20_000) await flush();
      if (step >= untilMs) break;
    }
    await flush();
    this.written = untilMs;
  }
}
