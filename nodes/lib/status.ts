// A node's status as nodes/lib works it out, without Node-RED: the shape Node-RED draws and the
// compact counts that keep it under 20 characters. The node draws it (runtime/node-status.ts).

export interface StatusShape {
  fill: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape: 'ring' | 'dot';
  text: string;
}

/** Compact counts for a status under 20 characters: 950, 12.3k, 4.1M. */
export function compactCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}
