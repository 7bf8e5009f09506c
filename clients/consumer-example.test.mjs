// Banno's consumer OpenID Connect example (openid-client 5, passport-free here): discovery at
// the consumer issuer, client_secret_post, ES256 ID tokens, PKCE, the `claims` parameter
// naming standard and custom claims, then the consumer API calls it makes — a fetch task
// polled until it has ended, the accounts, an account's transactions — with only its base URL
// and credentials changed.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import openidClient5 from 'openid-client-5';
import {
  Sandbox,
  Browser,
  REDIRECT,
  OFFLINE,
  ACCOUNTS,
  TRANSACTIONS,
  INSTITUTION,
  header,
} from './support.mjs';

const { Issuer, generators } = openidClient5;
const sb = await Sandbox.start();
after(() => sb.stop());

test('the consumer example signs in, reads its claims and calls the consumer API', async () => {
  const sub = sb.user('ada', { name: 'Ada Lovelace', given_name: 'Ada', family_name: 'Lovelace' });
  const app = sb.app([
    '--name', 'Consumer example',
    '--redirect-uri', REDIRECT,
    '--auth-method', 'client_secret_post',
    '--scope', `openid ${OFFLINE} ${ACCOUNTS} ${TRANSACTIONS}`,
    '--consent-required', 'false',
  ]);
  assert.equal(app.id_token_alg, 'ES256', 'the Banno profile signs ID tokens with ES256');

  const issuer = await Issuer.discover(sb.consumer);
  assert.equal(issuer.issuer, sb.consumer);
  const client = new issuer.Client({
    client_id: app.client_id,
    client_secret: app.client_secret,
    redirect_uris: [REDIRECT],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
    id_token_signed_response_alg: 'ES256',
  });
  const verifier = generators.codeVerifier();
  const state = generators.state();
  const claims = {
    given_name: null, family_name: null, name: null, address: null, phone: null, email: null,
    [INSTITUTION]: null,
  };
  const url = client.authorizationUrl({
    scope: `openid ${OFFLINE} ${ACCOUNTS} ${TRANSACTIONS}`,
    claims: JSON.stringify({ id_token: claims, userinfo: claims }),
    code_challenge: generators.codeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  const back = await new Browser().signIn(url, 'ada');
  const params = client.callbackParams(back.toString());
  const tokenSet = await client.callback(REDIRECT, params, { code_verifier: verifier, state });
  assert.equal(header(tokenSet.id_token).alg, 'ES256');
  const user = tokenSet.claims();
  assert.equal(user.sub, sub);
  assert.equal(user.name, 'Ada Lovelace', '"Hello Ada Lovelace", not "Hello undefined"');
  assert.equal(user.given_name, 'Ada');
  assert.match(user[INSTITUTION], /^[0-9a-f-]{36}$/, 'a sandbox user carries the public claims');
  assert.ok(tokenSet.refresh_token, 'offline access');
  const info = await client.userinfo(tokenSet.access_token);
  assert.equal(info.name, 'Ada Lovelace');

  // The consumer API, as the example calls it.
  const api = `${sb.base}/a/consumer/api/v0/users/${user.sub}`;
  const call = async (path, method = 'GET') => {
    const r = await fetch(`${api}${path}`, {
      method,
      headers: { authorization: `Bearer ${tokenSet.access_token}` },
    });
    assert.equal(r.status, 200, `${method} ${path}: ${await r.clone().text()}`);
    return r.json();
  };
  const { taskId } = await call('/fetch', 'PUT');
  let ended = false;
  for (let i = 0; i < 5 && !ended; i++) {
    const task = await call(`/tasks/${taskId}`);
    ended = task.events.some((e) => e.type === 'TaskEnded');
  }
  assert.ok(ended, 'the fetch task ends');
  const { accounts } = await call('/accounts');
  assert.ok(accounts.length >= 2);
  for (const a of accounts) {
    assert.equal(typeof a.id, 'string');
    assert.match(a.balance, /^-?\d+\.\d\d$/);
  }
  const { transactions } = await call(`/accounts/${accounts[0].id}/transactions`);
  assert.ok(transactions.length > 0);
  for (const t of transactions) {
    assert.equal(t.accountId, accounts[0].id);
    assert.equal(typeof t.amount, 'string');
    assert.equal(typeof t.memo, 'string');
  }

  // Refreshing works with the same library (a new refresh token each time: confidential).
  const refreshed = await client.refresh(tokenSet.refresh_token);
  assert.notEqual(refreshed.access_token, tokenSet.access_token);
  assert.equal(refreshed.claims().name, 'Ada Lovelace', 'the claims request holds on refresh');
});
