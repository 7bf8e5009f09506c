// The console end to end, in the real Tauri window: create an app in the UI and read its
// secret; run a real authorization-code + refresh flow against the app's HTTP endpoints; find
// the chain in the UI and see its tree; revoke it after the preview; check over HTTP that the
// refresh token now fails. Screenshots are kept as artifacts (and feed the README).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPairSync } from "node:crypto";
import { request as httpsRequest } from "node:https";
import { createServer } from "node:net";
import { execFileSync } from "node:child_process";
import { remote } from "webdriverio";

const ARTIFACTS = process.env.AUTHDESK_E2E_ARTIFACTS;
const REDIRECT = "http://127.0.0.1:9/callback";
let browser;
let appId; // the application created in the first test

before(async () => {
  browser = await remote({
    hostname: "127.0.0.1",
    port: 4444,
    logLevel: "warn",
    connectionRetryTimeout: 60_000,
    capabilities: {
      browserName: "wry",
      "wdio:enforceWebDriverClassic": true, // WebKitWebDriver rejects the BiDi capability
      "tauri:options": { application: process.env.AUTHDESK_E2E_APP },
    },
  });
});

after(async () => {
  await browser?.deleteSession();
});

const shot = (name) => browser.saveScreenshot(`${ARTIFACTS}/${name}.png`);
const $ = (sel) => browser.$(sel);
async function text(sel) {
  const el = await $(sel);
  await el.waitForDisplayed({ timeout: 20_000 });
  return el.getText();
}
async function type(sel, value) {
  const el = await $(sel);
  await el.waitForDisplayed({ timeout: 20_000 });
  // A controlled React input can re-render between the clear and the typing, so the old value
  // comes back and the new one is appended ("91d" + "100d" moved the clock 191 days once):
  // type until the field holds exactly `value`.
  await browser.waitUntil(
    async () => {
      await el.clearValue();
      await el.setValue(value);
      return (await el.getValue()) === value;
    },
    { timeout: 20_000, interval: 200, timeoutMsg: `could not type ${JSON.stringify(value)} into ${sel}` },
  );
}
async function click(sel) {
  const el = await $(sel);
  await el.waitForClickable({ timeout: 20_000 });
  await el.click();
}

// --- a minimal browser for the login and consent pages: real HTTP, cookies kept by hand ---
function hidden(html, name) {
  const m = html.match(new RegExp(`name="${name}" value="([^"]*)"`));
  assert.ok(m, `no hidden field ${name} in: ${html.replace(/<style>.*<\/style>/s, "").slice(0, 600)}`);
  return m[1];
}
async function post(url, form, cookies) {
  return fetch(url, { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded", cookie: cookies.join("; ") }, body: new URLSearchParams(form) });
}
function keepCookies(resp, cookies) {
  for (const c of resp.headers.getSetCookie()) cookies.push(c.split(";")[0]);
}

async function codeFlow(issuer, clientId, username, password) {
  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  const q = new URLSearchParams({ response_type: "code", client_id: clientId, redirect_uri: REDIRECT, scope: "openid offline_access", state: "e2e", code_challenge: challenge, code_challenge_method: "S256" });
  const cookies = [];
  let resp = await fetch(`${issuer}/authorize?${q}`, { redirect: "manual" });
  keepCookies(resp, cookies);
  let html = await resp.text();
  resp = await post(`${issuer}/login`, { interaction: hidden(html, "interaction"), csrf_token: hidden(html, "csrf_token"), username, password }, cookies);
  keepCookies(resp, cookies);
  // Consent once: an app the person approved before gets its code straight after login.
  if (resp.status !== 303) {
    html = await resp.text();
    resp = await post(`${issuer}/consent`, { interaction: hidden(html, "interaction"), csrf_token: hidden(html, "csrf_token"), decision: "approve" }, cookies);
  }
  assert.equal(resp.status, 303);
  const location = new URL(resp.headers.get("location"));
  assert.equal(location.searchParams.get("state"), "e2e");
  return { code: location.searchParams.get("code"), verifier };
}

async function token(issuer, clientId, secret, form) {
  const resp = await fetch(`${issuer}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", authorization: "Basic " + Buffer.from(`${clientId}:${secret}`).toString("base64") },
    body: new URLSearchParams(form),
  });
  return { status: resp.status, body: await resp.json() };
}

test("create an app, run a code + refresh flow, find and revoke its chain", async () => {
  const issuer = (await text("#status-issuer")).trim();
  assert.match(issuer, /^http:\/\/127\.0\.0\.1:\d+$/);

  // A new registry opens on the start page: the issuer to paste, and three steps not done.
  await $("#start").waitForDisplayed({ timeout: 20_000 });
  assert.ok((await text("#start-issuers")).includes(`${issuer}/.well-known/openid-configuration`));
  for (const step of ["#start-app", "#start-user", "#start-token"]) assert.equal(await (await $(step)).getAttribute("class"), "todo", step);
  await shot("00-start");

  // Applications: create with every field the flow needs, read the secret shown once.
  await click("#nav-applications");
  await click("#app-new");
  await type("#f-name", "E2E Budget App");
  await type("#f-partner", "Acme Fintech");
  await type("#f-redirects", REDIRECT);
  await type("#f-scopes", "openid profile offline_access");
  await type("#f-access-lifetime", "300");
  await shot("01-applications-new");
  await click("#f-submit");
  // The secret is masked until revealed; leaving before it is copied asks first.
  assert.match(await text("#secret-value"), /^•+$/);
  await click("#nav-overview");
  await $("#leave-dialog").then((e) => e.waitForDisplayed({ timeout: 20_000 }));
  await browser.keys("Escape");
  await browser.waitUntil(async () => !(await (await $("#leave-dialog")).isExisting()), { timeout: 20_000, timeoutMsg: "Esc stays" });
  await click("#secret-reveal");
  const secret = await text("#secret-value");
  const clientId = await text("#secret-client-id");
  appId = clientId;
  assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
  await shot("02-applications-secret-once");
  await click("#secret-done");
  await shot("03-applications");

  // A field error shows next to the field, in plain words.
  await click("#app-new");
  await type("#f-name", "Bad");
  await type("#f-redirects", "JavaScript:alert(1)");
  await click("#f-submit");
  assert.match(await text(".field-error"), /scheme is not allowed/);
  await click("#client-form button[type=button]");

  // Sandbox: a test user.
  await click("#nav-sandbox");
  await type("#user-name", "ada");
  await type("#user-password", "correct horse battery");
  await click("#user-create");
  await browser.waitUntil(async () => (await text("#user-list")).includes("ada"), { timeout: 20_000 });

  // Over HTTP: the real login + consent pages, a code exchange, one refresh.
  const { code, verifier } = await codeFlow(issuer, clientId, "ada", "correct horse battery");
  const first = await token(issuer, clientId, secret, { grant_type: "authorization_code", code, redirect_uri: REDIRECT, code_verifier: verifier });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal(first.body.expires_in, 300, "the shorter lifetime set in the form applies");
  const second = await token(issuer, clientId, secret, { grant_type: "refresh_token", refresh_token: first.body.refresh_token });
  assert.equal(second.status, 200, JSON.stringify(second.body));

  // Chains: find the grant by app, see the tree (root and its child).
  await openChains("E2E Budget App");
  // The list shows the last search until this one answers: wait for this one.
  await browser.waitUntil(async () => (await text("#grant-list")).includes("E2E Budget App"), { timeout: 20_000, timeoutMsg: "the app's grants are listed" });
  // WebKitWebDriver clicks cells, not rows.
  const cell = await $("#grant-list tbody tr td.grant-name");
  await cell.waitForClickable({ timeout: 20_000 });
  // Grants are shown by the names people know: the app's name and the user's username.
  assert.match(await text("#grant-list"), /E2E Budget App[\s\S]*ada/);
  await cell.click();
  await browser.waitUntil(async () => (await $$rows()).length === 2, { timeout: 20_000, timeoutMsg: "tree with two refresh tokens" });
  const rows = await $$rows();
  assert.equal(await rows[1].getAttribute("data-depth"), "1", "the refreshed token is a child of the first");
  // Times read relative to now ("in 90 d"); the tree folds.
  assert.match(await text("#token-tree"), /in 90 d/);
  await shot("04-chains-tree");
  await click("#token-tree button.fold");
  await browser.waitUntil(async () => (await $$rows()).length === 1, { timeout: 20_000, timeoutMsg: "folded to the first token" });
  assert.match(await text("#token-tree"), /\+1/);
  await click("#token-tree button.fold");
  await browser.waitUntil(async () => (await $$rows()).length === 2, { timeout: 20_000, timeoutMsg: "unfolded" });

  // Revoke after the preview.
  await click("#revoke-grant");
  const impact = await text("#revoke-impact");
  assert.match(impact, /This ends 1 grant: 2 usable refresh tokens stop at once, and 2 unexpired access tokens are refused/);
  await type("#revoke-reason", "E2E: lost phone");
  await shot("05-chains-revoke-preview");
  await click("#revoke-confirm");
  // The one plain line says why the grant stopped working (core::status::why_stopped).
  assert.match(await text("#grant-why"), /revoked .* by console:local@[^:]+: E2E: lost phone/);
  await shot("06-chains-revoked");

  // The home: what there is and what happened lately; each number opens its list.
  await click("#nav-overview");
  await browser.waitUntil(async () => (await text("#ov-revocations")).startsWith("1"), { timeout: 20_000, timeoutMsg: "the revocation is counted" });
  assert.match(await text("#ov-apps"), /^1\s*application\b/);
  assert.match(await text("#ov-grants"), /^0\s*active grants/);
  // An app, a person and a token: the start page has nothing left to say.
  assert.equal(await (await $("#start")).isExisting(), false);
  await shot("00-overview");
  await click("#ov-revocations");
  await browser.waitUntil(async () => (await text("#audit-count")).startsWith("1 event matches"), { timeout: 20_000, timeoutMsg: "the audit opens on the week's revocations" });
  assert.equal(await (await $("#audit-action")).getValue(), "grant.revoke");
  // "Ending soon" opens the list of grants behind the number (none this week: the chain is new).
  await click("#nav-overview");
  await click("#ov-chains-7");
  await $("#chain-ending").waitForDisplayed({ timeout: 20_000 });
  assert.match(await text("#chain-ending"), /^chains reaching their one-year end \d+ \w+ \d{4} – \d+ \w+ \d{4}/);
  await browser.waitUntil(async () => (await text("#grant-list")).includes("No grants match"), { timeout: 20_000, timeoutMsg: "nothing ends this week" });

  // Over HTTP: the refresh token of the revoked chain now fails.
  const after = await token(issuer, clientId, secret, { grant_type: "refresh_token", refresh_token: second.body.refresh_token });
  assert.equal(after.status, 400);
  assert.equal(after.body.error, "invalid_grant");
});

test("sandbox mint and clock, chain timeline, keys and audit", async () => {
  // Sandbox: mint a user's tokens without a browser; the response is decoded.
  await click("#nav-sandbox");
  // The lists load asynchronously: wait for the options before choosing them.
  await $(`#mint-client option[value="${appId}"]`).waitForExist({ timeout: 20_000 });
  await (await $("#mint-client")).selectByAttribute("value", appId);
  // The person is picked by name (a sandbox may hold thousands).
  await type("#mint-user", "ada");
  await browser.waitUntil(async () => (await text("#mint-user-hits")).includes("ada"), { timeout: 20_000, timeoutMsg: "ada is offered" });
  await browser.keys("Enter");
  await browser.waitUntil(async () => (await text("#mint-person")).includes("ada"), { timeout: 20_000, timeoutMsg: "ada is chosen" });
  await type("#mint-scope", "openid profile offline_access");
  await click("#mint-go");
  await browser.waitUntil(async () => (await text(".tokens")).includes('"typ":"at+jwt"'), { timeout: 20_000 });
  // Readable times and a copy button for each raw token.
  assert.match(await text("#times-access_token"), /iat \d{4}-\d\d-\d\d \d\d:\d\d UTC · exp /);
  await $("#copy-access_token").waitForExist();
  await $("#copy-refresh_token").waitForExist();
  // From the minted refresh token to its chain, and back.
  await click("#mint-chain");
  await browser.waitUntil(async () => (await text("#grant-detail")).includes("ada"), { timeout: 20_000, timeoutMsg: "the minted chain opens" });
  await click("#nav-sandbox");

  // Move the sandbox clock 100 days: visible everywhere.
  await type("#clock-duration", "100d");
  await click("#clock-advance");
  await $("#clock-banner").waitForDisplayed({ timeout: 20_000 });
  assert.match(await text("#status-clock"), /100d/);
  // A preset: the access token's ten minutes.
  await click("#clock-preset-10m");
  await browser.waitUntil(async () => /100d 10m/.test(await text("#status-clock")), { timeout: 20_000, timeoutMsg: "the 10-minute preset moved the clock" });
  await shot("08-sandbox");

  // The minted chain on the timeline: its token has expired 90 days after issue, the cap
  // is a year out, and "now" is marked.
  await openChains("E2E Budget App");
  await browser.waitUntil(async () => (await text("#grant-list")).includes("E2E Budget App"), { timeout: 20_000, timeoutMsg: "the app's grants are listed" });
  const stopped = await $("//table[@id='grant-list']//tr[.//span[contains(@class,'state-stopped')]]/td[contains(@class,'grant-name')]");
  await stopped.waitForClickable({ timeout: 20_000 });
  await stopped.click();
  await $("#grant-detail").waitForDisplayed();
  assert.match(await text("#token-tree"), /expired/);
  await click("#show-timeline");
  await $("#chain-picture").waitForDisplayed({ timeout: 20_000 });
  // After 100 days every refresh token has expired and the chain ends in 265: the 90-day chart
  // says so instead of drawing an empty axis.
  assert.match(await text("#hist-90"), /Nothing expires in this period/);
  // The year's chart has dates on its axis (the minted chain ends in 265 days).
  assert.match(await text("#hist-365"), /today[\s\S]*(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d+/);
  await shot("07-timeline");
  // A bar opens the grants behind it: the week the minted chain reaches its one-year end.
  await click("#hist-365 rect.hist-chains");
  await $("#chain-ending").waitForDisplayed({ timeout: 20_000 });
  assert.match(await text("#chain-ending"), /^chains reaching their one-year end \d+ \w+ \d{4} – /);
  await browser.waitUntil(async () => (await text("#grant-list")).includes("E2E Budget App · ada"), { timeout: 20_000, timeoutMsg: "the bar's grant is listed" });
  // The Timeline picks a chain by the person's name, not an id: her grants to choose from.
  await click("#nav-timeline");
  await type("#timeline-pick", "ada");
  await browser.waitUntil(async () => (await text("#timeline-pick-hits")).includes("ada"), { timeout: 20_000, timeoutMsg: "ada is offered" });
  await browser.keys("Enter");
  await browser.waitUntil(async () => (await text("#timeline-choices")).includes("E2E Budget App · ada"), { timeout: 20_000, timeoutMsg: "ada's grants are offered" });
  await click("#timeline-choices li:last-child button");
  await $("#chain-picture").waitForDisplayed({ timeout: 20_000 });
  assert.match(await text("#timeline-title"), /^E2E Budget App · ada · since /);
  assert.match(await text("#chain-picture"), /token 1/);

  // Mint again, bound to a new DPoP key (RFC 9449): the key and a ready call that proves it.
  await click("#nav-sandbox");
  await $(`#mint-client option[value="${appId}"]`).waitForExist({ timeout: 20_000 });
  await (await $("#mint-client")).selectByAttribute("value", appId);
  await type("#mint-user", "ada");
  await browser.waitUntil(async () => (await text("#mint-user-hits")).includes("ada"), { timeout: 20_000, timeoutMsg: "ada is offered again" });
  await browser.keys("Enter");
  await browser.waitUntil(async () => (await text("#mint-person")).includes("ada"), { timeout: 20_000, timeoutMsg: "ada is chosen again" });
  await click("#mint-dpop");
  await click("#mint-go");
  await browser.waitUntil(async () => (await text("#mint-dpop-command")).includes("Authorization: DPoP"), { timeout: 20_000, timeoutMsg: "a bound token and the call that proves its key" });
  assert.match(await text("#mint-dpop-key"), /DPoP tokens, bound to the key/);
  await (await $("#mint-dpop-key")).scrollIntoView();
  await shot("08c-sandbox-dpop");

  // The call works once; a retry with the same proof fails, and Explain, given the token and
  // that proof, says why.
  const command = await text("#mint-dpop-command");
  const [, userinfoUrl, boundToken, proof] = command.match(/curl -s '([^']+)' -H 'Authorization: DPoP ([^']+)' -H 'DPoP: ([^']+)'/);
  const call = () => fetch(userinfoUrl, { headers: { authorization: `DPoP ${boundToken}`, dpop: proof } });
  assert.equal((await call()).status, 200);
  assert.equal((await call()).status, 401);
  await click("#nav-explain");
  await type("#explain-input", boundToken);
  await type("#explain-proof", proof);
  await click("#explain-go");
  await browser.waitUntil(async () => (await text("#explanation")).includes("jti was used already"), { timeout: 20_000, timeoutMsg: "Explain names the replayed proof" });
  assert.equal(await (await $("#explanation")).getAttribute("data-accepted"), "false");
  await shot("08d-explain-dpop-proof");

  await click("#nav-keys");
  assert.match(await text("#key-list"), /RS256/);
  // A key rotation asks first, with what it means and a reason.
  await click("#rotate-es256");
  assert.match(await text("#key-rotate-impact"), /keep verifying until they expire/);
  await type("#key-rotate-reason", "E2E: yearly rotation");
  await click("#key-rotate-confirm");
  await browser.waitUntil(async () => (await text("#toasts")).includes("A new ES256 key signs"), { timeout: 20_000, timeoutMsg: "a toast says it is done" });
  await browser.waitUntil(async () => (await text("#key-list")).includes("ES256"), { timeout: 20_000, timeoutMsg: "the new key is listed" });
  await shot("09-keys");
  await openAudit();
  await browser.waitUntil(async () => (await text("#audit-list")).includes("revoked"), { timeout: 20_000 });
  // Events read as sentences with names, not codes.
  assert.match(await text("#audit-list"), /minted tokens for E2E Budget App/);
  // The audit's hash chain is verified and shown above the list.
  await browser.waitUntil(async () => (await text("#audit-chain")).includes("intact"), { timeout: 20_000 });
  // The action filter lists what the backend records (AuditAction::ALL), and filters.
  const values = await browser.execute(() => [...document.querySelectorAll("#audit-action option")].map((o) => o.value));
  assert.ok(values.includes("settings.retention") && values.includes("grant.revoke"), values.join(","));
  await (await browser.$("#audit-action")).selectByAttribute("value", "grant.revoke");
  await browser.waitUntil(async () => !(await text("#audit-list")).includes("minted tokens"), { timeout: 20_000 });
  assert.match(await text("#audit-list"), /revoked ada's E2E Budget App grant — E2E: lost phone/);
  // Free text reaches into the detail: the reason given when the chain was revoked.
  await (await browser.$("#audit-action")).selectByAttribute("value", "");
  await type("#audit-text", "lost phone");
  await browser.waitUntil(async () => (await text("#audit-count")).startsWith("1 event matches"), { timeout: 20_000, timeoutMsg: "one event has the reason" });
  // The event opens to its whole detail.
  await click("#audit-list tbody tr td");
  assert.match(await text("#audit-list .detail"), /"reason": "E2E: lost phone"/);
  await shot("10-audit");
  // Exported to CSV: the file holds the header and that one event.
  await click("#audit-export-csv");
  const saved = (await text("#audit-saved")).replace(/^Saved to /, "");
  assert.ok(saved.startsWith(process.env.AUTHDESK_EXPORT_DIR), saved);
  const csv = readFileSync(saved, "utf8").split("\r\n").filter(Boolean);
  assert.equal(csv[0], "id,at_utc,recorded_at_utc,actor,action,target,detail");
  assert.equal(csv.length, 2, csv.join("\n"));
  assert.match(csv[1], /,console:[^,]+,grant\.revoke,.*E2E: lost phone/);
  // From the event's target to the grant it revoked, and from the grant to its app.
  await click("#audit-list tbody tr td button.link");
  await browser.waitUntil(async () => /revoked .* E2E: lost phone/.test(await text("#grant-why")), { timeout: 20_000, timeoutMsg: "the revoked grant opens" });
  await click("#grant-app");
  await browser.waitUntil(async () => (await text("#app-detail")).includes("E2E Budget App"), { timeout: 20_000, timeoutMsg: "the grant's app opens" });
  await openAudit();
  // The reason given for the key rotation is in the audit.
  await type("#audit-text", "E2E: yearly rotation");
  await browser.waitUntil(async () => (await text("#audit-list")).includes("rotated the ES256 signing key — E2E: yearly rotation"), { timeout: 20_000, timeoutMsg: "the rotation's reason is audited" });
  // Events written after the sandbox clock moved show the wall-clock time beside it.
  await type("#audit-text", "clock.");
  await browser.waitUntil(async () => /written \d{4}-/.test(await text("#audit-list")), { timeout: 20_000, timeoutMsg: "an event after the clock move shows when it was written" });

  // From an application to its grants.
  await click("#nav-applications");
  // The list renders empty first, then loaded: click a cell of the loaded one.
  await browser.waitUntil(async () => (await text("#app-list")).includes("E2E Budget App"), { timeout: 20_000 });
  // Each app with its partner, live grants and newest grant's day.
  const cells = await browser.execute(() => [...document.querySelectorAll("#app-list tbody tr:first-child td")].map((td) => td.textContent));
  assert.equal(cells[1], "Acme Fintech");
  assert.match(cells[2], /^\d+$/);
  assert.match(cells[3], /^\d+ \w+ \d{4}$/);
  await click("#app-list tbody tr td");
  // Rotating the secret with an overlap: the old secret's remaining time is shown.
  await click("#app-rotate");
  // The overlap is 24 hours unless changed; cutting the old secret off at once is the red button.
  assert.equal(await (await $("#rotate-overlap")).getValue(), "24h");
  assert.match(await text("#rotate-impact"), /Time to redeploy/);
  await (await $("#rotate-overlap")).selectByAttribute("value", "");
  assert.match(await text("#rotate-confirm"), /Cut off the old secret now/);
  assert.match(await (await $("#rotate-confirm")).getAttribute("class"), /danger/);
  await (await $("#rotate-overlap")).selectByAttribute("value", "24h");
  await shot("03-applications-rotate");
  await click("#rotate-confirm");
  await $("#secret-once").waitForDisplayed({ timeout: 20_000 });
  await click("#secret-done");
  // The app says why its calls may fail: the old secret's remaining time.
  await browser.waitUntil(async () => (await text("#app-detail")).includes("the old secret still works until"), { timeout: 20_000, timeoutMsg: "the app's why line" });
  assert.match(await text("#app-old-secret"), /still works until \d{4}-\d\d-\d\d \d\d:\d\d UTC \(in (1 d|24 h)\)/);
  // Disabling asks first: what it touches and a reason; enabling again undoes it.
  await click("#app-toggle");
  await browser.waitUntil(async () => /Enabling it again undoes this/.test(await text("#disable-confirm-impact")), { timeout: 20_000, timeoutMsg: "the disable's impact" });
  await type("#disable-confirm-reason", "E2E: partner paused");
  await shot("03b-applications-disable");
  await click("#disable-confirm-confirm");
  await browser.waitUntil(async () => (await text("#toasts")).includes("E2E Budget App disabled"), { timeout: 20_000, timeoutMsg: "a toast says it is done" });
  await shot("03c-applications-disabled");
  await browser.waitUntil(async () => /disabled .* by console:[^:]+: the app gets no tokens/.test(await text("#app-detail")), { timeout: 20_000, timeoutMsg: "the app says it is disabled" });
  await click("#app-toggle");
  await browser.waitUntil(async () => !(await text("#app-detail")).includes("the app gets no tokens"), { timeout: 20_000, timeoutMsg: "enabled again" });
  await click("#app-grants");
  await browser.waitUntil(async () => (await text("#grant-list")).includes("E2E Budget App"), { timeout: 20_000, timeoutMsg: "the app's grants are listed" });
  assert.match(await text("#chain-chosen"), /app: E2E Budget App/);

  // From a user to their grants.
  await click("#nav-sandbox");
  await click("#user-grants-ada");
  await browser.waitUntil(async () => (await text("#grant-list")).includes("ada"), { timeout: 20_000, timeoutMsg: "the user's grants are listed" });
  assert.match(await text("#chain-chosen"), /person: ada/);

  // One search from anywhere (Ctrl+K): a person by the start of their user name, opened with
  // the keyboard onto their grants.
  await click("#nav-keys");
  await browser.keys(["Control", "k"]);
  await $("#search").waitForDisplayed({ timeout: 20_000 });
  await type("#search-input", "ad");
  await browser.waitUntil(async () => (await text("#search-hits")).includes("ada"), { timeout: 20_000, timeoutMsg: "ada is found" });
  assert.match(await text("#search-hits li.at"), /PERSON\s*ada/i);
  await shot("11-search");
  await browser.keys("Enter");
  await browser.waitUntil(async () => (await text("#grant-list")).includes("E2E Budget App"), { timeout: 20_000, timeoutMsg: "the person's grants open" });
  assert.match(await text("#chain-chosen"), /person: ada/);
  // An app by a part of its name, from the sidebar's button, opened with a click.
  await click("#nav-search");
  await type("#search-input", "budget");
  await browser.waitUntil(async () => (await text("#search-hits")).includes("E2E Budget App"), { timeout: 20_000 });
  await click("#search-hits li[data-kind='app']");
  await browser.waitUntil(async () => (await text("#app-detail")).includes("E2E Budget App"), { timeout: 20_000, timeoutMsg: "the app opens" });
  // Nothing found is said, and Escape closes.
  await click("#nav-search");
  await type("#search-input", "zzz-nobody");
  assert.match(await text("#search-none"), /Nothing matches “zzz-nobody”/);
  await browser.keys("Escape");
  await $("#search").waitForDisplayed({ reverse: true, timeout: 20_000 });
  // The reason given for disabling the app is in the audit too.
  await openAudit();
  await type("#audit-text", "E2E: partner paused");
  await browser.waitUntil(async () => (await text("#audit-list")).includes("disabled E2E Budget App"), { timeout: 20_000, timeoutMsg: "the disable's reason is audited" });
});

test("a support agent: why a customer's app stopped working, and acting on it", async () => {
  // A desk's scale: 3,000 more people with grants of every kind, written by the CLI into the
  // directory the console has open.
  execFileSync(process.env.AUTHDESK_E2E_CLI, ["--data-dir", process.env.AUTHDESK_DATA_DIR, "seed", "--people", "3000"]);
  await click("#nav-overview");
  await browser.waitUntil(async () => /^3,001\s*sandbox users/.test(await text("#ov-users")), { timeout: 20_000, timeoutMsg: "the seeded people are counted" });
  // The Sandbox shows them a page at a time and finds one as the search does.
  await click("#nav-sandbox");
  await browser.waitUntil(async () => (await text("#user-page")) === "1–25", { timeout: 20_000, timeoutMsg: "the first page of people" });
  await click("#user-next");
  await browser.waitUntil(async () => (await text("#user-page")) === "26–50", { timeout: 20_000, timeoutMsg: "the second page" });
  await type("#user-search", "customer01234@");
  await browser.waitUntil(async () => (await text("#user-page")) === "1–1", { timeout: 20_000, timeoutMsg: "one person's e-mail starts so" });
  await shot("08b-sandbox-people");
  // One of them, found by the start of their e-mail among thousands.
  await browser.keys(["Control", "k"]);
  await type("#search-input", "customer01234@");
  await browser.waitUntil(async () => (await text("#search-hits")).includes("customer01234"), { timeout: 20_000, timeoutMsg: "found among thousands" });
  await browser.keys("Enter");
  await browser.waitUntil(async () => /Budget Buddy|Payroll Plus|Savings Coach/.test(await text("#grant-list")), { timeout: 20_000, timeoutMsg: "their grants open" });
  // The customer gives their user name. Explain says, grant by grant, why.
  await click("#nav-explain");
  await type("#explain-input", "ada");
  await click("#explain-go");
  await browser.waitUntil(async () => /E2E Budget App · ada · since/.test(await text("#explanation")), { timeout: 20_000, timeoutMsg: "ada's grants are explained" });
  assert.match(await text("#explanation"), /the last refresh token expired unused on .*: the user must sign in to the app again/);
  await shot("13-explain");
  // Found by name (Ctrl+K), their grants; all of them revoked after the preview, with a reason.
  await browser.keys(["Control", "k"]);
  await type("#search-input", "ada");
  await browser.waitUntil(async () => (await text("#search-hits")).includes("ada"), { timeout: 20_000 });
  await browser.keys("Enter");
  // The keyboard moves through the grants.
  await browser.waitUntil(async () => (await $$("#grant-list tbody tr td")).length > 5, { timeout: 20_000, timeoutMsg: "ada's grants are listed" });
  await click("#grant-list tbody tr td.grant-name");
  const first = await text("#grant-detail h2");
  await browser.keys("ArrowDown");
  await browser.waitUntil(async () => (await text("#grant-detail h2")) !== first, { timeout: 20_000, timeoutMsg: "ArrowDown opens the next grant" });
  await click("#revoke-all");
  assert.match(await text("#revoke-impact"), /This ends \d+ grants?/);
  await type("#revoke-reason", "E2E: customer called, phone stolen");
  // Every grant of a person at once: their name typed to confirm.
  assert.equal(await (await $("#revoke-confirm")).isEnabled(), false, "not before the name is typed");
  await type("#revoke-typed", "ada");
  await click("#revoke-confirm");
  await browser.waitUntil(async () => !(await text("#grant-list")).includes("active"), { timeout: 20_000, timeoutMsg: "every grant of ada is revoked" });
  // And signed out everywhere (the revocation already ended ada's sessions: none are left).
  await click("#sign-out-everywhere");
  await type("#sign-out-reason", "E2E: phone stolen");
  await shot("19-chains-sign-out");
  await click("#sign-out-confirm");
  await browser.waitUntil(async () => /Signed ada out: 0 sessions ended/.test(await text("#toasts")), { timeout: 20_000, timeoutMsg: "the sign-out is confirmed" });
  // The revocation in the audit, by its reason, exported.
  await openAudit();
  await type("#audit-text", "customer called");
  await browser.waitUntil(async () => (await text("#audit-count")).startsWith("1 event matches"), { timeout: 20_000 });
  await click("#audit-export-csv");
  const saved = (await text("#audit-saved")).replace(/^Saved to /, "");
  const csv = readFileSync(saved, "utf8").split("\r\n").filter(Boolean);
  assert.equal(csv.length, 2, csv.join("\n"));
  assert.match(csv[1], /grant\.revoke,.*E2E: customer called, phone stolen/);
  // The export names people: it is the desk user's alone, as the CLI's is.
  assert.equal(statSync(saved).mode & 0o777, 0o600);
  // Back through the sidebar, the audit keeps its filters.
  await click("#nav-overview");
  await click("#nav-audit");
  assert.equal(await (await $("#audit-text")).getValue(), "customer called");
});

test("settings: a taken port is explained, a restart moves the server, the dark theme", async () => {
  await click("#nav-settings");
  assert.equal((await text("#set-data-dir")).trim(), process.env.AUTHDESK_DATA_DIR);
  assert.match(await text("#set-lifetimes"), /refresh token\s*90 d/);
  // A port another program holds: nothing changes and the error says what to do.
  const taken = createServer();
  await new Promise((ok) => taken.listen(0, "127.0.0.1", ok));
  const takenPort = taken.address().port;
  const before = (await text("#status-issuer")).trim();
  await type("#set-listen", `127.0.0.1:${takenPort}`);
  await click("#set-restart");
  assert.match(await text(".error-box"), new RegExp(`port ${takenPort} on 127.0.0.1 is taken by another program. Choose another port`));
  assert.equal((await text("#status-issuer")).trim(), before, "the server stays where it was");
  taken.close();
  // A free port: the server moves, and answers there.
  const free = createServer();
  await new Promise((ok) => free.listen(0, "127.0.0.1", ok));
  const port = free.address().port;
  await new Promise((ok) => free.close(ok));
  await type("#set-listen", `127.0.0.1:${port}`);
  await click("#set-restart");
  assert.match(await text("#set-done"), new RegExp(`Serving on 127.0.0.1:${port}`));
  await browser.waitUntil(async () => (await text("#status-issuer")).trim() === `http://127.0.0.1:${port}`, { timeout: 20_000, timeoutMsg: "the status bar names the new issuer" });
  const discovery = await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`).then((r) => r.json());
  assert.equal(discovery.issuer, `http://127.0.0.1:${port}`);
  await shot("12-settings");
  // The dark theme, screen by screen.
  await click("#theme-dark");
  for (const [nav, name] of [["overview", "00-overview"], ["explain", "13-explain"], ["applications", "03-applications"], ["chains", "04-chains"], ["timeline", "07-timeline"], ["sandbox", "08-sandbox"], ["keys", "09-keys"], ["audit", "10-audit"], ["settings", "12-settings"]]) {
    await click(`#nav-${nav}`);
    await browser.pause(300);
    await shot(`dark-${name}`);
  }
  // Back to following the system, so the next run starts as it always does.
  await click("#theme-system");
});

test("settings: open a PostgreSQL registry another desk shares, serve it, and come back", async () => {
  const url = process.env.AUTHDESK_E2E_DATABASE_URL;
  const dir = process.env.AUTHDESK_DATA_DIR;
  assert.ok(url, "run.sh names an empty PostgreSQL database");
  await click("#nav-settings");
  const issuer = (await text("#status-issuer")).trim();
  // Not a registry: nothing changes, and the error says what to give.
  await type("#set-registry", "relative/dir");
  await click("#set-registry-open");
  assert.match(await text(".error-box"), /neither a PostgreSQL URL \(postgres:\/\/…\) nor a full path/);
  assert.equal((await text("#set-data-dir")).trim(), dir);
  // Another desk (here the CLI) registers an app on the shared database.
  // (Without the console's AUTHDESK_DATA_DIR: the CLI refuses a directory and a database at once.)
  const { AUTHDESK_DATA_DIR: _console, ...env } = process.env;
  const shared = JSON.parse(execFileSync(process.env.AUTHDESK_E2E_CLI, ["--database", url, "clients", "create", "--name", "Shared on PostgreSQL", "--grant-type", "client_credentials", "--scope", "accounts", "--json"], { env }).toString());
  await type("#set-registry", url);
  await click("#set-registry-open");
  assert.match(await text("#set-registry-done"), /^Opened postgres:\/\/.*Every screen now shows this registry, served on 127\.0\.0\.1:\d+\.$/);
  assert.match((await text("#set-data-dir")).trim(), /^postgres:\/\/authdesk@localhost\/e2e_console_/);
  assert.equal((await text("#set-data-dir-label")).trim(), "database");
  await shot("14-settings-registry");
  // The embedded server moved onto it at the same issuer: the shared app gets tokens there.
  const cc = { grant_type: "client_credentials", scope: "accounts" };
  assert.equal((await token(issuer, shared.client_id, shared.client_secret, cc)).status, 200);
  assert.equal((await text("#status-issuer")).trim(), issuer);
  // Every screen reads it: the applications are the database's, not the directory's.
  await click("#nav-applications");
  await browser.waitUntil(async () => (await text("#app-list")).includes("Shared on PostgreSQL"), { timeout: 20_000, timeoutMsg: "the database's app is listed" });
  assert.ok(!(await text("#app-list")).includes("E2E Budget App"), "the directory's apps are not");
  // Back to the data directory: its apps again, and the database's app is unknown there.
  await click("#nav-settings");
  await type("#set-registry", dir);
  await click("#set-registry-open");
  await browser.waitUntil(async () => (await text("#set-data-dir")).trim() === dir, { timeout: 20_000, timeoutMsg: "the directory is open again" });
  assert.equal((await token(issuer, shared.client_id, shared.client_secret, cc)).status, 401);
  await click("#nav-applications");
  await browser.waitUntil(async () => (await text("#app-list")).includes("E2E Budget App"), { timeout: 20_000, timeoutMsg: "the directory's apps are listed again" });
});

/** GETs JSON over https trusting only `ca` (the sandbox CA's certificate). */
function getJson(url, ca) {
  return new Promise((ok, fail) => {
    httpsRequest(url, { ca }, (resp) => {
      let body = "";
      resp.on("data", (d) => (body += d));
      resp.on("end", () => ok(JSON.parse(body)));
    }).on("error", fail).end();
  });
}

test("the Banno profile: Settings switches it with https and the sandbox API; a service account and an ES256 app", async () => {
  await click("#nav-settings");
  await (await $("#set-profile")).selectByAttribute("value", "banno");
  await click("#set-tls");
  await click("#set-sandbox-api");
  await click("#set-serving-apply");
  assert.match(await text("#set-serving-done"), /Serving the banno profile over https as https:\/\/localhost:\d+\/a\/consumer\/api\/v0\/oidc and https:\/\/localhost:\d+\/a\/oidc-provider\/api\/v0/);
  await browser.waitUntil(async () => (await text("#status-profile")).includes("Banno profile · https · sandbox API"), { timeout: 20_000, timeoutMsg: "the status bar names the profile" });
  const issuers = await text("#set-issuers");
  assert.match(issuers, /consumer issuer\s*https:\/\/localhost:\d+\/a\/consumer\/api\/v0\/oidc/);
  assert.match(issuers, /enterprise issuer/);
  const caFile = (await text("#set-ca")).replace("export NODE_EXTRA_CA_CERTS=", "").trim();
  const consumer = (await text("#status-issuer")).trim();
  const discovery = await getJson(`${consumer}/.well-known/openid-configuration`, readFileSync(caFile));
  assert.equal(discovery.issuer, consumer);
  assert.equal(discovery.userinfo_endpoint, `${consumer}/me`);
  await shot("15-settings-banno");

  // A consumer app: the form offers the ID-token algorithm (the profile's default ES256),
  // logout URIs and restricted claims.
  await click("#nav-applications");
  await click("#app-new");
  await type("#f-name", "Banno consumer app");
  await type("#f-redirects", "https://localhost:8080/auth/cb");
  await type("#f-logout-redirects", "https://localhost:8080/signed-out");
  await type("#f-scopes", "openid profile https://api.banno.com/consumer/auth/offline_access https://api.banno.com/consumer/auth/accounts.readonly");
  await type("#f-claims", "https://api.banno.com/consumer/claim/customer_identifier");
  assert.match(await text("#f-id-alg"), /profile default \(ES256\)/);
  await shot("16-applications-banno-form");
  await click("#f-submit");
  await click("#secret-done");
  assert.equal((await text("#app-id-alg")).trim(), "ES256");
  assert.match(await text("#app-example"), /\/a\/consumer\/api\/v0\/oidc\/auth\?response_type=code/);

  // A service account: its key as a JWKS, acting as a sandbox user, at the enterprise issuer.
  const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: "jwk" }), kid: "e2e-1", alg: "PS256", use: "sig" };
  await click("#app-new");
  await type("#f-name", "Nightly sync");
  await (await $("#f-app-type")).selectByAttribute("value", "service_account");
  await type("#f-associated-user", "ada");
  await type("#f-key", JSON.stringify({ keys: [jwk] }));
  await click("#f-submit");
  await browser.waitUntil(async () => (await text("#app-type")).startsWith("service account"), { timeout: 20_000, timeoutMsg: "the service account is shown" });
  assert.match(await text("#app-associated-user"), /^[0-9a-f-]{36}$/);
  assert.match(await text("#app-detail"), /\/a\/oidc-provider\/api\/v0\/\.well-known\/openid-configuration/);
  assert.match(await text("#app-example"), /"alg":"PS256"/);
  await shot("17-applications-service-account");

  await click("#nav-keys");
  await browser.waitUntil(async () => (await text("#key-list")).includes("ID tokens of apps using it") || (await text("#key-list")).includes("ES256"), { timeout: 20_000 });
  await shot("18-keys-per-algorithm");

  // Back to the default profile over http, as the next run starts.
  await click("#nav-settings");
  await (await $("#set-profile")).selectByAttribute("value", "default");
  await click("#set-tls");
  await click("#set-serving-apply");
  await browser.waitUntil(async () => (await text("#status-profile")).trim() === "default profile", { timeout: 20_000, timeoutMsg: "back to the default profile" });
});

/** The audit from the sidebar, with no filter left from before (it keeps its last ones). */
// --- a production registry: operators sign in, and each role sees and may do only its own ---
const ALICE = "alice's long password";
const SAM = "sam's long password!";
const AUDREY = "audrey's long password";
async function signIn(username, password) {
  await $("#sign-in").then((e) => e.waitForDisplayed({ timeout: 20_000 }));
  await type("#sign-in-username", username);
  await type("#sign-in-password", password);
  await click("#sign-in-go");
}
async function signOut() {
  await click("#sign-out");
  await $("#sign-in").then((e) => e.waitForDisplayed({ timeout: 20_000 }));
}

test("production: an admin signs in and adds an operator and an app; support revokes; an auditor cannot", async () => {
  const cli = process.env.AUTHDESK_E2E_CLI;
  const prod = join(mkdtempSync(join(tmpdir(), "authdesk-e2e-")), "production");
  execFileSync(cli, ["--data-dir", prod, "init", "--production"]);
  execFileSync(cli, ["--data-dir", prod, "operators", "add", "alice", "--role", "admin", "--display-name", "Alice Admin", "--password-stdin"], { input: `${ALICE}\n` });
  execFileSync(cli, ["--data-dir", prod, "operators", "add", "audrey", "--role", "auditor", "--password-stdin"], { input: `${AUDREY}\n` });
  execFileSync(cli, ["--data-dir", prod, "users", "create", "--username", "ada", "--password-stdin"], { input: "ada's password\n" });

  // The console opens it: nothing shows until someone signs in; the red bar says where we are.
  await click("#nav-settings");
  await type("#set-registry", prod);
  await click("#set-registry-open");
  await signIn("alice", "not alice's password");
  await browser.waitUntil(async () => /wrong/.test(await text("#sign-in .error-box")), { timeout: 20_000, timeoutMsg: "a wrong password is refused" });
  await shot("20-sign-in");
  // (WebKitWebDriver reads the bar's text as empty: its CSS ellipsis; the DOM has it.)
  assert.match(await (await $("#production-bar")).getProperty("textContent"), /Production registry/);
  await type("#sign-in-password", ALICE);
  await click("#sign-in-go");
  await browser.waitUntil(async () => /Alice Admin \(admin\)/.test(await text("#status-operator")), { timeout: 20_000, timeoutMsg: "alice is signed in" });
  assert.match(await (await $("#production-bar")).getProperty("textContent"), /every action is recorded as Alice Admin \(admin\)/);

  // The admin adds a support operator and an application.
  await click("#nav-operators");
  await type("#operator-username", "sam");
  await type("#operator-display-name", "Sam Ortiz");
  await (await $("#operator-role")).selectByAttribute("value", "support");
  await type("#operator-password", SAM);
  await click("#operator-add-go");
  await browser.waitUntil(async () => /Sam Ortiz/.test(await text("#operator-list")), { timeout: 20_000, timeoutMsg: "sam is listed" });
  await shot("21-operators");
  await click("#nav-applications");
  await click("#app-new");
  await type("#f-name", "Prod Budget App");
  await type("#f-redirects", REDIRECT);
  await type("#f-scopes", "openid offline_access");
  await click("#f-submit");
  const clientId = await text("#secret-client-id");
  await click("#secret-reveal");
  const secret = await text("#secret-value");
  await click("#secret-done");
  // Ada signs in to it twice (two grants), over HTTP.
  const issuer = (await text("#status-issuer")).trim();
  for (let i = 0; i < 2; i++) {
    const { code, verifier } = await codeFlow(issuer, clientId, "ada", "ada's password");
    const r = await token(issuer, clientId, secret, { grant_type: "authorization_code", code, redirect_uri: REDIRECT, code_verifier: verifier });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }

  // Support: no operators, no app changes; finds ada and revokes her grants with a reason.
  await signOut();
  await signIn("sam", SAM);
  await browser.waitUntil(async () => /Sam Ortiz \(support\)/.test(await text("#status-operator")), { timeout: 20_000, timeoutMsg: "sam is signed in" });
  assert.equal(await (await $("#nav-operators")).isExisting(), false, "support has no Operators screen");
  await click("#nav-applications");
  await browser.waitUntil(async () => (await text("#app-list")).includes("Prod Budget App"), { timeout: 20_000 });
  assert.equal(await (await $("#app-new")).isExisting(), false, "support registers no app");
  // Explain names ada's two grants apart (same app, same day: their times) and opens either.
  await click("#nav-explain");
  await type("#explain-input", "ada");
  await click("#explain-go");
  await browser.waitUntil(async () => (await $$("#explanation .grant-line")).length === 2, { timeout: 20_000, timeoutMsg: "ada's two grants are explained" });
  const lines = await $$("#explanation .grant-line strong");
  const [one, two] = [await lines[0].getText(), await lines[1].getText()];
  assert.match(one, /^Prod Budget App · ada · since \d+ \w+ \d{4}, \d\d:\d\d:\d\d( · …[0-9a-f]{8})?$/);
  assert.notEqual(one, two, "two similar grants read differently");
  await shot("24-explain-two-grants");
  await click("#explanation .grant-line:nth-of-type(2) button.small");
  await browser.waitUntil(async () => (await text("#grant-detail h2")).startsWith(two), { timeout: 20_000, timeoutMsg: "Open goes to that grant" });
  // Then every grant of ada at once: a reason from the list, and her name typed.
  await browser.keys(["Control", "k"]);
  await type("#search-input", "ada");
  await browser.waitUntil(async () => (await text("#search-hits")).includes("ada"), { timeout: 20_000 });
  await browser.keys("Enter");
  await browser.waitUntil(async () => (await $$("#grant-list tbody tr")).length === 2, { timeout: 20_000, timeoutMsg: "ada's two grants" });
  await click("#revoke-all");
  await (await $("#revoke-reason-choice")).selectByAttribute("value", "lost device");
  await type("#revoke-typed", "ada");
  await shot("22-support-revoke");
  await click("#revoke-confirm");
  await browser.waitUntil(async () => !(await text("#grant-list")).includes("active"), { timeout: 20_000, timeoutMsg: "ada's grants are revoked" });
  await openAudit();
  await browser.waitUntil(async () => /sam revoked every grant of ada \(2 grants\) — lost device/.test(await text("#audit-list")), { timeout: 20_000, timeoutMsg: "the audit reads as a sentence naming sam" });
  await shot("25-audit-sentences");
  assert.equal(await (await $("#audit-export-csv")).isExisting(), false, "support exports nothing");

  // The auditor reads and exports, and is offered no revocation.
  await signOut();
  await signIn("audrey", AUDREY);
  await browser.waitUntil(async () => /audrey \(auditor\)/.test(await text("#status-operator")), { timeout: 20_000, timeoutMsg: "audrey is signed in" });
  await openAudit();
  await $("#audit-export-csv").then((e) => e.waitForDisplayed({ timeout: 20_000 }));
  await browser.keys(["Control", "k"]);
  await type("#search-input", "ada");
  await browser.waitUntil(async () => (await text("#search-hits")).includes("ada"), { timeout: 20_000 });
  await browser.keys("Enter");
  await browser.waitUntil(async () => (await $$("#grant-list tbody tr")).length === 2, { timeout: 20_000 });
  assert.equal(await (await $("#revoke-all")).isExisting(), false, "an auditor revokes nothing");
  await click("#grant-list tbody tr td.grant-name");
  await $("#grant-detail h2").then((e) => e.waitForDisplayed({ timeout: 20_000 }));
  assert.equal(await (await $("#revoke-grant")).isExisting(), false);
  await shot("23-auditor");
  await signOut();
  // The production screens in the dark theme (drawn, not saved: the next run starts as always).
  const theme = (t) => browser.execute((x) => (document.documentElement.dataset.theme = x), t);
  await theme("dark");
  await shot("dark-20-sign-in");
  await signIn("alice", ALICE);
  await browser.waitUntil(async () => /Alice Admin \(admin\)/.test(await text("#status-operator")), { timeout: 20_000, timeoutMsg: "alice is signed in again" });
  await click("#nav-operators");
  await browser.waitUntil(async () => /Sam Ortiz/.test(await text("#operator-list")), { timeout: 20_000, timeoutMsg: "the operators are listed" });
  await shot("dark-21-operators");
  await signOut();
  await theme("light");
});

test("the window may call the console's commands and nothing of Tauri's core", async () => {
  const outcome = (command) =>
    browser.executeAsync((cmd, done) => {
      window.__TAURI_INTERNALS__.invoke(cmd, {}).then(() => done("allowed"), (e) => done(`refused: ${e}`));
    }, command);
  assert.equal(await outcome("status"), "allowed");
  for (const command of ["plugin:app|version", "plugin:window|close", "plugin:path|resolve_directory", "plugin:event|listen"]) {
    assert.match(await outcome(command), /^refused: .*not allowed/, command);
  }
});

async function openAudit() {
  await click("#nav-audit");
  await $("#audit-filters").waitForDisplayed({ timeout: 20_000 });
  const clear = await $("#audit-clear");
  if (await clear.isExisting()) await clear.click();
  // Unfiltered once the count no longer says "match".
  await browser.waitUntil(async () => /^\d[\d,]* events?$/.test((await text("#audit-count")).trim()), { timeout: 20_000, timeoutMsg: "the audit is unfiltered" });
}

/** Chains from the sidebar, searching by application (it keeps its last search). */
/** The Chains screen on one app's or person's grants, chosen by name in its picker. */
async function openChains(name) {
  await click("#nav-chains");
  await type("#chain-pick", name);
  await browser.waitUntil(async () => (await text("#chain-pick-hits")).includes(name), { timeout: 20_000, timeoutMsg: `${name} is offered` });
  await browser.keys("Enter");
  await browser.waitUntil(async () => (await text("#chain-chosen")).includes(name), { timeout: 20_000, timeoutMsg: `${name} is chosen` });
}

async function $$(sel) {
  return browser.$$(sel);
}

async function $$rows() {
  return browser.$$("#token-tree tbody tr[data-depth]");
}
