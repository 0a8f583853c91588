// A reproducible corpus of malformed and hostile payloads built around reference-fleet readings:
// every payload says how many readings it carries, so a test can account for each one.

import { compileSchema } from '../../nodes/lib/schema/compiled-schema';
import { LineEncoder, createLineEncoder } from '../../nodes/lib/line-protocol/line-encoder';
import { SchemaRow, ValueType, schemaFromRows } from '../../nodes/lib/schema/schema';
import { seededRandom } from '../../nodes/lib/simulator/seeded-random';

export interface CorpusItem {
  payload: unknown;
  /** Readings the payload holds (an array's elements), or 1 for a payload judged whole. */
  units: number;
}

export const HOSTILE_STRINGS = [
  'new\nline',
  'carriage\rreturn',
  'tab\there',
  'comma,here',
  'equals=here',
  'space here',
  'quote"here',
  "single'quote",
  'back\\slash',
  'ends with backslash\\',
  '\\',
  '\\\\',
  '\\,',
  '\\ ',
  '\\=',
  '\\"',
  ',=',
  ' ',
  '  leading',
  'trailing  ',
  '"',
  '=',
  ',',
  '#comment',
  'null\u0000byte',
  'bell\u0007',
  'del\u007f',
  'ünïcödé',
  '日本語',
  '😀 emoji',
  'lone \ud800 surrogate',
  'trail \udc00',
  'a'.repeat(5000),
  'x=1 y=2 1700000000',
  'iot_sensors,device_id=X temperature=1 1\nx',
  '',
];

export function hostileCorpus(count: number, seed = 'corpus'): CorpusItem[] {
  const rng = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)];
  const now = Date.now();

  const reading = (): Record<string, unknown> => {
    const type = pick(['temperature', 'motion', 'door']);
    const r: Record<string, unknown> = {
      device_id: `${type.toUpperCase()}_${rng.int(1, 50)}`,
      device_type: type,
      location: pick(['warehouse_a', 'office_main']),
      floor: String(rng.int(1, 3)),
      timestamp: new Date(now - rng.int(0, 60_000)).toISOString(),
      battery_level: rng.next() * 100,
    };
    if (type === 'temperature')
      Object.assign(r, {
        temperature: rng.normal(25, 2),
        humidity: 40 + rng.next() * 40,
        signal_strength: rng.int(-90, -30),
      });
    if (type === 'motion') Object.assign(r, { motion_detected: rng.next() < 0.25, sensitivity: rng.int(1, 10) });
    if (type === 'door') Object.assign(r, { door_open: rng.next() < 0.2, open_count: rng.int(0, 5) });
    return r;
  };

  const hostileValue = (): unknown =>
    pick<() => unknown>([
      () => pick(HOSTILE_STRINGS),
      () => pick([NaN, Infinity, -Infinity, -0, 1e308, -1e308, 5e-324, Number.MAX_SAFE_INTEGER + 2, 2 ** 63]),
      () => pick([null, undefined, true, false, 0, 1, '1', 'true', '  42  ', '4e2', '0x10', '1_000', '']),
      () => pick([{}, [], [1, 2], { nested: { deeper: [1] } }, new Date(now)]),
      () => BigInt(rng.int(-1000, 1000)),
      () => 'z'.repeat(rng.int(1, 3) * 100_000),
      () => (rng.next() < 0.05 ? 'y'.repeat(1_100_000) : 'short'),
    ])();

  const mutate = (r: Record<string, unknown>): Record<string, unknown> => {
    const keys = Object.keys(r);
    switch (rng.int(0, 7)) {
      case 0:
        r[pick(keys)] = hostileValue();
        break;
      case 1:
        delete r[pick(keys)];
        break;
      case 2:
        r[pick(HOSTILE_STRINGS) || 'k'] = hostileValue();
        break;
      case 3:
        r.timestamp = pick<unknown>([
          '',
          'now',
          0,
          -1,
          1e30,
          '2026-13-45',
          '9999-12-31T23:59:59Z',
          '1970-01-01',
          now * 1e6,
          String(now) + '000000',
          '2026-11-22T10:00:00+14:00',
        ]);
        break;
      case 4:
        r.device_type = pick<unknown>(['', 'TEMPERATURE', 'laser', null, 7, ['temperature'], 'temperature\n']);
        break;
      case 5:
        for (let i = 0; i < 150; i++) r[`extra_${i}`] = i;
        break;
      case 6:
        Object.defineProperty(r, pick(['constructor', 'prototype']), { value: { polluted: true }, enumerable: true });
        break;
      default:
        r[pick(keys)] = pick(HOSTILE_STRINGS);
        break;
    }
    return r;
  };

  const huge = `{"device_type":"${'x'.repeat(1_200_000)}"}`;
  const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
  const items: CorpusItem[] = [];
  while (items.length < count) {
    const kind = rng.int(0, 11);
    const one = () => (rng.next() < 0.8 ? mutate(reading()) : reading());
    if (kind <= 3) items.push({ payload: one(), units: 1 });
    else if (kind <= 5) {
      const arr = Array.from({ length: rng.int(0, 40) }, () => (rng.next() < 0.1 ? hostileValue() : one()));
      items.push({ payload: arr, units: arr.length });
    } else if (kind === 6) {
      const r = one();
      const text = safeStringify(r);
      items.push({ payload: rng.next() < 0.5 ? text : Buffer.from(text), units: 1 });
    } else if (kind === 7) {
      items.push({
        payload: pick([
          '{"__proto__": {"polluted": true}, "device_type": "temperature"}',
          '{"constructor": {"prototype": {"x": 1}}}',
          '[{"__proto__": null}]',
          deep(100_000),
          `{"a":${deep(50)}}`,
          '{"a":1,"a":2}',
          '\ufeff{"device_type":"door"}',
          '',
          ' ',
          'null',
          '"string"',
          '42',
          'true',
        ]),
        units: 1,
      });
    } else if (kind === 8) {
      const text = safeStringify(reading());
      items.push({
        payload: rng.next() < 0.5 ? text.slice(0, rng.int(0, text.length - 1)) : text + pick(['}', ']', ',', 'x']),
        units: 1,
      });
    } else if (kind === 9) {
      const bytes = Buffer.from(safeStringify(reading()));
      bytes[rng.int(0, bytes.length - 1)] = pick([0xff, 0xc0, 0x80, 0xfe]);
      items.push({ payload: bytes, units: 1 });
    } else if (kind === 10) {
      items.push({
        payload: pick<unknown>([
          null,
          undefined,
          0,
          -1,
          true,
          'plain text',
          Buffer.alloc(0),
          Symbol.for('x').toString(),
          [[[]]],
          { payload: 1 },
          huge,
          Buffer.from(huge),
        ]),
        units: 1,
      });
    } else {
      const n = rng.next() < 0.03 ? 100_001 : rng.int(1, 3);
      const arr = Array.from({ length: n }, () => ({}));
      items.push({ payload: n > 100_000 ? JSON.stringify(arr) : arr, units: n > 100_000 ? 1 : n });
    }
  }
  return items;
}

function safeStringify(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x));
}

/** An encoder for one device type 'h' whose (hostile) tag keys and typed fields are all optional. */
export function hostileEncoder(measurement: string, tags: string[], fields: [string, ValueType][]): LineEncoder {
  const rows: SchemaRow[] = [
    ...tags.map((key): SchemaRow => ({ deviceType: 'h', key, kind: 'tag', type: 'string', required: false })),
    { deviceType: 'h', key: 'device_type', kind: 'tag', type: 'string' },
    ...fields.map(([key, type]): SchemaRow => ({ deviceType: 'h', key, kind: 'field', type, required: false })),
  ];
  return createLineEncoder(compileSchema(schemaFromRows({ measurement }, rows)));
}
