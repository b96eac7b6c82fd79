// A card's sagsområde is never wrong by accident: adding a card in a fagområde with several
// sagsområder asks for one (no silent first), and moving a card to another fagområde never keeps
// the old one's sagsområde — the sole one of the new fagområde, or the facilitator's choice.
// A drop into a fagområde with several opens the card's dialog to ask. And a sagsområde
// screened "nej" is one line on its group's page, not all the questions.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, newPage, shots, createRoom, joinAs, until, importList, PHONE } from './harness.mjs';

let server;
let browser;
let room;
let fac;
let token;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  fac = await newPage(browser, { width: 1440, height: 900 });
  room = await createRoom(fac.page, server.url, 'Sagsområder');
  token = new URL(room.facilitatorUrl).hash.slice(1);
  // Two sagsområder in Borgerservice, one in Voksenservice (a screening list, as a facilitator imports it).
  await importList(server.url, room.roomId, token, 'Fagområde;Sagsområde;KLE\nBorgerservice;Boligstøtte;27.12\nBorgerservice;Pension;32.12\nVoksenservice;Handicaphjælpemidler;27.24\n');
});
after(async () => {
  await browser?.close();
  await server?.stop();
  server?.cleanup();
});

/** The card with `text` as the server has it (from a fresh snapshot). */
async function stored(text) {
  const s = await fetch(`${server.url}/api/rooms/${room.roomId}/snapshots`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  assert.equal(s.status, 201);
  const { seq } = await s.json();
  const view = await (await fetch(`${server.url}/api/rooms/${room.roomId}/snapshots/${seq}`, { headers: { authorization: `Bearer ${token}` } })).json();
  return view.cards.find((c) => c.text === text);
}

test('a card added in a fagområde with several sagsområder asks for one; a move to another fagområde takes its sagsområde', async () => {
  const page = fac.page;
  await page.getByTestId('open-wall').click();
  await page.getByTestId('wall-add').click();
  const dialog = page.getByTestId('add-card-dialog');
  await dialog.getByTestId('add-card-column').selectOption('borgerservice');
  assert.equal(await dialog.getByTestId('add-card-sags').inputValue(), '', 'no sagsområde is chosen for the facilitator');
  await dialog.getByTestId('add-card-text').fill('Vi bruger skabeloner');
  await dialog.getByTestId('add-card-submit').click();
  assert.equal(await dialog.count(), 1, 'the dialog stays until a sagsområde is chosen');
  await shots(page, 'add-card-choose-sags');
  await dialog.getByTestId('add-card-sags').selectOption({ label: '32.12 Pension' });
  await dialog.getByTestId('add-card-submit').click();
  await dialog.waitFor({ state: 'detached' });
  const card = page.getByTestId('card').filter({ hasText: 'Vi bruger skabeloner' });
  await card.waitFor();
  let c = await until(async () => (await stored('Vi bruger skabeloner')) ?? null, 'the card at the server');
  assert.equal(c.sagsomraade, 'Pension');

  // Moved to Voksenservice (one sagsområde): it takes that one, not Pension.
  await card.getByTestId('card-actions').click();
  const actions = page.getByTestId('card-dialog');
  await actions.getByTestId('move-column').selectOption('voksenservice');
  assert.match(await actions.getByTestId('move-sags').inputValue(), /handicaphjaelpemidler/, 'its sole sagsområde is chosen');
  await actions.getByTestId('move-submit').click();
  await actions.waitFor({ state: 'detached' });
  c = await until(async () => { const s = await stored('Vi bruger skabeloner'); return s?.column === 'voksenservice' ? s : null; }, 'the moved card');
  assert.equal(c.sagsomraade, 'Handicaphjælpemidler');
  assert.equal(c.kle, '27.24');

  // Back to Borgerservice (two): the dialog asks, and the move waits for the choice.
  await page.getByTestId('card').filter({ hasText: 'Vi bruger skabeloner' }).getByTestId('card-actions').click();
  await actions.getByTestId('move-column').selectOption('borgerservice');
  assert.equal(await actions.getByTestId('move-sags').inputValue(), '?');
  assert.equal(await actions.getByTestId('move-submit').isDisabled(), true, 'no move before a sagsområde is chosen');
  await actions.getByTestId('move-sags').selectOption({ label: '27.12 Boligstøtte' });
  await actions.getByTestId('move-submit').click();
  await actions.waitFor({ state: 'detached' });
  c = await until(async () => { const s = await stored('Vi bruger skabeloner'); return s?.column === 'borgerservice' ? s : null; }, 'the card moved back');
  assert.equal(c.sagsomraade, 'Boligstøtte');
  assert.equal(c.kle, '27.12');
});

test('a sagsområde screened "nej" shows its group one line instead of the questions, until the facilitator brings it back', async () => {
  const screen = (anvendes) => importList(server.url, room.roomId, token, `Fagområde;Sagsområde;KLE;Anvendes KMD Sag\nBorgerservice;Pension;32.12;${anvendes}\n`);
  await screen('nej');
  const p = await newPage(browser, PHONE);
  await joinAs(p.page, room.joinUrl, 'Pia', 'borgerservice');
  const tab = p.page.getByTestId('sags-tab-32-12-pension');
  await tab.click();
  await p.page.getByTestId('sags-outside').waitFor();
  assert.match(await tab.textContent(), /uden for analysen/);
  assert.equal(await p.page.getByTestId('question-asis-1').count(), 0, 'no questions for a screened-out sagsområde');
  await shots(p.page, 'group-sags-outside');
  // Another sagsområde of the group has its questions.
  await p.page.getByTestId('sags-tab-27-12-boligstoette').click();
  await p.page.getByTestId('question-asis-1').waitFor();
  // The facilitator brings it back (a new screening list says "ja"): the questions return live.
  await screen('ja');
  await tab.click();
  await p.page.getByTestId('question-asis-1').waitFor();
  assert.equal(await p.page.getByTestId('sags-outside').count(), 0);
  await p.context.close();
});

test('a card dragged into a fagområde with several sagsområder opens its dialog to ask which', async () => {
  const page = fac.page;
  await page.getByTestId('wall').waitFor();
  const text = 'Vi bruger skabeloner';
  const { row } = await stored(text);
  const drag = async (column) => {
    const from = await page.getByTestId('card').filter({ hasText: text }).locator('.card-text').boundingBox();
    const to = await page.getByTestId(`cell-${row}-${column}`).locator('.cell-cards').boundingBox();
    await page.mouse.move(from.x + 20, from.y + 8);
    await page.mouse.down();
    await page.mouse.move(from.x + 30, from.y + 20, { steps: 4 });
    await page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, { steps: 15 });
    await page.mouse.move(to.x + to.width / 2 + 2, to.y + to.height / 2 + 2, { steps: 2 });
    await page.mouse.up();
    await page.getByTestId(`cell-${row}-${column}`).getByText(text).waitFor();
  };
  // Into Voksenservice (one sagsområde): no question, it takes that one.
  await drag('voksenservice');
  let c = await until(async () => { const s = await stored(text); return s?.column === 'voksenservice' ? s : null; }, 'the dropped card');
  assert.equal(c.sagsomraade, 'Handicaphjælpemidler');
  assert.equal(await page.getByTestId('card-dialog').count(), 0);
  // Into Borgerservice (two): the card's dialog asks; until then the card has none.
  await drag('borgerservice');
  const actions = page.getByTestId('card-dialog');
  await actions.waitFor();
  assert.equal(await actions.getByTestId('move-sags').inputValue(), '?');
  c = await until(async () => { const s = await stored(text); return s?.column === 'borgerservice' ? s : null; }, 'the card dropped back');
  assert.equal(c.sagsomraade, undefined, 'no sagsområde of another fagområde');
  await actions.getByTestId('move-sags').selectOption({ label: '32.12 Pension' });
  await actions.getByTestId('move-submit').click();
  await actions.waitFor({ state: 'detached' });
  c = await until(async () => { const s = await stored(text); return s?.sagsomraade === 'Pension' ? s : null; }, 'the chosen sagsområde');
  assert.equal(c.kle, '32.12');
});
