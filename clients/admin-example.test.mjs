// Banno's admin-API example (openid-client 5): discovery at the enterprise issuer by its full
// well-known URL, client_secret_basic (the library's default), RS256 ID tokens (the
// library's default), scope `openid profile`, an empty `claims` object — an institution's
// employee signing in.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import openidClient5 from 'openid-client-5';
import { Sandbox, Browser, REDIRECT, header } from './support.mjs';

const { Issuer, generators } = openidClient5;
const sb = await Sandbox.start();
after(() => sb.stop());

test('the admin-API example signs an employee in at the enterprise issuer', async () => {
  sb.user('grace', { name: 'Grace Hopper' });
  const app = sb.app([
    '--name', 'Admin API example',
    '--redirect-uri', REDIRECT,
    '--scope', 'openid profile',
    '--id-token-alg', 'RS256',
  ]);
  const issuer = await Issuer.discover(`${sb.enterprise}/.well-known/openid-configuration`);
  assert.equal(issuer.issuer, sb.enterprise);
  assert.equal(issuer.metadata.token_endpoint, `${sb.enterprise}/token`);
  const client = new issuer.Client({
    client_id: app.client_id,
    client_secret: app.client_secret,
    redirect_uris: [REDIRECT],
    response_types: ['code'],
  });
  const verifier = generators.codeVerifier();
  const state = generators.state();
  const url = client.authorizationUrl({
    scope: 'openid profile',
    claims: JSON.stringify({ id_token: {}, userinfo: {} }),
    code_challenge: generators.codeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  const back = await new Browser().signIn(url, 'grace');
  const tokenSet = await client.callback(REDIRECT, client.callbackParams(back.toString()), {
    code_verifier: verifier,
    state,
  });
  assert.equal(header(tokenSet.id_token).alg, 'RS256');
  assert.equal(tokenSet.claims().iss, sb.enterprise);
  assert.equal(tokenSet.claims().name, 'Grace Hopper');
});
