// Anonymity per room (docs/API.md, "Anonymity") in real Chromium against the real server: the
// Start page makes an anonymous room; participants on phones add, edit and answer and stay
// connected (the server refuses, 4403, any update naming its writer: none is sent); a participant's
// page — its text, its attributes and every WebSocket frame it receives — holds no other
// participant's name; the facilitator's wall shows who wrote each card in a room anonymous to
// participants, and no writer in a fully anonymous one, whose people panel still lists everyone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, launchBrowser, newPage, shots, joinAs, until, importList, PHONE, PROJECTOR, SHOTS } from './harness.mjs';

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  server?.cleanup();
});

const SAGS = '27-12-boligstoette';
const LIST = 'Fagområde;Sagsområde;KLE\nBorgerservice;Boligstøtte;27.12\n';

/** Creates a room through the Start page with the anonymity chosen there; its links and tokens. */
async function createAnonymous(page, title, anonymity, shot) {
  await page.goto(`${server.url}/`);
  await page.getByTestId('room-title-input').fill(title);
  await page.getByTestId('template-kmd-sag-exit-as-is').check();
  assert.equal(await page.getByTestId('anonymity-none').isChecked(), true, 'names shown by default');
  await page.getByTestId(`anonymity-${anonymity}`).check();
  // The choice is a labelled radio group that says it is for good.
  const group = page.getByRole('group', { name: 'Anonymitet' });
  mkdirSync(SHOTS, { recursive: true });
  assert.equal(await group.getByRole('radio').count(), 3);
  assert.match(await page.locator('#anonymity-fixed').textContent(), /kan ikke ændres/);
  if (shot) {
    await shots(page, shot);
    // The choice itself on the projector (below the fold there).
    const before = page.viewportSize();
    await page.setViewportSize(PROJECTOR);
    await group.screenshot({ path: join(SHOTS, `${shot}-choice-1920.png`) });
    await page.setViewportSize(before);
  }
  await page.getByTestId('create-room').click();
  await page.waitForURL(/\/room\/[^/#]+#.+/);
  await page.waitForSelector('[data-testid="console"][data-ready="yes"]');
  const roomId = new URL(page.url()).pathname.split('/')[2];
  const token = decodeURIComponent(new URL(page.url()).hash.slice(1));
  const joinUrl = await page.getByTestId('join-link').inputValue();
  await importList(server.url, roomId, token, LIST);
  const info = await (await fetch(`${server.url}/api/rooms/${roomId}`, { headers: { authorization: `Bearer ${token}` } })).json();
  assert.equal(info.anonymity, anonymity, 'sent in the POST body and kept');
  return { roomId, token, joinUrl };
}

/** Every WebSocket frame a page receives, as bytes (Yjs updates and presence are binary). */
function recordFrames(page) {
  const frames = [];
  page.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => frames.push(Buffer.from(payload))));
  return frames;
}

/** No refusal on the page: no error banner, and no document link closed with 4403 (or anything). */
async function connected(p, who) {
  assert.equal(await p.page.getByTestId('problem').count(), 0, `${who}: no error banner`);
  const closes = await p.page.evaluate(() => {
    const s = window.kortvaeg.session;
    return [s.wall, s.control, ...s.groups.values()].map((l) => l.lastClose?.code ?? null).filter((c) => c !== null && c !== 1000);
  });
  assert.deepEqual(closes, [], `${who}: no link was closed`);
  assert.deepEqual(p.errors, [], `${who}: no page errors`);
}

/** Fails if `name` is anywhere on the page: its text, its attributes (titles, labels). */
async function nowhereOnPage(page, name, what) {
  const html = await page.content();
  assert.equal(html.includes(name), false, `${what}: "${name}" is on the page`);
}

/** The raw card maps of the page's own group document (what it wrote, as the server holds it). */
const rawCards = (page, column) => page.evaluate((c) => {
  const d = window.kortvaeg.session.docs.groups.get(c);
  return d ? d.getMap('cards').toJSON() : null;
}, column);

test('a room anonymous to participants: made on the Start page; phones add, edit, answer and stay connected; no other name reaches a participant; the facilitator sees who wrote what', async () => {
  const fac = await newPage(browser, { width: 1440, height: 900 });
  const room = await createAnonymous(fac.page, 'Anonym – Borgerservice', 'participants', 'anonymity-start');
  const banner = fac.page.getByTestId('anon-banner');
  await banner.waitFor();
  assert.equal(await banner.getAttribute('data-anonymity'), 'participants');
  assert.match(await banner.textContent(), /^Anonym workshop: deltagerne ser ikke, hvem der skrev hvad; du ser det\./);

  const anne = await newPage(browser, PHONE);
  const bo = await newPage(browser, PHONE);
  const anneFrames = recordFrames(anne.page);
  const boFrames = recordFrames(bo.page);
  await joinAs(anne.page, room.joinUrl, 'Anne Kvist', 'borgerservice');
  await joinAs(bo.page, room.joinUrl, 'Bo Lindqvist', 'borgerservice');
  const seatOf = async (p) => (await p.page.evaluate((k) => JSON.parse(localStorage.getItem(k)), `kortvaeg:seat:${room.roomId}`)).seat_id;
  const [anneSeat, boSeat] = [await seatOf(anne), await seatOf(bo)];
  // The participant page says the workshop is anonymous.
  assert.match(await anne.page.getByTestId('anon-banner').textContent(), /^Anonym workshop: de andre deltagere kan ikke se, hvem der skrev hvad/);

  // --- cards: each adds one, the other sees it; neither carries a name, both their seat
  const q = (p, id) => p.page.getByTestId(`question-${id}`);
  await q(anne, 'asis-4').getByTestId('card-input').fill('Vi bruger tre systemer');
  // Typing is seen without a name.
  await q(bo, 'asis-4').getByTestId('typing').filter({ hasText: 'Nogen skriver' }).waitFor();
  await q(anne, 'asis-4').getByTestId('card-add').click();
  await q(bo, 'asis-4').getByText('Vi bruger tre systemer').waitFor();
  await q(bo, 'asis-4').getByTestId('card-input').fill('Papir i skabet');
  await q(bo, 'asis-4').getByTestId('card-add').click();
  await q(anne, 'asis-4').getByText('Papir i skabet').waitFor();
  const cards = Object.values(await rawCards(anne.page, 'borgerservice'));
  assert.equal(cards.length, 2);
  for (const c of cards) {
    assert.equal('author' in c, false, 'no name on a card');
    assert.ok([anneSeat, boSeat].includes(c.author_id), 'the writer by seat id');
  }
  // Own cards only are edited (author_id still says whose): Anne edits hers, not Bo's.
  const anneCard = q(anne, 'asis-4').getByTestId('card').filter({ hasText: 'Vi bruger tre systemer' });
  assert.equal(await q(anne, 'asis-4').getByTestId('card').filter({ hasText: 'Papir i skabet' }).getByTestId('card-edit').count(), 0);
  await anneCard.getByTestId('card-edit').click();
  // Editing: the card is a text field now (its text no longer matches the filter).
  const editing = q(anne, 'asis-4').getByTestId('card').filter({ has: anne.page.locator('textarea') });
  await editing.locator('textarea').fill('Vi bruger fire systemer');
  await editing.getByRole('button', { name: 'Gem' }).click();
  await q(bo, 'asis-4').getByText('Vi bruger fire systemer').waitFor();
  // No card shows a writer to a participant.
  assert.equal(await bo.page.locator('.card-author').count(), 0);

  // --- the Skema: Anne answers on her phone, Bo sees it; the answers record the seat (#by)
  await anne.page.getByTestId('view-skema').click();
  const skema = anne.page.locator(`[data-testid="skema"][data-sags="${SAGS}"]`);
  await skema.getByTestId('answer-asis-2').fill('12');
  await skema.getByTestId('answer-asis-3').selectOption('C');
  await bo.page.getByTestId('view-skema').click();
  const boSkema = bo.page.locator(`[data-testid="skema"][data-sags="${SAGS}"]`);
  await until(async () => (await boSkema.getByTestId('answer-asis-3').inputValue()) === 'C', 'Bo sees C');
  await until(async () => (await boSkema.getByTestId('answer-asis-2').inputValue()) === '12', 'Bo sees 12');
  const by = await anne.page.evaluate((s) => window.kortvaeg.docs.readRoomAnswers(window.kortvaeg.session.docs)[s]?.['asis-3#by'], SAGS);
  assert.equal(by, anneSeat);
  for (const p of [anne, bo]) await p.page.getByTestId('view-cards').click();

  // --- "vi er færdige" by Bo: said without a name, and nothing refused
  await bo.page.getByTestId('group-done').click();
  await bo.page.getByTestId('done-bar').filter({ hasText: 'Facilitator kan se, at I er færdige.' }).waitFor();
  await fac.page.locator('[data-testid="progress-borgerservice"] [data-testid="group-done-badge"]').filter({ hasText: 'Færdig' }).waitFor();

  // --- the facilitator adds a card for the group from the console (no name in it either)
  await fac.page.getByTestId('add-for-borgerservice').click();
  await fac.page.getByTestId('add-card-row').selectOption('asis-4');
  await fac.page.getByTestId('add-card-text').fill('Facilitators kort');
  await fac.page.getByTestId('add-card-submit').click();
  await q(anne, 'asis-4').getByText('Facilitators kort').waitFor();

  await connected(anne, 'Anne');
  await connected(bo, 'Bo');
  await connected(fac, 'the facilitator');
  // The console: who is online, by name for the facilitator (presence has none; GET /people does).
  await fac.page.getByTestId('presence-list').locator('[title="Anne Kvist"]').waitFor();
  await shots(fac.page, 'anonymity-console');
  await shots(bo.page, 'anonymity-group');

  // --- nothing of the other participant reaches a participant: page, wall, people, frames
  await nowhereOnPage(bo.page, 'Kvist', "Bo's group page");
  await nowhereOnPage(anne.page, 'Lindqvist', "Anne's group page");
  await bo.page.getByTestId('see-wall').click();
  await bo.page.getByTestId('wall').getByText('Vi bruger fire systemer').waitFor();
  await bo.page.getByTestId('anon-banner').waitFor();
  await nowhereOnPage(bo.page, 'Kvist', "Bo's wall");
  await shots(bo.page, 'anonymity-wall-participant');
  const people = await (await fetch(`${server.url}/api/rooms/${room.roomId}/people`, {
    headers: { authorization: `Bearer ${await bo.page.evaluate(() => window.kortvaeg.session.token)}` },
  })).json();
  assert.deepEqual(people.map((p) => p.name).sort(), ['', 'Bo Lindqvist'], 'GET /people: only his own name');
  await connected(bo, 'Bo on the wall');
  assert.ok(boFrames.length > 10 && anneFrames.length > 10, 'frames were recorded');
  assert.equal(boFrames.some((f) => f.includes('Kvist')), false, "Anne's name in a frame Bo received");
  assert.equal(anneFrames.some((f) => f.includes('Lindqvist')), false, "Bo's name in a frame Anne received");

  // --- the facilitator's wall shows who wrote each card (the seat's name, from GET /people)
  await fac.page.goto(`${server.url}/room/${room.roomId}/wall#${room.token}`);
  const wall = fac.page.getByTestId('wall');
  const byCard = (text) => wall.getByTestId('card').filter({ hasText: text }).locator('.card-author');
  await until(async () => (await byCard('Vi bruger fire systemer').textContent().catch(() => '')) === 'Anne Kvist', "Anne's name on her card");
  assert.equal(await byCard('Papir i skabet').textContent(), 'Bo Lindqvist');
  // Who is online, by name, for the facilitator.
  await fac.page.getByTestId('wall-people-borgerservice').locator('[title="Anne Kvist"]').waitFor();
  await connected(fac, 'the facilitator on the wall');
  await shots(fac.page, 'anonymity-wall-facilitator');

  // What the checks above guard against: a card naming its writer, written past the sync layer, is
  // refused by the server (4403) and said on the page — and never reaches Bo.
  await anne.page.evaluate(() => {
    const { schema, session } = window.kortvaeg;
    schema.addCard(session.docs.groups.get('borgerservice'), {
      row: 'asis-5', column: 'borgerservice', text: 'Med navn', author: 'Anne Kvist', author_id: '', group: 'Borgerservice', created_at: Date.now(),
    });
  });
  const problem = anne.page.locator('[data-testid="problem"][data-code="4403"][data-key="err.anonymous"]');
  await problem.waitFor();
  assert.match(await problem.textContent(), /Workshoppen er anonym: en ændring, der sagde, hvem der skrev den, blev afvist/);
  // Said, not taken for a lost right to read: her group's cards stay on her page.
  await q(anne, 'asis-4').getByText('Vi bruger fire systemer').waitFor();
  assert.equal(boFrames.some((f) => f.includes('Kvist')), false, 'the refused name never reached Bo');
  // A reload starts from the server's document: the refused card is not sent again.
  await anne.page.reload();
  await q(anne, 'asis-4').getByText('Vi bruger fire systemer').waitFor();
  await until(() => anne.page.evaluate(() => [...window.kortvaeg.session.groups.values()].every((l) => l.synced)), 'Anne back in sync');
  assert.equal(await anne.page.getByText('Med navn').count(), 0);
  await connected(anne, 'Anne after the reload');
  for (const p of [anne, bo, fac]) await p.context.close();
});

test('a fully anonymous room: nothing says who wrote what, the facilitator sees no writer, the people panel still lists everyone', async () => {
  const fac = await newPage(browser, { width: 1440, height: 900 });
  const room = await createAnonymous(fac.page, 'Helt anonym', 'full');
  await fac.page.locator('[data-testid="anon-banner"][data-anonymity="full"]').filter({ hasText: 'heller ikke du' }).waitFor();

  const carl = await newPage(browser, PHONE);
  const dan = await newPage(browser, PROJECTOR);
  const carlFrames = recordFrames(carl.page);
  await joinAs(carl.page, room.joinUrl, 'Carl Ravn', 'borgerservice');
  await joinAs(dan.page, room.joinUrl, 'Dan Holm', 'borgerservice');
  assert.match(await carl.page.getByTestId('anon-banner').textContent(), /ingen kan se, hvem der skrev hvad – heller ikke facilitator/);
  const q = (p, id) => p.page.getByTestId(`question-${id}`);
  await q(carl, 'asis-4').getByTestId('card-input').fill('Carls kort');
  await q(carl, 'asis-4').getByTestId('card-add').click();
  await q(dan, 'asis-4').getByText('Carls kort').waitFor();
  await q(dan, 'asis-4').getByTestId('card-input').fill('Dans kort');
  await q(dan, 'asis-4').getByTestId('card-add').click();
  await q(carl, 'asis-4').getByText('Dans kort').waitFor();
  // Answers without #by.
  await dan.page.locator(`[data-testid="skema"][data-sags="${SAGS}"]`).getByTestId('answer-asis-2').fill('7');
  await carl.page.getByTestId('view-skema').click();
  await until(async () => (await carl.page.getByTestId('answer-asis-2').inputValue()) === '7', 'Carl sees 7');
  await carl.page.getByTestId('view-cards').click();
  const raw = await rawCards(carl.page, 'borgerservice');
  for (const c of Object.values(raw)) assert.deepEqual(['author' in c, 'author_id' in c], [false, false], 'no writer on a card');
  const answers = await carl.page.evaluate(() => window.kortvaeg.session.docs.groups.get('borgerservice').getMap('answers').toJSON());
  assert.deepEqual(Object.keys(answers).filter((k) => k.endsWith('#by')), [], 'no #by');
  // No card says whose it is: the group edits all of its cards (Carl edits Dan's).
  const dans = q(carl, 'asis-4').getByTestId('card').filter({ hasText: 'Dans kort' });
  await dans.getByTestId('card-edit').click();
  const editing = q(carl, 'asis-4').getByTestId('card').filter({ has: carl.page.locator('textarea') });
  await editing.locator('textarea').fill('Dans kort, rettet af gruppen');
  await editing.getByRole('button', { name: 'Gem' }).click();
  await q(dan, 'asis-4').getByText('Dans kort, rettet af gruppen').waitFor();
  await carl.page.getByTestId('group-done').click();
  await carl.page.getByTestId('done-bar').filter({ hasText: 'Facilitator kan se, at I er færdige.' }).waitFor();
  await connected(carl, 'Carl');
  await connected(dan, 'Dan');
  await nowhereOnPage(carl.page, 'Holm', "Carl's page");
  assert.equal(carlFrames.some((f) => f.includes('Holm')), false, "Dan's name in a frame Carl received");
  await shots(carl.page, 'anonymity-full-group');

  // The facilitator's people panel lists both (managing them is fine) …
  await fac.page.waitForSelector('[data-testid="people-panel"][data-count="2"]');
  for (const name of ['Carl Ravn', 'Dan Holm']) await fac.page.locator(`[data-testid^="seat-"][data-seat-name="${name}"]`).waitFor();
  mkdirSync(SHOTS, { recursive: true });
  for (const vp of [PHONE, PROJECTOR]) {
    await fac.page.setViewportSize(vp);
    await fac.page.getByTestId('people-panel').screenshot({ path: join(SHOTS, `anonymity-full-people-${vp.width}.png`) });
  }
  // … a card the facilitator adds names nobody, and nothing is refused …
  await fac.page.setViewportSize({ width: 1440, height: 900 });
  await fac.page.getByTestId('add-for-borgerservice').click();
  await fac.page.getByTestId('add-card-row').selectOption('asis-4');
  await fac.page.getByTestId('add-card-text').fill('Facilitators kort');
  await fac.page.getByTestId('add-card-submit').click();
  await q(carl, 'asis-4').getByText('Facilitators kort').waitFor();
  assert.deepEqual(Object.values(await rawCards(carl.page, 'borgerservice')).filter((c) => 'author' in c || 'author_id' in c), []);
  await connected(fac, 'the facilitator');
  // … and the wall shows no writer on any card.
  await fac.page.goto(`${server.url}/room/${room.roomId}/wall#${room.token}`);
  const wall = fac.page.getByTestId('wall');
  await wall.getByText('Dans kort, rettet af gruppen').waitFor();
  await wall.getByText('Carls kort').waitFor();
  assert.equal(await wall.locator('.card-author').count(), 0, 'no writer on the wall');
  for (const name of ['Carl Ravn', 'Dan Holm']) assert.equal((await wall.innerHTML()).includes(name), false, `${name} on the wall`);
  await connected(fac, 'the facilitator on the wall');
  await shots(fac.page, 'anonymity-full-wall');
  for (const p of [carl, dan, fac]) await p.context.close();
});
