// The encoder's fast paths (values already of their declared type written inline, floats from
// small integers, epoch milliseconds and instants written as digits, canonical ISO seconds cached)
// against the general path spelled out slowly here: every column through its coercer, numbers
// through String(), timestamps through parseTimestamp + formatAtPrecision. Many generated readings,
// edge cases included; every line and every refusal must be the same.
import should from 'should';
import { createLineEncoder } from '../../../nodes/lib/line-protocol/line-encoder';
import { LineWriter } from '../../../nodes/lib/line-protocol/line-writer';
import { escapeKeyOrTagValue, escapeMeasurement, quoteStringField } from '../../../nodes/lib/line-protocol/lp-escape';
import { CompiledSchema, compileSchema, missingKey, noFields } from '../../../nodes/lib/schema/compiled-schema';
import { ReadingError } from '../../../nodes/lib/schema/reading-error';
import { referenceSchema } from '../../../nodes/lib/schema/reference-schema';
import { schemaFromRows } from '../../../nodes/lib/schema/schema';
import { seededRandom } from '../../../nodes/lib/simulator/seeded-random';
import { generatedBoolean, generatedFloat, generatedInteger, generatedTimestamp } from '../../support/generated-values';
import { PRECISIONS, Precision, formatAtPrecision, parseTimestamp } from '../../../nodes/lib/timestamps';

/** The general path: what the encoder must write, built from strings. */
function referenceLine(compiled: CompiledSchema, precision: Precision, reading: unknown, nowMs: number): string {
  const r = reading as Record<string, unknown>;
  const plan = compiled.planFor(r);
  if (plan instanceof ReadingError) return `refused ${plan.code} ${plan.field} ${plan.message}`;
  let line = escapeMeasurement(compiled.schema.measurement);
  const refusal = (e: ReadingError) => `refused ${e.code} ${e.field} ${e.message}`;
  for (const t of plan.tags) {
    const v = r[t.key];
    if (v === undefined || v === null) {
      if (t.spec.required) return refusal(missingKey(t.key, plan));
      continue;
    }
    const c = t.coerce(v);
    if (c instanceof ReadingError) return refusal(c);
    line += `,${escapeKeyOrTagValue(t.key)}=${escapeKeyOrTagValue(c as string)}`;
  }
  const fields: string[] = [];
  for (const f of plan.fields) {
    const v = r[f.key];
    if (v === undefined || v === null) {
      if (f.spec.required) return refusal(missingKey(f.key, plan));
      continue;
    }
    const c = f.coerce(v);
    if (c instanceof ReadingError) return refusal(c);
    const text =
      f.spec.type === 'float'
        ? String(c)
        : f.spec.type === 'integer'
          ? `${String(c)}i`
          : f.spec.type === 'boolean'
            ? String(c)
            : quoteStringField(c as string);
    fields.push(`${escapeKeyOrTagValue(f.key)}=${text}`);
  }
  if (fields.length === 0) return refusal(noFields(plan));
  const tsKey = compiled.schema.timestampKey;
  const raw = r[tsKey];
  const t = raw === undefined || raw === null ? { ms: nowMs, nanos: 0 } : parseTimestamp(raw);
  if (typeof t === 'string') return `refused invalid_timestamp ${tsKey} '${tsKey}' ${t}`;
  return `${line} ${fields.join(',')} ${formatAtPrecision(t, precision)}`;
}

function encoded(out: string | ReadingError): string {
  return typeof out === 'string' ? out : `refused ${out.code} ${out.field} ${out.message}`;
}

const HOSTILE = ['a b', 'a,b', 'a=b', 'a\\b', 'a\\', '', 'ünï', '😀', 'x\ny', 'tab\t', 'q"uote', '\\,', ' '];

describe('encoder fast paths against the general path', () => {
  it('writes reference-fleet readings, broken ones included, at every precision exactly as the general path', () => {
    const compiled = compileSchema(referenceSchema());
    const rng = seededRandom('fast-paths');
    for (const precision of PRECISIONS) {
      const encode = createLineEncoder(compiled, precision);
      let second = 1_795_342_500;
      let lines = 0;
      for (let n = 0; n < 20_000; n++) {
        if (rng.next() < 0.1) second += rng.int(1, 3); // readings share their second, as they arrive
        if (rng.next() < 0.01) second = rng.int(1, 9_000_000_000); // and sometimes jump
        const type = ['temperature', 'motion', 'door'][rng.int(0, 2)];
        const r: Record<string, unknown> = {
          device_id: rng.next() < 0.02 ? HOSTILE[rng.int(0, HOSTILE.length - 1)] : `D_${rng.int(1, 40)}`,
          device_type: type,
          location: rng.next() < 0.02 ? rng.int(0, 3) : ['warehouse_a', 'office main', 'dock,2'][rng.int(0, 2)],
          floor: String(rng.int(1, 3)),
          battery_level: generatedFloat(rng),
        };
        const ts = generatedTimestamp(rng, second);
        if (ts !== undefined) r.timestamp = ts;
        if (type === 'temperature')
          Object.assign(r, {
            temperature: generatedFloat(rng),
            humidity: generatedFloat(rng),
            signal_strength: generatedInteger(rng),
          });
        else if (type === 'motion')
          Object.assign(r, { motion_detected: generatedBoolean(rng), sensitivity: generatedInteger(rng) });
        else Object.assign(r, { door_open: generatedBoolean(rng), open_count: generatedInteger(rng) });
        if (rng.next() < 0.02) delete r[Object.keys(r)[rng.int(0, 4)]];
        const nowMs = rng.next() < 0.9 ? second * 1000 : [0, 999_999, 1_000_000, 1.5e12 + 0.5][rng.int(0, 3)];
        const want = referenceLine(compiled, precision, r, nowMs);
        should(encoded(encode(r, nowMs))).equal(
          want,
          `${JSON.stringify(r, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))} at ${precision}`,
        );
        if (!want.startsWith('refused')) lines++;
      }
      should(lines).be.within(1000, 19_000); // both lines and refusals, many of each
    }
  });

  it('writes fields of every type, optional and escaped, exactly as the general path', () => {
    const compiled = compileSchema(
      schemaFromRows({ measurement: 'plant floor,1' }, [
        { deviceType: 'm', key: 'z tag', kind: 'tag', type: 'string' },
        { deviceType: 'm', key: 'a=tag', kind: 'tag', type: 'string', required: false },
        { deviceType: 'm', key: 'f', kind: 'field', type: 'float', required: false },
        { deviceType: 'm', key: 'ranged', kind: 'field', type: 'float', required: false, min: -1.5, max: 1e6 },
        { deviceType: 'm', key: 'i,n', kind: 'field', type: 'integer', required: false },
        { deviceType: 'm', key: 'count', kind: 'field', type: 'integer', required: false, min: 0, max: 2 ** 40 },
        { deviceType: 'm', key: 'b', kind: 'field', type: 'boolean', required: false },
        { deviceType: 'm', key: 's', kind: 'field', type: 'string', required: false },
      ]),
    );
    const rng = seededRandom('fast-paths-types');
    for (const precision of PRECISIONS) {
      const encode = createLineEncoder(compiled, precision);
      for (let n = 0; n < 10_000; n++) {
        const r: Record<string, unknown> = { device_type: 'm', 'z tag': HOSTILE[rng.int(0, HOSTILE.length - 1)] };
        if (rng.next() < 0.7) r['a=tag'] = `t${rng.int(0, 5)}`;
        const put = (key: string, v: () => unknown) => {
          if (rng.next() < 0.6) r[key] = v();
        };
        put('f', () => generatedFloat(rng));
        put('ranged', () => generatedFloat(rng));
        put('i,n', () => generatedInteger(rng));
        put('count', () => generatedInteger(rng));
        put('b', () => generatedBoolean(rng));
        put('s', () => [HOSTILE[rng.int(0, HOSTILE.length - 1)], 12.5, -0, true, 'plain'][rng.int(0, 4)]);
        r.timestamp = generatedTimestamp(rng, 1_795_342_500 + rng.int(0, 30));
        const want = referenceLine(compiled, precision, r, 1_795_342_500_000);
        should(encoded(encode(r, 1_795_342_500_000))).equal(
          want,
          JSON.stringify(r, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)),
        );
      }
    }
  });

  it('writes every float as String() does, and whole numbers of up to 2^53 as digits', () => {
    const rng = seededRandom('fast-paths-floats');
    const w = new LineWriter(16);
    const text = (f: () => void) => {
      w.reset();
      f();
      w.endLine();
      return w.toString();
    };
    for (let n = 0; n < 200_000; n++) {
      const v = generatedFloat(rng);
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      should(text(() => w.float(v))).equal(String(v), `${v}`);
    }
    for (let n = 0; n < 50_000; n++) {
      const v = Math.floor(rng.next() * 2 ** rng.int(0, 53));
      should(text(() => w.uint(v))).equal(String(v));
      const width = rng.int(1, 12);
      const p = Math.floor(rng.next() * 10 ** width);
      should(text(() => w.padded(p, width))).equal(String(p).padStart(width, '0'));
    }
  });
});
