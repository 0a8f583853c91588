// What a Node-RED with the pack installed must serve, checked through its Admin API alone (so the
// same checks run on an in-process Node-RED and on one installed from the tarball in a child
// process): every node type registered without error, each with its editor, help and icon. Each
// check returns what is wrong, in words, an empty list when nothing is.
import { PACK_NAME, type AdminApi } from '../node-red-instance';

export { PACK_NAME };

export const TYPES = [
  'telemetry-schema',
  'telemetry-simulator',
  'telemetry-validate',
  'telemetry-line-protocol',
  'telemetry-alert',
  'telemetry-smtp',
  'telemetry-alert-email',
  'influxdb3-config',
  'influxdb3-write',
  'influxdb3-query',
  'influxdb3-downsample',
  'telemetry-mqtt-broker',
  'telemetry-mqtt-in',
  'telemetry-metrics',
];
export const CONFIG_ONLY = ['telemetry-schema', 'influxdb3-config', 'telemetry-smtp', 'telemetry-mqtt-broker'];

export async function registrationProblems(api: AdminApi): Promise<string[]> {
  const res = await api('GET', '/nodes');
  if (res.status !== 200) return [`GET /nodes answered ${res.status}`];
  const sets = (res.json() as { module: string; types: string[]; enabled: boolean; err?: string }[]).filter(
    (s) => s.module === PACK_NAME,
  );
  const problems: string[] = [];
  const types = sets.flatMap((s) => s.types);
  for (const t of TYPES) if (!types.includes(t)) problems.push(`${t} not registered`);
  // Type names are global across every installed pack: each of ours carries the pack's prefix.
  for (const t of types)
    if (!TYPES.includes(t) || !/^(telemetry|influxdb3)-/.test(t)) problems.push(`unexpected type ${t}`);
  for (const s of sets) {
    if (s.err) problems.push(`${s.types.join(', ')}: ${s.err}`);
    else if (!s.enabled) problems.push(`${s.types.join(', ')}: not enabled`);
  }
  return problems;
}

export async function editorProblems(api: AdminApi): Promise<string[]> {
  const res = await api('GET', '/nodes', undefined, 'text/html');
  if (res.status !== 200) return [`GET /nodes (html) answered ${res.status}`];
  const problems: string[] = [];
  for (const type of TYPES) {
    if (!res.body.includes(`RED.nodes.registerType('${type}'`)) problems.push(`${type}: no editor registration`);
    if (!res.body.includes(`data-template-name="${type}"`)) problems.push(`${type}: no editor template`);
    if (!new RegExp(`data-help-name="${type}">\\s*<p>\\S`).test(res.body)) problems.push(`${type}: no help text`);
  }
  for (const type of TYPES.filter((t) => !CONFIG_ONLY.includes(t))) {
    const help = res.body.slice(res.body.indexOf(`data-help-name="${type}"`));
    const own = help.slice(0, help.indexOf('</script>'));
    for (const h of ['Inputs', 'Outputs', 'Details'])
      if (!own.includes(`<h3>${h}</h3>`)) problems.push(`${type}: help has no ${h}`);
  }
  const messages = await api('GET', `/locales/${PACK_NAME}/telemetry-validate?lng=en-US`);
  let label: unknown;
  try {
    label = messages.json()['telemetry-validate'].label.schema;
  } catch {
    label = undefined;
  }
  if (label !== 'Schema') problems.push(`messages not served (${messages.status})`);
  return problems;
}

export async function iconProblems(api: AdminApi): Promise<string[]> {
  const problems: string[] = [];
  for (const type of TYPES.filter((t) => !CONFIG_ONLY.includes(t))) {
    const res = await api('GET', `/icons/${PACK_NAME}/${type}.svg`, undefined, '*/*');
    if (res.status !== 200 || !res.body.startsWith('<svg')) problems.push(`icon of ${type}: ${res.status}`);
  }
  return problems;
}

/** The pack's examples as Import > Examples lists and reads them: Node-RED's library of examples. */
export async function examplesListed(api: AdminApi): Promise<{ names: string[]; problems: string[] }> {
  const root = await api('GET', '/library/examples/flows/');
  if (root.status !== 200) return { names: [], problems: [`examples library answered ${root.status}`] };
  // The top level lists the modules that have examples, by name.
  const listing = root.json() as unknown[];
  if (!listing.includes(PACK_NAME))
    return { names: [], problems: [`the pack is not among the examples (${root.body.slice(0, 200)})`] };
  const own = await api('GET', `/library/examples/flows/${PACK_NAME}/`);
  const names = (own.json() as { fn?: string }[]).flatMap((e) => (e.fn ? [e.fn] : []));
  return { names, problems: names.length === 0 ? ['no examples listed'] : [] };
}

export async function exampleFlow(api: AdminApi, name: string): Promise<object[]> {
  const res = await api('GET', `/library/examples/flows/${PACK_NAME}/${encodeURIComponent(name)}`);
  if (res.status !== 200) throw new Error(`example ${name} answered ${res.status}`);
  return res.json() as object[];
}
