import should from 'should';
import { compileSchema } from '../../../nodes/lib/schema/compiled-schema';
import { ReadingError } from '../../../nodes/lib/schema/reading-error';
import {
  VALIDATOR_DEFAULTS,
  ValidatorSettings,
  createReadingValidator,
} from '../../../nodes/lib/schema/reading-validator';
import { referenceSchema } from '../../../nodes/lib/schema/reference-schema';
import { TelemetrySchema } from '../../../nodes/lib/schema/schema';

const NOW = Date.UTC(2026, 10, 22, 10, 20);
const reading = () => ({
  device_id: 'TEMP_001',
  device_type: 'temperature',
  location: 'warehouse_a',
  floor: '2',
  timestamp: '2026-11-22T10:15:00.123Z',
  temperature: 25.5,
  humidity: 50,
  battery_level: 99.9,
  signal_strength: -60,
});

function validator(settings: Partial<ValidatorSettings> = {}, schema: TelemetrySchema = referenceSchema()) {
  return createReadingValidator(compileSchema(schema), { ...VALIDATOR_DEFAULTS, ...settings });
}
const validate = validator();

function refusal(r: unknown, v = validate): ReadingError {
  const before = JSON.stringify(r);
  const e = v(r, NOW);
  should(e instanceof ReadingError).be.true(`expected a refusal for ${before}`);
  should(JSON.stringify(r)).equal(before, 'a refused reading is left untouched');
  should((e as ReadingError).message.length > 10).be.true();
  return e as ReadingError;
}

describe('reading validator', () => {
  it('passes a valid reading unchanged', () => {
    const r = reading();
    should(validate(r, NOW)).equal(undefined);
    should(r).eql(reading());
  });

  it('coerces to the declared types in place', () => {
    const r = { ...reading(), temperature: '25.50', signal_strength: '-61', floor: 2, humidity: 50 };
    should(validate(r, NOW)).equal(undefined);
    should(r.temperature).equal(25.5);
    should(r.signal_strength).equal(-61);
    should(r.floor).equal('2');
    const door = {
      device_id: 'D',
      device_type: 'door',
      location: 'x',
      floor: '1',
      timestamp: NOW,
      door_open: 'TRUE',
      open_count: 1,
      battery_level: 3,
    };
    should(validate(door, NOW)).equal(undefined);
    should(door.door_open).equal(true);
    should(door.timestamp).equal(new Date(NOW).toISOString(), 'epoch timestamps are normalised to ISO 8601 UTC');
  });

  it('refuses with a code, a message and the field', () => {
    const cases: [unknown, string, string | undefined][] = [
      [{ ...reading(), temperature: 'hot' }, 'wrong_type', 'temperature'],
      [{ ...reading(), temperature: 200 }, 'out_of_range', 'temperature'],
      [{ ...reading(), signal_strength: 1.5 }, 'not_integer', 'signal_strength'],
      [{ ...reading(), humidity: [1] }, 'nested_value', 'humidity'],
      [{ ...reading(), location: '' }, 'empty_tag', 'location'],
      [{ ...reading(), location: 'a\r\nb' }, 'invalid_characters', 'location'],
      [{ ...reading(), location: 'dir\\' }, 'invalid_characters', 'location'],
      [{ ...reading(), location: 'x'.repeat(65) }, 'too_long', 'location'],
      [{ ...reading(), device_id: undefined }, 'missing_key', 'device_id'],
      [{ ...reading(), device_type: 'laser' }, 'unknown_device_type', 'device_type'],
      [{ ...reading(), device_type: undefined }, 'missing_device_type', 'device_type'],
      [{ ...reading(), device_type: 7 }, 'wrong_type', 'device_type'],
      [{ ...reading(), colour: 'red' }, 'unknown_key', 'colour'],
      [{ ...reading(), timestamp: '2026-11-22T11:15:00Z' }, 'timestamp_in_future', 'timestamp'],
      [{ ...reading(), timestamp: 0 }, 'timestamp_too_old', 'timestamp'],
      [{ ...reading(), timestamp: 'tomorrow' }, 'invalid_timestamp', 'timestamp'],
      [JSON.parse('{"__proto__": {"polluted": 1}, "device_type": "temperature"}'), 'forbidden_key', '__proto__'],
      [{ ...reading(), constructor: 'x' }, 'forbidden_key', 'constructor'],
      ['a string', 'not_an_object', undefined],
      [[reading()], 'not_an_object', undefined],
    ];
    for (const [r, code, field] of cases) {
      const e = refusal(r);
      should(e.code).equal(code, `${JSON.stringify(r)} -> ${e.message}`);
      should(e.field).equal(field, e.message);
    }
    should(({} as Record<string, unknown>).polluted).equal(undefined);
  });

  it('says what to do in its messages', () => {
    should(refusal({ ...reading(), temperature: 200 }).message).match(/temperature.*200 degC.*-40\.\.125 degC/);
    should(refusal({ ...reading(), device_type: 'laser' }).message).match(
      /not in the schema \(known: temperature, motion, door\)/,
    );
    should(refusal({ ...reading(), timestamp: '2026-11-22T12:20:00Z' }).message).match(
      /2 h ahead.*check the device's clock/,
    );
  });

  it('stamps or refuses a missing timestamp, as set', () => {
    const r: Record<string, unknown> = reading();
    delete r.timestamp;
    should(refusal({ ...r }, validator({ missingTimestamp: 'reject' })).code).equal('missing_timestamp');
    should(validate(r, NOW)).equal(undefined);
    should(r.timestamp).equal(new Date(NOW).toISOString());
  });

  it('turns the time window off with 0', () => {
    const v = validator({ maxFutureMs: 0, maxPastMs: 0 });
    should(v({ ...reading(), timestamp: '2100-01-01T00:00:00Z' }, NOW)).equal(undefined);
    should(v({ ...reading(), timestamp: '1990-01-01T00:00:00Z' }, NOW)).equal(undefined);
  });

  it('limits the number of keys', () => {
    const r: Record<string, unknown> = reading();
    for (let i = 0; i < 200; i++) r[`k${i}`] = i;
    should(refusal(r).code).equal('too_many_keys');
  });

  it('leaves undeclared keys alone when the schema ignores them', () => {
    const v = validator({}, { ...referenceSchema(), unknownKeys: 'ignore' });
    const r = { ...reading(), colour: 'red' };
    should(v(r, NOW)).equal(undefined);
    should(r.colour).equal('red');
  });

  it('infers unknown device types when the schema allows it, and still refuses nested values', () => {
    const v = validator({}, { ...referenceSchema(), unknownDeviceTypes: 'infer' });
    should(v({ device_type: 'pressure', device_id: 'P', pressure: 1, timestamp: NOW }, NOW)).equal(undefined);
    should(refusal({ device_type: 'pressure', device_id: 'P', pressure: { a: 1 } }, v).code).equal('nested_value');
    should(refusal({ device_type: 'pressure', device_id: 'P' }, v).code).equal('no_fields');
  });
});
