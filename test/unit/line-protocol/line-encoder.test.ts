import assert from 'node:assert/strict';
import { compileSchema } from '../../../nodes/lib/schema/compiled-schema';
import { createLineEncoder } from '../../../nodes/lib/line-protocol/line-encoder';
import { ReadingError } from '../../../nodes/lib/schema/reading-error';
import { referenceSchema } from '../../../nodes/lib/schema/reference-schema';
import { schemaFromRows } from '../../../nodes/lib/schema/schema';

const encode = createLineEncoder(compileSchema(referenceSchema()));
const base = {
  device_id: 'TEMP_001', device_type: 'temperature', location: 'warehouse_a', floor: '2',
  timestamp: '2026-11-22T10:15:00.123Z', temperature: 25.5, humidity: 50, battery_level: 99.9, signal_strength: -60,
};
const TS = '1795342500123000000';

function line(r: object): string {
  const out = encode(r, 0);
  assert.ok(typeof out === 'string', `expected a line, got ${JSON.stringify(out)}`);
  return out;
}

function refused(r: unknown): ReadingError {
  const out = encode(r, 0);
  assert.ok(out instanceof ReadingError, `expected a refusal, got ${String(out)}`);
  return out;
}

describe('line encoder', () => {
  it('writes tags sorted, fields by declared type and the timestamp in ns', () => {
    assert.equal(
      line(base),
      `iot_sensors,device_id=TEMP_001,device_type=temperature,floor=2,location=warehouse_a temperature=25.5,humidity=50,battery_level=99.9,signal_strength=-60i ${TS}`,
    );
  });

  it('writes a declared float as a float however the JSON looked, and coerces numeric strings', () => {
    const l = line({ ...base, temperature: 50, humidity: '50.0', signal_strength: '-61' });
    assert.match(l, / temperature=50,humidity=50,/);
    assert.match(l, /signal_strength=-61i /);
  });

  it('writes booleans and integers of the other device types', () => {
    const l = line({ device_id: 'DOOR_001', device_type: 'door', location: 'x', floor: '1', timestamp: base.timestamp,
      door_open: 'true', open_count: 3, battery_level: 80 });
    assert.match(l, / door_open=true,open_count=3i,battery_level=80 /);
  });

  it('escapes hostile tag values so one reading stays one line', () => {
    const l = line({ ...base, location: 'hall 1,x=2 y', device_id: 'a\\,b' });
    assert.equal(l.split('\n').length, 1);
    assert.match(l, /device_id=a\\\\\\,b,/);
    assert.match(l, /location=hall\\ 1\\,x\\=2\\ y /);
  });

  it('refuses what line protocol cannot carry or the schema does not allow', () => {
    assert.equal(refused({ ...base, location: 'a\nb' }).code, 'invalid_characters');
    assert.equal(refused({ ...base, location: '' }).code, 'empty_tag');
    assert.match(refused({ ...base, location: 'hall\\' }).message, /ends with a backslash, which InfluxDB cannot store/);
    assert.equal(refused({ ...base, temperature: NaN }).code, 'not_finite');
    assert.equal(refused({ ...base, temperature: 'hot' }).code, 'wrong_type');
    assert.equal(refused({ ...base, temperature: { v: 1 } }).code, 'nested_value');
    assert.equal(refused({ ...base, signal_strength: -60.5 }).code, 'not_integer');
    assert.equal(refused({ ...base, humidity: 150 }).code, 'out_of_range');
    assert.equal(refused({ ...base, timestamp: 'soon' }).code, 'invalid_timestamp');
    assert.equal(refused({ ...base, device_type: 'laser' }).code, 'unknown_device_type');
    assert.equal(refused([base]).code, 'not_an_object');
    const { temperature: _t, ...noTemp } = base;
    const e = refused(noTemp);
    assert.equal(e.code, 'missing_key');
    assert.equal(e.field, 'temperature');
  });

  it('refuses a reading without fields', () => {
    const schema = schemaFromRows({}, [
      { deviceType: 'x', key: 'id', kind: 'tag', type: 'string' },
      { deviceType: 'x', key: 'v', kind: 'field', type: 'float', required: false },
    ]);
    const enc = createLineEncoder(compileSchema(schema));
    const out = enc({ device_type: 'x', id: 'a', timestamp: 1 }, 0);
    assert.ok(out instanceof ReadingError);
    assert.equal(out.code, 'no_fields');
  });

  it('stamps a reading without a timestamp with the encoding time, at the precision asked', () => {
    const { timestamp: _ts, ...noTs } = base;
    const out = encode(noTs, 1_700_000_000_000);
    assert.ok(typeof out === 'string' && out.endsWith(' 1700000000000000000'));
    const encS = createLineEncoder(compileSchema(referenceSchema()), 's');
    assert.ok(String(encS(base, 0)).endsWith(' 1795342500'));
  });

  it('writes inferred types for unknown device types when the schema allows it', () => {
    const schema = { ...referenceSchema(), unknownDeviceTypes: 'infer' as const };
    const enc = createLineEncoder(compileSchema(schema));
    const out = enc({ device_type: 'pressure', device_id: 'P1', pressure: 1013, ok: true, note: 'x y', timestamp: 1 }, 0);
    assert.equal(out, 'iot_sensors,device_id=P1,device_type=pressure pressure=1013,ok=true,note="x y" 1000000000');
    const bad = enc({ device_type: 'pressure', device_id: 'P1', __proto__x: 1, constructor: 1, timestamp: 1 }, 0);
    assert.ok(bad instanceof ReadingError && bad.code === 'forbidden_key');
  });
});
