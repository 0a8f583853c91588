// How a value is shown inside an error message that a person reads.

import { quoted } from './shown-text';

export function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  const t = typeof v;
  if (t === 'object') return 'an object';
  if (t === 'string') return `the string ${quoted(v)}`;
  if (t === 'number' || t === 'boolean' || t === 'bigint') return `${t} ${(v as number | boolean | bigint).toString()}`;
  return t;
}
