// Banno's consumer tools (openid-client 6): discovery of the consumer issuer over https (the
// library refuses plain http; the sandbox CA is trusted through NODE_EXTRA_CA_CERTS, no
// insecure option), a code flow with PKCE and a claims request, the ID token checked, a
// refresh, userinfo, the user's profile from the consumer API, and sign-out through the
// end-session endpoint. Two apps on one server, one with ES256 ID tokens and one with RS256,
// each validated by a client configured for its algorithm.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import {
  Sandbox,
  Browser,
  REDIRECT,
  OFFLINE,
  PROFILE_SCOPE,
  INSTITUTION,
  header,
} from './support.mjs';

const sb = await Sandbox.start();
after(() => sb.stop());

async function signInWith(config, browser, username) {
  const verifier = client.randomPKCECodeVerifier();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: `openid profile email ${OFFLINE} ${PROFILE_SCOPE}`,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    claims: JSON.stringify({ id_token: { 'https://api.banno.com/consumer/claim/institution_details': null, [INSTITUTION]: null } }),
  });
  const back = await browser.signIn(url, username);
  return client.authorizationCodeGrant(config, back, {
    pkceCodeVerifier: verifier,
    idTokenExpected: true,
  });
}

test('openid-client 6 over https: discovery, code flow, refresh, userinfo, profile, logout', async () => {
  const sub = sb.user('ada', { name: 'Ada Lovelace', given_name: 'Ada', nickname: 'Countess' });
  const app = sb.app([
    '--name', 'Consumer tools',
    '--redirect-uri', REDIRECT,
    '--auth-method', 'client_secret_post',
    '--scope', `openid profile email ${OFFLINE} ${PROFILE_SCOPE}`,
    '--post-logout-redirect-uri', 'https://localhost:8080/signed-out',
    '--consent-required', 'false',
  ]);
  const config = await client.discovery(new URL(sb.consumer), app.client_id, {
    client_secret: app.client_secret,
    id_token_signed_response_alg: 'ES256',
  });
  assert.equal(config.serverMetadata().issuer, sb.consumer);
  const browser = new Browser();
  const tokens = await signInWith(config, browser, 'ada');
  const claims = tokens.claims();
  assert.equal(claims.sub, sub);
  assert.equal(header(tokens.id_token).alg, 'ES256');
  assert.ok(claims['https://api.banno.com/consumer/claim/institution_details']);

  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  assert.notEqual(refreshed.access_token, tokens.access_token);
  const info = await client.fetchUserInfo(config, refreshed.access_token, sub);
  assert.equal(info.name, 'Ada Lovelace');

  const profile = await client.fetchProtectedResource(
    config,
    refreshed.access_token,
    new URL(`${sb.base}/a/consumer/api/v0/users/${sub}`),
    'GET',
  );
  assert.equal(profile.status, 200);
  const me = await profile.json();
  assert.equal(me.userId, sub);
  assert.equal(me.firstName, 'Ada');
  assert.equal(me.preferredName, 'Countess');

  // RP-initiated logout: the confirmation page, then back to the app with its state.
  const end = client.buildEndSessionUrl(config, {
    id_token_hint: tokens.id_token,
    post_logout_redirect_uri: 'https://localhost:8080/signed-out',
    state: 'bye',
  });
  const page = await browser.fetch(end);
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /refresh tokens are not revoked/);
  const done = await browser.submit(end, html, { decision: 'logout' });
  assert.equal(done.status, 303);
  assert.equal(done.headers.get('location'), 'https://localhost:8080/signed-out?state=bye');
  // Signed out: a silent request now needs a login.
  const silent = await browser.fetch(
    client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid',
      prompt: 'none',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    }),
  );
  assert.equal(new URL(silent.headers.get('location')).searchParams.get('error'), 'login_required');
});

test('an ES256 app and an RS256 app on one server, each client checking its algorithm', async () => {
  sb.user('grace', { name: 'Grace Hopper' });
  const results = [];
  for (const alg of ['ES256', 'RS256']) {
    const app = sb.app([
      '--name', `${alg} app`,
      '--redirect-uri', REDIRECT,
      '--auth-method', 'client_secret_basic',
      '--scope', `openid profile email ${OFFLINE} ${PROFILE_SCOPE}`,
      '--id-token-alg', alg,
      '--consent-required', 'false',
    ]);
    const config = await client.discovery(
      new URL(sb.consumer),
      app.client_id,
      { id_token_signed_response_alg: alg },
      client.ClientSecretBasic(app.client_secret),
    );
    const tokens = await signInWith(config, new Browser(), 'grace');
    assert.equal(header(tokens.id_token).alg, alg);
    results.push(tokens.claims().name);
    // A client expecting the other algorithm refuses the ID token.
    const other = alg === 'ES256' ? 'RS256' : 'ES256';
    const strict = await client.discovery(
      new URL(sb.consumer),
      app.client_id,
      { id_token_signed_response_alg: other },
      client.ClientSecretBasic(app.client_secret),
    );
    await assert.rejects(signInWith(strict, new Browser(), 'grace'), (e) => {
      assert.match(String(e.cause?.message ?? e.cause), /alg/i, String(e.cause));
      return true;
    });
  }
  assert.deepEqual(results, ['Grace Hopper', 'Grace Hopper']);
});
