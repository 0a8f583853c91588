import should from 'should';
import { referenceSchema, referenceSchemaRows } from '../../../nodes/lib/schema/reference-schema';
import {
  SchemaError,
  jsonSchemaFromSchema,
  rowsFromSchema,
  schemaFromJsonSchema,
  schemaFromRows,
} from '../../../nodes/lib/schema/schema';
import { buildSchema } from '../../../nodes/lib/schema/schema-config';
import { settings } from '../../../nodes/telemetry-schema/settings';

describe('telemetry schema', () => {
  it('describes the reference fleet', () => {
    const s = referenceSchema();
    should(Object.keys(s.deviceTypes)).eql(['temperature', 'motion', 'door']);
    should(s.measurement).equal('iot_sensors');
    should(s.precision).equal('ns');
    const t = s.deviceTypes.temperature.columns;
    should(t.floor.kind).equal('tag');
    should(t.temperature.type).equal('float');
    should(t.signal_strength.type).equal('integer');
    should(s.deviceTypes.motion.columns.motion_detected.type).equal('boolean');
  });

  it('round-trips between table rows and JSON Schema', () => {
    const s = referenceSchema();
    should(schemaFromRows({}, rowsFromSchema(s))).eql(s);
    should(schemaFromJsonSchema({}, JSON.parse(JSON.stringify(jsonSchemaFromSchema(s))))).eql(s);
  });

  it('refuses bad definitions with the path of the problem', () => {
    const bad: [() => unknown, RegExp][] = [
      [
        () => schemaFromRows({}, [{ deviceType: 'x', key: 'v', kind: 'field', type: 'float', min: 5, max: 1 }]),
        /row 1.*min is greater than max/,
      ],
      [
        () => schemaFromRows({}, [{ deviceType: 'x', key: 'id', kind: 'tag', type: 'string' }]),
        /needs at least one field/,
      ],
      [
        () => schemaFromRows({}, [{ deviceType: 'x', key: '__proto__', kind: 'field', type: 'float' }]),
        /cannot be used as a name/,
      ],
      [
        () => schemaFromRows({}, [{ deviceType: 'x', key: 'a\nb', kind: 'field', type: 'float' }]),
        /control characters/,
      ],
      [
        () => schemaFromRows({}, [{ deviceType: 'x', key: 'v\\', kind: 'field', type: 'float' }]),
        /must not end with a backslash/,
      ],
      [
        () => schemaFromRows({}, [{ deviceType: 'x', key: 'v', kind: 'field', type: 'float', min: 'abc' }]),
        /row 1 min: must be a number/,
      ],
      [() => schemaFromRows({ precision: 'h' as never }, referenceSchemaRows()), /precision/],
      [
        () => schemaFromJsonSchema({}, { deviceTypes: { x: { properties: { v: { type: 'number', pattern: 'a' } } } } }),
        /deviceTypes\.x\.properties\.v\.pattern: this JSON Schema keyword is not supported/,
      ],
      [
        () =>
          schemaFromJsonSchema({}, { deviceTypes: { x: { properties: { v: { type: 'integer', 'x-tag': true } } } } }),
        /a tag .* must have type "string"/,
      ],
      [
        () =>
          schemaFromJsonSchema({}, { deviceTypes: { x: { properties: { v: { type: 'number' } }, required: ['w'] } } }),
        /"w" is required but not among the properties/,
      ],
      [() => schemaFromJsonSchema({}, []), /must be an object/],
    ];
    for (const [f, re] of bad) {
      should(f).throw(SchemaError, { message: re });
    }
  });

  it('builds from a config node that lacks properties (an older flow) with the documented defaults', () => {
    should(buildSchema(settings.read({}))).eql(referenceSchema());
    should(buildSchema(settings.read({ mode: 'table', maxTagLength: '' }))).eql(referenceSchema());
    should(() => buildSchema(settings.read({ mode: 'jsonschema', jsonSchema: '{' }))).throw(/not valid JSON/);
    const s = buildSchema(
      settings.read({
        mode: 'jsonschema',
        jsonSchema: JSON.stringify({ deviceTypes: { p: { properties: { v: { type: 'number' } } } } }),
        precision: 'ms',
      }),
    );
    should(s.precision).equal('ms');
    should(s.deviceTypes.p.columns.v.type).equal('float');
  });
});
