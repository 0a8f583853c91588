// A node's settings declared once: default, kind and range of each, and the config version with
// the steps that bring an older saved config up to it. The runtime reads a node's config through
// the declaration; the build ships the same declaration to the editor (nodes/editor), whose
// dialog defaults and validators are made from it, so the dialog refuses what the node would refuse.

import { choiceProblem, numberProblem } from '../settings';

export interface NumberSetting {
  kind: 'number';
  value: number;
  /** The dialog's label, used in the message that says what to fix. */
  label: string;
  min?: number;
  max?: number;
  integer?: boolean;
}

export interface TextSetting {
  kind: 'text';
  value: string;
  /** Set for text that may not be empty; the label names it in the message. */
  required?: { label: string };
  /** The problem with a value, or undefined when it is fine. */
  check?: (value: string) => string | undefined;
}

export interface ChoiceSetting<T extends string = string> {
  kind: 'choice';
  value: T;
  label: string;
  options: readonly T[];
}

export interface FlagSetting {
  kind: 'flag';
  value: boolean;
}

/** A config node the node uses (a server, a broker, a schema). */
export interface ConfigNodeSetting {
  kind: 'config-node';
  value: '';
  nodeType: string;
  required: boolean;
}

/** Structured values the dialog edits with its own controls (rules, tiers, fields). */
export interface DataSetting<T> {
  kind: 'data';
  value: T;
  check?: (value: unknown) => string | undefined;
}

export type Setting =
  NumberSetting | TextSetting | ChoiceSetting | FlagSetting | ConfigNodeSetting | DataSetting<unknown>;

export type SettingsShape = Record<string, Setting>;

/** What reading a config gives: numbers as numbers, choices as their union, data as its type. */
export type SettingValues<S extends SettingsShape> = {
  [K in keyof S]: S[K] extends NumberSetting
    ? number
    : S[K] extends { kind: 'choice'; options: readonly (infer T)[] }
      ? T
      : S[K] extends FlagSetting
        ? boolean
        : S[K] extends DataSetting<infer T>
          ? T
          : string;
} & { name: string; version: number };

/** One step of a migration: a config saved as version `from` -> the same config as version from + 1. */
export type Migration = (config: Record<string, unknown>) => Record<string, unknown>;

export interface NodeSettings<S extends SettingsShape> {
  readonly type: string;
  readonly version: number;
  readonly settings: S;
  /** The defaults, as a new node gets them. */
  defaults(): SettingValues<S>;
  /** A saved config (any earlier version, properties missing from older flows) as this version saves it. */
  migrate(saved: object): Record<string, unknown>;
  /** The problem with one setting's value as the dialog or a flow holds it; undefined when fine. */
  problem(name: string, value: unknown): string | undefined;
  /** A node's config, migrated and checked; throws with the first problem, named by its label. */
  read(saved: object): SettingValues<S>;
}

/** `migrations[i]` turns a version i + 1 config into version i + 2; version 1 has none before it. */
export function declareSettings<S extends SettingsShape>(
  type: string,
  settings: S,
  migrations: readonly Migration[] = [],
): NodeSettings<S> {
  const version = migrations.length + 1;
  const defaults = () => {
    const out: Record<string, unknown> = { name: '', version };
    for (const [k, s] of Object.entries(settings)) out[k] = copyOf(s.value);
    return out as SettingValues<S>;
  };
  const migrate = (saved: object) => {
    let config = { ...(saved as Record<string, unknown>) };
    const from = typeof config.version === 'number' && config.version >= 1 ? Math.floor(config.version) : 1;
    for (let v = from; v < version; v++) config = migrations[v - 1]({ ...config });
    for (const [k, s] of Object.entries(settings)) if (isUnset(s, config[k])) config[k] = copyOf(s.value);
    if (typeof config.name !== 'string') config.name = '';
    config.version = version;
    return config;
  };
  const problem = (name: string, value: unknown): string | undefined => {
    const s = settings[name];
    if (!s || isEnvironmentVariable(value)) return undefined;
    return settingProblem(s, isUnset(s, value) ? s.value : value);
  };
  const read = (saved: object) => {
    const config = migrate(saved);
    for (const [k, s] of Object.entries(settings)) {
      const p = settingProblem(s, config[k]);
      if (p) throw new Error(p);
      if (s.kind === 'number') config[k] = Number(config[k]);
      else if (s.kind === 'text' || s.kind === 'config-node' || s.kind === 'choice') config[k] = String(config[k]);
    }
    return config as SettingValues<S>;
  };
  return { type, version, settings, defaults, migrate, problem, read };
}

/** ${NAME}: Node-RED puts the environment variable's value in its place at deploy, and the
 *  runtime checks that value. */
function isEnvironmentVariable(v: unknown): boolean {
  return typeof v === 'string' && /^\$\{\w+\}$/.test(v.trim());
}

/** Missing from the config, so the default applies: flows saved before a setting existed lack it,
 *  and the dialog stores an emptied number field as ''. */
function isUnset(s: Setting, v: unknown): boolean {
  if (v === undefined || v === null) return true;
  return v === '' && (s.kind === 'number' || s.kind === 'choice' || s.kind === 'flag');
}

function settingProblem(s: Setting, v: unknown): string | undefined {
  switch (s.kind) {
    case 'number':
      return numberProblem(v, s.label, s);
    case 'choice':
      return choiceProblem(typeof v === 'number' ? String(v) : v, s.options, s.label);
    case 'flag':
      return typeof v === 'boolean' ? undefined : `expected true or false, got "${String(v)}"`;
    case 'text':
      if (typeof v !== 'string' && typeof v !== 'number') return `expected text, got ${typeof v}`;
      if (s.required && String(v).trim() === '') return `${s.required.label} is required`;
      return s.check?.(String(v));
    case 'config-node':
      return typeof v === 'string' ? undefined : `expected the id of a ${s.nodeType} node`;
    case 'data':
      return s.check?.(v);
  }
}

function copyOf<T>(v: T): T {
  return v !== null && typeof v === 'object' ? (JSON.parse(JSON.stringify(v)) as T) : v;
}
