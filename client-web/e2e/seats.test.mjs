// Seats (CONTRACT.md, v2 "Seats") in real Chromium against the real server: joining creates a seat
// whose token the page then uses, a reload is the same seat, the facilitator's people panel renames,
// moves and removes a seat (the participant's page says so), a new join link retires the old one
// while seated people keep theirs, and joining closed is said on the join page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openServerAndBrowser, closeServerAndBrowser, newPage, shots, createRoom, joinAs, until, PHONE, PROJECTOR, SHOTS } from './harness.mjs';

let server;
let browser;
before(async () => ({ server, browser } = await openServerAndBrowser()));
after(() => closeServerAndBrowser(server, browser));

const tokenOf = (url) => decodeURIComponent(new URL(url).hash.slice(1));

async function seats(roomId, token) {
  const r = await fetch(`${server.url}/api/rooms/${roomId}/seats`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.status, 200, `GET /seats: ${r.status}`);
  return r.json();
}

/** The people panel itself, at 375 and 1920 px (it sits below the fold of the console). */
async function panelShots(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  const before = page.viewportSize();
  for (const vp of [PHONE, PROJECTOR]) {
    await page.setViewportSize(vp);
    await page.getByTestId('people-panel').screenshot({ path: join(SHOTS, `${name}-${vp.width}.png`) });
  }
  await page.setViewportSize(before);
}

const storedSeat = (page, roomId) => page.evaluate((k) => JSON.parse(localStorage.getItem(k) ?? 'null'), `kortvaeg:seat:${roomId}`);

test('a seat per person: join, reload, rename and move, remove, new join link, joining closed', async () => {
  const fac = await newPage(browser, { width: 1440, height: 900 });
  const room = await createRoom(fac.page, server.url, 'Seats – Borgerservice');
  const facToken = tokenOf(room.facilitatorUrl);
  const panel = fac.page.getByTestId('people-panel');
  await panel.waitFor();
  assert.equal(await panel.getAttribute('data-count'), '0');

  // --- a participant joins: a seat is created, kept on the device, and its token is used
  const anne = await newPage(browser, PHONE);
  await joinAs(anne.page, room.joinUrl, 'Anne Jensen', 'borgerservice');
  let list = await seats(room.roomId, facToken);
  assert.equal(list.length, 1);
  assert.equal(list[0].name, 'Anne Jensen');
  assert.equal(list[0].group, 'borgerservice');
  const seatId = list[0].seat_id;
  const stored = await storedSeat(anne.page, room.roomId);
  assert.equal(stored.seat_id, seatId);
  assert.ok(stored.seat_token && stored.seat_token !== tokenOf(room.joinUrl), 'the seat has its own token');
  assert.equal(await anne.page.evaluate(() => window.kortvaeg.session.token), stored.seat_token, 'the live session uses the seat token');
  assert.equal(await anne.page.getByTestId('me-name').textContent(), 'Anne Jensen');

  // A card carries the seat: author_id is the seat id, author its name.
  const q = anne.page.locator('[data-testid^="question-"]').first();
  await q.getByTestId('card-input').fill('Vi bruger tre systemer');
  await q.getByTestId('card-add').click();
  await q.getByTestId('card-text').filter({ hasText: 'Vi bruger tre systemer' }).waitFor();
  const card = await anne.page.evaluate(() => {
    const k = window.kortvaeg;
    return k.docs.readRoomCards(k.session.docs).find((c) => c.text === 'Vi bruger tre systemer');
  });
  assert.equal(card.author_id, seatId);
  assert.equal(card.author, 'Anne Jensen');

  // --- a reload is the same person: no second seat, straight back to the group page
  await anne.page.reload();
  await anne.page.waitForSelector('[data-testid="group-work"][data-group="borgerservice"]');
  assert.equal((await seats(room.roomId, facToken)).length, 1, 'a reload makes no second seat');

  // --- the facilitator sees the seat online, renames and moves it; the participant's page follows
  const row = panel.getByTestId(`seat-${seatId}`);
  await fac.page.waitForSelector(`[data-testid="seat-${seatId}"][data-online="yes"]`);
  assert.equal(await row.getByTestId('seat-group').textContent(), await fac.page.getByTestId('fag-borgerservice').getAttribute('data-fag-label'));
  await shots(fac.page, 'seats-console');
  await panelShots(fac.page, 'seats-panel');
  await row.getByTestId('seat-edit').click();
  await row.getByTestId('seat-name-input').fill('Anne J. Jensen');
  await row.getByTestId('seat-group-select').selectOption('voksenservice');
  await shots(fac.page, 'seats-edit');
  await panelShots(fac.page, 'seats-panel-edit');
  await row.getByTestId('seat-save').click();
  await fac.page.waitForSelector(`[data-testid="seat-${seatId}"][data-seat-name="Anne J. Jensen"][data-group="voksenservice"]`);
  list = await seats(room.roomId, facToken);
  assert.deepEqual([list[0].name, list[0].group], ['Anne J. Jensen', 'voksenservice']);
  await anne.page.waitForSelector('[data-testid="group-work"][data-group="voksenservice"]');
  await until(async () => (await anne.page.getByTestId('me-name').textContent()) === 'Anne J. Jensen', 'the new name on the participant page');
  await shots(anne.page, 'seats-group');

  // The participant changes their own group back (PATCH on the own seat).
  await anne.page.getByTestId('change-group').click();
  await anne.page.waitForSelector('[data-testid="join-form"][data-mode="change"]');
  assert.equal(await anne.page.getByTestId('join-name').inputValue(), 'Anne J. Jensen');
  await anne.page.getByTestId('join-group-borgerservice').check();
  await anne.page.getByTestId('join-go').click();
  await anne.page.waitForSelector('[data-testid="group-work"][data-group="borgerservice"]');
  list = await seats(room.roomId, facToken);
  assert.deepEqual([list.length, list[0].group], [1, 'borgerservice']);

  // --- the facilitator removes the seat (after a confirmation): the participant's page says so
  await fac.page.waitForSelector(`[data-testid="seat-${seatId}"][data-group="borgerservice"]`);
  await row.getByTestId('seat-remove').click();
  assert.ok(fac.dialogs.some((d) => d.type === 'confirm' && d.message.includes('Anne J. Jensen')), 'removing asks first');
  const removed = anne.page.getByTestId('seat-removed');
  await removed.waitFor();
  assert.match(await removed.textContent(), /Du er fjernet fra workshoppen af facilitator\. Bed om et nyt link for at deltage igen\./);
  await fac.page.waitForSelector('[data-testid="people-panel"][data-count="0"]');
  assert.equal((await seats(room.roomId, facToken)).length, 0);
  const gone = await fetch(`${server.url}/api/rooms/${room.roomId}`, { headers: { authorization: `Bearer ${stored.seat_token}` } });
  assert.ok([401, 403].includes(gone.status), `the removed seat's token is refused (${gone.status})`);
  await shots(anne.page, 'seats-removed');
  // A reload still says so (the stored seat is refused), and "Deltag igen" offers the join page.
  await anne.page.reload();
  await removed.waitFor();
  await anne.page.getByTestId('rejoin').click();
  await anne.page.waitForSelector('[data-testid="join-form"][data-mode="join"]');
  assert.equal(await anne.page.getByTestId('join-name').inputValue(), 'Anne J. Jensen', 'the name is suggested again');
  assert.equal(await storedSeat(anne.page, room.roomId), null);

  // --- a new join link: the old one stops working on the join page, a seated person keeps theirs
  const bo = await newPage(browser, { width: 1280, height: 900 });
  await joinAs(bo.page, room.joinUrl, 'Bo Hansen', 'voksenservice');
  await fac.page.waitForSelector('[data-testid="people-panel"][data-count="1"]');
  await fac.page.getByTestId('new-join-link').click();
  assert.ok(fac.dialogs.some((d) => d.type === 'confirm' && /gamle link/.test(d.message)), 'a new link asks first');
  await fac.page.getByTestId('people-notice').waitFor();
  const newJoinUrl = await until(async () => {
    const v = await fac.page.getByTestId('join-link').inputValue();
    return v !== room.joinUrl && v;
  }, 'the new join link in the share panel');
  assert.match(newJoinUrl, new RegExp(`/join/${room.roomId}#.{22,}`));
  // The share panel's QR code (and its big version for the projector) is the new link.
  await until(async () => (await fac.page.locator('.share [data-testid="qr"]').getAttribute('data-value')) === newJoinUrl, 'the new link in the QR code');
  await fac.page.getByTestId('show-qr').click();
  assert.equal(await fac.page.getByTestId('qr-dialog').getByTestId('qr').getAttribute('data-value'), newJoinUrl);
  await fac.page.keyboard.press('Escape');
  await fac.page.getByTestId('qr-dialog').waitFor({ state: 'detached' });
  await shots(fac.page, 'seats-new-link');
  // The console on this device keeps the new link after a reload.
  await fac.page.reload();
  await fac.page.waitForSelector('[data-testid="console"][data-ready="yes"]');
  assert.equal(await fac.page.getByTestId('join-link').inputValue(), newJoinUrl);

  const late = await newPage(browser, PHONE);
  await late.page.goto(room.joinUrl);
  await late.page.getByTestId('page-error').waitFor();
  assert.match(await late.page.getByTestId('page-error').textContent(), /Linket er ikke gyldigt for denne workshop/);
  await shots(late.page, 'seats-old-link');
  await bo.page.reload();
  await bo.page.waitForSelector('[data-testid="group-work"][data-group="voksenservice"]');
  await until(async () => (await bo.page.getByTestId('conn-status').first().getAttribute('data-status')) === 'online', 'the seated person online');
  await joinAs(late.page, newJoinUrl, 'Carla Holm', 'borgerservice');
  await fac.page.waitForSelector('[data-testid="people-panel"][data-count="2"]');

  // --- joining closed: the join page says so (and the server refuses the seat)
  await fac.page.getByTestId('joining-toggle').click();
  await fac.page.waitForSelector('[data-testid="joining-toggle"][data-closed="yes"]');
  await fac.page.getByTestId('joining-closed-note').waitFor();
  const dana = await newPage(browser, PHONE);
  await dana.page.goto(newJoinUrl);
  await dana.page.getByTestId('joining-closed').waitFor();
  assert.match(await dana.page.getByTestId('joining-closed').textContent(), /Facilitator har lukket for nye deltagere/);
  await dana.page.getByTestId('join-name').fill('Dana Lund');
  await dana.page.getByTestId('join-group-borgerservice').check();
  await dana.page.getByTestId('join-go').click();
  await dana.page.getByTestId('join-form').waitFor();
  assert.equal(await dana.page.getByTestId('group-work').count(), 0);
  await shots(dana.page, 'seats-join-closed');
  assert.equal((await seats(room.roomId, facToken)).length, 2, 'no seat while joining is closed');
  // Open again: joining works.
  await fac.page.getByTestId('joining-toggle').click();
  await fac.page.waitForSelector('[data-testid="joining-toggle"][data-closed="no"]');
  await dana.page.getByTestId('joining-closed').waitFor({ state: 'detached' });
  await dana.page.getByTestId('join-go').click();
  await dana.page.waitForSelector('[data-testid="group-work"][data-group="borgerservice"]');

  for (const p of [fac, anne, bo, late, dana]) assert.deepEqual(p.errors, []);
});
