// The services the example flows' config nodes name through the environment (${INFLUXDB3_URL},
// ${MQTT_URL}, ${SMTP_HOST}, ${SMTP_PORT}), started as npm start provides them: the InfluxDB 3
// compatible test server, an MQTT broker (aedes) and an SMTP server. stop() puts the environment
// back as it was.
import { InfluxDB3Server, startInfluxDB3 } from './influxdb3/server';
import { AedesBroker, startAedes } from './mqtt-brokers';
import { SmtpSink, startSmtpSink } from './smtp-sink';

const NAMES = ['INFLUXDB3_URL', 'MQTT_URL', 'SMTP_HOST', 'SMTP_PORT'];

export interface ExampleServices {
  influx: InfluxDB3Server;
  mqtt: AedesBroker;
  smtp: SmtpSink;
  stop(): Promise<void>;
}

export async function startExampleServices(): Promise<ExampleServices> {
  const had = NAMES.map((k) => [k, process.env[k]] as const);
  const influx = await startInfluxDB3({ walFlushMs: 100 });
  const mqtt = await startAedes();
  const smtp = await startSmtpSink({ starttls: false });
  process.env.INFLUXDB3_URL = influx.url;
  process.env.MQTT_URL = mqtt.url;
  process.env.SMTP_HOST = '127.0.0.1';
  process.env.SMTP_PORT = String(smtp.port);
  return {
    influx,
    mqtt,
    smtp,
    async stop() {
      await mqtt.close();
      await smtp.stop();
      await influx.stop();
      for (const [k, v] of had) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    },
  };
}
