// What telemetry-simulator is told, checked: the commands of msg.payload, the fault rules of its
// settings and of a fault command, and start times. Each refusal says what would have been taken.

import { describeType } from '../describe';
import { isPlainObject } from '../schema/schema';
import { numberSetting } from '../settings';
import { parseTimestamp } from '../timestamps';
import { FAULT_KINDS, FaultKind, FaultRule } from './fleet-simulator';

export type SimulatorCommand =
  | { command: 'start'; startTime?: unknown }
  | { command: 'stop' | 'pause' | 'resume' }
  | { command: 'rate'; intervalSec: unknown }
  | ({ command: 'fault' } & Record<string, unknown>)
  | { command: 'advance'; ms: unknown; startTime?: unknown };

const COMMANDS = ['start', 'stop', 'pause', 'resume', 'rate', 'fault', 'advance'];

/** A command: a word ("start", any case) or an object with `command`. Its other fields are checked
 *  by the command itself. */
export function readCommand(payload: unknown): SimulatorCommand {
  const obj = typeof payload === 'string' ? { command: payload.trim().toLowerCase() } : payload;
  if (!isPlainObject(obj) || typeof obj.command !== 'string' || !COMMANDS.includes(obj.command)) {
    throw new Error(
      `unknown command; send msg.payload "start", "stop", "pause" or "resume", or {"command": one of ${COMMANDS.join(', ')}, …}`,
    );
  }
  return obj as unknown as SimulatorCommand;
}

/** A fault rule of the settings (`needsRate`: a chance per reading) or of a fault command (once). */
export function checkFault(raw: Record<string, unknown> | FaultRule, needsRate: boolean): FaultRule {
  const f = raw as Record<string, unknown>;
  if (!FAULT_KINDS.includes(f.kind as FaultKind))
    throw new Error(`fault kind must be one of ${FAULT_KINDS.join(', ')}, got "${String(f.kind)}"`);
  if (f.device !== undefined && typeof f.device !== 'string')
    throw new Error(`fault device must be a device id or "*", not ${describeType(f.device)}`);
  const rule: FaultRule = { kind: f.kind as FaultKind, rate: 1, device: f.device ?? '*' };
  if (needsRate) rule.rate = numberSetting(f.rate, `fault "${rule.kind}" rate`, { min: 0, max: 1 });
  if (f.durationSec !== undefined) rule.durationMs = numberSetting(f.durationSec, 'durationSec', { min: 0 }) * 1000;
  if (f.durationMs !== undefined) rule.durationMs = numberSetting(f.durationMs, 'durationMs', { min: 0 });
  if (f.delaySec !== undefined) rule.delayMs = numberSetting(f.delaySec, 'delaySec', { min: 0 }) * 1000;
  if (f.delayMs !== undefined) rule.delayMs = numberSetting(f.delayMs, 'delayMs', { min: 0 });
  if (f.magnitude !== undefined) rule.magnitude = numberSetting(f.magnitude, 'magnitude', { min: 0 });
  return rule;
}

/** A start time: epoch milliseconds or ISO 8601 text. */
export function parseStart(v: unknown): number {
  const t = parseTimestamp(v);
  if (typeof t === 'string') throw new Error(`start time ${t}`);
  return t.ms;
}
