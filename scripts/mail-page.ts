// npm start's mail page, served beside the editor at /mail: every email the playground's SMTP
// capture received (kept as .eml files), newest first, with subject, recipients and time; a click
// shows its text and HTML. The HTML of an email is shown in a sandboxed frame with no scripts, so
// whatever a device id smuggled into it stays inert.

import express from 'express';
import fs from 'node:fs';
import path from 'node:path';
import { ParsedMail, simpleParser } from 'mailparser';

const esc = (s: string | undefined) =>
  (s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `<style>body{font:14px system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse}
td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}th{background:#f3f3f3}
a{color:#8f0000}pre{background:#f7f7f7;padding:12px;white-space:pre-wrap}iframe{width:100%;height:420px;border:1px solid #ccc}</style>`;

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title>${STYLE}</head><body>${body}</body></html>`;
}

const recipients = (mail: ParsedMail) =>
  Array.isArray(mail.to) ? mail.to.map((a) => a.text).join(', ') : (mail.to?.text ?? '');

/** The .eml files of `dir`, newest first. */
function emlFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.eml') && !f.startsWith('.'))
    .sort()
    .reverse();
}

export function mailPage(dir: string): express.Router {
  const router = express.Router();
  const file = (name: string) => (/^[\w.-]+\.eml$/.test(name) ? path.join(dir, name) : undefined);

  router.get('/mail', (_req, res, next) => {
    Promise.all(
      emlFiles(dir).map(async (name) => {
        const mail = await simpleParser(fs.readFileSync(path.join(dir, name)));
        const to = recipients(mail);
        return `<tr><td>${esc(mail.date?.toISOString().replace('T', ' ').slice(0, 19))}</td><td><a href="mail/${esc(name)}">${esc(mail.subject)}</a></td><td>${esc(to)}</td></tr>`;
      }),
    ).then((rows) => {
      res
        .type('html')
        .send(
          page(
            'Alert emails',
            `<h2>Alert emails received by the playground</h2><p>${rows.length} email(s), newest first; kept in ${esc(dir)}.</p>` +
              (rows.length
                ? `<table><tr><th>received</th><th>subject</th><th>to</th></tr>${rows.join('')}</table>`
                : '<p>None yet. Press a fault inject in the Full pipeline: the email comes within about a minute.</p>'),
          ),
        );
    }, next);
  });

  router.get('/mail/:name', (req, res, next) => {
    const f = file(req.params.name);
    if (!f || !fs.existsSync(f)) return void res.status(404).type('text').send('no such email');
    if (req.query.raw !== undefined) return void res.type('message/rfc822').sendFile(f);
    simpleParser(fs.readFileSync(f)).then((mail) => {
      const html = typeof mail.html === 'string' ? mail.html : '';
      res
        .type('html')
        .send(
          page(
            mail.subject ?? 'email',
            `<p><a href="../mail">all emails</a> · <a href="?raw">.eml</a></p><h2>${esc(mail.subject)}</h2>` +
              `<table><tr><th>from</th><td>${esc(mail.from?.text)}</td></tr><tr><th>to</th><td>${esc(recipients(mail))}</td></tr>` +
              `<tr><th>date</th><td>${esc(mail.date?.toISOString())}</td></tr></table>` +
              `<h3>Text</h3><pre>${esc(mail.text)}</pre>` +
              (html ? `<h3>HTML</h3><iframe sandbox="" srcdoc="${esc(html)}"></iframe>` : ''),
          ),
        );
    }, next);
  });
  return router;
}
