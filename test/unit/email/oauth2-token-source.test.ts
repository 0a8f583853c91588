// OAuth2TokenSource against a real local token endpoint: each grant (refresh token, client
// credentials, a Google service account's signed JWT), the token cached until shortly before it
// expires and renewed when asked, one request for concurrent callers, a rotated refresh token kept
// and handed on, and a refusal answered with the provider's own words and what to do.
import crypto from 'node:crypto';
import should from 'should';
import { classifyFailure } from '../../../nodes/lib/email/delivery-errors';
import {
  OAuth2TokenSource,
  TokenSourceOptions,
  isTokenError,
  privateKeyPem,
} from '../../../nodes/lib/email/oauth2-token-source';
import { REVOKED, TokenServer, startTokenServer } from '../../support/oauth2-token-server';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('OAuth2TokenSource', function () {
  this.timeout(20_000);
  let server: TokenServer;
  afterEach(() => server?.stop());

  const refreshSource = (extra: Partial<TokenSourceOptions> = {}) =>
    new OAuth2TokenSource({
      mode: 'oauth2-refresh',
      tokenUrl: server.url,
      clientId: 'client-1',
      refreshToken: 'refresh-0',
      scope: 'https://outlook.office.com/SMTP.Send offline_access',
      user: 'alerts@factory.example',
      ...extra,
    });

  it('renews with the refresh token, caches until shortly before expiry, and keeps the rotated refresh token', async () => {
    server = await startTokenServer({ expiresInSec: 1 });
    const rotated: string[] = [];
    const source = refreshSource({ onRefreshToken: (t) => rotated.push(t) });
    const a = await source.token();
    should(server.validAccessToken(a.accessToken)).be.true();
    should((await source.token()).accessToken).equal(a.accessToken);
    should(server.requests.length).equal(1);
    should(server.requests[0].scope).equal('https://outlook.office.com/SMTP.Send offline_access');
    should(rotated).eql([server.refreshToken]);
    await sleep(1000);
    const b = await source.token();
    should(b.accessToken).not.equal(a.accessToken);
    should(server.validAccessToken(b.accessToken)).be.true();
    should(rotated.length).equal(2);
    should(source.currentRefreshToken).equal(server.refreshToken);
  });

  it('is one login with a source of the same settings and refresh token (the first or the rotated one)', async () => {
    server = await startTokenServer({ expiresInSec: 3600 });
    const deployed = refreshSource();
    should(deployed.sameLogin(refreshSource())).be.true();
    await deployed.token(); // rotates
    should(deployed.sameLogin(refreshSource())).be.true();
    should(deployed.sameLogin(refreshSource({ refreshToken: deployed.currentRefreshToken }))).be.true();
    should(deployed.sameLogin(refreshSource({ refreshToken: 'typed-anew' }))).be.false();
    should(deployed.sameLogin(refreshSource({ scope: 'https://mail.google.com/' }))).be.false();
  });

  it('renews when asked (the server refused the token), with one request for concurrent callers', async () => {
    server = await startTokenServer({ expiresInSec: 3600 });
    const source = refreshSource();
    const first = await source.token();
    const [x, y] = await Promise.all([source.token(true), source.token(true)]);
    should(x.accessToken).equal(y.accessToken);
    should(x.accessToken).not.equal(first.accessToken);
    should(server.requests.length).equal(2);
  });

  it("answers a refusal with the provider's error verbatim and what to do, and the email is retried", async () => {
    server = await startTokenServer();
    server.refuse(REVOKED);
    const source = refreshSource();
    const err = await source.token().then(
      () => undefined,
      (e: Error) => e,
    );
    should(err).be.an.Error();
    should(err!.message).containEql(`invalid_grant: ${REVOKED}`);
    should(err!.message).match(/sign in again/);
    should(isTokenError(err)).be.true();
    // as nodemailer hands it on: code EAUTH, no server answer; still transient for the outbox
    Object.assign(err!, { code: 'EAUTH', command: 'AUTH XOAUTH2' });
    should(classifyFailure(err)).eql({ permanent: false, reason: err!.message });
    server.refuse(false);
    should(server.validAccessToken((await source.token()).accessToken)).be.true();
  });

  it('reports an endpoint it cannot reach as such', async () => {
    server = await startTokenServer();
    const url = server.url;
    await server.stop();
    const source = refreshSource({ tokenUrl: url });
    await source.token().then(
      () => should.fail(undefined, undefined, 'no token expected'),
      (e: Error) => should(e.message).match(/OAuth 2 token endpoint unreachable/),
    );
  });

  it('takes client credentials (Microsoft 365 app-only)', async () => {
    server = await startTokenServer();
    const source = new OAuth2TokenSource({
      mode: 'oauth2-client',
      tokenUrl: server.url,
      clientId: 'client-1',
      clientSecret: 'client-secret-1',
      scope: 'https://outlook.office365.com/.default',
      user: 'alerts@factory.example',
    });
    should(server.validAccessToken((await source.token()).accessToken)).be.true();
    should(server.requests[0]).eql({ grant: 'client_credentials', scope: 'https://outlook.office365.com/.default' });

    const wrong = new OAuth2TokenSource({
      mode: 'oauth2-client',
      tokenUrl: server.url,
      clientId: 'client-1',
      clientSecret: 'wrong-secret-xyz',
      scope: '',
      user: 'alerts@factory.example',
    });
    await wrong.token().then(
      () => should.fail(undefined, undefined, 'no token expected'),
      (e: Error) => {
        should(e.message).containEql('invalid_client: AADSTS7000215: Invalid client secret provided.');
        should(e.message).not.containEql('wrong-secret-xyz');
      },
    );
  });

  it("signs a Google service account's JWT (RS256, the mailbox as sub), the key pasted in any form", async () => {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const email = 'mailer@project.iam.gserviceaccount.com';
    server = await startTokenServer({ serviceAccount: { email, publicKey } });
    const forms = [pem, pem.replace(/\n/g, '\\n'), pem.replace(/\n/g, ' '), JSON.stringify({ private_key: pem })];
    for (const key of forms) should(privateKeyPem(key).trim()).equal(pem.trim());
    for (const key of forms) {
      const source = new OAuth2TokenSource({
        mode: 'google-service',
        tokenUrl: server.url,
        clientId: email,
        privateKey: key,
        scope: 'https://mail.google.com/',
        user: 'alerts@factory.example',
      });
      should(server.validAccessToken((await source.token()).accessToken)).be.true();
    }
    const claims = server.requests[0].claims!;
    should(claims).containDeep({ iss: email, sub: 'alerts@factory.example', scope: 'https://mail.google.com/' });
    should(claims.aud).equal(server.url);
  });

  it('refuses settings it cannot work with, naming what is missing', () => {
    const base: TokenSourceOptions = {
      mode: 'oauth2-refresh',
      tokenUrl: 'https://login.microsoftonline.com/t/oauth2/v2.0/token',
      clientId: 'c',
      refreshToken: 'r',
      scope: '',
      user: 'a@b',
    };
    should(() => new OAuth2TokenSource({ ...base, refreshToken: '' })).throw(/needs the refresh token/);
    should(() => new OAuth2TokenSource({ ...base, tokenUrl: '' })).throw(/token URL/);
    should(() => new OAuth2TokenSource({ ...base, user: '' })).throw(/mailbox/);
    should(() => new OAuth2TokenSource({ ...base, mode: 'oauth2-client' })).throw(/client secret/);
    should(() => new OAuth2TokenSource({ ...base, mode: 'google-service', privateKey: 'nope' })).throw(/private key/);
  });
});
