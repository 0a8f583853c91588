// The editor as a person uses it: Debian's chromium, driven by playwright-core, at 1600 x 1000, with
// the example flows as npm start runs them in a real Node-RED: each tab fits the window; the dialog
// of every node type of the pack, config nodes included, opens with its settings, shows its help
// and keeps a value typed and saved; the config dialogs' test buttons reach the real servers;
// examples come in through Import > Examples sharing their config nodes, and the Full pipeline
// imported that way and deployed with the Deploy button runs with the statuses of a healthy run;
// the README's picture of the Full pipeline is taken here (screenshots/, and docs/images/ with
// UPDATE_SCREENSHOTS=1).
/* eslint-disable @typescript-eslint/no-explicit-any -- the editor's RED global has no types */
import should from 'should';
import fs from 'node:fs';
import net, { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { exampleFlows } from '../../scripts/launch-node-red';
import { readExamples, tabHash } from '../../scripts/playground-flows';
import { seedPastDay } from '../../scripts/seed-past-day';
import { ExampleServices, startExampleServices } from '../support/example-services';
import { NodeRedInstance, startNodeRed } from '../support/node-red-instance';
import { startSmtpSink } from '../support/smtp-sink';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
const ROOT = path.join(__dirname, '..', '..', '..');
const SHOTS = process.env.EDITOR_SCREENSHOTS ?? path.join(ROOT, 'screenshots'); // git-ignored
const LAUNCH_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const VIEWPORT = { width: 1600, height: 1000 };

async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

/** Chromium on the editor at url, at the window size of the pictures. */
async function openEditor(url: string): Promise<{ browser: Browser; page: Page }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { chromium } = require('playwright-core') as typeof import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
  const page = await browser.newPage({ viewport: VIEWPORT });
  await page.goto(url);
  return { browser, page };
}

/** As a user does it: the menu, Import, Examples, this pack, the example, Import; and when
 *  Node-RED says some of its nodes exist already (the shared config nodes), "Import copy". */
async function importExample(page: Page, name: string, expectExisting = false): Promise<void> {
  const nodeCount = () =>
    page.evaluate(() => {
      let n = 0;
      (window as any).RED.nodes.eachNode(() => {
        n++;
      });
      return n;
    });
  const before = await nodeCount();
  await page.click('#red-ui-header-button-sidemenu');
  await page.click('#menu-item-import');
  await page.click('#red-ui-clipboard-dialog >> text=Examples');
  const pack = page.locator('#red-ui-clipboard-dialog .red-ui-treeList-label', {
    hasText: 'node-red-contrib-influxdb3-pipeline',
  });
  const item = page.locator('#red-ui-clipboard-dialog .red-ui-treeList-label', { hasText: name });
  if (!(await item.isVisible())) await pack.click();
  await item.click();
  await page.click('#red-ui-clipboard-dialog-ok');
  await page.waitForSelector('#red-ui-clipboard-dialog', { state: 'hidden' });
  if (expectExisting) {
    await page.click('.red-ui-notification >> button:has-text("Import copy")');
    await page.waitForSelector('.red-ui-notification >> button:has-text("Import copy")', { state: 'detached' });
  }
  // The editor fetches the example after the dialog closes: done when its nodes are in.
  await page.waitForFunction((n) => {
    let now = 0;
    (window as any).RED.nodes.eachNode(() => {
      now++;
    });
    return now > n;
  }, before);
}

/** Every node type of the pack, as package.json lists them for Node-RED. */
const PACK_TYPES = Object.keys(
  (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { 'node-red': { nodes: object } })[
    'node-red'
  ].nodes,
);

/** What a type's help file says: its section headings and its first paragraph, as plain text. */
function helpSource(type: string): { headings: string[]; first: string } {
  const html = fs.readFileSync(path.join(ROOT, 'nodes', type, 'locales', 'en-US', `${type}.html`), 'utf8');
  const text = (h: string) =>
    h
      .replace(/<[^>]+>/g, '')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&')
      .replace(/\s+/g, ' ')
      .trim();
  return {
    headings: [...html.matchAll(/<h3>(.*?)<\/h3>/g)].map((m) => text(m[1])),
    first: text(/<p>([\s\S]*?)<\/p>/.exec(html)?.[1] ?? ''),
  };
}

/** A port on 127.0.0.1 that nothing listens on: one the system just gave out and took back. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('editor in a browser', function () {
  this.timeout(90_000);
  let nr: NodeRedInstance;
  let services: ExampleServices | undefined;
  let browser: Browser;
  let page: Page;

  before(async function () {
    if (!CHROMIUM) {
      const why = "Debian's chromium is not installed (apt-get install chromium)";
      if (process.env.CI === 'true') throw new Error(`CI needs chromium: ${why}`);
      console.log(`      skipped: ${why}`);
      this.skip();
    }
    services = await startExampleServices();
    // A few past hours, as npm start seeds a day, for the tiers the picture shows.
    await seedPastDay({
      url: services.influx.url,
      database: 'iot-sensors',
      retention: '7d',
      endMs: Date.now(),
      hours: 3,
    });
    nr = await startNodeRed();
    // Every example flow, as npm start opens them.
    await nr.deploy(exampleFlows());
    await nr.api('POST', '/inject/fpinjbackfill001');
    ({ browser, page } = await openEditor(nr.url));
    await page.waitForFunction(() => (window as any).RED?.nodes?.node?.('fpvalidate000001'), undefined, {
      timeout: 60_000,
    });
  });

  after(async () => {
    await browser?.close();
    await nr?.stop();
    await services?.stop();
  });

  const shot = (name: string) => screenshot(page, name);
  const edit = (id: string) =>
    page.evaluate((nodeId) => (window as any).RED.editor.edit((window as any).RED.nodes.node(nodeId)), id);
  const closeTray = async () => {
    await page.click('#node-dialog-cancel');
    await page.waitForSelector('.red-ui-tray', { state: 'detached' });
  };

  /** A dialog as a user reaches it: a node's own, or a config node's through the pencil beside the
   *  node's field that selects it (config: that field, e.g. 'server'). */
  interface Dialog {
    node: string;
    config?: string;
  }
  const openDialog = async (d: Dialog) => {
    await edit(d.node);
    await page.waitForSelector('#node-dialog-ok');
    if (d.config) {
      await page.click(`#node-input-btn-${d.config}-edit`);
      await page.waitForSelector('#node-config-dialog-ok');
    }
  };
  /** Closes the config node's tray over the node's, with Update or Cancel. */
  const closeConfig = async (button: 'ok' | 'cancel') => {
    await page.click(`#node-config-dialog-${button}`);
    await page.waitForFunction(() => document.querySelectorAll('.red-ui-tray').length === 1);
  };
  const saveDialog = async (d: Dialog) => {
    if (d.config) await closeConfig('ok');
    await page.click('#node-dialog-ok');
    await page.waitForSelector('.red-ui-tray', { state: 'detached' });
  };
  const cancelDialog = async (d: Dialog) => {
    if (d.config) await closeConfig('cancel');
    await closeTray();
  };
  /** The node a dialog edits, as the editor holds it. */
  const dialogNode = (d: Dialog) =>
    page.evaluate(
      ([node, config]) => {
        const n = (window as any).RED.nodes.node(node);
        return config ? (window as any).RED.nodes.node(n[config]) : n;
      },
      [d.node, d.config ?? ''],
    );

  /** Per type of the pack, what its dialog was seen to do: the last test checks every type did both. */
  const seen = new Map<string, Set<'help' | 'saved'>>();
  const note = (type: string, what: 'help' | 'saved') => seen.set(type, (seen.get(type) ?? new Set()).add(what));

  /** The open dialog's own help button (the book in its footer) brings its type's help to the
   *  sidebar, rendered: its title, the sections and the first paragraph its help file has. */
  async function helpShows(type: string) {
    await page.evaluate(() => (window as any).RED.sidebar.show('info'));
    await page.locator('.red-ui-tray').last().locator('.red-ui-tray-footer-left button:has(i.fa-book)').click();
    const help = page.locator('.red-ui-sidebar-help-stack');
    await help.waitFor({ state: 'visible' });
    const shown = await help.evaluate((el) => ({
      title: el.querySelector('.red-ui-help-title')?.textContent ?? '',
      headings: Array.from(el.querySelectorAll('.red-ui-help .red-ui-help h3')).map((h) => h.textContent?.trim()),
      first: (el.querySelector('.red-ui-help .red-ui-help p')?.textContent ?? '').replace(/\s+/g, ' ').trim(),
    }));
    const label = await page.evaluate((t) => (window as any).RED.nodes.getType(t).paletteLabel ?? t, type);
    const source = helpSource(type);
    should(shown.title).equal(label, `${type}: help title`);
    should(source.first).not.be.empty();
    should(shown.first).equal(source.first, `${type}: first paragraph of its help`);
    should(shown.headings).eql(source.headings, `${type}: sections of its help`);
    if (!(await page.evaluate((t) => (window as any).RED.nodes.getType(t).category === 'config', type)))
      should(shown.headings).containDeep(['Inputs', 'Details']);
    note(type, 'help');
  }

  /** Types value into the open dialog's input, saves (Update, then Done), finds it in the node the
   *  editor holds and in the input when the dialog opens again, and closes that. */
  async function typeSaveReopen(d: Dialog, input: string, value: string) {
    const prop = input.replace(/^#node-(config-)?input-/, '');
    await page.fill(input, value);
    await saveDialog(d);
    const node = await dialogNode(d);
    // Node-RED keeps what an input holds as text, numbers included.
    should(String(node[prop])).equal(value, `${node.type}.${prop} saved`);
    await openDialog(d);
    should(await page.inputValue(input)).equal(value, `${node.type}: ${input} after reopening`);
    await cancelDialog(d);
    note(node.type, 'saved');
  }

  it('fits every example tab in a 1600 x 1000 editor at 100 % zoom, nothing off screen', async () => {
    for (const e of readExamples(path.join(ROOT, 'examples'))) {
      await page.evaluate((id) => (window as any).RED.workspaces.show(id), e.tab.id);
      await page.waitForFunction(
        (id) => (window as any).RED.workspaces.active() === id && document.querySelector('.red-ui-flow-node-group'),
        e.tab.id,
      );
      const out = await page.evaluate(() => {
        const chart = document.getElementById('red-ui-workspace-chart')!;
        const box = chart.getBoundingClientRect();
        const right = box.left + chart.clientWidth;
        const bottom = box.top + chart.clientHeight;
        const off: string[] = [];
        for (const g of Array.from(document.querySelectorAll('#red-ui-workspace-chart .red-ui-flow-node-group'))) {
          const r = g.getBoundingClientRect();
          if (r.left < box.left || r.top < box.top || r.right > right || r.bottom > bottom)
            off.push(
              `${g.id} at ${Math.round(r.left - box.left)},${Math.round(r.top - box.top)} (${Math.round(r.width)} wide)`,
            );
        }
        return {
          off,
          scale: (window as any).RED.view.scale(),
          nodes: document.querySelectorAll('.red-ui-flow-node-group').length,
        };
      });
      await shot(`tab ${e.name}`);
      should(out.scale).equal(1);
      should(out.nodes).be.above(5);
      should(out.off).eql([], `${e.name}: nodes outside the visible editor`);
    }
  });

  it("shows the Full pipeline running, its statuses live: the README's picture", async () => {
    await page.evaluate(() => {
      (window as any).RED.workspaces.show('fullpipelinetab1');
      (window as any).RED.sidebar.show('debug');
    });
    // Statuses as a user sees them a minute after Deploy: readings written, tiers done to a time.
    const statusOf = (id: string) =>
      page.evaluate(
        (nodeId) => document.querySelector(`[id="${nodeId}"] .red-ui-flow-node-status-label`)?.textContent ?? '',
        id,
      );
    const waitStatus = async (id: string, re: RegExp) => {
      for (let i = 0; i < 600 && !re.test(await statusOf(id)); i++) await page.waitForTimeout(100);
      should(await statusOf(id)).match(re, id);
    };
    await waitStatus('fpwriteraw000001', /connected · [1-9][\d.]*k? written/);
    await waitStatus('fpds5min00000001', /done to/);
    await waitStatus('fpds1hour0000001', /done to/);
    await waitStatus('fpmqttin00000001', /connected/);
    await waitStatus('fpvalidate000001', /✓/);
    // A refusal in the debug sidebar, as a user sees one within a minute (the simulator's faults).
    await page.waitForSelector('.red-ui-debug-msg', { timeout: 60_000 });
    await shot('full-pipeline');
    if (process.env.UPDATE_SCREENSHOTS) {
      const images = path.join(ROOT, 'docs', 'images');
      fs.mkdirSync(images, { recursive: true });
      fs.copyFileSync(path.join(SHOTS, 'full-pipeline.png'), path.join(images, 'full-pipeline.png'));
      const full = readExamples(path.join(ROOT, 'examples'))[0];
      fs.writeFileSync(path.join(images, 'full-pipeline.flow-hash'), `${tabHash(full.nodes, full.tab.id)}\n`);
    }
  });

  it('shows the palette entries of the pack', async () => {
    for (const label of ['simulator', 'validate', 'line protocol', 'alert']) {
      should(await page.locator('.red-ui-palette-node', { hasText: label }).first().isVisible()).be.true(label);
    }
  });

  it('edits telemetry-validate, and a new telemetry-schema opens with the reference fleet as a table', async () => {
    const validate = { node: 'fpvalidate000001' };
    await openDialog(validate);
    await page.waitForSelector('#node-input-maxFutureSec');
    should(await page.inputValue('#node-input-maxFutureSec')).equal('300');
    should(await page.inputValue('#node-input-missingTimestamp')).equal('now');
    await helpShows('telemetry-validate');
    await shot('telemetry-validate');
    await page.click('#node-input-btn-schema-add');
    await page.waitForSelector('#node-config-input-rows-list');
    const rows = page.locator('#node-config-input-rows-list > li');
    await page.waitForFunction(() => document.querySelectorAll('#node-config-input-rows-list > li').length > 0);
    should(await rows.count()).equal(22, 'temperature 8 + motion 7 + door 7 rows');
    should(await rows.first().locator('.schema-key').inputValue()).equal('device_id');
    await shot('telemetry-schema-new');
    await closeConfig('cancel');
    await typeSaveReopen(validate, '#node-input-maxFutureSec', '600');
  });

  it('edits the telemetry-schema an example uses: its rows as they were, a row and a setting changed and saved', async () => {
    // The schema of "Bring your own devices", through the pencil of a validate node that uses it.
    const schema = { node: 'byodvalmqtt00001', config: 'schema' };
    await openDialog(schema);
    await page.waitForSelector('#node-config-input-rows-list > li .schema-key');
    should(await page.inputValue('#node-config-input-name')).equal('line sensors (pressure, vibration)');
    should(await page.inputValue('#node-config-input-measurement')).equal('line_sensors');
    should(await page.inputValue('#node-config-input-unknownDeviceTypes')).equal('reject');
    should(await page.isVisible('#node-config-input-inferredTags')).equal(false, 'inferred tags only for infer');
    const rows = page.locator('#node-config-input-rows-list > li');
    should(await rows.count()).equal(9, 'pressure 4 + vibration 5 rows');
    const hpa = rows.nth(3);
    should(await hpa.locator('.schema-key').inputValue()).equal('hpa');
    should(await hpa.locator('.schema-type').inputValue()).equal('float');
    should(await hpa.locator('.schema-unit').inputValue()).equal('hPa');
    should(await hpa.locator('.schema-max').inputValue()).equal('1200');
    await helpShows('telemetry-schema');
    await shot('telemetry-schema');
    // A row typed in a person's way is in the saved rows, the others as they were.
    await hpa.locator('.schema-max').fill('1100');
    await saveDialog(schema);
    const saved = (await dialogNode(schema)).rows as Record<string, unknown>[];
    should(saved.length).equal(9);
    should(saved[3]).containEql({ deviceType: 'pressure', key: 'hpa', kind: 'field', type: 'float', unit: 'hPa' });
    should(saved[3].max).equal(1100, 'a number typed is saved as a number, as the examples have it');
    should(saved.map((r) => r.key)).eql([
      'device_id',
      'device_type',
      'location',
      'hpa',
      'device_id',
      'device_type',
      'location',
      'rms',
      'peak',
    ]);
    await openDialog(schema);
    await page.waitForSelector('#node-config-input-rows-list > li .schema-max');
    should(await page.inputValue('#node-config-input-rows-list > li:nth-child(4) .schema-max')).equal('1100');
    await typeSaveReopen(schema, '#node-config-input-maxStringLength', '2048');
  });

  it('edits telemetry-simulator with its faults listed', async () => {
    const sim = { node: 'fpsim00000000001' };
    await openDialog(sim);
    await page.waitForSelector('#node-input-faults-list');
    should(await page.locator('#node-input-faults-list > li').count()).equal(3);
    should(await page.inputValue('#node-input-intervalSec')).equal('5');
    should(await page.inputValue('#node-input-seed')).equal('factory-1');
    await helpShows('telemetry-simulator');
    await shot('telemetry-simulator');
    await typeSaveReopen(sim, '#node-input-seed', 'factory-2');
  });

  it('edits telemetry-alert: its rules as a list, each with the settings of its kind, saved as they were', async () => {
    const alert = { node: 'fpalert000000001' };
    await openDialog(alert);
    await page.waitForSelector('#node-input-rules-list .alert-kind');
    should(await page.locator('#node-input-rules-list > li').count()).equal(7);
    should(await page.inputValue('#node-input-rules-list > li:first-child .alert-name')).equal('temperature high');
    // A threshold above a level: its level, hysteresis and lifecycle settings; no band.
    should(await page.locator('#node-input-rules-list > li:first-child .alert-param:visible').count()).equal(7);
    should(await page.locator('#node-input-rules-list > li:nth-child(7) .alert-field').isVisible()).be.false(); // dead-man
    should(await page.inputValue('#node-input-maxSeries')).equal('10000');
    await helpShows('telemetry-alert');
    await shot('telemetry-alert');
    const before = await page.evaluate(() => JSON.stringify((window as any).RED.nodes.node('fpalert000000001').rules));
    await typeSaveReopen(alert, '#node-input-maxSeries', '5000');
    const after = await page.evaluate(() => JSON.stringify((window as any).RED.nodes.node('fpalert000000001').rules));
    should(JSON.parse(after)).eql(JSON.parse(before));
  });

  it('edits telemetry-line-protocol', async () => {
    const lp = { node: 'fplp000000000001' };
    await openDialog(lp);
    await page.waitForSelector('#node-input-batchSize');
    should(await page.inputValue('#node-input-batchSize')).equal('5000');
    should(await page.inputValue('#node-input-database')).equal('iot-sensors');
    should(await page.inputValue('#node-input-flushInterval')).equal('10');
    await helpShows('telemetry-line-protocol');
    await shot('telemetry-line-protocol');
    await typeSaveReopen(lp, '#node-input-flushInterval', '5');
  });

  it('edits influxdb3-write, and its server config tests the connection from the dialog', async () => {
    const write = { node: 'fpwriteraw000001' };
    await openDialog(write);
    await page.waitForSelector('#node-input-maxInFlight');
    should(await page.inputValue('#node-input-maxInFlight')).equal('4');
    should(await page.inputValue('#node-input-maxBatchLines')).equal('10000');
    should(await page.inputValue('#node-input-spoolPolicy')).equal('reject');
    should(await page.inputValue('#node-input-server')).equal('influxcfg0000001');
    should(await page.isChecked('#node-input-lastCache')).equal(true, "the raw writer keeps the 'latest' cache");
    // The dialog refuses what the node would refuse (its validators come from the node's settings).
    const invalid = () => page.$eval('#node-input-maxInFlight', (el) => el.classList.contains('input-error'));
    await page.fill('#node-input-maxInFlight', '65');
    await page.dispatchEvent('#node-input-maxInFlight', 'change');
    await page.waitForFunction(() =>
      document.querySelector('#node-input-maxInFlight')?.classList.contains('input-error'),
    );
    await shot('influxdb3-write-invalid');
    await page.fill('#node-input-maxInFlight', '4');
    await page.dispatchEvent('#node-input-maxInFlight', 'change');
    await page.waitForFunction(
      () => !document.querySelector('#node-input-maxInFlight')?.classList.contains('input-error'),
    );
    should(await invalid()).be.false();
    await helpShows('influxdb3-write');
    await shot('influxdb3-write');
    await page.click('#node-input-btn-server-edit');
    await page.waitForSelector('#node-config-input-url');
    should(await page.inputValue('#node-config-input-url')).equal('${INFLUXDB3_URL}');
    should(await page.getAttribute('#node-config-input-token', 'type')).equal('password');
    await page.click('#influxdb3-config-test');
    await page.waitForFunction(() =>
      /Connected|Not connected/.test(document.querySelector('#influxdb3-config-test-result')?.textContent ?? ''),
    );
    should((await page.textContent('#influxdb3-config-test-result')) ?? '').match(/^Connected: InfluxDB 3 .*3\.10\.1/);
    await shot('influxdb3-config');
    // A URL nothing answers on: the button says why, and the dialog stays usable.
    await page.fill('#node-config-input-url', 'http://127.0.0.1:9');
    await page.click('#influxdb3-config-test');
    await page.waitForFunction(() =>
      /Not connected/.test(document.querySelector('#influxdb3-config-test-result')?.textContent ?? ''),
    );
    should((await page.textContent('#influxdb3-config-test-result')) ?? '').match(/ECONNREFUSED/);
    await closeConfig('cancel');
    await typeSaveReopen(write, '#node-input-maxQueueMB', '64');
  });

  it("edits influxdb3-config's own settings; Cancel kept none of the URL the test tried", async () => {
    const config = { node: 'fpwriteraw000001', config: 'server' };
    await openDialog(config);
    await page.waitForSelector('#node-config-input-url');
    should(await page.inputValue('#node-config-input-url')).equal('${INFLUXDB3_URL}');
    should(await page.inputValue('#node-config-input-name')).equal('InfluxDB 3 (url from INFLUXDB3_URL)');
    should(await page.inputValue('#node-config-input-database')).equal('iot-sensors');
    should(await page.inputValue('#node-config-input-timeout')).equal('10');
    should(await page.inputValue('#node-config-input-gzipThreshold')).equal('1000');
    should(await page.isChecked('#node-config-input-allowSelfSigned')).equal(false);
    await helpShows('influxdb3-config');
    await typeSaveReopen(config, '#node-config-input-timeout', '20');
  });

  it('edits influxdb3-query with its SQL in a code editor', async () => {
    const query = { node: 'fpqlatest0000001' };
    await openDialog(query);
    await page.waitForSelector(
      '#node-input-query-editor .red-ui-editor-text-container, #node-input-query-editor .monaco-editor, #node-input-query-editor .ace_editor',
    );
    should(await page.evaluate(() => (window as any).RED.nodes.node('fpqlatest0000001').query)).match(
      /FROM last_cache\('iot_sensors', 'latest'\)/,
    );
    should(await page.inputValue('#node-input-output')).equal('array');
    should(await page.inputValue('#node-input-timeFormat')).equal('iso');
    should(await page.isVisible('#node-input-partSize')).equal(false, 'part size only for parts');
    await page.selectOption('#node-input-output', 'parts');
    should(await page.isVisible('#node-input-partSize')).equal(true);
    await helpShows('influxdb3-query');
    await shot('influxdb3-query');
    await closeTray();
    // Cancel kept the output as it was; the SQL the code editor holds survives a save.
    await openDialog(query);
    should(await page.inputValue('#node-input-output')).equal('array');
    await typeSaveReopen(query, '#node-input-timeColumns', 'time, bucket');
    should(await page.evaluate(() => (window as any).RED.nodes.node('fpqlatest0000001').query)).match(
      /FROM last_cache\('iot_sensors', 'latest'\)/,
    );
  });

  it('edits influxdb3-downsample: its fields as a list with aggregates, percentiles only from raw, saved as they were', async () => {
    const tier = { node: 'fpds5min00000001' };
    await openDialog(tier);
    await page.waitForSelector('#node-input-fields-list .ds-field');
    should(await page.inputValue('#node-input-targetTable')).equal('iot_sensors_5min');
    should(await page.inputValue('#node-input-retention')).equal('90d');
    should(await page.$$eval('.ds-field', (els) => els.map((e) => (e as HTMLInputElement).value))).eql([
      'temperature',
      'humidity',
      'battery_level',
    ]);
    should(await page.inputValue('.ds-pct >> nth=0')).equal('p95');
    should(await page.isEnabled('.ds-pct >> nth=0')).equal(true);
    await page.selectOption('#node-input-sourceKind', 'tier');
    should(await page.isEnabled('.ds-pct >> nth=0')).equal(false, 'no percentiles from a finer tier');
    should(await page.isVisible('#ds-percentile-tip')).equal(true);
    await page.selectOption('#node-input-sourceKind', 'raw');
    await helpShows('influxdb3-downsample');
    await shot('influxdb3-downsample');
    await typeSaveReopen(tier, '#node-input-grace', '90');
    should(await page.evaluate(() => (window as any).RED.nodes.node('fpds5min00000001').fields)).eql([
      { field: 'temperature', aggregates: ['mean', 'min', 'max', 'stddev', 'p95'] },
      { field: 'humidity', aggregates: ['mean'] },
      { field: 'battery_level', aggregates: ['mean', 'min'] },
    ]);
  });

  it('edits telemetry-metrics, and marks an interval out of range', async () => {
    const metrics = { node: 'fpmetrics0000001' };
    await openDialog(metrics);
    await page.waitForSelector('#node-input-intervalSec');
    should(await page.inputValue('#node-input-intervalSec')).equal('10');
    should(await page.inputValue('#node-input-table')).equal('pipeline_metrics');
    await page.fill('#node-input-intervalSec', '0');
    await page.dispatchEvent('#node-input-intervalSec', 'change');
    await page.waitForSelector('#node-input-intervalSec.input-error');
    await page.fill('#node-input-intervalSec', '10');
    await page.dispatchEvent('#node-input-intervalSec', 'change');
    await page.waitForSelector('#node-input-intervalSec:not(.input-error)');
    await helpShows('telemetry-metrics');
    await shot('telemetry-metrics');
    await typeSaveReopen(metrics, '#node-input-intervalSec', '30');
  });

  it('edits telemetry-mqtt-in', async () => {
    const mqttIn = { node: 'fpmqttin00000001' };
    await openDialog(mqttIn);
    await page.waitForSelector('#node-input-topic');
    should(await page.inputValue('#node-input-broker')).equal('mqttbroker000001');
    should(await page.inputValue('#node-input-topic')).equal('iot/sensors/#');
    should(await page.inputValue('#node-input-qos')).equal('1');
    should(await page.inputValue('#node-input-topicTemplate')).equal('iot/sensors/{device_type}/{device_id}');
    should(await page.inputValue('#node-input-journalMB')).equal('100');
    should(await page.inputValue('#node-input-receiptTimeout')).equal('600');
    await helpShows('telemetry-mqtt-in');
    await shot('telemetry-mqtt-in');
    await typeSaveReopen(mqttIn, '#node-input-receiptTimeout', '900');
  });

  it('edits telemetry-mqtt-broker from the mqtt in dialog: the MQTT 5 session expiry only for MQTT 5', async () => {
    const broker = { node: 'fpmqttin00000001', config: 'broker' };
    await openDialog(broker);
    await page.waitForSelector('#node-config-input-url');
    should(await page.inputValue('#node-config-input-url')).equal('${MQTT_URL}');
    should(await page.inputValue('#node-config-input-protocol')).equal('4');
    // Its own client id, not the random one a new broker node is offered.
    should(await page.inputValue('#node-config-input-clientId')).equal('telemetry_example_pipeline');
    should(await page.isChecked('#node-config-input-persistentSession')).equal(true);
    should(await page.inputValue('#node-config-input-keepalive')).equal('60');
    should(await page.getAttribute('#node-config-input-password', 'type')).equal('password');
    // The URL comes from an environment variable and may be mqtts://: the TLS rows are offered.
    should(await page.isVisible('#node-config-input-ca')).equal(true, 'TLS rows for a URL from ${...}');
    await page.fill('#node-config-input-url', 'mqtt://broker.local:1883');
    await page.dispatchEvent('#node-config-input-url', 'change');
    should(await page.isVisible('#node-config-input-ca')).equal(false, 'TLS rows only for mqtts:// and wss://');
    await page.fill('#node-config-input-url', 'mqtts://broker.local:8883');
    await page.dispatchEvent('#node-config-input-url', 'change');
    should(await page.isVisible('#node-config-input-ca')).equal(true, 'TLS rows for mqtts://');
    await page.fill('#node-config-input-url', '${MQTT_URL}');
    await page.dispatchEvent('#node-config-input-url', 'change');
    should(await page.isVisible('#node-config-input-sessionExpiry')).equal(false, 'session expiry only for MQTT 5');
    await page.selectOption('#node-config-input-protocol', '5');
    should(await page.isVisible('#node-config-input-sessionExpiry')).equal(true);
    await page.selectOption('#node-config-input-protocol', '4');
    await helpShows('telemetry-mqtt-broker');
    await shot('telemetry-mqtt-broker');
    await typeSaveReopen(broker, '#node-config-input-keepalive', '30');
  });

  it('edits telemetry-alert-email with its text and HTML in code editors', async () => {
    const email = { node: 'fpemail000000001' };
    await openDialog(email);
    await page.waitForSelector('#node-input-to');
    should(await page.inputValue('#node-input-smtp')).equal('smtpcfg000000001');
    should(await page.inputValue('#node-input-to')).equal('ops@factory.example');
    should(await page.inputValue('#node-input-groupBy')).equal('rule');
    should(await page.inputValue('#node-input-groupWaitSec')).equal('10');
    should(await page.inputValue('#node-input-maxPerHour')).equal('20');
    should(await page.isChecked('#node-input-sendResolved')).equal(true);
    for (const k of ['text', 'html'])
      await page.waitForSelector(
        `#node-input-${k}-editor .red-ui-editor-text-container, #node-input-${k}-editor .monaco-editor, #node-input-${k}-editor .ace_editor`,
      );
    await helpShows('telemetry-alert-email');
    await shot('telemetry-alert-email');
    await typeSaveReopen(email, '#node-input-cc', 'shift@factory.example');
  });

  it("edits telemetry-smtp from the alert email dialog: its test button mails the example's SMTP server, and says why when nothing listens", async () => {
    const smtp = { node: 'fpemail000000001', config: 'smtp' };
    await openDialog(smtp);
    await page.waitForSelector('#node-config-input-host');
    should(await page.inputValue('#node-config-input-host')).equal('${SMTP_HOST}');
    should(await page.inputValue('#node-config-input-port')).equal('${SMTP_PORT}');
    should(await page.inputValue('#node-config-input-security')).equal('none');
    should(await page.inputValue('#node-config-input-from')).equal('node-red@factory.example');
    should(await page.isChecked('#node-config-input-pool')).equal(true);
    should(await page.inputValue('#node-config-input-timeoutSec')).equal('30');
    // The test email, to the SMTP server startExampleServices runs (its host and port from the
    // environment, as the example's config node has them).
    const mailsTo = (to: string) => services!.smtp.mails.filter((m) => m.to.includes(to));
    const sendTest = async (done: RegExp) => {
      await page.click('#telemetry-smtp-test');
      await page.waitForFunction(
        (re) => new RegExp(re).test(document.querySelector('#telemetry-smtp-test-result')?.textContent ?? ''),
        done.source,
      );
      return (await page.textContent('#telemetry-smtp-test-result')) ?? '';
    };
    await page.fill('#telemetry-smtp-test-to', 'maintainer@factory.example');
    should(await sendTest(/^(Accepted|Failed):/)).match(/^Accepted: 250 /);
    should(mailsTo('maintainer@factory.example')).have.length(1);
    const mail = mailsTo('maintainer@factory.example')[0];
    should(mail.from).equal('node-red@factory.example');
    should(mail.parsed.subject).match(/^Test email from Node-RED/);
    await helpShows('telemetry-smtp');
    await shot('telemetry-smtp');
    // A port nothing listens on: the reason, and the dialog stays usable: the next try with the
    // port back reaches the server.
    await page.fill('#node-config-input-port', String(await closedPort()));
    should(await sendTest(/^Failed:/)).match(/ECONNREFUSED/);
    await page.fill('#node-config-input-port', '${SMTP_PORT}');
    should(await sendTest(/^Accepted:/)).match(/^Accepted: 250 /);
    should(mailsTo('maintainer@factory.example')).have.length(2);
    await typeSaveReopen(smtp, '#node-config-input-from', 'alerts@factory.example');
  });

  it("offers OAuth 2 presets in the telemetry-smtp dialog (Microsoft 365, Google) that fill the server, and answers the test email with the provider's failure", async () => {
    const smtp = { node: 'fpemail000000001', config: 'smtp' };
    await openDialog(smtp);
    await page.waitForSelector('#node-config-input-provider');
    const visible = (sel: string) => page.isVisible(sel);
    should(await page.inputValue('#node-config-input-auth')).equal('basic');
    should(await visible('#node-config-input-password')).be.true();
    should(await visible('#node-config-input-tokenUrl')).be.false();
    await page.selectOption('#node-config-input-auth', 'oauth2-refresh');
    await page.selectOption('#node-config-input-provider', 'microsoft365');
    should(await page.inputValue('#node-config-input-host')).equal('smtp.office365.com');
    should(await page.inputValue('#node-config-input-port')).equal('587');
    should(await page.inputValue('#node-config-input-security')).equal('starttls');
    should(await page.inputValue('#node-config-input-tokenUrl')).match(
      /^https:\/\/login\.microsoftonline\.com\/.+\/oauth2\/v2\.0\/token$/,
    );
    should(await page.inputValue('#node-config-input-scope')).containEql('SMTP.Send');
    should(await visible('#node-config-input-refreshToken')).be.true();
    should(await visible('#node-config-input-password')).be.false();
    await shot('telemetry-smtp-microsoft365');
    await page.selectOption('#node-config-input-provider', 'google');
    should(await page.inputValue('#node-config-input-host')).equal('smtp.gmail.com');
    should(await page.inputValue('#node-config-input-port')).equal('465');
    should(await page.inputValue('#node-config-input-security')).equal('tls');
    should(await page.inputValue('#node-config-input-scope')).equal('https://mail.google.com/');
    // Everything stays editable, and the test email says what the token endpoint answered: here
    // an SMTP server that takes only XOAUTH2, and a token endpoint where nothing answers.
    const oauthOnly = await startSmtpSink({
      starttls: false,
      oauth2: { user: 'alerts@factory.example', valid: () => false },
    });
    await page.fill('#node-config-input-host', '127.0.0.1');
    await page.fill('#node-config-input-port', String(oauthOnly.port));
    await page.selectOption('#node-config-input-security', 'none');
    await page.fill('#node-config-input-tokenUrl', `http://127.0.0.1:${await closedPort()}/token`);
    await page.fill('#node-config-input-clientId', 'client-1');
    await page.fill('#node-config-input-user', 'alerts@factory.example');
    await page.fill('#node-config-input-refreshToken', 'refresh-1');
    await page.fill('#telemetry-smtp-test-to', 'maintainer@factory.example');
    await page.click('#telemetry-smtp-test');
    await page.waitForFunction(() =>
      /^Failed:/.test(document.querySelector('#telemetry-smtp-test-result')?.textContent ?? ''),
    );
    const answer = (await page.textContent('#telemetry-smtp-test-result')) ?? '';
    should(answer)
      .match(/OAuth 2/)
      .and.match(/ECONNREFUSED/);
    should(answer).not.containEql('refresh-1');
    await shot('telemetry-smtp-google');
    await oauthOnly.stop();
    await cancelDialog(smtp);
    const kept = await dialogNode(smtp);
    should(kept.host).equal('${SMTP_HOST}');
    should(kept.auth ?? 'basic').equal('basic');
  });

  it('opened the dialog of every node type of the pack, config nodes included: its help shown, a value typed saved', () => {
    should(PACK_TYPES).have.length(14);
    for (const type of PACK_TYPES) should([...(seen.get(type) ?? [])].sort()).eql(['help', 'saved'], type);
  });
});

describe('Import > Examples in a browser', function () {
  this.timeout(90_000);
  let nr: NodeRedInstance;
  let browser: Browser;
  let page: Page;

  before(async function () {
    if (!CHROMIUM) {
      if (process.env.CI === 'true') throw new Error("CI needs Debian's chromium");
      this.skip();
    }
    nr = await startNodeRed();
    ({ browser, page } = await openEditor(nr.url));
    await page.waitForSelector('#red-ui-header-button-sidemenu');
    await page.waitForFunction(() => (window as any).RED?.workspaces?.active?.());
  });
  after(async () => {
    await browser?.close();
    await nr?.stop();
  });

  const configNodes = () =>
    page.evaluate(() => {
      const ids: string[] = [];
      (window as any).RED.nodes.eachConfig((n: { type: string; id: string }) => {
        if (n.type === 'influxdb3-config' || n.type === 'telemetry-smtp') ids.push(`${n.type} ${n.id}`);
      });
      return ids.sort();
    });

  it('imports an example, then a second one that reuses the config nodes the first brought (Import copy copies the flow, not them)', async () => {
    await importExample(page, '03 - Anomaly detection');
    should(await configNodes()).eql(['influxdb3-config influxcfg0000001', 'telemetry-smtp smtpcfg000000001']);
    await importExample(page, '02 - Quick start without a broker', true);
    should(await configNodes()).eql(['influxdb3-config influxcfg0000001', 'telemetry-smtp smtpcfg000000001']);
    const tabs = await page.evaluate(() => {
      const labels: string[] = [];
      (window as any).RED.nodes.eachWorkspace((w: { label: string }) => labels.push(w.label));
      return labels;
    });
    should(tabs).containDeep(['Anomaly detection', 'Quick start without a broker']);
    await screenshot(page, 'import-two-examples');
  });
});

describe('the Full pipeline imported and deployed in a browser', function () {
  this.timeout(120_000);
  let nr: NodeRedInstance;
  let services: ExampleServices | undefined;
  let browser: Browser;
  let page: Page;

  before(async function () {
    if (!CHROMIUM) {
      if (process.env.CI === 'true') throw new Error("CI needs Debian's chromium");
      this.skip();
    }
    // The services in the environment the example's config nodes read (INFLUXDB3_URL, MQTT_URL,
    // SMTP_HOST, SMTP_PORT), set before Node-RED starts.
    services = await startExampleServices();
    // A few past hours of readings, as npm start seeds a day. On an empty database the two tiers
    // rightly say "no source table ... yet" (yellow) until the first bucket with readings closes,
    // up to 6 minutes after Deploy depending on the time of day: true, but no state to wait for.
    await seedPastDay({
      url: services.influx.url,
      database: 'iot-sensors',
      retention: '7d',
      endMs: Date.now(),
      hours: 3,
    });
    nr = await startNodeRed();
    ({ browser, page } = await openEditor(nr.url));
    await page.waitForSelector('#red-ui-header-button-sidemenu');
    await page.waitForFunction(() => (window as any).RED?.workspaces?.active?.());
  });
  after(async () => {
    await browser?.close();
    await nr?.stop();
    await services?.stop();
  });

  /** What the shown tab's nodes show under them: the dot (shape-fill, or - for none) and the text,
   *  for each node that shows either. Node-RED hides a status's dot without clearing its class, and
   *  a debug node keeps an empty status until its first message: neither shows anything. */
  const statuses = () =>
    page.evaluate(() => {
      const out: Record<string, string> = {};
      for (const g of Array.from(document.querySelectorAll('#red-ui-workspace-chart .red-ui-flow-node-group'))) {
        const group = g.querySelector<SVGElement>('.red-ui-flow-node-status-group');
        if (!group || group.style.display === 'none') continue;
        const shape = g.querySelector<SVGElement>('.red-ui-flow-node-status');
        const dot =
          shape && shape.style.display !== 'none'
            ? /red-ui-flow-node-status-(\S+)/.exec(shape.getAttribute('class') ?? '')?.[1]
            : undefined;
        const text = g.querySelector('.red-ui-flow-node-status-label')?.textContent ?? '';
        if (dot || text) out[g.id] = `${dot ?? '-'} ${text}`;
      }
      return out;
    });
  /** Polls the statuses until done holds for them or ms pass; the last ones, for the assertions. */
  const statusesWhen = async (done: (now: Record<string, string>) => boolean, ms: number) => {
    let now = await statuses();
    for (const end = Date.now() + ms; !done(now) && Date.now() < end; now = await statuses())
      await page.waitForTimeout(250);
    return now;
  };
  /** The button on the left of an inject node, as a user clicks it. */
  const inject = async (id: string) => {
    await page.click(`[id="${id}"] .red-ui-flow-node-button-button`);
    await page.waitForSelector('.red-ui-notification-success >> text=Successfully injected');
  };

  it('imports 01 - Full pipeline from Import > Examples, deploys it with the Deploy button, and shows the statuses of a healthy run', async () => {
    await importExample(page, '01 - Full pipeline');
    await page.evaluate(() => (window as any).RED.workspaces.show('fullpipelinetab1'));
    should(await page.evaluate(() => (window as any).RED.nodes.node('fpmqttin00000001')?.z)).equal('fullpipelinetab1');
    await page.click('#red-ui-header-button-deploy');
    await page.waitForSelector('.red-ui-notification-success >> text=Successfully deployed');
    should(await page.getAttribute('#red-ui-header-button-deploy', 'class')).match(/disabled/);

    // Readings on their way: simulator -> MQTT broker -> mqtt in -> validate -> batches -> InfluxDB 3.
    const written = /^dot-green connected · [1-9][\d.]*k? written$/;
    const flowing = await statusesWhen((now) => written.test(now.fpwriteraw000001 ?? ''), 60_000);
    should(flowing.fpwriteraw000001).match(written);
    // The example's own buttons, as a user presses them: "backfill the past day" computes the
    // tiers of the seeded hours (npm start does the same after seeding; the hourly tier takes the
    // backfill from the 5-minute tier's output), "latest reading per device" runs the query once,
    // for its status and its debug node's.
    await inject('fpinjbackfill001');
    // The last value cache the raw writer creates after its first write holds what is written from
    // then on (InfluxDB 3 fills it on write only): until every device has reported once more, a
    // few seconds, it has fewer than 80 rows, and the button is pressed again as a user would.
    for (const end = Date.now() + 30_000; ;) {
      await inject('fpinjlatest00001');
      const rows = await statusesWhen((now) => / rows in /.test(now.fpqlatest0000001 ?? ''), 10_000);
      if (/^dot-green 80 rows/.test(rows.fpqlatest0000001 ?? '') || Date.now() > end) break;
      await page.waitForSelector('.red-ui-notification', { state: 'detached' });
      await page.waitForTimeout(2_000);
    }

    // What a healthy run shows, node by node. Green where a node says all is well; three are not
    // green by design, and say so:
    // - validate is yellow once it has refused a reading (✗ > 0): the example's simulator sends
    //   malformed and out-of-range readings on purpose (its faults), and the refusals are the point
    //   of the example (they go to the "refused" debug node).
    // - line protocol is blue: its status is a count of lines buffered for the next batch, neither
    //   good nor bad (red only when its buffer overflowed).
    // - the core debug nodes: "refused" counts messages in blue (the debug node's counter), "latest"
    //   shows the device count in grey (the debug node's own colour for a status expression).
    // No alert fires in a healthy minute of the reference fleet, so the alert node is green with
    // "0 firing" and the email node green with "0 sent" (an alert would make them red and yellow).
    // The inject nodes, the comment and the other two debug nodes ("tier runs", "alerts") show none.
    const HEALTHY: Record<string, RegExp> = {
      fpsim00000000001: /^dot-green 80 dev /,
      fpmqttout0000001: /^dot-green connected$/,
      fpmqttin00000001: /^dot-green connected · /,
      fpvalidate000001: /^dot-yellow ✓[\d.]+k? ✗[1-9][\d.]*k?$/,
      fplp000000000001: /^(dot|ring)-blue [\d.]+k? buffered$/,
      fpwriteraw000001: written,
      fpdbgrefused0001: /^ring-blue [1-9]\d*$/,
      fpds5min00000001: /^dot-green done to \d{4}-\d\d-\d\d \d\d:\d\d$/,
      fpds1hour0000001: /^dot-green done to \d{4}-\d\d-\d\d \d\d:\d\d$/,
      fpalert000000001: /^dot-green 0 firing$/,
      fpemail000000001: /^dot-green 0 sent$/,
      fpwritealert0001: /^dot-green connected · 0 written$/,
      fpqlatest0000001: /^dot-green 80 rows in \d+ ms$/,
      fpdbglatest00001: /^dot-grey 80 devices$/,
      // The pipeline's own metrics, written to InfluxDB 3 every 10 s by the same durable writer.
      fpmetrics0000001: /^dot-green [1-9]\d* series · every 10 s$/,
      fpwritemetrics01: written,
    };
    const shown = await statusesWhen(
      (now) =>
        Object.keys(now).sort().join() === Object.keys(HEALTHY).sort().join() &&
        Object.entries(HEALTHY).every(([id, re]) => re.test(now[id])),
      60_000,
    );
    const all = JSON.stringify(shown, null, 1);
    should(Object.keys(shown).sort()).eql(Object.keys(HEALTHY).sort(), `nodes with a status: ${all}`);
    for (const [id, re] of Object.entries(HEALTHY)) should(shown[id]).match(re, `${id} in ${all}`);
    // The picture without the "Successfully injected" notice over the header.
    await page.waitForSelector('.red-ui-notification', { state: 'detached' });
    await screenshot(page, 'import-full-pipeline-deployed');
  });
});
