// The editor as a person uses it: Debian's chromium, driven by playwright-core, opening the edit
// dialogs of the example flow's nodes in a real Node-RED.
/* eslint-disable @typescript-eslint/no-explicit-any -- the editor's RED global has no types */
import should from 'should';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { InfluxDB3Server, startInfluxDB3 } from '../support/influxdb3/server';
import { exampleFlows } from '../../scripts/launch-node-red';
import { AedesBroker, startAedes } from '../support/mqtt-brokers';
import { NodeRedInstance, startNodeRed } from '../support/node-red-instance';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
const SHOTS = process.env.EDITOR_SCREENSHOTS; // a folder to keep screenshots in, when set

describe('editor in a browser', function () {
  this.timeout(90_000);
  let nr: NodeRedInstance;
  let influx: InfluxDB3Server;
  let browser: Browser;
  let page: Page;
  let mqtt: AedesBroker | undefined;
  const had = { INFLUXDB3_URL: process.env.INFLUXDB3_URL, MQTT_URL: process.env.MQTT_URL };

  before(async function () {
    if (!CHROMIUM) {
      const why = "Debian's chromium is not installed (apt-get install chromium)";
      if (process.env.CI === 'true') throw new Error(`CI needs chromium: ${why}`);
      console.log(`      skipped: ${why}`);
      this.skip();
    }
    // The example flows' configs read ${INFLUXDB3_URL} and ${MQTT_URL}, as under npm start.
    influx = await startInfluxDB3();
    mqtt = await startAedes();
    process.env.INFLUXDB3_URL = influx.url;
    process.env.MQTT_URL = mqtt.url;
    nr = await startNodeRed();
    // Every example flow, as npm start opens them.
    await nr.deploy(exampleFlows());
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { chromium } = require('playwright-core') as typeof import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(nr.url);
    await page.waitForFunction(() => (window as any).RED?.nodes?.node?.('val0000000000001'), undefined, {
      timeout: 60_000,
    });
  });

  after(async () => {
    await browser?.close();
    await nr?.stop();
    await mqtt?.close();
    await influx?.stop();
    for (const [k, v] of Object.entries(had)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  const shot = async (name: string) => {
    if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
  };
  const edit = (id: string) =>
    page.evaluate((nodeId) => (window as any).RED.editor.edit((window as any).RED.nodes.node(nodeId)), id);
  const closeTray = async () => {
    await page.click('#node-dialog-cancel');
    await page.waitForSelector('.red-ui-tray', { state: 'detached' });
  };

  it('shows the palette entries of the pack', async () => {
    for (const label of ['simulator', 'validate', 'line protocol', 'alert']) {
      should(await page.locator('.red-ui-palette-node', { hasText: label }).first().isVisible()).be.true(label);
    }
  });

  it('edits telemetry-validate, and a new telemetry-schema opens with the reference fleet as a table', async () => {
    await edit('val0000000000001');
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
    await edit('sim0000000000001');
    await page.waitForSelector('#node-input-faults-list');
    should(await page.locator('#node-input-faults-list > li').count()).equal(4);
    should(await page.inputValue('#node-input-intervalSec')).equal('5');
    await shot('simulator');
    await closeTray();
  });

  it('edits telemetry-alert: its rules as a list, each with the settings of its kind, saved as they were', async () => {
    await edit('alert00000000001');
    await page.waitForSelector('#node-input-rules-list .alert-kind');
    should(await page.locator('#node-input-rules-list > li').count()).equal(8);
    should(await page.inputValue('#node-input-rules-list > li:first-child .alert-name')).equal('temperature high');
    // A threshold above a level: its level, hysteresis and lifecycle settings; no band.
    should(await page.locator('#node-input-rules-list > li:first-child .alert-param:visible').count()).equal(7);
    should(await page.locator('#node-input-rules-list > li:nth-child(8) .alert-field').isVisible()).be.false(); // dead-man
    await shot('telemetry-alert');
    const before = await page.evaluate(() => JSON.stringify((window as any).RED.nodes.node('alert00000000001').rules));
    await page.click('#node-dialog-ok');
    await page.waitForSelector('.red-ui-tray', { state: 'detached' });
    const after = await page.evaluate(() => JSON.stringify((window as any).RED.nodes.node('alert00000000001').rules));
    should(JSON.parse(after)).eql(JSON.parse(before));
  });

  it('edits telemetry-line-protocol', async () => {
    await edit('lp00000000000001');
    await page.waitForSelector('#node-input-batchSize');
    should(await page.inputValue('#node-input-batchSize')).equal('5000');
    should(await page.inputValue('#node-input-database')).equal('iot-sensors');
    await shot('telemetry-line-protocol');
    await closeTray();
  });

  it('edits influxdb3-write, and its server config tests the connection from the dialog', async () => {
    await edit('wr00000000000001');
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
    await edit('query00000000001');
    await page.waitForSelector(
      '#node-input-query-editor .red-ui-editor-text-container, #node-input-query-editor .monaco-editor, #node-input-query-editor .ace_editor',
    );
    should(await page.evaluate(() => (window as any).RED.nodes.node('query00000000001').query)).match(
      /GROUP BY device_id/,
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
    await edit('ds5min0000000001');
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
    should(await page.evaluate(() => (window as any).RED.nodes.node('ds5min0000000001').fields)).eql([
      { field: 'temperature', aggregates: ['mean', 'min', 'max', 'stddev', 'p95'] },
      { field: 'humidity', aggregates: ['mean'] },
      { field: 'battery_level', aggregates: ['mean', 'min'] },
    ]);
  });
});
