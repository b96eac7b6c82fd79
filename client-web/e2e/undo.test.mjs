// Undo and redo of one's own changes (client-web/src/sync/undo.ts) in real Chromium against the real
// server: Ctrl+Z undoes only this person's last change — an edit, then a card added — while a second
// participant's concurrent card stays (on both pages and in the server's documents); Ctrl+Shift+Z and
// Ctrl+Y redo; Ctrl+Z while typing in a text field is the field's own; the "Fortryd" / "Gentag"
// buttons do the same on a 375 px phone and are disabled with nothing to undo; a closed workshop
// blocks an undo (said, nothing sent); the facilitator's move of a card to another group's document
// is one step, undone back into the first group's document.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openServerAndBrowser, closeServerAndBrowser, newPage, shots, createRoom, joinAs, until, PHONE } from './harness.mjs';

let server;
let browser;
before(async () => ({ server, browser } = await openServerAndBrowser()));
after(() => closeServerAndBrowser(server, browser));

const G = 'borgerservice';
const H = 'voksenservice';
const tokenOf = (url) => decodeURIComponent(new URL(url).hash.slice(1));

async function addCard(page, rowId, text) {
  const q = page.getByTestId(`question-${rowId}`);
  await q.getByTestId('card-input').fill(text);
  await q.getByTestId('card-add').click();
  await q.getByTestId('card-text').filter({ hasText: text }).waitFor();
}

/** The card texts this page shows for question `rowId` on its group page. */
const texts = (page, rowId) => page.getByTestId(`question-${rowId}`).getByTestId('card-text').allTextContents();
const sorted = (a) => [...a].sort();

/** The cards of the room as the server has them (a snapshot holds the wall and every group document). */
async function serverCards(roomId, token) {
  const r = await fetch(`${server.url}/api/rooms/${roomId}/snapshots`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.status, 201);
  const { seq } = await r.json();
  const s = await fetch(`${server.url}/api/rooms/${roomId}/snapshots/${seq}`, { headers: { authorization: `Bearer ${token}` } });
  return (await s.json()).cards;
}

/** Leaves any text field, so the keyboard's undo is the room's. */
const blur = (page) => page.evaluate(() => (document.activeElement instanceof HTMLElement ? document.activeElement.blur() : undefined));

test('Ctrl+Z undoes only my own changes, a second person\'s card stays; redo; buttons on a phone; closed workshop', async () => {
  const fac = await newPage(browser, { width: 1440, height: 900 });
  const room = await createRoom(fac.page, server.url, 'Fortryd – Borgerservice');
  const facToken = tokenOf(room.facilitatorUrl);

  const anne = await newPage(browser, { width: 1280, height: 900 });
  await joinAs(anne.page, room.joinUrl, 'Anne Jensen', G);
  const bo = await newPage(browser, PHONE);
  await joinAs(bo.page, room.joinUrl, 'Bo Hansen', G);

  // Nothing to undo yet: both buttons disabled, on the phone too.
  assert.equal(await bo.page.getByTestId('undo').isDisabled(), true, 'Fortryd disabled with nothing to undo');
  assert.equal(await bo.page.getByTestId('redo').isDisabled(), true, 'Gentag disabled with nothing to redo');
  assert.ok(await bo.page.getByTestId('undo').isVisible(), 'the phone shows Fortryd');

  // Anne writes a card, Bo writes one at the same question (concurrently, the same group document).
  await addCard(anne.page, 'asis-7', 'Sager uden KLE');
  await addCard(bo.page, 'asis-7', 'Bo: åbne sager');
  await until(async () => (await texts(anne.page, 'asis-7')).includes('Bo: åbne sager'), "Bo's card on Anne's page");
  // Anne adds another card and edits her first one.
  await addCard(anne.page, 'asis-8', 'Arkivering kræver oprydning');
  const first = anne.page.getByTestId('question-asis-7').getByTestId('card').filter({ hasText: 'Sager uden KLE' });
  await first.getByTestId('card-edit').click();
  const editing = anne.page.getByTestId('question-asis-7').locator('.card-edit');
  await editing.locator('textarea').fill('Sager uden KLE (ca. 300)');
  // Ctrl+Z in the text field is the field's own: the room's last change stays.
  await editing.locator('textarea').press('Control+z');
  assert.deepEqual(await texts(anne.page, 'asis-8'), ['Arkivering kræver oprydning'], 'Ctrl+Z in a text field is not the room\'s');
  await editing.locator('textarea').fill('Sager uden KLE (ca. 300)');
  await editing.getByRole('button', { name: 'Gem' }).click();
  await anne.page.getByTestId('question-asis-7').getByTestId('card-text').filter({ hasText: 'Sager uden KLE (ca. 300)' }).waitFor();
  assert.deepEqual(sorted(await texts(anne.page, 'asis-8')), ['Arkivering kræver oprydning']);
  await shots(anne.page, 'undo-before');

  // --- Ctrl+Z: the edit goes back; Bo's card stays.
  await blur(anne.page);
  await anne.page.keyboard.press('Control+z');
  await until(async () => (await texts(anne.page, 'asis-7')).includes('Sager uden KLE'), 'the edit undone');
  assert.deepEqual(sorted(await texts(anne.page, 'asis-7')), ['Bo: åbne sager', 'Sager uden KLE']);
  assert.deepEqual(await texts(anne.page, 'asis-8'), ['Arkivering kræver oprydning'], 'one step: only the edit');
  await until(async () => (await anne.page.getByTestId('room-tools-said').textContent()).includes('Fortrudt'), 'said: undone');
  // --- Ctrl+Z again: the card added goes; Bo's still stays.
  await anne.page.keyboard.press('Control+z');
  await until(async () => (await texts(anne.page, 'asis-8')).length === 0, 'the added card undone');
  assert.deepEqual(sorted(await texts(anne.page, 'asis-7')), ['Bo: åbne sager', 'Sager uden KLE']);
  await until(async () => (await texts(bo.page, 'asis-8')).length === 0, "the undo reaches Bo's page");
  assert.deepEqual(sorted(await texts(bo.page, 'asis-7')), ['Bo: åbne sager', 'Sager uden KLE']);
  // The server has it so: Bo's card and Anne's first, not the undone one.
  let cards = await serverCards(room.roomId, facToken);
  assert.deepEqual(sorted(cards.map((c) => c.text)), ['Bo: åbne sager', 'Sager uden KLE']);
  await shots(anne.page, 'undo-after');

  // --- redo: Ctrl+Shift+Z brings the card back, Ctrl+Y the edit.
  await anne.page.keyboard.press('Control+Shift+Z');
  await until(async () => (await texts(anne.page, 'asis-8')).includes('Arkivering kræver oprydning'), 'the card redone');
  await anne.page.keyboard.press('Control+y');
  await until(async () => (await texts(anne.page, 'asis-7')).includes('Sager uden KLE (ca. 300)'), 'the edit redone');
  await until(async () => (await texts(bo.page, 'asis-8')).includes('Arkivering kræver oprydning'), "the redo reaches Bo's page");
  assert.equal(await anne.page.getByTestId('redo').isDisabled(), true, 'nothing left to redo');

  // --- Anne undoes more than she did: her first card goes, Bo's never does.
  for (let i = 0; i < 5; i++) await anne.page.keyboard.press('Control+z');
  await until(async () => (await texts(anne.page, 'asis-7')).length === 1 && (await texts(anne.page, 'asis-8')).length === 0, 'all of Anne\'s changes undone');
  assert.deepEqual(await texts(anne.page, 'asis-7'), ['Bo: åbne sager'], "Bo's card stays whatever Anne undoes");
  assert.equal(await anne.page.getByTestId('undo').isDisabled(), true);
  await until(async () => (await texts(bo.page, 'asis-7')).join() === 'Bo: åbne sager', "Bo's page agrees");

  // --- the phone's buttons: Bo undoes his card and redoes it; Anne's redo stack is untouched.
  await bo.page.setViewportSize(PHONE);
  await shots(bo.page, 'undo-phone');
  const undoBtn = bo.page.getByTestId('undo');
  assert.equal(await undoBtn.isEnabled(), true);
  assert.equal(await undoBtn.getAttribute('aria-label'), 'Fortryd din seneste ændring (Ctrl+Z)');
  await undoBtn.click();
  await until(async () => (await texts(bo.page, 'asis-7')).length === 0, "Bo's card undone by the button");
  await until(async () => (await texts(anne.page, 'asis-7')).length === 0, "…and gone on Anne's page");
  assert.equal(await bo.page.getByTestId('redo').isEnabled(), true);
  // By keyboard on the button (Enter), as a screen-reader user would.
  await bo.page.getByTestId('redo').focus();
  await bo.page.keyboard.press('Enter');
  await until(async () => (await texts(bo.page, 'asis-7')).includes('Bo: åbne sager'), "Bo's card redone by the button");
  await until(async () => (await texts(anne.page, 'asis-7')).includes('Bo: åbne sager'), "…and back on Anne's page");
  await until(async () => await anne.page.getByTestId('redo').isEnabled(), "Anne's own redo is still there");

  // --- a closed workshop: an undo would be refused by the server, so it is not made; the page says so.
  await fac.page.getByTestId('phase-closed').click();
  await until(async () => (await bo.page.getByTestId('undo').getAttribute('data-state')) === 'blocked', 'undo blocked while closed');
  assert.equal(await bo.page.getByTestId('undo').getAttribute('aria-disabled'), 'true');
  await blur(bo.page);
  await bo.page.keyboard.press('Control+z');
  await until(async () => (await bo.page.getByTestId('room-tools-said').textContent()).includes('lukket'), 'said: closed');
  assert.deepEqual(await texts(bo.page, 'asis-7'), ['Bo: åbne sager'], 'nothing undone while closed');
  assert.equal(await bo.page.getByTestId('problem').count(), 0, 'no refusal from the server');
  await fac.page.getByTestId('phase-group').click();
  await until(async () => (await bo.page.getByTestId('undo').getAttribute('data-state')) === 'yes', 'undo again once reopened');

  cards = await serverCards(room.roomId, facToken);
  assert.deepEqual(cards.map((c) => c.text), ['Bo: åbne sager']);
  for (const p of [anne, bo, fac]) assert.deepEqual(p.errors, []);
  await Promise.all([anne.context.close(), bo.context.close(), fac.context.close()]);
});

test('a card moved to another group\'s document is one step: undone into the first group\'s document', async () => {
  const fac = await newPage(browser, { width: 1440, height: 900 });
  const room = await createRoom(fac.page, server.url, 'Fortryd – flyt');
  const anne = await newPage(browser, PHONE);
  await joinAs(anne.page, room.joinUrl, 'Anne Jensen', G);
  await addCard(anne.page, 'asis-3', 'Brugsmønster C');

  await fac.page.getByTestId('open-wall').click();
  await fac.page.getByTestId('wall-page').waitFor();
  const where = (page) => page.evaluate(() => {
    const { session, docs } = window.kortvaeg;
    const c = docs.readRoomCards(session.docs).find((x) => x.text === 'Brugsmønster C');
    const holder = [...session.groups].find(([, l]) => l.doc.getMap('cards').has(c?.id ?? ''))?.[0] ?? null;
    return c ? { column: c.column, holder } : null;
  });
  await until(async () => (await where(fac.page))?.holder === G, 'the card in its group document');
  // The facilitator moves it to Voksenservice (as the "Flyt" dialog and a drop do): out of one group's document, into the other's.
  await fac.page.evaluate((to) => {
    const { session, docs, schema } = window.kortvaeg;
    const id = docs.readRoomCards(session.docs).find((x) => x.text === 'Brugsmønster C').id;
    docs.moveRoomCard(session.docs, id, 'asis-3', schema.readColumns(session.control.doc).find((c) => c.id === to));
  }, H);
  await until(async () => !(await texts(anne.page, 'asis-3')).includes('Brugsmønster C'), "the card leaves Anne's group");
  assert.deepEqual(await where(fac.page), { column: H, holder: H });

  await fac.page.keyboard.press('Control+z');
  await until(async () => (await where(fac.page))?.holder === G, 'one undo: back in the first group\'s document');
  assert.equal((await where(fac.page)).column, G);
  await until(async () => (await texts(anne.page, 'asis-3')).includes('Brugsmønster C'), "back on Anne's page");
  await fac.page.keyboard.press('Control+Shift+Z');
  await until(async () => (await where(fac.page))?.holder === H, 'redo: moved again');
  await until(async () => !(await texts(anne.page, 'asis-3')).includes('Brugsmønster C'), "…and gone from Anne's group");
  for (const p of [anne, fac]) assert.deepEqual(p.errors, []);
  await Promise.all([anne.context.close(), fac.context.close()]);
});
