// describeConnectionError on the errors Node and MQTT.js really give (the TLS ones as captured
// from Node 20 against Mosquitto 2 in test/nodes/telemetry-mqtt-tls.test.ts).
import should from 'should';
import { describeConnectionError } from '../../../nodes/lib/mqtt/connection-error';

const openssl = (reason: string, code: string, alert: number) =>
  Object.assign(
    new Error(
      `80ECAC9F257F0000:error:0A000418:SSL routines:ssl3_read_bytes:${reason}:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number ${alert}\n`,
    ),
    { code, reason, library: 'SSL routines' },
  );

describe('describeConnectionError', () => {
  it('names a refused client certificate and a missing one, not OpenSSL’s codes', () => {
    should(describeConnectionError(openssl('tlsv1 alert unknown ca', 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 48))).match({
      status: 'client certificate refused: unknown ca',
      detail: /not signed by a CA the broker trusts/,
    });
    should(
      describeConnectionError(
        openssl('tlsv13 alert certificate required', 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 116),
      ),
    ).match({ status: 'client certificate required', detail: /set the certificate, and its key/ });
  });

  it('keeps the reason of any other TLS alert, short enough for a status', () => {
    const p = describeConnectionError(
      openssl('sslv3 alert handshake failure', 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', 40),
    );
    should(p.status).equal('TLS: sslv3 alert handshake failure');
    should(p.detail).match(/ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE/);
  });

  it('says the broker’s certificate is not trusted and what to set', () => {
    for (const [code, status] of [
      ['SELF_SIGNED_CERT_IN_CHAIN', 'server certificate not trusted'],
      ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'server certificate not trusted'],
      ['CERT_HAS_EXPIRED', 'server certificate expired'],
      ['ERR_TLS_CERT_ALTNAME_INVALID', 'server certificate is for another name'],
    ]) {
      const p = describeConnectionError(Object.assign(new Error('some tls message'), { code }));
      should(p.status).equal(status);
      should(p.detail)
        .match(/some tls message/)
        .and.match(/Set the CA certificate/);
    }
  });

  it('shortens unreachable hosts and CONNACK refusals, and anything else to 60 characters', () => {
    should(describeConnectionError(new Error('connect ECONNREFUSED 127.0.0.1:1883'))).eql({
      status: 'ECONNREFUSED',
      detail: 'cannot reach 127.0.0.1:1883: ECONNREFUSED',
    });
    should(describeConnectionError(new Error('Connection refused: Not authorized')).status).equal(
      'refused: Not authorized',
    );
    const long = describeConnectionError(new Error('x'.repeat(200)));
    should(long.status).have.length(60);
    should(long.status.endsWith('…')).be.true();
    should(long.detail).have.length(200);
  });
});
