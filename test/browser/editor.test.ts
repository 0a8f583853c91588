// The editor as a person uses it: Debian's chromium, driven by playwright-core, at 1600 x 1000, with
// the example flows as npm start runs them in a real Node-RED: each tab fits the window, the edit
// dialogs open with their settings, examples come in through Import > Examples sharing their config
// nodes, and the README's picture of the Full pipeline is taken here (screenshots/, and
// docs/images/ with UPDATE_SCREENSHOTS=1).
/* eslint-disable @typescript-eslint/no-explicit-any -- the editor's RED global has no types */
import should from 'should';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { exampleFlows } from '../../scripts/launch-node-red';
import { readExamples, tabHash } from '../../scripts/playground-flows';
import { seedPastDay } from '../../scripts/seed-past-day';
import { ExampleServices, startExampleServices } from '../support/example-services';
import { NodeRedInstance, startNodeRed } from '../support/node-red-instance';

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
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { chromium } = require('playwright-core') as typeof import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
    page = await browser.newPage({ viewport: VIEWPORT });
    await page.goto(nr.url);
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
    await edit('fpvalidate000001');
    await page.waitForSelector('#node-input-maxFutureSec');
    should(await page.inputValue('#node-input-maxFutureSec')).equal('300');
    should(await page.inputValue('#node-input-missingTimestamp')).equal('now');
    await shot('validate');
    await page.click('#node-input-btn-schema-add');
    await page.waitForSelector('#node-config-input-rows-list');
    const rows = page.locator('#node-config-input-rows-list > li');
    await page.waitForFunction(() => document.querySelectorAll('#node-config-input-rows-list > li').length > 0);
    should(await rows.count()).equal(22, 'temperature 8 + motion 7 + door 7 rows');
    should(await rows.first().locator('.schema-key').inputValue()).equal('device_id');
    await shot('schema');
    await page.click('#node-config-dialog-cancel');
    await closeTray();
  });

  it('edits telemetry-simulator with its faults listed', async () => {
    await edit('fpsim00000000001');
    await page.waitForSelector('#node-input-faults-list');
    should(await page.locator('#node-input-faults-list > li').count()).equal(3);
    should(await page.inputValue('#node-input-intervalSec')).equal('5');
    await shot('simulator');
    await closeTray();
  });

  it('edits telemetry-alert: its rules as a list, each with the settings of its kind, saved as they were', async () => {
    await edit('fpalert000000001');
    await page.waitForSelector('#node-input-rules-list .alert-kind');
    should(await page.locator('#node-input-rules-list > li').count()).equal(7);
    should(await page.inputValue('#node-input-rules-list > li:first-child .alert-name')).equal('temperature high');
    // A threshold above a level: its level, hysteresis and lifecycle settings; no band.
    should(await page.locator('#node-input-rules-list > li:first-child .alert-param:visible').count()).equal(7);
    should(await page.locator('#node-input-rules-list > li:nth-child(7) .alert-field').isVisible()).be.false(); // dead-man
    await shot('telemetry-alert');
    const before = await page.evaluate(() => JSON.stringify((window as any).RED.nodes.node('fpalert000000001').rules));
    await page.click('#node-dialog-ok');
    await page.waitForSelector('.red-ui-tray', { state: 'detached' });
    const after = await page.evaluate(() => JSON.stringify((window as any).RED.nodes.node('fpalert000000001').rules));
    should(JSON.parse(after)).eql(JSON.parse(before));
  });

  it('edits telemetry-line-protocol', async () => {
    await edit('fplp000000000001');
    await page.waitForSelector('#node-input-batchSize');
    should(await page.inputValue('#node-input-batchSize')).equal('5000');
    should(await page.inputValue('#node-input-database')).equal('iot-sensors');
    await shot('telemetry-line-protocol');
    await closeTray();
  });

  it('edits influxdb3-write, and its server config tests the connection from the dialog', async () => {
    await edit('fpwriteraw000001');
    await page.waitForSelector('#node-input-maxInFlight');
    should(await page.inputValue('#node-input-maxInFlight')).equal('4');
    should(await page.inputValue('#node-input-maxBatchLines')).equal('10000');
    should(await page.inputValue('#node-input-spoolPolicy')).equal('reject');
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
    await page.click('#node-config-dialog-cancel');
    await closeTray();
  });

  it('edits influxdb3-query with its SQL in a code editor', async () => {
    await edit('fpqlatest0000001');
    await page.waitForSelector(
      '#node-input-query-editor .red-ui-editor-text-container, #node-input-query-editor .monaco-editor, #node-input-query-editor .ace_editor',
    );
    should(await page.evaluate(() => (window as any).RED.nodes.node('fpqlatest0000001').query)).match(
      /PARTITION BY device_id/,
    );
    should(await page.inputValue('#node-input-output')).equal('array');
    should(await page.inputValue('#node-input-timeFormat')).equal('iso');
    should(await page.isVisible('#node-input-partSize')).equal(false, 'part size only for parts');
    await page.selectOption('#node-input-output', 'parts');
    should(await page.isVisible('#node-input-partSize')).equal(true);
    await shot('influxdb3-query');
    await closeTray();
  });

  it('edits influxdb3-downsample: its fields as a list with aggregates, percentiles only from raw, saved as they were', async () => {
    await edit('fpds5min00000001');
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
    await shot('influxdb3-downsample');
    await page.click('#node-dialog-ok');
    await page.waitForSelector('.red-ui-tray', { state: 'detached' });
    should(await page.evaluate(() => (window as any).RED.nodes.node('fpds5min00000001').fields)).eql([
      { field: 'temperature', aggregates: ['mean', 'min', 'max', 'stddev', 'p95'] },
      { field: 'humidity', aggregates: ['mean'] },
      { field: 'battery_level', aggregates: ['mean', 'min'] },
    ]);
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
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { chromium } = require('playwright-core') as typeof import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
    page = await browser.newPage({ viewport: VIEWPORT });
    await page.goto(nr.url);
    await page.waitForSelector('#red-ui-header-button-sidemenu');
    await page.waitForFunction(() => (window as any).RED?.workspaces?.active?.());
  });
  after(async () => {
    await browser?.close();
    await nr?.stop();
  });

  /** As a user does it: the menu, Import, Examples, this pack, the example, Import; and when
   *  Node-RED says some of its nodes exist already (the shared config nodes), "Import copy". */
  async function importExample(name: string, expectExisting = false) {
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
  }
  const configNodes = () =>
    page.evaluate(() => {
      const ids: string[] = [];
      (window as any).RED.nodes.eachConfig((n: { type: string; id: string }) => {
        if (n.type === 'influxdb3-config' || n.type === 'telemetry-smtp') ids.push(`${n.type} ${n.id}`);
      });
      return ids.sort();
    });

  it('imports an example, then a second one that reuses the config nodes the first brought (Import copy copies the flow, not them)', async () => {
    await importExample('03 - Anomaly detection');
    should(await configNodes()).eql(['influxdb3-config influxcfg0000001', 'telemetry-smtp smtpcfg000000001']);
    await importExample('02 - Quick start without a broker', true);
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
