// What nodes get from a telemetry-smtp config node (the config's own file is the Node-RED module).
import type { Node } from 'node-red';
import type Mail from 'nodemailer/lib/mailer';

export interface SmtpConfigNode extends Node {
  from: string;
  settingsError?: string;
  /** Sends one email through the shared (pooled) transport; resolves with the server's answer. */
  sendMail(mail: Mail.Options): Promise<{ response: string; messageId: string }>;
}
