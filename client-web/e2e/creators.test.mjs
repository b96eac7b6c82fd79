// Who may create workshops (docs/API.md, "Rooms") in real Chromium against the real server: with
// --creator-keys the start page asks for the key once the server says so (401), refuses a wrong one
// with a message and keeps the form, creates with the right one and keeps it on the device, and
// "Mine workshops" lists the key's workshops (only those with links on this device open); with
// --trusted-user-header a user signed in at the proxy creates without a key and sees her own.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, launchBrowser, newPage, shots, PHONE } from './harness.mjs';

const KEY = 'kortvaeg-e2e-opretter-0123456789';
const OTHER_KEY = 'kortvaeg-e2e-en-anden-noegle-9876';
const STORED = 'kortvaeg:creatorKey';

let browser;
let keyDir;
before(async () => {
  browser = await launchBrowser();
  keyDir = mkdtempSync(join(tmpdir(), 'kortvaeg-e2e-keys-'));
});
after(async () => {
  await browser?.close();
  if (keyDir) rmSync(keyDir, { recursive: true, force: true });
});

/** `POST /api/rooms` from outside the browser (a workshop this device has no links to). */
async function createOutside(base, title, headers) {
  const r = await fetch(`${base}/api/rooms`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ title, template: 'sbsys-medlemskab' }),
  });
  assert.equal(r.status, 201, `POST /api/rooms: ${r.status}`);
  return r.json();
}

const noSideScroll = (page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);

test('a creator key: asked for on a 401, a wrong one refused, the right one kept; "Mine workshops"', async () => {
  const keys = join(keyDir, 'creator-keys');
  writeFileSync(keys, `# e2e\n${KEY}\n${OTHER_KEY}\n`);
  const server = await startServer({ args: ['--creator-keys', keys] });
  try {
    const { page, errors } = await newPage(browser);
    await page.goto(`${server.url}/`);
    await page.getByTestId('template-kmd-sag-exit-to-be').waitFor();
    assert.equal(await page.getByTestId('creator-key').count(), 0, 'nothing is asked before the server wants a key');
    assert.equal(await page.getByTestId('my-rooms').count(), 0, 'no list: the server does not know who this is, the device has none');

    // --- no key: the server answers 401, the page asks for it and keeps what was filled in
    await page.getByTestId('room-title-input').fill('Nøgler – Borgerservice');
    await page.getByTestId('template-kmd-sag-exit-to-be').check();
    await page.getByTestId('create-room').click();
    const err = page.getByTestId('creator-key-error');
    await err.waitFor();
    assert.match(await err.textContent(), /kræver en opretternøgle/);
    const field = page.getByLabel('Opretternøgle');
    assert.equal(await field.getAttribute('type'), 'password');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'creator-key-input', 'the key field has the focus');
    const described = await field.getAttribute('aria-describedby');
    const help = await page.evaluate((ids) => ids.split(' ').map((id) => document.getElementById(id)?.textContent ?? '').join(' '), described);
    assert.match(help, /IT-afdelingen/, 'the help text says who gives the key out');
    assert.match(help, /kræver en opretternøgle/, 'the error is tied to the field');
    assert.equal(await page.getByTestId('room-title-input').inputValue(), 'Nøgler – Borgerservice');
    assert.ok(await page.getByTestId('template-kmd-sag-exit-to-be').isChecked());
    await shots(page, 'creators-key-asked');

    // --- typed and sent from the keyboard: a key a header cannot carry is said at once, not sent
    await page.keyboard.type('nøgle-med-æøå-0123456789');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => /ikke æ, ø, å/.test(document.querySelector('[data-testid="creator-key-error"]')?.textContent ?? ''));

    // --- a wrong key: refused by the server, said in Danish, the form stays filled
    await field.fill('');
    await page.keyboard.type('ikke-den-rigtige-noegle-123');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => /ikke gyldig/.test(document.querySelector('[data-testid="creator-key-error"]')?.textContent ?? ''));
    assert.match(await err.textContent(), /Serveren afviste opretternøglen: den er ikke gyldig på denne server/);
    assert.equal(await field.getAttribute('aria-invalid'), 'true');
    assert.equal(await field.inputValue(), 'ikke-den-rigtige-noegle-123', 'the key stays to be corrected');
    assert.equal(await page.getByTestId('room-title-input').inputValue(), 'Nøgler – Borgerservice');
    assert.equal(await page.evaluate((k) => localStorage.getItem(k), STORED), null, 'a refused key is not kept');
    assert.equal(new URL(page.url()).pathname, '/');

    // The same in English (the toggle in the header).
    await page.getByTestId('lang-toggle').click();
    await page.getByLabel('Creator key').waitFor();
    assert.match(await page.getByTestId('creator-key').textContent(), /IT department/);
    await page.getByTestId('lang-toggle').click();
    await field.waitFor();

    // --- the right key: the console, and the key is kept on the device
    await field.fill(KEY);
    await page.getByTestId('create-room').click();
    await page.waitForURL(/\/room\/[^/#]+#.+/);
    await page.waitForSelector('[data-testid="console"][data-ready="yes"]');
    const roomId = new URL(page.url()).pathname.split('/')[2];
    assert.equal(await page.evaluate((k) => JSON.parse(localStorage.getItem(k)), STORED), KEY);

    // Two more workshops, made elsewhere: one with the same key (no links here), one with another key.
    const sameKey = await createOutside(server.url, 'Samme nøgle, anden maskine', { authorization: `Bearer ${KEY}` });
    const otherKey = await createOutside(server.url, 'En andens workshop', { authorization: `Bearer ${OTHER_KEY}` });

    // --- "Mine workshops" after a reload: the key's workshops, newest first, one entry each
    await page.goto(`${server.url}/`);
    await page.reload();
    const list = page.getByTestId('my-rooms');
    await page.waitForSelector('[data-testid="my-rooms"][data-source="server"]');
    assert.equal(await list.getByRole('heading').textContent(), 'Mine workshops');
    const items = list.locator('li');
    // The server's order (newest first; its times are whole seconds, ties by id).
    const listed = await (await fetch(`${server.url}/api/rooms`, { headers: { authorization: `Bearer ${KEY}` } })).json();
    assert.deepEqual(listed.map((r) => r.id).sort(), [sameKey.id, roomId].sort());
    assert.deepEqual(await items.evaluateAll((els) => els.map((e) => e.dataset.testid)), listed.map((r) => `my-room-${r.id}`));
    assert.equal(await list.getByTestId(`my-room-${otherKey.id}`).count(), 0, 'another key\'s workshop is not listed');
    const mine = list.getByTestId(`my-room-${roomId}`);
    assert.equal(await mine.getAttribute('data-openable'), 'yes');
    assert.match(await mine.textContent(), /Nøgler – Borgerservice/);
    assert.match(await mine.getByTestId('my-room-template').textContent(), /To-be/);
    assert.match(await mine.textContent(), /Oprettet /);
    const elsewhere = list.getByTestId(`my-room-${sameKey.id}`);
    assert.equal(await elsewhere.getAttribute('data-openable'), 'no');
    assert.match(await elsewhere.getByTestId('my-room-needs-link').textContent(), /facilitator-linket/);
    assert.equal(await elsewhere.locator('a').count(), 0, 'no link that cannot work');
    // The key field shows the kept key and offers to forget it.
    assert.equal(await field.inputValue(), KEY);
    await page.getByTestId('creator-key-forget').waitFor();
    await shots(page, 'creators-mine');
    await page.setViewportSize(PHONE);
    assert.ok(await noSideScroll(page), 'no horizontal scroll at 375 px');
    await page.setViewportSize({ width: 1280, height: 900 });

    // "Åbn" from the keyboard opens the console.
    await mine.getByTestId('my-room-open').focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid="console"][data-ready="yes"]');
    assert.equal(new URL(page.url()).pathname, `/room/${roomId}`);

    // --- "Glem nøglen": gone from the device; the list is the device's own again
    await page.goto(`${server.url}/`);
    await page.getByTestId('creator-key-forget').click();
    await page.getByTestId('creator-key-notice').waitFor();
    assert.equal(await page.evaluate((k) => localStorage.getItem(k), STORED), null);
    assert.equal(await field.inputValue(), '');
    await page.waitForSelector('[data-testid="my-rooms"][data-source="device"]');
    assert.deepEqual(await list.locator('li').evaluateAll((els) => els.map((e) => e.dataset.testid)), [`my-room-${roomId}`]);
    assert.equal(await list.getByRole('heading').textContent(), 'Workshops oprettet på denne enhed');
    await page.reload();
    await page.getByTestId('template-kmd-sag-exit-to-be').waitFor();
    assert.equal(await page.getByTestId('creator-key').count(), 0, 'after a reload nothing is kept to show');
    assert.deepEqual(errors, []);
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('signed in at the proxy (--trusted-user-header): no key, and "Mine workshops" lists hers', async () => {
  const server = await startServer({ args: ['--trusted-user-header', 'X-Forwarded-User'] });
  try {
    const context = await browser.newContext({ viewport: PHONE, locale: 'da-DK', extraHTTPHeaders: { 'x-forwarded-user': 'anne@kommune.dk' } });
    const page = await context.newPage();
    page.setDefaultTimeout(12000);
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const bos = await createOutside(server.url, 'Bos workshop', { 'x-forwarded-user': 'bo@kommune.dk' });

    await page.goto(`${server.url}/`);
    await page.getByTestId('room-title-input').fill('Annes workshop');
    await page.getByTestId('template-kmd-sag-exit-as-is').check();
    await page.getByTestId('create-room').click();
    await page.waitForURL(/\/room\/[^/#]+#.+/);
    await page.waitForSelector('[data-testid="console"][data-ready="yes"]');
    const roomId = new URL(page.url()).pathname.split('/')[2];
    assert.equal(await page.evaluate((k) => localStorage.getItem(k), STORED), null, 'no key involved');

    const annes = await createOutside(server.url, 'Annes anden workshop', { 'x-forwarded-user': 'anne@kommune.dk' });
    await page.goto(`${server.url}/`);
    await page.waitForSelector('[data-testid="my-rooms"][data-source="server"]');
    const list = page.getByTestId('my-rooms');
    assert.equal(await list.getByRole('heading').textContent(), 'Mine workshops');
    const listed = await (await fetch(`${server.url}/api/rooms`, { headers: { 'x-forwarded-user': 'anne@kommune.dk' } })).json();
    assert.deepEqual(listed.map((r) => r.id).sort(), [annes.id, roomId].sort());
    assert.deepEqual(await list.locator('li').evaluateAll((els) => els.map((e) => [e.dataset.testid, e.dataset.openable])),
      listed.map((r) => [`my-room-${r.id}`, r.id === roomId ? 'yes' : 'no']));
    assert.equal(await list.getByTestId(`my-room-${bos.id}`).count(), 0, 'another user\'s workshop is not listed');
    assert.equal(await page.getByTestId('creator-key').count(), 0, 'no key is asked for');
    assert.ok(await noSideScroll(page), 'no horizontal scroll at 375 px');
    await shots(page, 'creators-sso');
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});
