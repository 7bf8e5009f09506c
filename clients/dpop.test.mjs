// DPoP (RFC 9449) with openid-client 6, as a mobile or single-page app would use it: a public
// client's code flow with PKCE, `dpop_jkt` and a DPoP key of its own; the tokens come back bound
// (token_type DPoP, cnf.jkt), userinfo and the consumer API take them with the library's
// proofs, a refresh with the same key works and one with another key is refused. And a
// confidential app registered `--dpop-bound` gets bound client-credentials tokens only.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { Sandbox, Browser, REDIRECT, OFFLINE, PROFILE_SCOPE, payload } from './support.mjs';

const sb = await Sandbox.start();
after(() => sb.stop());

test('openid-client 6: a public client with DPoP, from code to refresh to userinfo', async () => {
  const sub = sb.user('ada', { name: 'Ada Lovelace', given_name: 'Ada' });
  const app = sb.app([
    '--name', 'Mobile banking',
    '--type', 'public',
    '--auth-method', 'none',
    '--redirect-uri', REDIRECT,
    '--scope', `openid profile ${OFFLINE} ${PROFILE_SCOPE}`,
    '--consent-required', 'false',
  ]);
  const config = await client.discovery(new URL(sb.consumer), app.client_id, undefined, client.None());
  assert.deepEqual(config.serverMetadata().dpop_signing_alg_values_supported, ['ES256', 'PS256', 'RS256']);

  const keyPair = await client.randomDPoPKeyPair('ES256');
  const DPoP = client.getDPoPHandle(config, keyPair);
  const verifier = client.randomPKCECodeVerifier();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: `openid profile ${OFFLINE} ${PROFILE_SCOPE}`,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    dpop_jkt: await DPoP.calculateThumbprint(),
  });
  const back = await new Browser().signIn(url, 'ada');
  const tokens = await client.authorizationCodeGrant(config, back, { pkceCodeVerifier: verifier }, undefined, { DPoP });
  assert.equal(tokens.token_type.toLowerCase(), 'dpop');
  assert.equal(payload(tokens.access_token).cnf.jkt, await DPoP.calculateThumbprint());

  // The library sends the bound token with the DPoP scheme and a proof carrying ath.
  const info = await client.fetchUserInfo(config, tokens.access_token, sub, { DPoP });
  assert.equal(info.name, 'Ada Lovelace');
  const profile = await client.fetchProtectedResource(
    config,
    tokens.access_token,
    new URL(`${sb.base}/a/consumer/api/v0/users/${sub}`),
    'GET',
    undefined,
    undefined,
    { DPoP },
  );
  assert.equal(profile.status, 200);
  assert.equal((await profile.json()).userId, sub);

  // Sent as a bearer token it is refused, with a DPoP challenge.
  const asBearer = await fetch(config.serverMetadata().userinfo_endpoint, {
    headers: { authorization: `Bearer ${tokens.access_token}` },
  });
  assert.equal(asBearer.status, 401);
  assert.match(asBearer.headers.get('www-authenticate'), /^DPoP .*error="invalid_token"/);

  // A refresh with the same key: a new bound pair.
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token, undefined, { DPoP });
  assert.equal(refreshed.token_type.toLowerCase(), 'dpop');
  assert.notEqual(refreshed.access_token, tokens.access_token);

  // With another key: refused, the refresh token being bound to the first.
  const other = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
  await assert.rejects(
    client.refreshTokenGrant(config, refreshed.refresh_token, undefined, { DPoP: other }),
    (e) => e.error === 'invalid_grant',
  );
  // And the refresh token still works with its own key afterwards.
  const again = await client.refreshTokenGrant(config, refreshed.refresh_token, undefined, { DPoP });
  assert.equal(payload(again.access_token).cnf.jkt, await DPoP.calculateThumbprint());
});

test('openid-client 6: an app registered --dpop-bound gets bound client-credentials tokens only', async () => {
  const app = sb.app([
    '--name', 'Bound partner',
    '--grant-type', 'client_credentials',
    '--scope', 'https://api.banno.com/consumer/auth/accounts.readonly',
    '--dpop-bound',
  ]);
  assert.equal(app.dpop_bound_access_tokens, true);
  const config = await client.discovery(
    new URL(sb.enterprise),
    app.client_id,
    undefined,
    client.ClientSecretBasic(app.client_secret),
  );
  await assert.rejects(client.clientCredentialsGrant(config), (e) => e.error === 'invalid_dpop_proof');
  const DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair('PS256'));
  const tokens = await client.clientCredentialsGrant(config, undefined, { DPoP });
  assert.equal(tokens.token_type.toLowerCase(), 'dpop');
  assert.equal(payload(tokens.access_token).cnf.jkt, await DPoP.calculateThumbprint());
});

test('openid-client 6: a pushed authorization request with DPoP, and an app that requires PAR', async () => {
  const sub = sb.user('grace', { name: 'Grace Hopper' });
  const app = sb.app([
    '--name', 'Pushed mobile',
    '--type', 'public',
    '--auth-method', 'none',
    '--redirect-uri', REDIRECT,
    '--scope', `openid profile ${OFFLINE}`,
    '--consent-required', 'false',
    '--require-par',
  ]);
  assert.equal(app.require_pushed_authorization_requests, true);
  const config = await client.discovery(new URL(sb.consumer), app.client_id, undefined, client.None());
  assert.equal(config.serverMetadata().pushed_authorization_request_endpoint, `${sb.consumer}/par`);
  const DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
  const verifier = client.randomPKCECodeVerifier();
  const params = {
    redirect_uri: REDIRECT,
    scope: `openid profile ${OFFLINE}`,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  };

  // Without pushing, the app's sign-in goes back to it with invalid_request.
  const plain = await fetch(client.buildAuthorizationUrl(config, params), { redirect: 'manual' });
  assert.equal(new URL(plain.headers.get('location')).searchParams.get('error'), 'invalid_request');

  // Pushed (with a DPoP proof, which binds the code), the browser carries client_id and
  // request_uri only.
  const url = await client.buildAuthorizationUrlWithPAR(config, params, { DPoP });
  assert.deepEqual([...url.searchParams.keys()].sort(), ['client_id', 'request_uri']);
  const back = await new Browser().signIn(url, 'grace');
  const tokens = await client.authorizationCodeGrant(config, back, { pkceCodeVerifier: verifier }, undefined, { DPoP });
  assert.equal(tokens.token_type.toLowerCase(), 'dpop');
  assert.equal(tokens.claims().sub, sub);

  // The request_uri was used: the same URL again is refused.
  const again = await fetch(url, { redirect: 'manual' });
  assert.equal(again.status, 400);
});

test('openid-client 6 against a server that asks for DPoP nonces (serve --dpop-nonce)', async () => {
  const strict = await Sandbox.start({ serveArgs: ['--dpop-nonce'] });
  try {
    const sub = strict.user('ada', { name: 'Ada Lovelace' });
    const app = strict.app([
      '--name', 'Nonce-aware mobile',
      '--type', 'public',
      '--auth-method', 'none',
      '--redirect-uri', REDIRECT,
      '--scope', `openid profile ${OFFLINE}`,
      '--consent-required', 'false',
    ]);
    const config = await client.discovery(new URL(strict.consumer), app.client_id, undefined, client.None());
    const DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
    // Without a nonce the server answers use_dpop_nonce with a DPoP-Nonce header.
    const bare = await fetch(config.serverMetadata().token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'x', client_id: app.client_id }),
    });
    assert.equal(bare.headers.get('dpop-nonce')?.length > 0, true);

    // The library learns the nonce from the refusal and retries, at the token endpoint and at
    // userinfo alike.
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: `openid profile ${OFFLINE}`,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const back = await new Browser().signIn(url, 'ada');
    const tokens = await client.authorizationCodeGrant(config, back, { pkceCodeVerifier: verifier }, undefined, { DPoP });
    assert.equal(tokens.token_type.toLowerCase(), 'dpop');
    const info = await client.fetchUserInfo(config, tokens.access_token, sub, { DPoP });
    assert.equal(info.name, 'Ada Lovelace');
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token, undefined, { DPoP });
    assert.equal(refreshed.token_type.toLowerCase(), 'dpop');
  } finally {
    strict.stop();
  }
});
