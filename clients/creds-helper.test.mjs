// Banno's client-credentials helper: a service account's assertion signed PS256 with jose,
// header {"alg":"PS256"} without kid, iss = sub = client_id, aud = the exact token URL, a jti,
// exp in MILLISECONDS (Date.now() + 60000), no iat; posted without client_id, scope openid.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as jose from 'jose';
import { Sandbox, payload } from './support.mjs';

const sb = await Sandbox.start();
after(() => sb.stop());

test('the helper gets a service-account token with a PS256 millisecond-exp assertion', async () => {
  const sub = sb.user('integration-bot');
  const { publicKey, privateKey } = await jose.generateKeyPair('PS256', { extractable: true });
  const jwks = { keys: [{ ...(await jose.exportJWK(publicKey)), kid: 'helper-1', alg: 'PS256', use: 'sig' }] };
  const jwksFile = join(sb.dir, 'app-jwks.json');
  writeFileSync(jwksFile, JSON.stringify(jwks));
  const app = sb.app([
    '--name', 'Nightly sync',
    '--app-type', 'service-account',
    '--associated-user', 'integration-bot',
    '--jwks-file', jwksFile,
    '--scope', 'openid',
  ]);
  const tokenUrl = `${sb.enterprise}/token`;
  const sign = (exp) =>
    new jose.SignJWT({ jti: randomUUID(), aud: tokenUrl, sub: app.client_id, iss: app.client_id, exp })
      .setProtectedHeader({ alg: 'PS256' })
      .sign(privateKey);
  const request = async (assertion) =>
    fetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_assertion: assertion,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        grant_type: 'client_credentials',
        scope: 'openid',
      }),
    });
  const ok = await request(await sign(Date.now() + 60 * 1000));
  const body = await ok.json();
  assert.equal(ok.status, 200, JSON.stringify(body));
  const at = payload(body.access_token);
  assert.equal(at.sub, sub, "the associated user's sub");
  assert.equal(at.client_id, app.client_id);
  assert.equal(at.iss, sb.enterprise);
  assert.equal(body.id_token, undefined);

  // Six minutes ahead is more than Jack Henry's five.
  const far = await request(await sign(Date.now() + 6 * 60 * 1000));
  assert.equal(far.status, 401);
  assert.match((await far.json()).error_description, /at most 300 s/);
});
