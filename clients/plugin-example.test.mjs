// Banno's simple plugin example, without a library: the authorization URL built by hand at
// `…/oidc/auth`, the code posted to `…/oidc/token` with client_id and client_secret in the
// body, the ID token decoded without verification for `sub`, `given_name` and the
// institution, then the user's accounts.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Sandbox, Browser, ACCOUNTS, INSTITUTION, payload } from './support.mjs';

const sb = await Sandbox.start();
after(() => sb.stop());

test('the plugin example works by hand', async () => {
  const callback = 'http://localhost:8080/auth/callback';
  sb.user('ada', { given_name: 'Ada' });
  const app = sb.app([
    '--name', 'Simple plugin',
    '--redirect-uri', callback,
    '--auth-method', 'client_secret_post',
    '--scope', `openid profile ${ACCOUNTS}`,
    '--consent-required', 'false',
  ]);
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const state = randomBytes(48).toString('hex');
  const claims = JSON.stringify({ id_token: { [INSTITUTION]: null }, userinfo: { [INSTITUTION]: null } });
  const url =
    `${sb.base}/a/consumer/api/v0/oidc/auth?` +
    `scope=${encodeURIComponent(`openid profile ${ACCOUNTS}`)}&response_type=code` +
    `&client_id=${app.client_id}&redirect_uri=${encodeURIComponent(callback)}&state=${state}` +
    `&code_challenge=${challenge}&code_challenge_method=S256&claims=${encodeURIComponent(claims)}`;
  const back = await new Browser().signIn(url, 'ada');
  assert.equal(back.searchParams.get('state'), state);
  const r = await fetch(`${sb.base}/a/consumer/api/v0/oidc/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: app.client_id,
      client_secret: app.client_secret,
      grant_type: 'authorization_code',
      code: back.searchParams.get('code'),
      redirect_uri: callback,
      code_verifier: verifier,
    }),
  });
  assert.equal(r.status, 200);
  const { access_token, id_token } = await r.json();
  const id = payload(id_token);
  assert.equal(id.given_name, 'Ada');
  assert.ok(id[INSTITUTION]);
  const accounts = await fetch(`${sb.base}/a/consumer/api/v0/users/${id.sub}/accounts`, {
    headers: { authorization: `Bearer ${access_token}` },
  });
  assert.equal(accounts.status, 200);
  assert.ok((await accounts.json()).accounts.length >= 2);
});
