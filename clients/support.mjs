// Test support: a real `authdesk serve` on a fresh data directory (Banno profile, https with
// the run's sandbox CA), the CLI to register apps and people, and a browser small enough to
// read: a cookie jar, redirects by hand, and the login/consent forms posted as a person would.
//
// run.sh makes one sandbox CA for the whole run and starts node with NODE_EXTRA_CA_CERTS
// naming it, exactly as the README tells a developer to: every https client here trusts the
// sandbox because Node does, with no insecure option anywhere.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

export const BIN = process.env.AUTHDESK_BIN;
const TLS_DIR = process.env.AUTHDESK_TLS_DIR;
if (!BIN || !TLS_DIR) {
  throw new Error('run through clients/run.sh (AUTHDESK_BIN and AUTHDESK_TLS_DIR are unset)');
}

export const PASSWORD = 'correct horse battery';
export const REDIRECT = 'https://localhost:8080/auth/cb';
export const OFFLINE = 'https://api.banno.com/consumer/auth/offline_access';
export const ACCOUNTS = 'https://api.banno.com/consumer/auth/accounts.readonly';
export const TRANSACTIONS = 'https://api.banno.com/consumer/auth/transactions.detail.readonly';
export const PROFILE_SCOPE = 'https://api.banno.com/consumer/auth/user.profile.readonly';
export const INSTITUTION = 'https://api.banno.com/consumer/claim/institution_id';

/** A sandbox: a data directory with the run's CA, and `authdesk serve` on it. */
export class Sandbox {
  static async start({ profile = 'banno', sandboxApi = true, serveArgs = [] } = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'authdesk-clients-'));
    const sb = new Sandbox(dir);
    sb.cli(['init']);
    cpSync(TLS_DIR, join(dir, 'tls'), { recursive: true });
    const args = ['--data-dir', dir, 'serve', '--listen', '127.0.0.1:0', '--tls', '--sso', '--profile', profile];
    if (sandboxApi) args.push('--sandbox-api');
    args.push(...serveArgs);
    sb.child = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    sb.child.stderr.on('data', () => {});
    const lines = createInterface({ input: sb.child.stdout });
    const [line] = await once(lines, 'line');
    sb.base = line.split(/\s+/).find((w) => w.startsWith('https://'));
    if (!sb.base) throw new Error(`no https URL in: ${line}`);
    return sb;
  }

  constructor(dir) {
    this.dir = dir;
  }

  get consumer() {
    return `${this.base}/a/consumer/api/v0/oidc`;
  }

  get enterprise() {
    return `${this.base}/a/oidc-provider/api/v0`;
  }

  /** Runs the CLI on this data directory; with --json, the parsed object. */
  cli(args, input) {
    const out = execFileSync(BIN, ['--data-dir', this.dir, ...args], {
      input,
      encoding: 'utf8',
    });
    return args.includes('--json') ? JSON.parse(out) : out;
  }

  app(args) {
    return this.cli(['clients', 'create', ...args, '--json']);
  }

  user(username, claims = {}) {
    const claimArgs = Object.entries(claims).flatMap(([k, v]) => ['--claim', `${k}=${v}`]);
    return this.cli(
      ['users', 'create', '--username', username, '--password-stdin', ...claimArgs, '--json'],
      `${PASSWORD}\n`,
    ).sub;
  }

  stop() {
    this.child?.kill('SIGTERM');
  }
}

/** A browser: keeps cookies, follows nothing by itself. */
export class Browser {
  jar = new Map();

  async fetch(url, init = {}) {
    const headers = new Headers(init.headers);
    const host = new URL(url).host;
    const cookies = [...this.jar.entries()]
      .filter(([k]) => k.startsWith(`${host} `))
      .map(([k, v]) => `${k.split(' ')[1]}=${v}`);
    if (cookies.length) headers.set('cookie', cookies.join('; '));
    const resp = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const c of resp.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const [name, value] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
      const gone = attrs.some((a) => a.trim().toLowerCase() === 'max-age=0');
      if (gone) this.jar.delete(`${host} ${name}`);
      else this.jar.set(`${host} ${name}`, value);
    }
    return resp;
  }

  /** Posts a page's form with its hidden fields and `extra`, as the page's button would. */
  async submit(pageUrl, html, extra) {
    const action = new URL(html.match(/<form[^>]*action="([^"]*)"/)[1].replaceAll('&amp;', '&'), pageUrl);
    const fields = new URLSearchParams();
    for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
      fields.set(m[1], unescape(m[2]));
    }
    for (const [k, v] of Object.entries(extra)) fields.set(k, v);
    return this.fetch(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: fields,
    });
  }

  /**
   * A person at the authorization URL: signs in as `username` if asked, approves if asked,
   * and returns the URL the issuer sends them back to (the app's callback with its code).
   */
  async signIn(authorizationUrl, username) {
    let url = authorizationUrl;
    let resp = await this.fetch(url);
    for (let step = 0; step < 3 && resp.status === 200; step++) {
      const html = await resp.text();
      if (html.includes('name="username"')) {
        resp = await this.submit(url, html, { username, password: PASSWORD });
      } else if (html.includes('value="approve"')) {
        resp = await this.submit(url, html, { decision: 'approve' });
      } else {
        throw new Error(`unexpected page: ${html}`);
      }
    }
    if (resp.status !== 303 && resp.status !== 302) {
      throw new Error(`expected a redirect, got ${resp.status}: ${await resp.text()}`);
    }
    return new URL(resp.headers.get('location'), url);
  }
}

function unescape(s) {
  return s
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

/** A JWT's payload, unverified (for assertions about what it says). */
export function payload(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

export function header(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString());
}
