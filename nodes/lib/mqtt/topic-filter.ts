// MQTT topic filters: checked when a node starts (so a typo is a clear error, not a silent
// subscription to nothing) and matched against the topics of arriving messages, so one broker
// connection can serve several telemetry-mqtt-in nodes. A shared subscription
// ($share/<group>/<filter>) matches as its filter does.

export interface TopicFilter {
  /** What is sent to the broker, $share prefix included. */
  subscription: string;
  /** The filter topics are matched against. */
  filter: string;
  /** The share group, for $share subscriptions. */
  group?: string;
  matches(topic: string): boolean;
}

export function parseTopicFilter(text: string): TopicFilter {
  const subscription = text.trim();
  if (!subscription) throw new Error('Topic: a topic filter is required, e.g. iot/sensors/#');
  // TextEncoder rather than Buffer: the editor checks topics with this module too.
  if (new TextEncoder().encode(subscription).length > 65535)
    throw new Error('Topic: longer than MQTT allows (65,535 bytes)');
  if (subscription.includes('\u0000')) throw new Error('Topic: contains a NUL character');
  let filter = subscription;
  let group: string | undefined;
  if (subscription.startsWith('$share/')) {
    const rest = subscription.slice('$share/'.length);
    const slash = rest.indexOf('/');
    group = slash < 0 ? rest : rest.slice(0, slash);
    filter = slash < 0 ? '' : rest.slice(slash + 1);
    if (!group || /[+#]/.test(group))
      throw new Error(`Topic: "${subscription}" needs a share group name without + or #: $share/<group>/<filter>`);
    if (!filter) throw new Error(`Topic: "${subscription}" has no filter after the group: $share/<group>/<filter>`);
  }
  const levels = filter.split('/');
  levels.forEach((level, i) => {
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1))
      throw new Error(`Topic: "#" must be a whole level and the last one ("${subscription}")`);
    if (level.includes('+') && level !== '+') throw new Error(`Topic: "+" must be a whole level ("${subscription}")`);
  });
  return { subscription, filter, group, matches: (topic) => topicMatches(levels, topic) };
}

function topicMatches(levels: string[], topic: string): boolean {
  const parts = topic.split('/');
  // Wildcards at the first level do not match topics starting with $ ($SYS): MQTT 3.1.1 4.7.2.
  if (topic.startsWith('$') && (levels[0] === '+' || levels[0] === '#')) return false;
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    if (level === '#') return true; // also matches the parent level: "a/#" matches "a"
    if (i >= parts.length) return false;
    if (level !== '+' && level !== parts[i]) return false;
  }
  return parts.length === levels.length;
}
