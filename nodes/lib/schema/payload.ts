// msg.payload as it arrives (object, array, JSON string or Buffer) -> the readings in it, with
// limits checked before any work is done on an oversized or hostile payload.

import { ReadingError, ReadingErrorCode } from './reading-error';
import { shownText } from '../shown-text';

export interface PayloadLimits {
  /** Largest JSON string or Buffer accepted (bytes). */
  maxPayloadBytes: number;
  /** Most readings one message may carry. */
  maxReadings: number;
  /** Deepest nesting accepted in a JSON string or Buffer: deeper structures would overflow the
   *  stack of every recursive clone or stringify downstream (the debug node's included). */
  maxDepth: number;
}

export const PAYLOAD_DEFAULTS: PayloadLimits = {
  maxPayloadBytes: 10 * 1024 * 1024,
  maxReadings: 100_000,
  maxDepth: 32,
};

export type DecodedPayload =
  { kind: 'one'; reading: unknown } | { kind: 'many'; readings: unknown[] } | { kind: 'refused'; error: ReadingError };

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodePayload(payload: unknown, limits: PayloadLimits): DecodedPayload {
  let value = payload;
  if (Buffer.isBuffer(payload)) {
    if (payload.length > limits.maxPayloadBytes) return tooLarge(payload.length, limits);
    try {
      value = utf8.decode(payload);
    } catch {
      return refused('invalid_utf8', 'the payload is not valid UTF-8 text');
    }
  }
  if (typeof value === 'string') {
    // A string's UTF-8 size is at most 3 bytes per UTF-16 unit: measure only when it might be over.
    if (value.length * 3 > limits.maxPayloadBytes) {
      const bytes = Buffer.byteLength(value);
      if (bytes > limits.maxPayloadBytes) return tooLarge(bytes, limits);
    }
    const text = value.charCodeAt(0) === 0xfeff ? value.slice(1) : value;
    try {
      value = JSON.parse(text);
    } catch (e) {
      return refused('invalid_json', `the payload is not valid JSON (${shownText((e as Error).message)})`);
    }
    if (nestsDeeperThan(value, limits.maxDepth)) {
      return refused('too_deep', `the payload nests objects or arrays deeper than ${limits.maxDepth} levels`);
    }
  }
  if (Array.isArray(value)) {
    if (value.length > limits.maxReadings) {
      return refused(
        'too_many_readings',
        `the payload holds ${value.length} readings; the limit is ${limits.maxReadings} per message`,
      );
    }
    return { kind: 'many', readings: value };
  }
  return { kind: 'one', reading: value };
}

/** Iterative, so a hostile depth cannot overflow the stack here either. */
function nestsDeeperThan(root: unknown, maxDepth: number): boolean {
  if (typeof root !== 'object' || root === null) return false;
  const values: unknown[] = [root];
  const depths: number[] = [1];
  while (values.length > 0) {
    const v = values.pop() as Record<string, unknown>;
    const d = depths.pop() as number;
    if (d > maxDepth) return true;
    for (const k in v) {
      const child = v[k];
      if (typeof child === 'object' && child !== null) {
        values.push(child);
        depths.push(d + 1);
      }
    }
  }
  return false;
}

function tooLarge(bytes: number, limits: PayloadLimits): DecodedPayload {
  return refused('payload_too_large', `the payload is ${bytes} bytes; the limit is ${limits.maxPayloadBytes}`);
}

function refused(code: ReadingErrorCode, message: string): DecodedPayload {
  return { kind: 'refused', error: new ReadingError(code, message) };
}
