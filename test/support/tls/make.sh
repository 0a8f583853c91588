#!/bin/sh
# Makes the test certificates in this directory: a test CA, and a certificate for 127.0.0.1 and
# localhost signed by it, valid for 100 years. Only for the tests' HTTPS server: never trust them.
set -e
cd "$(dirname "$0")"
openssl req -x509 -newkey rsa:2048 -nodes -keyout /tmp/test-ca-key.pem -out ca.pem -days 36500 -subj "/CN=node-red-contrib-influxdb3-pipeline test CA"
openssl req -newkey rsa:2048 -nodes -keyout server-key.pem -out /tmp/server.csr -subj "/CN=127.0.0.1"
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' > /tmp/server.ext
openssl x509 -req -in /tmp/server.csr -CA ca.pem -CAkey /tmp/test-ca-key.pem -CAcreateserial -out server.pem -days 36500 -extfile /tmp/server.ext
rm -f /tmp/test-ca-key.pem /tmp/server.csr /tmp/server.ext ca.srl

# Mutual TLS (the MQTT tests' Mosquitto, require_certificate true): a client CA that Mosquitto
# trusts, a client certificate it signed (key encrypted with the passphrase "test-passphrase"), and
# a rogue client certificate signed by a CA nobody trusts.
openssl req -x509 -newkey rsa:2048 -nodes -keyout /tmp/client-ca-key.pem -out client-ca.pem -days 36500 -subj "/CN=node-red-contrib-influxdb3-pipeline test client CA"
openssl req -newkey rsa:2048 -passout pass:test-passphrase -keyout client-key.pem -out /tmp/client.csr -subj "/CN=telemetry-test-client"
printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' > /tmp/client.ext
openssl x509 -req -in /tmp/client.csr -CA client-ca.pem -CAkey /tmp/client-ca-key.pem -CAcreateserial -out client.pem -days 36500 -extfile /tmp/client.ext
openssl req -x509 -newkey rsa:2048 -nodes -keyout rogue-client-key.pem -out rogue-client.pem -days 36500 -subj "/CN=rogue client" -addext extendedKeyUsage=clientAuth
rm -f /tmp/client-ca-key.pem /tmp/client.csr /tmp/client.ext client-ca.srl
