// A real SMTP server (the smtp-server package) that keeps what it receives, parsed by mailparser:
// the peer of the email tests, and the mail sink npm start runs so the example's alert emails
// have somewhere to go. Failures on purpose: answer 421 to the next n emails, refuse every login.
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { writeFileAtomic } from '../../nodes/lib/atomic-file';

export interface SinkOptions {
  port?: number;
  /** Implicit TLS from the first byte. */
  secure?: boolean;
  /** Offer STARTTLS (with the test certificate); false: never offer it. */
  starttls?: boolean;
  /** Require this login. */
  auth?: { user: string; pass: string };
  /** Require an XOAUTH2 login (the only method offered) of this user with a token valid() takes:
   *  a refused token is answered as Gmail does (334 with the error, then 535), or with 535 at once
   *  as Microsoft 365 does. */
  oauth2?: { user: string; valid(accessToken: string): boolean; refuseAtOnce?: boolean };
  /** Print each email's envelope and subject. */
  log?: boolean;
  /** Keep each email as a .eml file in this folder (npm start's mail page lists them). */
  dir?: string;
}

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  parsed: ParsedMail;
}

export interface SmtpSink {
  port: number;
  mails: ReceivedMail[];
  /** XOAUTH2 logins, accepted or not. */
  logins: { accessToken: string; ok: boolean }[];
  failNext(n: number, code?: number): void;
  stop(): Promise<void>;
}

const TLS = path.join(__dirname, '..', '..', '..', 'test', 'support', 'tls');

let kept = 0;
/** Writes an email whole or not at all: a page reading the folder never sees half a file. */
function keepEml(dir: string, raw: string): void {
  const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}-${++kept}.eml`;
  writeFileAtomic(path.join(dir, name), raw, { fsync: false });
}

export async function startSmtpSink(o: SinkOptions = {}): Promise<SmtpSink> {
  const mails: ReceivedMail[] = [];
  const logins: SmtpSink['logins'] = [];
  const login = !!(o.auth || o.oauth2);
  let failing = 0;
  let failCode = 421;
  const tls = o.secure || o.starttls !== false;
  const server = new SMTPServer({
    secure: o.secure === true,
    hideSTARTTLS: o.starttls === false,
    key: tls ? fs.readFileSync(path.join(TLS, 'server-key.pem')) : undefined,
    cert: tls ? fs.readFileSync(path.join(TLS, 'server.pem')) : undefined,
    authOptional: !login,
    authMethods: o.oauth2 ? ['XOAUTH2'] : undefined,
    // A server without STARTTLS answers the command as unknown, as Postfix without TLS does.
    disabledCommands: [...(login ? [] : ['AUTH']), ...(o.starttls === false && !o.secure ? ['STARTTLS'] : [])],
    allowInsecureAuth: true,
    logger: false,
    // Pooled clients keep their connections open: close them soon when the sink stops.
    closeTimeout: 200,
    onAuth(auth, _session, cb) {
      if (o.oauth2 && auth.method === 'XOAUTH2') {
        const ok = auth.username === o.oauth2.user && o.oauth2.valid(auth.accessToken ?? '');
        logins.push({ accessToken: auth.accessToken ?? '', ok });
        if (ok) return cb(null, { user: auth.username });
        if (o.oauth2.refuseAtOnce) {
          // as Microsoft 365 answers a token it does not take
          const err = new Error('5.7.3 Authentication unsuccessful') as Error & { responseCode: number };
          err.responseCode = 535;
          return cb(err);
        }
        return cb(null, { data: { status: '401', schemes: 'bearer', scope: 'https://mail.google.com/' } });
      }
      if (o.auth && auth.username === o.auth.user && auth.password === o.auth.pass)
        return cb(null, { user: auth.username });
      const err = new Error('5.7.8 Authentication credentials invalid') as Error & { responseCode: number };
      err.responseCode = 535;
      cb(err);
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (failing > 0) {
          failing--;
          const err = new Error(
            failCode === 421 ? '4.3.2 Service not available, try again later' : '5.7.1 Rejected',
          ) as Error & {
            responseCode: number;
          };
          err.responseCode = failCode;
          return cb(err);
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw).then(
          (parsed) => {
            const mail = {
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              raw,
              parsed,
            };
            mails.push(mail);
            if (o.dir) keepEml(o.dir, raw);
            if (o.log) console.log(`mail: to ${mail.to.join(', ')}: ${parsed.subject ?? ''}`);
            cb();
          },
          (e: Error) => cb(e),
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', () => resolve());
  });
  server.on('error', () => undefined);
  return {
    port: (server.server.address() as AddressInfo).port,
    mails,
    logins,
    failNext(n, code = 421) {
      failing = n;
      failCode = code;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
