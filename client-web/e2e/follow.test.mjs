// "Følg facilitator" (client-web/src/sync/follow.ts, views/Follow.tsx) in real Chromium against the real
// server: the projector's wall (the console's projector link, 1920 px) follows from the start and a
// participant on a 375 px phone opts in; the facilitator's console lists both by name. The facilitator
// opens the wall, picks a cell, opens a card, puts a sagsområde in focus, opens the sheet: the
// followers' pages go there, scroll the cell into view and mark it, mark the card and focus the
// sagsområde. "Stop med at følge" stops it in one click; a follower who changes the page themselves
// stops too and is told so. A participant whose presence claims to be the facilitator is not followed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openServerAndBrowser, closeServerAndBrowser, newPage, shots, createRoom, joinAs, until, importList, PHONE, PROJECTOR } from './harness.mjs';

let server;
let browser;
before(async () => ({ server, browser } = await openServerAndBrowser()));
after(() => closeServerAndBrowser(server, browser));

const tokenOf = (url) => decodeURIComponent(new URL(url).hash.slice(1));
const path = (page) => new URL(page.url()).pathname;
const following = async (page) => (await page.getByTestId('follow-state').getAttribute('data-following')) === 'yes';
const followers = async (page) => (await page.getByTestId('follow-panel').getByTestId('followers').locator('li').allTextContents()).sort();

/** Is the element fully inside the viewport (scrolled into view)? */
const inView = (locator) => locator.evaluate((el) => {
  const r = el.getBoundingClientRect();
  return r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth && r.width > 0;
});

test('the projector and a participant follow the facilitator: view, cell, card, sagsområde; stop; self-navigation stops', async () => {
  const fac = await newPage(browser, { width: 1440, height: 900 });
  const room = await createRoom(fac.page, server.url, 'Følg – plenum');
  const facToken = tokenOf(room.facilitatorUrl);
  await importList(server.url, room.roomId, facToken, 'Fagområde;Sagsområde;KLE\nBorgerservice;Boligstøtte;27.12\nBorgerservice;Pension;32.12\nVoksenservice;Handicap;27.24\n');

  // A participant writes two cards (two sagsområder) on the group page.
  const anne = await newPage(browser, PHONE);
  await joinAs(anne.page, room.joinUrl, 'Anne Jensen', 'borgerservice');
  const addCard = async (text) => {
    const q = anne.page.getByTestId('question-asis-2');
    await q.getByTestId('card-input').fill(text);
    await q.getByTestId('card-add').click();
    await q.getByTestId('card-text').filter({ hasText: text }).waitFor();
  };
  await addCard('Fire sagsbehandlere');
  await anne.page.locator('[data-testid^="sags-tab-"]').nth(1).click();
  await addCard('To på pension');

  // --- the projector: the console's projector link, on its own computer; it follows from the start.
  const projectorUrl = await fac.page.getByTestId('projector-link').inputValue();
  assert.match(projectorUrl, new RegExp(`/room/${room.roomId}/projector#`));
  const proj = await newPage(browser, PROJECTOR);
  await proj.page.goto(projectorUrl);
  await proj.page.getByTestId('wall-page').waitFor();
  await until(() => following(proj.page), 'the projector follows');
  assert.equal(await proj.page.getByTestId('follow-stop').textContent(), 'Stop med at følge');

  // --- the participant opts in (the button shows once the facilitator leads).
  await anne.page.getByTestId('follow-start').click();
  await until(() => following(anne.page), 'Anne follows');
  await until(async () => (await followers(fac.page)).join('|') === 'Anne Jensen|Projektor', 'the console lists who follows');
  await fac.page.getByTestId('follow-panel').scrollIntoViewIfNeeded();
  await fac.page.getByTestId('follow-panel').screenshot({ path: `${process.cwd()}/../target/screenshots/follow-panel-1440.png` });

  // --- the facilitator opens the wall: both followers go there (Anne to her own wall page).
  await fac.page.getByTestId('open-wall').click();
  await fac.page.getByTestId('wall-page').waitFor();
  await until(() => path(anne.page) === `/join/${room.roomId}/wall`, "Anne's page goes to the wall");
  assert.equal(path(proj.page), `/room/${room.roomId}/projector`);
  await until(async () => (await fac.page.getByTestId('followers').getAttribute('data-count')) === '2', 'the wall says who follows');
  assert.match(await fac.page.getByTestId('followers').textContent(), /Anne Jensen, Projektor/);

  // --- a cell in another fagområde, far down: scrolled into view and marked (Anne's phone switches column).
  await fac.page.getByTestId('cell-asis-8-voksenservice').click({ position: { x: 10, y: 10 } });
  assert.equal(await fac.page.getByTestId('cell-asis-8-voksenservice').getAttribute('data-shown'), 'yes', 'the facilitator sees what they show');
  for (const p of [anne.page, proj.page]) {
    const cell = p.getByTestId('cell-asis-8-voksenservice');
    await until(async () => (await cell.getAttribute('data-shown')) === 'yes', 'the cell marked');
    await until(() => inView(cell), 'the cell scrolled into view');
    assert.equal(await cell.getByTestId('cell-shown-label').textContent(), 'Facilitator viser denne celle');
    await until(async () => (await p.getByTestId('follow-announce').textContent()) === 'Facilitator viser spørgsmål 8, Voksenservice', 'said to a screen reader');
  }

  // --- a card: the facilitator opens it; the followers' walls mark it.
  const cardId = await fac.page.locator('[data-card-id]').filter({ hasText: 'Fire sagsbehandlere' }).getAttribute('data-card-id');
  await fac.page.locator(`[data-card-id="${cardId}"]`).getByTestId('card-actions').click();
  await fac.page.keyboard.press('Escape');
  for (const p of [anne.page, proj.page]) {
    const card = p.locator(`[data-card-id="${cardId}"]`);
    await until(async () => (await card.getAttribute('data-shown')) === 'yes', 'the card marked');
    await until(() => inView(card), 'the card scrolled into view');
    await until(async () => (await p.getByTestId('cell-asis-2-borgerservice').getAttribute('data-shown')) === 'yes', "the card's cell marked");
  }

  // --- a sagsområde in focus: the other sagsområder's cards dim on every follower.
  const pension = await fac.page.getByTestId('sags-focus').locator('option', { hasText: 'Pension' }).getAttribute('value');
  await fac.page.getByTestId('sags-focus').selectOption(pension);
  for (const p of [anne.page, proj.page]) {
    await until(async () => (await p.getByTestId('sags-focus').inputValue()) === pension, 'the sagsområde selected');
    await until(async () => (await p.locator(`[data-card-id="${cardId}"]`).getAttribute('data-dim')) === 'yes', 'the other sagsområde dimmed');
    assert.equal(await p.locator(`[data-card-id="${cardId}"]`).getAttribute('data-shown'), 'no', 'a new sagsområde: the card is no longer shown, its cell is');
    assert.equal(await p.getByTestId('cell-asis-2-borgerservice').getAttribute('data-shown'), 'yes');
    assert.equal(await p.locator('[data-card-id]').filter({ hasText: 'To på pension' }).getAttribute('data-dim'), 'no');
  }
  await shots(proj.page, 'follow-projector');
  await shots(fac.page, 'follow-wall-facilitator');
  await anne.page.setViewportSize(PHONE);
  await anne.page.screenshot({ path: `${process.cwd()}/../target/screenshots/follow-phone-375.png` });

  // --- the sheet: both go to it.
  await fac.page.getByTestId('wall-back').click();
  await fac.page.getByTestId('open-sheet').click();
  await until(() => path(anne.page) === `/join/${room.roomId}/sheet`, "Anne's page goes to the sheet");
  await until(() => path(proj.page) === `/room/${room.roomId}/sheet`, 'the projector goes to the sheet');
  // The sagsområde in focus is marked on the sheet; the facilitator working in another row moves it there.
  await until(async () => (await proj.page.getByTestId(`sheet-row-${pension}`).getAttribute('data-shown')) === 'yes', "the sheet marks the sagsområde in focus");
  const bolig = await fac.page.locator('[data-testid^="sheet-row-"]').filter({ hasText: 'Boligstøtte' }).getAttribute('data-testid');
  await fac.page.getByTestId(bolig).locator('input, select').first().focus();
  for (const p of [anne.page, proj.page]) {
    await until(async () => (await p.getByTestId(bolig).getAttribute('data-shown')) === 'yes', 'the row the facilitator works in is marked');
    assert.equal(await p.getByTestId(`sheet-row-${pension}`).getAttribute('data-shown'), 'no');
  }

  // --- one click stops following: Anne stays where she is when the facilitator moves on.
  await anne.page.getByTestId('follow-stop').click();
  await until(async () => !(await following(anne.page)), 'Anne stopped');
  await fac.page.getByTestId('nav-priority').click();
  await until(() => path(proj.page) === `/room/${room.roomId}/priority`, 'the projector goes on following');
  assert.equal(path(anne.page), `/join/${room.roomId}/sheet`, 'Anne stays on the sheet');
  await fac.page.getByTestId('analysis-back').click();
  await until(async () => (await followers(fac.page)).join('|') === 'Projektor', 'the console no longer lists Anne');

  // --- the projector changes the page itself: it stops following and says so.
  await proj.page.getByTestId('nav-note').click();
  await until(async () => !(await following(proj.page)), 'the projector stopped by itself');
  assert.match(await proj.page.getByTestId('follow-stopped-self').textContent(), /selv skiftede visning/);
  assert.equal(await proj.page.getByTestId('follow-start').textContent(), 'Følg igen');
  await fac.page.getByTestId('open-wall').click();
  await fac.page.getByTestId('wall-page').waitFor();
  await until(async () => (await fac.page.getByTestId('followers').count()) === 0, 'nobody follows now');
  assert.equal(path(proj.page), `/room/${room.roomId}/note`, 'the projector stays on the note');
  // "Følg igen": back to where the facilitator is.
  await proj.page.getByTestId('follow-start').click();
  await until(() => path(proj.page) === `/room/${room.roomId}/wall`, 'following again: the wall');

  // --- a participant who claims in their presence to be the facilitator is not followed.
  await anne.page.getByTestId('follow-start').click();
  await until(() => path(anne.page) === `/join/${room.roomId}/wall`, 'Anne follows again: the wall');
  const bo = await newPage(browser, PHONE);
  await joinAs(bo.page, room.joinUrl, 'Bo Hansen', 'voksenservice');
  await bo.page.evaluate(() => {
    const a = window.kortvaeg.session.awareness;
    a.setLocalStateField('user', { ...a.getLocalState().user, role: 'facilitator', name: 'Facilitator' });
    a.setLocalStateField('showing', { view: 'note', cell: null, card: null, sagsomraade: null, at: Date.now() + 3600e3 });
  });
  // The facilitator shows another cell: Anne follows that, not Bo's "note".
  await fac.page.getByTestId('cell-asis-1-borgerservice').click({ position: { x: 10, y: 10 } });
  await until(async () => (await anne.page.getByTestId('cell-asis-1-borgerservice').getAttribute('data-shown')) === 'yes', 'Anne follows the facilitator');
  assert.equal(path(anne.page), `/join/${room.roomId}/wall`, 'not taken to the note by a participant');

  for (const p of [fac, anne, proj, bo]) assert.deepEqual(p.errors, []);
  await Promise.all([fac.context.close(), anne.context.close(), proj.context.close(), bo.context.close()]);
});
