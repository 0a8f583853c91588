// How a value is shown inside an error message that a person reads.

export function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  const t = typeof v;
  if (t === 'object') return 'an object';
  if (t === 'string') return `the string ${quote(v as string)}`;
  if (t === 'number' || t === 'boolean' || t === 'bigint') return `${t} ${(v as number | boolean | bigint).toString()}`;
  return t;
}

/** A value shown in an error message: quoted, control characters visible, cut at 40 characters. */
export function quote(s: string): string {
  const cut = s.length > 40 ? `${s.slice(0, 40)}…` : s;
  return JSON.stringify(cut);
}
