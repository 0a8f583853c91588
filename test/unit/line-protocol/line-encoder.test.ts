import should from 'should';
import { compileSchema } from '../../../nodes/lib/schema/compiled-schema';
import { createLineEncoder } from '../../../nodes/lib/line-protocol/line-encoder';
import { ReadingError } from '../../../nodes/lib/schema/reading-error';
import { referenceSchema } from '../../../nodes/lib/schema/reference-schema';
import { schemaFromRows } from '../../../nodes/lib/schema/schema';

const encode = createLineEncoder(compileSchema(referenceSchema()));
const base = {
  device_id: 'TEMP_001',
  device_type: 'temperature',
  location: 'warehouse_a',
  floor: '2',
  timestamp: '2026-11-22T10:15:00.123Z',
  temperature: 25.5,
  humidity: 50,
  battery_level: 99.9,
  signal_strength: -60,
};
const TS = '1795342500123000000';

function line(r: object): string {
  const out = encode(r, 0);
  should(typeof out === 'string').be.true(`expected a line, got ${JSON.stringify(out)}`);
  return out as string;
}

function refused(r: unknown): ReadingError {
  const out = encode(r, 0);
  should(out instanceof ReadingError).be.true(`expected a refusal, got ${String(out)}`);
  return out as ReadingError;
}

describe('line encoder', () => {
  it('writes tags sorted, fields by declared type and the timestamp in ns', () => {
    should(line(base)).equal(
      `iot_sensors,device_id=TEMP_001,device_type=temperature,floor=2,location=warehouse_a temperature=25.5,humidity=50,battery_level=99.9,signal_strength=-60i ${TS}`,
    );
  });

  it('writes a declared float as a float however the JSON looked, and coerces numeric strings', () => {
    const l = line({ ...base, temperature: 50, humidity: '50.0', signal_strength: '-61' });
    should(l).match(/ temperature=50,humidity=50,/);
    should(l).match(/signal_strength=-61i /);
  });

  it('writes booleans and integers of the other device types', () => {
    const l = line({
      device_id: 'DOOR_001',
      device_type: 'door',
      location: 'x',
      floor: '1',
      timestamp: base.timestamp,
      door_open: 'true',
      open_count: 3,
      battery_level: 80,
    });
    should(l).match(/ door_open=true,open_count=3i,battery_level=80 /);
  });

  it('escapes hostile tag values so one reading stays one line', () => {
    const l = line({ ...base, location: 'hall 1,x=2 y', device_id: 'a\\,b' });
    should(l.split('\n').length).equal(1);
    should(l).match(/device_id=a\\\\\\,b,/);
    should(l).match(/location=hall\\ 1\\,x\\=2\\ y /);
  });

  it('refuses what line protocol cannot carry or the schema does not allow', () => {
    should(refused({ ...base, location: 'a\nb' }).code).equal('invalid_characters');
    should(refused({ ...base, location: '' }).code).equal('empty_tag');
    should(refused({ ...base, location: 'hall\\' }).message).match(
      /ends with a backslash, which InfluxDB cannot store/,
    );
    should(refused({ ...base, temperature: NaN }).code).equal('not_finite');
    should(refused({ ...base, temperature: 'hot' }).code).equal('wrong_type');
    should(refused({ ...base, temperature: { v: 1 } }).code).equal('nested_value');
    should(refused({ ...base, signal_strength: -60.5 }).code).equal('not_integer');
    should(refused({ ...base, humidity: 150 }).code).equal('out_of_range');
    should(refused({ ...base, timestamp: 'soon' }).code).equal('invalid_timestamp');
    should(refused({ ...base, device_type: 'laser' }).code).equal('unknown_device_type');
    should(refused([base]).code).equal('not_an_object');
    const { temperature: _t, ...noTemp } = base;
    const e = refused(noTemp);
    should(e.code).equal('missing_key');
    should(e.field).equal('temperature');
  });

  it('refuses a reading without fields', () => {
    const schema = schemaFromRows({}, [
      { deviceType: 'x', key: 'id', kind: 'tag', type: 'string' },
      { deviceType: 'x', key: 'v', kind: 'field', type: 'float', required: false },
    ]);
    const enc = createLineEncoder(compileSchema(schema));
    const out = enc({ device_type: 'x', id: 'a', timestamp: 1 }, 0);
    should(out instanceof ReadingError).be.true();
    should((out as ReadingError).code).equal('no_fields');
  });

  it('stamps a reading without a timestamp with the encoding time, at the precision asked', () => {
    const { timestamp: _ts, ...noTs } = base;
    const out = encode(noTs, 1_700_000_000_000);
    should(typeof out === 'string' && out.endsWith(' 1700000000000000000')).be.true();
    const encS = createLineEncoder(compileSchema(referenceSchema()), 's');
    should(String(encS(base, 0)).endsWith(' 1795342500')).be.true();
  });

  it('writes inferred types for unknown device types when the schema allows it', () => {
    const schema = { ...referenceSchema(), unknownDeviceTypes: 'infer' as const };
    const enc = createLineEncoder(compileSchema(schema));
    const out = enc(
      { device_type: 'pressure', device_id: 'P1', pressure: 1013, ok: true, note: 'x y', timestamp: 1 },
      0,
    );
    should(out).equal('iot_sensors,device_id=P1,device_type=pressure pressure=1013,ok=true,note="x y" 1000000000');
    const bad = enc({ device_type: 'pressure', device_id: 'P1', __proto__x: 1, constructor: 1, timestamp: 1 }, 0);
    should(bad instanceof ReadingError && bad.code === 'forbidden_key').be.true();
  });
});
