// Deleting a workshop (docs/API.md, "Rooms") in real Chromium against the real server: the console
// shows when the server would delete the idle room and warns in its last week; "Slet workshop"
// asks first (naming it, saying it cannot be undone), then the facilitator lands on the start page,
// which confirms it and no longer lists it; a participant's open group page and a review page say
// "Workshoppen er slettet" instead of reconnecting, and the device's copies of the room are gone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, newPage, shots, createRoom, joinAs, until, PHONE } from './harness.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const tokenOf = (url) => decodeURIComponent(new URL(url).hash.slice(1));
const noSideScroll = (page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
/** The names of this page's IndexedDB databases that belong to `roomId`. */
const roomDatabases = (page, roomId) =>
  page.evaluate(async (id) => (await indexedDB.databases()).map((d) => d.name).filter((n) => n.startsWith(`kortvaeg:${id}:`)), roomId);

test('the facilitator deletes the workshop; the participant\'s and the review page say it is deleted', async () => {
  // Signed in at the proxy, so "Mine workshops" comes from the server too.
  const server = await startServer({ args: ['--trusted-user-header', 'X-Forwarded-User', '--max-rooms-per-creator', '2'] });
  try {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'da-DK', extraHTTPHeaders: { 'x-forwarded-user': 'anne@kommune.dk' } });
    const page = await context.newPage();
    page.setDefaultTimeout(12000);
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const room = await createRoom(page, server.url, 'Slettes – Borgerservice');
    const facToken = tokenOf(room.facilitatorUrl);
    const kept = await createRoom(page, server.url, 'Bliver – Voksenservice');
    // Her limit (--max-rooms-per-creator 2): a third is refused, in Danish, pointing to deleting.
    await page.goto(`${server.url}/`);
    await page.getByTestId('room-title-input').fill('En for meget');
    await page.getByTestId('create-room').click();
    await page.getByTestId('create-form').getByRole('alert').filter({ hasText: 'Slet gamle workshops' }).waitFor();

    // --- the server deletes idle rooms after --retain-days (default 180): the date, no warning
    await page.goto(room.facilitatorUrl);
    await page.waitForSelector('[data-testid="console"][data-ready="yes"]');
    const at = page.getByTestId('deletes-at');
    await at.waitFor();
    const info = await (await fetch(`${server.url}/api/rooms/${room.roomId}`, { headers: { authorization: `Bearer ${facToken}` } })).json();
    assert.ok(info.deletes_at, 'the server says when it would delete the room');
    const date = new Date(info.deletes_at).toLocaleDateString('da-DK', { day: 'numeric', month: 'long', year: 'numeric' });
    assert.match(await at.textContent(), new RegExp(`Slettes automatisk d\\. ${date.replace('.', '\\.')}`));
    assert.equal(await page.getByTestId('deletes-soon').count(), 0, 'no warning half a year ahead');

    // A participant at work on her phone, and a review page open on the snapshots.
    await page.getByTestId('take-snapshot').click();
    await page.getByTestId('snapshot-result').waitFor();
    const anne = await newPage(browser, PHONE);
    await joinAs(anne.page, room.joinUrl, 'Anne Jensen', 'borgerservice');
    await until(async () => (await roomDatabases(anne.page, room.roomId)).length > 0, 'the participant\'s device copy');
    const review = await newPage(browser);
    await review.page.goto(room.reviewUrl);
    await review.page.getByTestId('snapshot-1').waitFor();

    // --- Before deleting, the whole workshop can be kept in one file (the archive)
    const archiveHref = await page.getByTestId('export-archive').getAttribute('href');
    const archive = await page.evaluate(async (href) => (await fetch(href)).json(), archiveHref);
    assert.equal(archive.format, 'kortvaeg-archive');
    assert.equal(archive.snapshots.length, 1);
    assert.ok(archive.documents.wall && archive.documents.control);

    // --- "Slet workshop" asks first, naming the workshop; Escape keeps it
    const danger = page.getByTestId('danger-panel');
    assert.equal(await danger.getByRole('heading').textContent(), 'Slet workshop');
    await page.getByTestId('delete-room').focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByTestId('delete-dialog');
    await dialog.waitFor();
    assert.equal(await dialog.getAttribute('aria-label'), 'Slet workshoppen?');
    const said = await dialog.textContent();
    assert.match(said, /„Slettes – Borgerservice“/);
    assert.match(said, /kan ikke fortrydes/);
    assert.match(said, /øjebliksbilleder/);
    assert.match(said, /deltageres pladser/);
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'delete-cancel', 'the safe choice has the focus');
    await shots(page, 'delete-confirm');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal((await fetch(`${server.url}/api/rooms/${room.roomId}`, { headers: { authorization: `Bearer ${facToken}` } })).status, 200, 'nothing deleted yet');

    // --- confirmed: the start page says so and no longer lists it
    let sockets = 0;
    anne.page.on('websocket', () => sockets++);
    await page.getByTestId('delete-room').click();
    await page.getByTestId('delete-confirm').click();
    await page.waitForURL((u) => u.pathname === '/');
    const notice = page.getByTestId('start-notice');
    await notice.waitFor();
    assert.match(await notice.textContent(), /Workshoppen „Slettes – Borgerservice“ er slettet/);
    await page.waitForSelector('[data-testid="my-rooms"][data-source="server"]');
    assert.equal(await page.getByTestId(`my-room-${room.roomId}`).count(), 0, 'not listed any more');
    assert.equal(await page.getByTestId(`my-room-${kept.roomId}`).getAttribute('data-openable'), 'yes', 'the other workshop stays');
    assert.ok(!(await page.evaluate(() => JSON.parse(localStorage.getItem('kortvaeg:rooms') ?? '[]'))).some((r) => r.id === room.roomId), 'gone from the device list');
    await until(async () => (await roomDatabases(page, room.roomId)).length === 0, 'the facilitator\'s device copies gone');
    assert.equal((await fetch(`${server.url}/api/rooms/${room.roomId}`, { headers: { authorization: `Bearer ${facToken}` } })).status, 404);
    await shots(page, 'delete-start');
    await page.reload();
    await page.getByTestId('template-kmd-sag-exit-as-is').waitFor();
    assert.equal(await page.getByTestId('start-notice').count(), 0, 'the confirmation is said once');

    // --- the participant's open page: "Workshoppen er slettet", and no reconnecting
    const gone = anne.page.getByTestId('room-deleted');
    await gone.waitFor();
    assert.match(await gone.textContent(), /Workshoppen er slettet/);
    assert.match(await gone.textContent(), /Facilitator har slettet workshoppen/);
    assert.equal(await anne.page.getByTestId('group-work').count(), 0);
    const after = sockets;
    await anne.page.waitForTimeout(5000); // y-websocket would have tried again within its 4 s backoff
    assert.equal(sockets, after, 'no reconnecting');
    await until(async () => (await roomDatabases(anne.page, room.roomId)).length === 0, 'the participant\'s device copies gone');
    assert.ok(await noSideScroll(anne.page), 'no horizontal scroll at 375 px');
    await shots(anne.page, 'delete-participant');
    // A reload still says so (this device had a seat in it).
    await anne.page.reload();
    await gone.waitFor();

    // --- the review page: its next request is a 404, and it says the same
    await review.page.getByTestId('open-snapshot-1').click();
    await review.page.getByTestId('room-deleted').waitFor();
    assert.match(await review.page.getByTestId('room-deleted').textContent(), /Workshoppen er slettet/);

    assert.deepEqual([...errors, ...anne.errors, ...review.errors], []);
    await context.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('in its last week before the server deletes it, the console warns', async () => {
  const server = await startServer({ args: ['--retain-days', '3'] });
  try {
    const fac = await newPage(browser, PHONE);
    await createRoom(fac.page, server.url, 'Snart væk');
    const warn = fac.page.getByTestId('deletes-soon');
    await warn.waitFor();
    assert.match(await warn.textContent(), /Workshoppen slettes automatisk d\. .+ \(om 3 dage\)/);
    assert.ok(await noSideScroll(fac.page), 'no horizontal scroll at 375 px');
    await shots(fac.page, 'delete-soon');
    assert.deepEqual(fac.errors, []);
  } finally {
    await server.stop();
    server.cleanup();
  }
});
