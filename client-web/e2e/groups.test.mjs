// Group documents, private group work and the reveal (CONTRACT.md v2, "Group documents" and
// "Visibility and the reveal") in real Chromium against the real server: two groups on phones in a
// private room never receive each other's cards (not on screen, not in the page's documents, no
// socket to the other group's document) until the facilitator shows them on the projector wall;
// the snapshot and the export hold both. In an open room a group's cards reach the other group
// live, switching to private closes the other group's document quietly (no banner, no reconnect
// loop), and the facilitator's card for a group lands in that group's document. A room without
// `meta.group_documents` keeps writing to the wall.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { openServerAndBrowser, closeServerAndBrowser, newPage, shots, createRoom, joinAs, until, PHONE, PROJECTOR } from './harness.mjs';

let server;
let browser;
before(async () => ({ server, browser } = await openServerAndBrowser()));
after(() => closeServerAndBrowser(server, browser));

const A = 'borgerservice';
const B = 'voksenservice';
/** The template's four fagområder, sorted. */
const ALL = ['beskaeftigelse', 'borgerservice', 'teknik-og-miljoe', 'voksenservice'];

/** The HTTP status of a WebSocket upgrade request (101 when accepted). */
const upgradeStatus = (url) =>
  new Promise((resolve, reject) => {
    const req = request(url, { headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' } });
    req.on('response', (res) => { res.resume(); resolve(res.statusCode); });
    req.on('upgrade', (res, socket) => { socket.destroy(); resolve(res.statusCode); });
    req.on('error', reject);
    req.end();
  });
const tokenOf = (url) => decodeURIComponent(new URL(url).hash.slice(1));

/** A page that records the WebSocket URLs it opens (which documents it asked for). */
async function trackedPage(viewport) {
  const p = await newPage(browser, viewport);
  p.sockets = [];
  p.page.on('websocket', (ws) => p.sockets.push(ws.url()));
  return p;
}
const groupSockets = (p, column) => p.sockets.filter((u) => new URL(u).pathname.endsWith(`/group/${column}`));

async function addCard(page, rowId, text) {
  const q = page.getByTestId(`question-${rowId}`);
  await q.getByTestId('card-input').fill(text);
  await q.getByTestId('card-add').click();
  await q.getByTestId('card-text').filter({ hasText: text }).waitFor();
}

/** What the page's own sync layer holds: the group documents open, the cards of each, the room's cards as one set. */
const held = (page) =>
  page.evaluate(() => {
    const { session, docs } = window.kortvaeg;
    const texts = (doc) => [...doc.getMap('cards').values()].map((c) => String(c.get('text'))).sort();
    return {
      groups: [...session.groups.keys()].sort(),
      byGroup: Object.fromEntries([...session.groups].map(([id, l]) => [id, texts(l.doc)])),
      wall: texts(session.wall.doc),
      all: docs.readRoomCards(session.docs).map((c) => c.text).sort(),
    };
  });

/** The card texts of a wall page's cell (question asis-1) of `column`. */
const cellTexts = (page, column) => page.getByTestId(`cell-asis-1-${column}`).getByTestId('card-text').allTextContents();

test('private group work: each group sees only its own cards until the facilitator reveals them; snapshot and export hold both', async () => {
  // --- the facilitator sets the room to private group work in the setup
  const fac = await trackedPage({ width: 1440, height: 900 });
  const room = await createRoom(fac.page, server.url, 'Privat gruppearbejde');
  const facToken = tokenOf(room.facilitatorUrl);
  await fac.page.getByTestId('visibility-setup').waitFor();
  await fac.page.getByTestId('visibility-setup-private').check();
  await fac.page.waitForSelector('[data-testid="visibility-control"][data-visibility="private"]');
  assert.equal(await fac.page.getByTestId('visibility-private').getAttribute('aria-pressed'), 'true', 'the toolbar says private too');
  await fac.page.getByTestId('reveal-panel').waitFor();
  assert.equal(await fac.page.getByTestId('reveal-all').textContent(), 'Vis alle');
  await shots(fac.page, 'groups-console-private');

  // --- two groups on phones, each adds a card
  const anne = await trackedPage(PHONE);
  const bo = await trackedPage(PHONE);
  await joinAs(anne.page, room.joinUrl, 'Anne Jensen', A);
  await joinAs(bo.page, room.joinUrl, 'Bo Hansen', B);
  await addCard(anne.page, 'asis-1', 'A: vi bruger KMD Sag');
  await addCard(bo.page, 'asis-1', 'B: kun til overblik');
  // The private note, in Danish, on both group pages.
  for (const p of [anne, bo]) {
    assert.match(await p.page.getByTestId('private-note').textContent(), /de andre gruppers kort er skjult, indtil facilitator viser dem/);
    assert.equal(await p.page.getByTestId('private-note').getAttribute('role'), 'status');
  }
  await shots(anne.page, 'groups-phone-private');

  // Each phone holds its own group's document only: the card is there, not on the wall.
  let a = await held(anne.page);
  assert.deepEqual(a.groups, [A]);
  assert.deepEqual(a.byGroup[A], ['A: vi bruger KMD Sag']);
  assert.deepEqual(a.wall, [], 'a group\'s card goes to its group document, not the wall');
  assert.ok(!a.all.includes('B: kun til overblik'));
  let b = await held(bo.page);
  assert.deepEqual(b.groups, [B]);
  assert.ok(!b.all.includes('A: vi bruger KMD Sag'));
  assert.equal(groupSockets(anne, B).length, 0, 'no socket to the other group\'s document');
  assert.equal(groupSockets(bo, A).length, 0);
  assert.ok(groupSockets(anne, A).length >= 1, 'a socket to its own');

  // The server refuses the other group's document outright (HTTP 403 on the upgrade).
  const seatB = await bo.page.evaluate(() => window.kortvaeg.session.token);
  assert.equal(await upgradeStatus(`${server.url}/ws/${room.roomId}/group/${A}?token=${encodeURIComponent(seatB)}`), 403);
  assert.equal(await upgradeStatus(`${server.url}/ws/${room.roomId}/group/${B}?token=${encodeURIComponent(seatB)}`), 101, 'its own: accepted');

  // Bo looks at the plenum wall on the phone, group A's column: hidden.
  await bo.page.getByTestId('see-wall').click();
  await bo.page.getByTestId('wall-page').waitFor();
  await bo.page.locator('.col-picker').getByRole('tab', { name: 'Borgerservice' }).click();
  await bo.page.getByTestId(`wall-hidden-${A}`).waitFor();
  assert.deepEqual(await cellTexts(bo.page, A), []);

  // --- the projector wall (1920 px): both groups hidden, even for the facilitator
  const wall = await trackedPage(PROJECTOR);
  await wall.page.goto(`${server.url}/room/${room.roomId}/wall#${facToken}`);
  await wall.page.getByTestId('wall-page').waitFor();
  await wall.page.getByTestId(`wall-hidden-${A}`).waitFor();
  await wall.page.getByTestId(`wall-hidden-${B}`).waitFor();
  // The facilitator's page holds both groups' documents (the console's progress counts them) …
  await until(async () => (await held(wall.page)).all.length === 2, 'the facilitator holds both groups\' cards');
  // … but the projector shows neither.
  assert.deepEqual(await cellTexts(wall.page, A), []);
  assert.deepEqual(await cellTexts(wall.page, B), []);
  assert.match(await wall.page.getByTestId('wall-count').textContent(), /^0 kort/);
  await shots(wall.page, 'groups-wall-hidden');

  // --- reveal group A on the wall: Bo's phone and the wall show A's card
  const revealA = wall.page.getByTestId(`reveal-${A}`);
  assert.equal(await revealA.getAttribute('aria-label'), 'Vis gruppe Borgerservice for alle');
  await revealA.click();
  await wall.page.waitForSelector(`[data-testid="reveal-item-${A}"][data-revealed="yes"]`);
  await until(async () => (await cellTexts(wall.page, A)).includes('A: vi bruger KMD Sag'), 'A on the projector');
  assert.deepEqual(await cellTexts(wall.page, B), [], 'B still hidden');
  await until(async () => (await cellTexts(bo.page, A)).includes('A: vi bruger KMD Sag'), 'A on Bo\'s phone');
  assert.equal(await bo.page.getByTestId(`wall-hidden-${A}`).count(), 0);
  await until(async () => /Nu vist for alle: Borgerservice/.test(await bo.page.getByTestId('reveal-announce').textContent()), 'the reveal announced (aria-live)');
  b = await held(bo.page);
  assert.deepEqual(b.groups, [A, B]);
  assert.equal(groupSockets(bo, A).length, 1, 'one socket to A once revealed');
  // Anne still has no B.
  a = await held(anne.page);
  assert.deepEqual(a.groups, [A]);
  await shots(wall.page, 'groups-wall-revealed-a');
  await shots(bo.page, 'groups-phone-revealed-a');
  // Back on Bo's group page, the note says which groups are shown.
  await bo.page.getByTestId('wall-back').click();
  await bo.page.getByTestId('private-shown').waitFor();
  assert.match(await bo.page.getByTestId('private-shown').textContent(), /Facilitator har vist: Borgerservice/);

  // English on request, like every other text.
  await wall.page.getByTestId('lang-toggle').click();
  assert.equal(await wall.page.getByTestId(`reveal-${B}`).textContent(), 'Show group');
  assert.equal(await wall.page.getByTestId(`wall-hidden-${B}`).locator('[aria-hidden="true"]').textContent(), 'Hidden');
  await wall.page.getByTestId('lang-toggle').click();
  assert.equal(await wall.page.getByTestId(`reveal-${B}`).textContent(), 'Vis gruppe');

  // --- "Vis alle", from the keyboard: everything on the wall and on Anne's phone
  await wall.page.getByTestId('reveal-all').focus();
  await wall.page.keyboard.press('Enter');
  await wall.page.getByTestId('reveal-all-done').waitFor();
  await until(async () => (await cellTexts(wall.page, B)).includes('B: kun til overblik'), 'B on the projector');
  await until(async () => (await held(anne.page)).all.includes('B: kun til overblik'), 'B reaches Anne');
  assert.equal(await wall.page.locator('[data-testid^="wall-hidden-"]').count(), 0);
  await shots(wall.page, 'groups-wall-all');

  // --- a snapshot and the export (facilitator token) hold both groups' cards
  const snap = await fetch(`${server.url}/api/rooms/${room.roomId}/snapshots`, { method: 'POST', headers: { authorization: `Bearer ${facToken}` } });
  assert.equal(snap.status, 201);
  const { seq } = await snap.json();
  const snapshot = await (await fetch(`${server.url}/api/rooms/${room.roomId}/snapshots/${seq}`, { headers: { authorization: `Bearer ${facToken}` } })).json();
  const texts = snapshot.cards.map((c) => c.text);
  assert.ok(texts.includes('A: vi bruger KMD Sag') && texts.includes('B: kun til overblik'), `snapshot cards: ${texts}`);
  assert.equal(snapshot.cards.find((c) => c.text === 'A: vi bruger KMD Sag').column, A);
  for (const q of ['', `?snapshot=${seq}`]) {
    const csv = await fetch(`${server.url}/api/rooms/${room.roomId}/export.csv${q}`, { headers: { authorization: `Bearer ${facToken}` } });
    assert.equal(csv.status, 200);
    const body = await csv.text();
    assert.ok(body.includes('A: vi bruger KMD Sag') && body.includes('B: kun til overblik'), `export${q} holds both groups' cards`);
  }

  for (const p of [fac, anne, bo, wall]) {
    assert.deepEqual(p.errors, [], 'no page errors');
    assert.equal(await p.page.getByTestId('problem').count(), 0, 'no error banner');
  }
  await Promise.all([fac, anne, bo, wall].map((p) => p.context.close()));
});

test('open room: a group\'s cards reach the other group live; switching to private closes them quietly; the facilitator writes for a group', async () => {
  const fac = await trackedPage({ width: 1440, height: 900 });
  const room = await createRoom(fac.page, server.url, 'Åbent gruppearbejde');
  await fac.page.waitForSelector('[data-testid="visibility-control"][data-visibility="open"]');
  assert.equal(await fac.page.getByTestId('reveal-panel').count(), 0, 'no reveal in an open room');

  const anne = await trackedPage(PHONE);
  const bo = await trackedPage(PHONE);
  await joinAs(anne.page, room.joinUrl, 'Anne Jensen', A);
  await joinAs(bo.page, room.joinUrl, 'Bo Hansen', B);
  assert.equal(await anne.page.getByTestId('private-note').count(), 0);
  // Bo watches the wall on his phone, Borgerservice's column.
  await bo.page.getByTestId('see-wall').click();
  await bo.page.getByTestId('wall-page').waitFor();
  await bo.page.locator('.col-picker').getByRole('tab', { name: 'Borgerservice' }).click();

  await addCard(anne.page, 'asis-1', 'Åbent: A skriver');
  await until(async () => (await cellTexts(bo.page, A)).includes('Åbent: A skriver'), 'A\'s card on Bo\'s phone, live');
  const b = await held(bo.page);
  assert.deepEqual(b.groups, ALL, 'an open room: every group document');
  assert.deepEqual(b.byGroup[A], ['Åbent: A skriver']);
  assert.deepEqual(b.wall, []);
  // The console's progress counts it.
  await until(async () => (await fac.page.getByTestId(`progress-${A}`).getByTestId('group-cards').textContent()) === '1', 'progress counts the group document\'s card');

  // --- the facilitator adds a card for group B from the console: B's document, attributed to the facilitator and the group
  await fac.page.getByTestId(`add-for-${B}`).click();
  await fac.page.getByTestId('add-card-text').fill('Facilitator for B');
  await fac.page.getByTestId('add-card-submit').click();
  await fac.page.getByTestId('add-card-dialog').waitFor({ state: 'detached' });
  await until(async () => (await held(bo.page)).byGroup[B]?.includes('Facilitator for B'), 'in B\'s document');
  const written = await bo.page.evaluate(([b]) => {
    const m = [...window.kortvaeg.session.groups.get(b).doc.getMap('cards').values()].find((c) => c.get('text') === 'Facilitator for B');
    return { author: m.get('author'), group: m.get('group'), column: m.get('column') };
  }, [B]);
  assert.deepEqual(written, { author: 'Facilitator', group: 'Voksenservice', column: B });
  await bo.page.getByTestId('wall-back').click();
  await bo.page.getByTestId('question-asis-1').getByTestId('card-text').filter({ hasText: 'Facilitator for B' }).waitFor();

  // --- switched to private during group work: Bo's link to A closes without a banner and is not asked for again
  await bo.page.getByTestId('see-wall').click();
  await bo.page.locator('.col-picker').getByRole('tab', { name: 'Borgerservice' }).click();
  await fac.page.getByTestId('visibility-private').click();
  await until(async () => (await held(bo.page)).groups.join() === B, 'Bo keeps only his own group document');
  await bo.page.getByTestId(`wall-hidden-${A}`).waitFor();
  assert.deepEqual(await cellTexts(bo.page, A), []);
  const socketsThen = groupSockets(bo, A).length;
  // An observation window, not a synchronisation: a refused document must not be asked for again.
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(groupSockets(bo, A).length, socketsThen, 'no reconnect loop to the refused document');
  assert.equal(await bo.page.getByTestId('problem').count(), 0, 'no error banner');
  assert.equal(await bo.page.getByTestId('seat-removed').count(), 0, 'not a removed seat');
  assert.equal(await bo.page.getByTestId('conn-status').first().getAttribute('data-status'), 'online');
  await shots(bo.page, 'groups-phone-switched-private');
  // Anne's own group document stays open and writable.
  await addCard(anne.page, 'asis-2', 'Privat nu');
  assert.deepEqual((await held(anne.page)).groups, [A]);

  // --- open again: A's cards come back to Bo
  await fac.page.getByTestId('visibility-open').click();
  await until(async () => (await cellTexts(bo.page, A)).includes('Åbent: A skriver'), 'A back on Bo\'s phone');

  // --- the facilitator moves A's card to Voksenservice on the wall: it moves into B's document
  await fac.page.getByTestId('open-wall').click();
  const moving = fac.page.getByTestId(`cell-asis-1-${A}`).getByTestId('card').filter({ hasText: 'Åbent: A skriver' });
  await moving.getByTestId('card-actions').click();
  await fac.page.getByTestId('move-column').selectOption(B);
  await fac.page.getByTestId('move-submit').click();
  await until(async () => (await cellTexts(fac.page, B)).includes('Åbent: A skriver'), 'in Voksenservice on the wall');
  await until(async () => (await held(bo.page)).byGroup[B]?.includes('Åbent: A skriver'), 'in B\'s document');
  // Two documents change, each in its own update: the copy in A's goes a moment after B's has it.
  await until(async () => !(await held(bo.page)).byGroup[A].includes('Åbent: A skriver'), 'no longer in A\'s');
  await bo.page.getByTestId('wall-back').click();
  await bo.page.getByTestId('question-asis-1').getByTestId('card-text').filter({ hasText: 'Åbent: A skriver' }).waitFor();

  for (const p of [fac, anne, bo]) {
    assert.deepEqual(p.errors, [], 'no page errors');
    assert.equal(await p.page.getByTestId('problem').count(), 0, 'no error banner');
  }
  await Promise.all([fac, anne, bo].map((p) => p.context.close()));
});

test('a room without meta.group_documents (made before v2) keeps every card on the wall', async () => {
  const fac = await trackedPage({ width: 1440, height: 900 });
  const room = await createRoom(fac.page, server.url, 'Gammelt rum');
  const facToken = tokenOf(room.facilitatorUrl);
  // Made "old": the facilitator's control document loses the flag (as a room stored before v2 has it).
  await fac.page.evaluate(() => window.kortvaeg.session.control.doc.getMap('meta').delete('group_documents'));
  await until(async () => {
    const s = await fetch(`${server.url}/api/rooms/${room.roomId}/snapshots`, { method: 'POST', headers: { authorization: `Bearer ${facToken}` } });
    const { seq } = await s.json();
    const snap = await (await fetch(`${server.url}/api/rooms/${room.roomId}/snapshots/${seq}`, { headers: { authorization: `Bearer ${facToken}` } })).json();
    return snap.meta && !('group_documents' in snap.meta);
  }, 'the server has the room without the flag');
  await fac.page.getByTestId('visibility-control').waitFor({ state: 'detached' });
  assert.equal(await fac.page.getByTestId('visibility-setup').count(), 0, 'no visibility choice in an older room');

  const anne = await trackedPage(PHONE);
  await joinAs(anne.page, room.joinUrl, 'Anne Jensen', A);
  await addCard(anne.page, 'asis-1', 'Gammel væg');
  const a = await held(anne.page);
  assert.deepEqual(a.groups, [], 'no group documents');
  assert.deepEqual(a.wall, ['Gammel væg'], 'the card is on the wall document');
  assert.equal(anne.sockets.filter((u) => u.includes('/group/')).length, 0);
  // The facilitator's wall shows it, from the wall document.
  await fac.page.getByTestId('open-wall').click();
  await until(async () => (await cellTexts(fac.page, A)).includes('Gammel væg'), 'on the wall');
  assert.deepEqual((await held(fac.page)).groups, [], 'the facilitator closed its group documents');

  for (const p of [fac, anne]) assert.deepEqual(p.errors, [], 'no page errors');
  await Promise.all([fac, anne].map((p) => p.context.close()));
});
