// A topic template such as iot/sensors/{device_type}/{device_id}: the values of the named levels
// of a message's topic fill the keys its readings lack (the simulator publishes to topics built
// this way). A reading's own value always wins.

export type TopicKeys = (topic: string) => Record<string, string> | undefined;

export function compileTopicTemplate(template: string): TopicKeys | undefined {
  const text = template.trim();
  if (!text) return undefined;
  const levels = text.split('/');
  const names = new Set<string>();
  const pattern = levels.map((level): { key?: string; text: string } => {
    const m = /^\{([A-Za-z_][A-Za-z0-9_.-]*)\}$/.exec(level);
    if (m) {
      if (names.has(m[1])) throw new Error(`Topic template: {${m[1]}} appears twice`);
      names.add(m[1]);
      return { key: m[1], text: level };
    }
    if (/[{}]/.test(level))
      throw new Error(`Topic template: "${level}" must be a whole level such as {device_id}, or plain text`);
    return { text: level };
  });
  if (names.size === 0) throw new Error('Topic template: name at least one level, e.g. iot/sensors/{device_id}');
  const rest = pattern[pattern.length - 1].text === '#';
  return (topic) => {
    const parts = topic.split('/');
    if (rest ? parts.length < pattern.length - 1 : parts.length !== pattern.length) return undefined;
    const keys: Record<string, string> = {};
    for (let i = 0; i < pattern.length; i++) {
      const p = pattern[i];
      if (p.key !== undefined) {
        if (!parts[i]) return undefined;
        keys[p.key] = parts[i];
      } else if (p.text !== '+' && p.text !== '#' && p.text !== parts[i]) return undefined;
    }
    return keys;
  };
}

/** Fills the keys a reading lacks; readings that are not objects are left for the validator. */
export function fillFromTopic(reading: unknown, keys: Record<string, string>): void {
  if (typeof reading !== 'object' || reading === null || Array.isArray(reading)) return;
  const r = reading as Record<string, unknown>;
  for (const k in keys) if (r[k] === undefined) r[k] = keys[k];
}
