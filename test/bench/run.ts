// npm run bench: every benchmark of the pack, each against its named baseline in the same run.
import { benchAlert } from './alert';
import { benchDownsample } from './downsample';
import { benchEncodeVsPoint } from './encode-vs-point';
import { benchEncodeVsStringify } from './encode-vs-stringify';
import { benchServerIngest } from './influxdb3-ingest';
import { benchMqttIn } from './mqtt-in';
import { benchPipeline } from './node-red-pipeline';
import { benchPipelineMemory } from './pipeline-memory';
import { benchScaleOut } from './scale-out';
import { benchWriter } from './writer';
import { benchWriterMemory } from './writer-memory';

async function main() {
  const only = process.argv[2];
  if (!only || only === 'encode') benchEncodeVsPoint();
  if (!only || only === 'stringify') await benchEncodeVsStringify();
  if (!only || only === 'pipeline') await benchPipeline();
  if (!only || only === 'ingest') await benchServerIngest();
  if (!only || only === 'writer') await benchWriter();
  if (!only || only === 'memory') await benchWriterMemory();
  if (!only || only === 'alert') await benchAlert();
  if (!only || only === 'downsample') await benchDownsample();
  if (!only || only === 'mqtt') await benchMqttIn();
  if (!only || only === 'memory-pipeline') await benchPipelineMemory();
  if (!only || only === 'scale') await benchScaleOut();
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
