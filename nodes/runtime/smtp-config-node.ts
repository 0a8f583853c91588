// What nodes get from a telemetry-smtp config node (the config's own file is the Node-RED module).
import type { Node } from 'node-red';
import type Mail from 'nodemailer/lib/mailer';
import type { OAuth2TokenSource } from '../lib/email/oauth2-token-source';

export interface SmtpConfigNode extends Node {
  from: string;
  settingsError?: string;
  /** The OAuth 2 token source of a login whose tokens are renewed. */
  oauth2?: OAuth2TokenSource;
  /** Sends one email through the shared (pooled) transport; resolves with the server's answer. */
  sendMail(mail: Mail.Options): Promise<{ response: string; messageId: string }>;
}
