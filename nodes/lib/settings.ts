// Checked values with messages a person can act on: numbers as the editor or a message holds
// them (often as strings), choices, and errors as text. A node's own settings are declared in its
// settings.ts (lib/node-settings/declared-settings.ts), which checks them with these.

/** A number from a setting or a message (which may hold it as a string), checked. */
export function numberSetting(value: unknown, what: string, opts: NumberRange = {}): number {
  const problem = numberProblem(value, what, opts);
  if (problem) throw new Error(problem);
  return typeof value === 'number' ? value : Number(String(value).trim());
}

export interface NumberRange {
  min?: number;
  max?: number;
  integer?: boolean;
}

/** What is wrong with a number setting, in words a person can act on; undefined when it is fine. */
export function numberProblem(value: unknown, what: string, opts: NumberRange = {}): string | undefined {
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  const ok =
    (typeof value === 'number' || typeof value === 'string') &&
    String(value).trim() !== '' &&
    Number.isFinite(n) &&
    (opts.min === undefined || n >= opts.min) &&
    (opts.max === undefined || n <= opts.max) &&
    (!opts.integer || Number.isInteger(n));
  if (ok) return undefined;
  const range = [
    opts.min !== undefined ? `at least ${opts.min}` : '',
    opts.max !== undefined ? `at most ${opts.max}` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  return `${what} must be ${opts.integer ? 'a whole number' : 'a number'}${range ? ` ${range}` : ''}, got "${String(value)}"`;
}

export function oneOf<T extends string>(value: unknown, allowed: readonly T[], what: string): T {
  const problem = choiceProblem(value, allowed, what);
  if (problem) throw new Error(problem);
  return value as T;
}

export function choiceProblem(value: unknown, allowed: readonly string[], what: string): string | undefined {
  return allowed.includes(value as string)
    ? undefined
    : `${what} must be one of ${allowed.join(', ')}, got "${String(value)}"`;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The message of what a check throws, or undefined when it passes: a parser turned into a
 *  setting's check, so the dialog says what the runtime would. */
export function problemOf(check: () => unknown): string | undefined {
  try {
    check();
    return undefined;
  } catch (e) {
    return errorMessage(e);
  }
}
