// The example flows' rules (Full pipeline, Anomaly detection) on the reference fleet in simulated
// time (readings 5 s apart, 80 devices): quiet on healthy data, each simulator fault flagged by the
// rule made for it.
import fs from 'node:fs';
import path from 'node:path';
import should from 'should';
import { RuleSpec, checkRules } from '../../../nodes/lib/alert/rules';
import { FleetRun, START, countsByRule, runFleet } from '../../support/alert-run';

const HOUR = 3_600_000;

function exampleRules(example: string): RuleSpec[] {
  const file = path.resolve(__dirname, '../../../../examples', example);
  const flow = JSON.parse(fs.readFileSync(file, 'utf8')) as { type: string; rules?: unknown }[];
  return checkRules(flow.find((n) => n.type === 'telemetry-alert')!.rules);
}

const firings = (run: FleetRun, rule?: string) =>
  run.events.filter((e) => e.event === 'firing' && (!rule || e.rule === rule));

for (const example of ['01 - Full pipeline.json', '03 - Anomaly detection.json'])
  describe(`alert rules of "${example}" on the simulated reference fleet`, function () {
    this.timeout(120_000);

    it('raise no alert at all in an hour of healthy readings', () => {
      const run = runFleet(exampleRules(example), HOUR);
      should(run.readings).equal(80 * 720);
      should(run.events).eql([]);
    });

    it('in a healthy day: battery low once per device whose battery crosses 20 %, at most one statistical alert per device', () => {
      const rules = exampleRules(example);
      const run = runFleet(rules, 24 * HOUR);
      console.log(
        `      ${run.readings.toLocaleString('en')} readings; events by rule: ${JSON.stringify(countsByRule(run.events))}`,
      );
      const battery = firings(run, 'battery low');
      // Every device drains 0.001..0.01 % a reading from 100 %: about 95 % a day, so all of them cross.
      should(battery.map((e) => e.series).sort()).eql([...new Set(battery.map((e) => e.series))].sort());
      should(battery.length).equal(80);
      should(run.events.filter((e) => e.rule === 'battery low' && e.event === 'resolved')).eql([]);
      for (const e of battery) should(e.value < 20 && e.value > 19.9).be.true(`${e.series} fired at ${e.value}`);
      const statistical = firings(run).filter((e) => e.kind === 'zscore' || e.kind === 'robust_zscore');
      const perDevice = new Map<string, number>();
      for (const e of statistical) perDevice.set(e.series, (perDevice.get(e.series) ?? 0) + 1);
      should(Math.max(0, ...perDevice.values()) <= 1).be.true(JSON.stringify([...perDevice]));
      should(
        firings(run).filter((e) => !['battery low', 'temperature anomaly', 'temperature spike'].includes(e.rule)),
      ).eql([]);
    });

    it('flag each simulator fault with the rule made for it', () => {
      const rules = [
        ...exampleRules(example),
        ...checkRules([
          {
            name: 'temperature sensor range',
            kind: 'threshold',
            field: 'temperature',
            op: 'outside',
            low: -40,
            high: 85,
            severity: 'HIGH',
          },
        ]),
      ];
      const at = (minutes: number) => START + minutes * 60_000;
      const run = runFleet(rules, 2 * HOUR, [
        { atMs: at(30), fault: { kind: 'spike', device: 'TEMP_005', magnitude: 8 } },
        { atMs: at(40), fault: { kind: 'stuck', device: 'TEMP_006', durationMs: 120_000 } },
        { atMs: at(50), fault: { kind: 'dropout', device: 'MOTION_007', durationMs: 120_000 } },
        { atMs: at(60), fault: { kind: 'out_of_range', device: 'TEMP_008' } },
      ]);
      const fired = (series: string) => firings(run).filter((e) => e.series === series);
      const summary = (series: string) =>
        fired(series).map((e) => `${e.rule}@${(Date.parse(e.at) - START) / 60_000}min`);
      console.log(
        `      fired: ${['TEMP_005', 'TEMP_006', 'MOTION_007', 'TEMP_008'].map((s) => `${s}: ${summary(s).join(', ')}`).join('; ')}`,
      );
      const within = (series: string, rule: string, fromMin: number, toMin: number) =>
        fired(series).some((e) => e.rule === rule && Date.parse(e.at) >= at(fromMin) && Date.parse(e.at) <= at(toMin));
      should(within('TEMP_005', 'temperature anomaly', 30, 30.1)).be.true(summary('TEMP_005').join());
      if (rules.some((r) => r.name === 'temperature spike'))
        should(within('TEMP_005', 'temperature spike', 30, 30.1)).be.true(summary('TEMP_005').join());
      should(within('TEMP_006', 'temperature stuck', 40, 41)).be.true(summary('TEMP_006').join());
      should(within('MOTION_007', 'silent', 50, 51)).be.true(summary('MOTION_007').join());
      should(within('TEMP_008', 'temperature sensor range', 60, 60.1)).be.true(summary('TEMP_008').join());
      // Nothing else fired: no device outside the four raised any alert.
      should(firings(run).filter((e) => !['TEMP_005', 'TEMP_006', 'MOTION_007', 'TEMP_008'].includes(e.series))).eql(
        [],
      );
      // The dead-man alert resolved with the device's first reading after the dropout.
      const silent = run.events.filter((e) => e.series === 'MOTION_007' && e.rule === 'silent');
      should(silent.map((e) => e.event)).eql(['firing', 'resolved']);
    });
  });
