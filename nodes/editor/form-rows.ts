// The rows every dialog of the pack has (its name, and a picker per config node it uses), written
// once here and put into each node's html by the build wherever the template says
// <!-- row: name --> or <!-- row: <setting> -->. Node-RED fills a dialog's inputs from its template
// before any script of ours runs, so these rows must be in the template itself.

import { allNodeSettings } from './all-node-settings';

/** The icon of each config node's picker. */
const PICKER_ICONS: Record<string, string> = {
  'influxdb3-config': 'fa-server',
  'telemetry-schema': 'fa-table',
  'telemetry-mqtt-broker': 'fa-globe',
  'telemetry-smtp': 'fa-server',
};

const ROW_MARKER = /^([ \t]*)<!-- row: ([A-Za-z0-9_]+) -->$/gm;

/** The html with each row marker replaced by its row; config nodes' dialogs use node-config-input-. */
export function expandFormRows(html: string, type: string): string {
  const settings = allNodeSettings.find((s) => s.type === type);
  if (!settings) throw new Error(`${type} has no declared settings`);
  const prefix = /category:\s*'config'/.test(html) ? 'node-config-input' : 'node-input';
  return html.replace(ROW_MARKER, (_, indent: string, name: string) => {
    let icon = 'fa-tag';
    if (name !== 'name') {
      const s = (settings.settings as Record<string, { kind: string; nodeType?: string }>)[name];
      if (s?.kind !== 'config-node')
        throw new Error(`${type}: "${name}" is neither the name nor a config node setting`);
      icon = PICKER_ICONS[s.nodeType!] ?? 'fa-cog';
    }
    return [
      `${indent}<div class="form-row">`,
      `${indent}  <label for="${prefix}-${name}"><i class="fa ${icon}"></i> <span data-i18n="${type}.label.${name}"></span></label>`,
      `${indent}  <input type="text" id="${prefix}-${name}">`,
      `${indent}</div>`,
    ].join('\n');
  });
}
