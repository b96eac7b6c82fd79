// Web security in Chromium (docs/API.md "Web security", SECURITY.md): the pages run under the
// server's Content-Security-Policy without one violation; a page on another origin cannot frame
// the console nor call the API with a token it holds — unless --cors-origin names its origin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, newPage, until, joinAs } from './harness.mjs';

let server, friendly, browser;
before(async () => {
  server = await startServer();
  friendly = await startServer({ args: ['--cors-origin', 'http://friend.localhost'] });
  // The test's foreign origins are served by the test itself, and Chromium's local network
  // access checks would refuse their calls to 127.0.0.1 before the server is asked: off, so
  // what refuses (or allows) a call is the server's CORS answer.
  browser = await launchBrowser(['--disable-features=LocalNetworkAccessChecks,PrivateNetworkAccessSendPreflights,BlockInsecurePrivateNetworkRequests']);
});
after(async () => {
  await browser?.close();
  for (const s of [server, friendly]) { await s?.stop(); s?.cleanup(); }
});

async function room(base) {
  const r = await fetch(`${base}/api/rooms`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'Sikkerhed', template: 'kmd-sag-exit-as-is' }),
  });
  assert.equal(r.status, 201);
  return r.json();
}

/** A page that records every CSP violation it reports. */
async function watchedPage() {
  const p = await newPage(browser);
  await p.context.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return p;
}

test('the console, the join page and the group page run under the policy without a violation', async () => {
  const r = await fetch(`${server.url}/`);
  const csp = r.headers.get('content-security-policy');
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
  assert.match(r.headers.get('permissions-policy'), /camera=\(\)/);
  const made = await room(server.url);
  const { page, context, errors } = await watchedPage();
  await page.goto(made.facilitator_url.replace(/^http:\/\/localhost:\d+/, server.url));
  await page.waitForSelector('[data-testid="console"][data-ready="yes"]');
  assert.deepEqual(await page.evaluate(() => window.__violations), [], 'console');
  const phone = await watchedPage();
  const group = (await (await fetch(`${server.url}/api/templates/kmd-sag-exit-as-is`)).json()).columns[0].id;
  await joinAs(phone.page, made.join_url.replace(/^http:\/\/localhost:\d+/, server.url), 'Anne', group);
  assert.deepEqual(await phone.page.evaluate(() => window.__violations), [], 'join and group page');
  assert.deepEqual([...errors, ...phone.errors], []);
  await context.close();
  await phone.context.close();
});

/** Opens a page of `origin` (served by the test) that frames `frameUrl` and calls `apiUrl` with `token`. */
async function foreignPage(origin, frameUrl, apiUrl, token) {
  const { page, context } = await newPage(browser);
  const html = `<!doctype html><html><body><iframe id="f" src="${frameUrl}"></iframe></body></html>`;
  await page.route(`${origin}/**`, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: html }));
  await page.goto(`${origin}/evil.html`);
  const called = await page.evaluate(async ({ apiUrl, token }) => {
    try {
      const r = await fetch(apiUrl, { headers: { authorization: `Bearer ${token}` } });
      return { status: r.status, body: await r.text() };
    } catch (e) {
      return { error: String(e) };
    }
  }, { apiUrl, token });
  return { page, context, called };
}

test('a page on another origin can neither frame the console nor call the API with a token', async () => {
  const made = await room(server.url);
  const consoleUrl = `${server.url}/room/${made.id}#${made.facilitator_token}`;
  const apiUrl = `${server.url}/api/rooms/${made.id}`;
  const { page, context, called } = await foreignPage('http://evil.localhost', consoleUrl, apiUrl, made.facilitator_token);
  assert.ok(called.error, `the API answered the foreign page: ${JSON.stringify(called)}`);
  // The framed console never runs: Chromium puts its error page in the frame instead.
  const frame = await until(() => page.frames().find((f) => f !== page.mainFrame()), 'the iframe');
  await until(() => frame.url().startsWith('chrome-error://'), `the frame refused (it holds ${frame.url()})`);
  assert.equal(await frame.locator('[data-testid="console"]').count(), 0, 'the console ran in a foreign frame');
  await context.close();

  // An origin --cors-origin names may call the API (and only the API: framing stays refused).
  const other = await room(friendly.url);
  const allowed = await foreignPage('http://friend.localhost', `${friendly.url}/`, `${friendly.url}/api/rooms/${other.id}`, other.facilitator_token);
  assert.equal(allowed.called.status, 200, JSON.stringify(allowed.called));
  assert.equal(JSON.parse(allowed.called.body).role, 'facilitator');
  await allowed.context.close();
});
