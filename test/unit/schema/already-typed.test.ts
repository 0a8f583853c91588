// The validator and the encoder skip a column's coercer when isAlreadyTyped says the value is
// already of its declared type and in range. That is only sound if the coercer would then hand the
// very value back: held here on many generated values for every kind of column, and the validator
// as a whole against the same validator with every check made through the coercers.
import should from 'should';
import {
  CompiledColumn,
  CompiledSchema,
  OTHER,
  compileSchema,
  isAlreadyTyped,
} from '../../../nodes/lib/schema/compiled-schema';
import { ReadingError } from '../../../nodes/lib/schema/reading-error';
import { VALIDATOR_DEFAULTS, createReadingValidator } from '../../../nodes/lib/schema/reading-validator';
import { referenceSchema } from '../../../nodes/lib/schema/reference-schema';
import { schemaFromRows } from '../../../nodes/lib/schema/schema';
import { seededRandom } from '../../../nodes/lib/simulator/seeded-random';
import { generatedBoolean, generatedFloat, generatedInteger, generatedTimestamp } from '../../support/generated-values';

const schema = schemaFromRows({}, [
  { deviceType: 'm', key: 'id', kind: 'tag', type: 'string' },
  { deviceType: 'm', key: 'device_type', kind: 'tag', type: 'string' },
  { deviceType: 'm', key: 'f', kind: 'field', type: 'float', required: false },
  { deviceType: 'm', key: 'ranged', kind: 'field', type: 'float', required: false, min: -1.5, max: 1e6 },
  { deviceType: 'm', key: 'i', kind: 'field', type: 'integer', required: false },
  { deviceType: 'm', key: 'count', kind: 'field', type: 'integer', required: false, min: 0, max: 2 ** 40 },
  { deviceType: 'm', key: 'b', kind: 'field', type: 'boolean', required: false },
  { deviceType: 'm', key: 's', kind: 'field', type: 'string', required: false },
]);

const show = (v: unknown) => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}n` : x));

describe('values already of their declared type', () => {
  it('are exactly those the coercer hands back unchanged without a second look', () => {
    const rng = seededRandom('already-typed');
    const plan = compileSchema(schema).deviceTypes.get('m')!;
    const reference = compileSchema(referenceSchema());
    const columns: CompiledColumn[] = [
      ...plan.tags,
      ...plan.fields,
      ...[...reference.deviceTypes.values()].flatMap((p) => [...p.tags, ...p.fields]),
    ];
    const values = [generatedFloat, generatedInteger, generatedBoolean];
    let skipped = 0;
    for (let n = 0; n < 100_000; n++) {
      const v = values[rng.int(0, 2)](rng);
      for (const col of columns) {
        if (!isAlreadyTyped(col, v)) continue;
        skipped++;
        should(Object.is(col.coerce(v), v)).be.true(`${col.key} (${col.spec.type}) ${show(v)}`);
      }
    }
    should(skipped).be.above(100_000);
    // Strings and tags always take the coercer: it checks their length and characters.
    for (const col of columns.filter((c) => c.spec.kind === 'tag' || c.spec.type === 'string'))
      should(isAlreadyTyped(col, 'x')).be.false();
  });

  it('leave the validator judging and coercing every reading as through the coercers alone', () => {
    const rng = seededRandom('already-typed-validator');
    const compiled = compileSchema(schema);
    // The same schema compiled again with no column ever already typed: every value is coerced.
    const slow: CompiledSchema = {
      schema: compiled.schema,
      deviceTypes: compiled.deviceTypes,
      planFor: (r) => {
        const plan = compiled.planFor(r);
        if (plan instanceof ReadingError) return plan;
        return { ...plan, fields: plan.fields.map((c) => ({ ...c, typed: OTHER })), validTagSets: new Map() };
      },
    };
    const fast = createReadingValidator(compiled, VALIDATOR_DEFAULTS);
    const general = createReadingValidator(slow, VALIDATOR_DEFAULTS);
    const now = 1_795_342_500_000;
    let valid = 0;
    for (let n = 0; n < 20_000; n++) {
      const r: Record<string, unknown> = { device_type: 'm', id: `d${rng.int(0, 9)}` };
      const put = (key: string, v: () => unknown) => {
        if (rng.next() < 0.6) r[key] = v();
      };
      put('f', () => generatedFloat(rng));
      put('ranged', () => generatedFloat(rng));
      put('i', () => generatedInteger(rng));
      put('count', () => generatedInteger(rng));
      put('b', () => generatedBoolean(rng));
      put('s', () => ['x', 12.5, true, 'a\nb'][rng.int(0, 3)]);
      r.timestamp = generatedTimestamp(rng, now / 1000 - rng.int(0, 60));
      const a = { ...r };
      const b = { ...r };
      const ea = fast(a, now);
      const eb = general(b, now);
      should(show(ea?.toJSON())).equal(show(eb?.toJSON()), show(r));
      should(show(a)).equal(show(b), show(r));
      if (!ea) valid++;
    }
    should(valid).be.within(1000, 19_000);
  });
});
