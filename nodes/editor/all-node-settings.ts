// Every node type's declared settings and credentials, for the editor bundle and for the tests that hold the
// dialogs and the runtime to one declaration.

import { credentials as influxdb3ConfigCredentials, settings as influxdb3Config } from '../influxdb3-config/settings';
import { settings as influxdb3Write } from '../influxdb3-write/settings';
import { settings as influxdb3Query } from '../influxdb3-query/settings';
import { settings as influxdb3Downsample } from '../influxdb3-downsample/settings';
import { settings as telemetrySchema } from '../telemetry-schema/settings';
import { settings as telemetrySimulator } from '../telemetry-simulator/settings';
import { settings as telemetryValidate } from '../telemetry-validate/settings';
import { settings as telemetryLineProtocol } from '../telemetry-line-protocol/settings';
import {
  credentials as telemetryMqttBrokerCredentials,
  settings as telemetryMqttBroker,
} from '../telemetry-mqtt-broker/settings';
import { settings as telemetryMqttIn } from '../telemetry-mqtt-in/settings';
import { settings as telemetryAlert } from '../telemetry-alert/settings';
import { credentials as telemetrySmtpCredentials, settings as telemetrySmtp } from '../telemetry-smtp/settings';
import { settings as telemetryAlertEmail } from '../telemetry-alert-email/settings';
import { settings as telemetryMetrics } from '../telemetry-metrics/settings';

export const allNodeSettings = [
  influxdb3Config,
  influxdb3Write,
  influxdb3Query,
  influxdb3Downsample,
  telemetrySchema,
  telemetrySimulator,
  telemetryValidate,
  telemetryLineProtocol,
  telemetryMqttBroker,
  telemetryMqttIn,
  telemetryAlert,
  telemetrySmtp,
  telemetryAlertEmail,
  telemetryMetrics,
];

/** The secrets of the config nodes that have some, by type. */
export const allNodeCredentials: Record<string, Record<string, { type: 'text' | 'password' }>> = {
  'influxdb3-config': influxdb3ConfigCredentials,
  'telemetry-mqtt-broker': telemetryMqttBrokerCredentials,
  'telemetry-smtp': telemetrySmtpCredentials,
};
