// Dot voting (docs/API.md, "Dot voting") in real Chromium against the real server: the facilitator
// starts a round on the wall's cards in the console (budget 2, cap 1); two participants vote on
// their phones (375 px); a vote past the budget or the cap gets the server's refusal in Danish and
// the count does not move — also when the page calls the API itself, several votes at once; the
// counts show on the 1920 px wall, which sorts by votes; the sheet's "Stemmer" column sums the votes
// on each sagsområde's cards; stop (the buttons stop, the counts stay) and reset (a new round, no
// votes). Then an anonymous round on the sagsområder with a countdown: the facilitator's results
// name nobody, the sheet counts each sagsområde, and the page polls only while the round is open
// and the page is visible.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openServerAndBrowser, closeServerAndBrowser, newPage, shots, createRoom, joinAs, until, importList, PHONE, PROJECTOR, SHOTS } from './harness.mjs';

let server;
let browser;
before(async () => ({ server, browser } = await openServerAndBrowser()));
after(() => closeServerAndBrowser(server, browser));

const tokenOf = (url) => decodeURIComponent(new URL(url).hash.slice(1));
const SCREENING = 'Fagområde;Sagsområde;KLE\nBorgerservice;Boligstøtte;27.12\nBorgerservice;Pension;32.12\nVoksenservice;Handicaphjælpemidler;27.24\n';
const ROW = 'asis-7';

/** `GET /votes` as `token` sees it. */
async function votes(roomId, token) {
  const r = await fetch(`${server.url}/api/rooms/${roomId}/votes`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.status, 200, `GET /votes: ${r.status}`);
  return r.json();
}

/** The room's sagsområder by label, as the page's own sync layer reads them. */
const sagsIds = (page) => page.evaluate(() => {
  const { session, schema } = window.kortvaeg;
  return Object.fromEntries(schema.readColumns(session.control.doc).flatMap((c) => c.sagsomraader.map((s) => [s.label, s.id])));
});

/** A card on the group page, under the sagsområde tab `sagsId`; answers the card's id. */
async function addCard(page, sagsId, text) {
  await page.getByTestId(`sags-tab-${sagsId}`).click();
  const q = page.getByTestId(`question-${ROW}`);
  await q.getByTestId('card-input').fill(text);
  await q.getByTestId('card-add').click();
  await q.getByTestId('card-text').filter({ hasText: text }).waitFor();
  return page.evaluate((t) => {
    const k = window.kortvaeg;
    return k.docs.readRoomCards(k.session.docs).find((c) => c.text === t).id;
  }, text);
}

/** The count a page shows on a card or sagsområde (`data-count` of its vote controls). */
const shownCount = (page, target) => page.locator(`[data-target="${target}"]`).first().getAttribute('data-count').then(Number);
const voteError = (page) => page.getByTestId('vote-error-text').textContent();

/** One element (a test id, or a locator) at 375 and 1920 px. */
async function elementShots(page, testid, name) {
  mkdirSync(SHOTS, { recursive: true });
  const before = page.viewportSize();
  for (const vp of [PHONE, PROJECTOR]) {
    await page.setViewportSize(vp);
    await (typeof testid === 'string' ? page.getByTestId(testid) : testid).screenshot({ path: join(SHOTS, `${name}-${vp.width}.png`) });
  }
  await page.setViewportSize(before);
}

/** POST /votes from inside the page, with the page's own (seat) token: what a modified client could send. */
const castFromPage = (page, roomId, targets) => page.evaluate(async ({ roomId, targets }) => {
  const token = window.kortvaeg.session.token;
  return Promise.all(targets.map(async (target) => {
    const r = await fetch(`/api/rooms/${roomId}/votes`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ target }) });
    return { status: r.status, body: await r.json() };
  }));
}, { roomId, targets });

test('a round on the wall\'s cards: budget and cap held by the server, counts on the wall, sort, the sheet, stop and reset', async () => {
  const fac = await newPage(browser, { width: 1440, height: 900 });
  const room = await createRoom(fac.page, server.url, 'Afstemning – kort');
  const facToken = tokenOf(room.facilitatorUrl);
  await importList(server.url, room.roomId, facToken, SCREENING);

  const anne = await newPage(browser, PHONE);
  const bo = await newPage(browser, PHONE);
  await joinAs(anne.page, room.joinUrl, 'Anne Jensen', 'borgerservice');
  await joinAs(bo.page, room.joinUrl, 'Bo Hansen', 'voksenservice');
  const sags = await sagsIds(anne.page);
  const a1 = await addCard(anne.page, sags['Boligstøtte'], 'A1 boligstøtte: alt i KMD Sag');
  const a2 = await addCard(anne.page, sags['Pension'], 'A2 pension: kun overblik');
  const c1 = await addCard(bo.page, sags['Handicaphjælpemidler'], 'C1 hjælpemidler: fagsystem');
  assert.equal(await anne.page.getByTestId('vote-bar').count(), 0, 'no round, no vote bar');

  // --- the facilitator starts a round in the console: cards, budget 2, cap 1
  const panel = fac.page.getByTestId('voting-panel');
  await panel.waitFor();
  assert.equal(await panel.getByTestId('vote-target-cards').getAttribute('aria-pressed'), 'true', 'cards by default');
  assert.equal(await panel.getByTestId('vote-budget').inputValue(), '5', 'budget 5 by default');
  assert.equal(await panel.getByTestId('vote-reset').count(), 0, 'nothing to reset yet');
  // A cap over the budget is said before anything is sent.
  await panel.getByTestId('vote-budget').fill('2');
  await panel.getByTestId('vote-cap').fill('3');
  await panel.getByTestId('vote-start').click();
  assert.equal(await panel.getByTestId('vote-panel-msg').textContent(), 'Højst pr. kort skal være mellem 1 og antallet af stemmer pr. person (2).');
  assert.equal((await votes(room.roomId, facToken)).round, null, 'nothing opened');
  await panel.getByTestId('vote-cap').fill('1');
  await panel.getByTestId('vote-start').click();
  await until(async () => (await panel.getByTestId('vote-panel-msg').textContent()) === 'Afstemningen er startet.', 'the round started');
  const round = (await votes(room.roomId, facToken)).round;
  assert.deepEqual([round.target, round.budget, round.cap, round.anonymous, round.open], ['cards', 2, 1, false, true]);
  assert.equal(round.ends_at, undefined, 'no countdown asked for');
  await panel.getByTestId('vote-stop').waitFor();
  await elementShots(fac.page, 'voting-panel', 'voting-console-panel');

  // --- Anne sees the round live (meta.voting), goes to the wall and votes on her phone
  await until(async () => (await anne.page.getByTestId('vote-left').textContent()) === 'Du har 2 af 2 stemmer tilbage', 'Anne\'s votes left');
  assert.equal(await anne.page.getByTestId('vote-countdown').count(), 0, 'no countdown without one');
  await anne.page.getByTestId('vote-go-wall').click();
  await anne.page.getByTestId('wall-page').waitFor();
  await anne.page.getByRole('button', { name: 'Stem på kortet: A2 pension: kun overblik' }).click();
  await until(async () => (await shownCount(anne.page, a2)) === 1, 'A2 has 1');
  assert.equal(await anne.page.getByTestId('vote-left').textContent(), 'Du har 1 af 2 stemmer tilbage');
  assert.equal(await anne.page.locator(`[data-target="${a2}"]`).getByTestId('vote-count').textContent(), '1 stemme', 'the count, as read aloud too');
  await anne.page.getByRole('tab', { name: 'Voksenservice' }).click();
  await anne.page.getByRole('button', { name: 'Stem på kortet: C1 hjælpemidler: fagsystem' }).click();
  await until(async () => (await anne.page.getByTestId('vote-left').textContent()) === 'Du har 0 af 2 stemmer tilbage', 'Anne has spent her votes');
  // The third vote: the server refuses it, in Danish; the count does not move.
  await anne.page.getByRole('tab', { name: 'Borgerservice' }).click();
  await anne.page.getByRole('button', { name: 'Stem på kortet: A1 boligstøtte: alt i KMD Sag' }).click();
  await until(async () => (await anne.page.getByTestId('vote-error').count()) === 1, 'the refusal');
  assert.equal(await voteError(anne.page), 'Du har brugt alle dine 2 stemmer. Fjern en stemme for at stemme igen.');
  assert.equal(await anne.page.getByTestId('vote-error').getAttribute('data-status'), '409');
  assert.equal(await shownCount(anne.page, a1), 0, 'A1 did not move');
  assert.equal((await votes(room.roomId, facToken)).counts[a1], undefined, 'nor on the server');
  await shots(anne.page, 'voting-phone-wall-refused');
  await elementShots(anne.page, `cell-${ROW}-borgerservice`, 'voting-phone-wall-cell');

  // --- Bo: a second vote on one card is past the cap; take back, vote again
  await bo.page.getByTestId('vote-go-wall').click();
  await bo.page.getByTestId('wall-page').waitFor();
  await bo.page.getByRole('tab', { name: 'Borgerservice' }).click();
  const boA2 = bo.page.getByRole('button', { name: 'Stem på kortet: A2 pension: kun overblik' });
  await boA2.click();
  await until(async () => (await shownCount(bo.page, a2)) === 2, 'A2 has 2 (Anne\'s and Bo\'s)');
  await boA2.click();
  await until(async () => (await bo.page.getByTestId('vote-error').count()) === 1, 'the cap refusal');
  assert.equal(await voteError(bo.page), 'Du har allerede givet dette kort det højeste antal stemmer (1).');
  assert.equal(await shownCount(bo.page, a2), 2, 'A2 did not move');
  await bo.page.getByRole('button', { name: 'Fjern stemme fra kortet: A2 pension: kun overblik' }).click();
  await until(async () => (await shownCount(bo.page, a2)) === 1, 'Bo took his vote back');
  assert.equal(await bo.page.getByTestId('vote-error').count(), 0, 'a vote that went through clears the refusal');
  assert.equal(await bo.page.getByTestId('vote-left').textContent(), 'Du har 2 af 2 stemmer tilbage');
  // By keyboard: the vote button takes the focus and Enter.
  await boA2.focus();
  await bo.page.keyboard.press('Enter');
  await until(async () => (await shownCount(bo.page, a2)) === 2, 'Bo voted again');
  // Anne's phone follows Bo's votes by polling.
  await until(async () => (await shownCount(anne.page, a2)) === 2, 'Anne sees A2 at 2');

  // --- the page's own client calls the API past the budget: three at once with one vote left
  const at = await castFromPage(bo.page, room.roomId, [a1, a1, a1]);
  assert.deepEqual(at.map((r) => r.status).sort(), [200, 409, 409], `exactly one goes through: ${JSON.stringify(at)}`);
  const past = await castFromPage(bo.page, room.roomId, [c1]);
  assert.equal(past[0].status, 409);
  assert.match(past[0].body.error, /used all your 2 votes/);
  let count = await votes(room.roomId, facToken);
  assert.deepEqual(count.counts, { [a1]: 1, [a2]: 2, [c1]: 1 });
  const boOwn = await bo.page.evaluate((id) => fetch(`/api/rooms/${id}/votes`, { headers: { authorization: `Bearer ${window.kortvaeg.session.token}` } }).then((r) => r.json()), room.roomId);
  assert.equal(boOwn.left, 0);
  await until(async () => (await bo.page.getByTestId('vote-left').textContent()) === 'Du har 0 af 2 stemmer tilbage', 'Bo\'s page catches up');

  // --- the facilitator's results: total, per card most first, and who voted (an open round)
  await until(async () => (await panel.getByTestId('vote-total').getAttribute('data-total')) === '4', 'the console\'s total');
  assert.equal(await panel.getByTestId('vote-total').textContent(), '4 stemmer afgivet i alt');
  const first = panel.getByTestId('vote-result').first();
  assert.equal(await first.getAttribute('data-target'), a2);
  assert.equal(await first.getAttribute('data-count'), '2');
  assert.equal(await first.getByTestId('vote-voters').textContent(), 'Stemt af: Anne Jensen, Bo Hansen');

  // --- the projector wall (1920 px): counts on every card, and "Sortér efter stemmer"
  await fac.page.setViewportSize(PROJECTOR);
  await fac.page.getByTestId('open-wall').click();
  await fac.page.getByTestId('wall-page').waitFor();
  const cell = fac.page.getByTestId(`cell-${ROW}-borgerservice`);
  await until(async () => (await shownCount(fac.page, a2)) === 2, 'A2 at 2 on the wall');
  assert.equal(await shownCount(fac.page, a1), 1);
  assert.equal(await shownCount(fac.page, c1), 1);
  assert.equal(await fac.page.getByTestId('vote-cast').count(), 0, 'the facilitator is no seat: no vote buttons');
  assert.equal(await fac.page.getByTestId('vote-bar').count(), 1, 'the round\'s line on the projector');
  const sort = fac.page.getByTestId('wall-sort-votes');
  assert.equal(await sort.getAttribute('aria-pressed'), 'false', 'off by default');
  assert.deepEqual(await cell.getByTestId('card-text').allTextContents(), ['A1 boligstøtte: alt i KMD Sag', 'A2 pension: kun overblik']);
  await sort.click();
  assert.equal(await sort.getAttribute('aria-pressed'), 'true');
  await until(async () => (await cell.getByTestId('card-text').first().textContent()) === 'A2 pension: kun overblik', 'most votes first');
  await shots(fac.page, 'voting-wall-sorted');
  await elementShots(fac.page, `cell-${ROW}-borgerservice`, 'voting-wall-sorted-cell');
  await sort.click();
  await until(async () => (await cell.getByTestId('card-text').first().textContent()) === 'A1 boligstøtte: alt i KMD Sag', 'the wall\'s order again');

  // --- the sheet: "Stemmer" = the votes on the cards placed in each sagsområde
  await fac.page.goto(`${server.url}/room/${room.roomId}/sheet#${encodeURIComponent(facToken)}`);
  await fac.page.getByTestId('sheet').waitFor();
  const stemmer = (id) => fac.page.getByTestId(`cell-${id}-stemmer`).getAttribute('data-cell');
  await until(async () => (await stemmer(sags['Pension'])) === '2', 'Pension: 2');
  assert.equal(await stemmer(sags['Boligstøtte']), '1');
  assert.equal(await stemmer(sags['Handicaphjælpemidler']), '1');
  assert.equal(await fac.page.getByTestId('sheet-votes-head').textContent(), 'Stemmer');
  await fac.page.getByTestId('sheet-sort').selectOption('votes');
  await until(async () => (await fac.page.locator('[data-testid^="sheet-row-"]').first().getAttribute('data-testid')) === `sheet-row-${sags['Pension']}`, 'the sheet sorted by votes');
  await shots(fac.page, 'voting-sheet-cards');

  // --- stop: the buttons stop, the counts stay; the server refuses a vote sent anyway
  await fac.page.goto(room.facilitatorUrl);
  await panel.getByTestId('vote-stop').click();
  await until(async () => (await anne.page.getByTestId('vote-bar').getAttribute('data-live')) === 'no', 'Anne sees the stop');
  assert.match(await anne.page.getByTestId('vote-status').textContent(), /Afstemningen er stoppet – resultatet står/);
  assert.equal(await shownCount(anne.page, a2), 2, 'the count stays');
  assert.ok(await anne.page.getByRole('button', { name: 'Fjern stemme fra kortet: A2 pension: kun overblik' }).isDisabled(), 'no taking back in a stopped round');
  assert.ok(await anne.page.getByRole('button', { name: 'Stem på kortet: A2 pension: kun overblik' }).isDisabled());
  assert.equal(await anne.page.evaluate(() => window.kortvaeg.voting.votesOf(window.kortvaeg.session).polling), false, 'no polling while stopped');
  const closed = await anne.page.evaluate(async (id) => {
    const r = await fetch(`/api/rooms/${id}/votes/${encodeURIComponent('x')}`, { method: 'DELETE', headers: { authorization: `Bearer ${window.kortvaeg.session.token}` } });
    return r.status;
  }, room.roomId);
  assert.equal(closed, 409);
  await shots(anne.page, 'voting-phone-stopped');

  // --- reset (after a confirmation): a new round, the same settings, no votes
  fac.dialogs.length = 0;
  await panel.getByTestId('vote-reset').click();
  await until(async () => (await panel.getByTestId('vote-panel-msg').textContent()) === 'Afstemningen er nulstillet.', 'reset');
  assert.equal(fac.dialogs.length, 1);
  assert.match(fac.dialogs[0].message, /Nulstil afstemningen\? Alle stemmer slettes/);
  count = await votes(room.roomId, facToken);
  assert.notEqual(count.round.id, round.id, 'a new round');
  assert.deepEqual([count.round.budget, count.round.cap, count.round.open], [2, 1, true]);
  assert.deepEqual(count.counts, {});
  await until(async () => (await anne.page.getByTestId('vote-left').textContent()) === 'Du har 2 af 2 stemmer tilbage', 'Anne has her votes again');
  await until(async () => (await shownCount(anne.page, a2)) === 0, 'the counts went with the round');
  assert.equal(await anne.page.getByTestId('vote-error').count(), 0);
  assert.deepEqual([...fac.errors, ...anne.errors, ...bo.errors], []);
  await Promise.all([fac.context.close(), anne.context.close(), bo.context.close()]);
});

test('an anonymous round on the sagsområder with a countdown: nobody named, the sheet counts, polling only while open and seen', async () => {
  const fac = await newPage(browser, { width: 1440, height: 900 });
  const room = await createRoom(fac.page, server.url, 'Afstemning – sagsområder');
  const facToken = tokenOf(room.facilitatorUrl);
  await importList(server.url, room.roomId, facToken, SCREENING);
  const anne = await newPage(browser, PHONE);
  await joinAs(anne.page, room.joinUrl, 'Anne Jensen', 'borgerservice');
  const sags = await sagsIds(anne.page);

  const panel = fac.page.getByTestId('voting-panel');
  await panel.getByTestId('vote-target-sagsomraader').click();
  await panel.getByTestId('vote-budget').fill('3');
  await panel.getByTestId('vote-cap').fill('2');
  await panel.getByTestId('vote-minutes').fill('5');
  await panel.getByTestId('vote-anonymous-input').check();
  await panel.getByTestId('vote-start').click();
  await until(async () => (await panel.getByTestId('vote-panel-msg').textContent()) === 'Afstemningen er startet.', 'started');

  // Anne's page: the list of sagsområder per fagområde, the countdown, her votes left.
  const list = anne.page.getByTestId('vote-sags');
  await list.waitFor();
  assert.equal(await anne.page.getByTestId('vote-countdown').count(), 1, 'the countdown shows');
  assert.match(await anne.page.getByTestId('vote-countdown').textContent(), /Afstemningen slutter om(4:5\d|5:0\d)/);
  assert.equal(await anne.page.getByTestId('vote-anonymous').textContent(), 'Anonym');
  const bolig = anne.page.getByRole('button', { name: 'Stem på sagsområdet: Boligstøtte' });
  await bolig.click();
  await until(async () => (await shownCount(anne.page, sags['Boligstøtte'])) === 1, '1 on Boligstøtte');
  await bolig.click();
  await until(async () => (await shownCount(anne.page, sags['Boligstøtte'])) === 2, '2 on Boligstøtte');
  await bolig.click();
  await until(async () => (await anne.page.getByTestId('vote-error').count()) === 1, 'the cap refusal');
  assert.equal(await voteError(anne.page), 'Du har allerede givet dette sagsområde det højeste antal stemmer (2).');
  await anne.page.getByRole('button', { name: 'Stem på sagsområdet: Handicaphjælpemidler' }).click();
  await until(async () => (await anne.page.getByTestId('vote-left').textContent()) === 'Du har 0 af 3 stemmer tilbage', 'all spent');
  assert.equal(await shownCount(anne.page, sags['Boligstøtte']), 2);
  await elementShots(anne.page, 'vote-sags', 'voting-phone-sags');
  // In English too (the domain words stay Danish).
  await anne.page.getByTestId('lang-toggle').click();
  assert.equal(await anne.page.getByTestId('vote-left').textContent(), 'You have 0 of 3 votes left');
  assert.equal(await anne.page.getByRole('button', { name: 'Vote for the sagsområde: Pension' }).count(), 1);
  assert.equal(await anne.page.locator(`[data-target="${sags['Boligstøtte']}"]`).getByTestId('vote-count').textContent(), '2 votes');
  await anne.page.getByTestId('lang-toggle').click();
  assert.equal(await anne.page.getByTestId('vote-left').textContent(), 'Du har 0 af 3 stemmer tilbage');
  await shots(anne.page, 'voting-phone-sags-page');

  // Polling: on while the round is open and the page is seen; off when hidden.
  const polling = () => anne.page.evaluate(() => window.kortvaeg.voting.votesOf(window.kortvaeg.session).polling);
  assert.equal(await polling(), true);
  await anne.page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  assert.equal(await polling(), false, 'a hidden page does not poll');
  await anne.page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  assert.equal(await polling(), true, 'seen again: polling again');

  // The facilitator's results name nobody: not on the page, not in the API.
  await until(async () => (await panel.getByTestId('vote-total').getAttribute('data-total')) === '3', 'total 3');
  assert.equal(await panel.getByTestId('vote-anonymous-note').textContent(), 'Anonym afstemning: hvem der stemte, vises ikke.');
  assert.equal(await panel.getByTestId('vote-voters').count(), 0);
  assert.ok(!(await panel.textContent()).includes('Anne'), 'no name in the results');
  const count = await votes(room.roomId, facToken);
  assert.equal(count.voters, undefined, 'no voters in an anonymous round');
  assert.ok(!JSON.stringify(count).includes('Anne'));
  assert.equal(await panel.getByTestId('vote-result').first().getAttribute('data-target'), sags['Boligstøtte']);
  await elementShots(fac.page, 'voting-panel', 'voting-console-anonymous');

  // The projector wall lists the sagsområder with their counts, without vote buttons.
  await fac.page.setViewportSize(PROJECTOR);
  await fac.page.getByTestId('open-wall').click();
  await fac.page.getByTestId('vote-sags').waitFor();
  await until(async () => (await shownCount(fac.page, sags['Boligstøtte'])) === 2, 'the wall\'s count');
  assert.equal(await fac.page.getByTestId('vote-sags').getByTestId('vote-cast').count(), 0);
  assert.equal(await fac.page.getByTestId('wall-sort-votes').count(), 0, 'no card sort in a sagsområde round');
  // The voting panel folds out on the wall too.
  await fac.page.getByTestId('wall-voting').locator('summary').click();
  await fac.page.getByTestId('wall-voting').getByTestId('vote-stop').waitFor();
  await shots(fac.page, 'voting-wall-sags');

  // The sheet counts each sagsområde's own votes.
  await fac.page.goto(`${server.url}/room/${room.roomId}/sheet#${encodeURIComponent(facToken)}`);
  const stemmer = (id) => fac.page.getByTestId(`cell-${id}-stemmer`).getAttribute('data-cell');
  await until(async () => (await stemmer(sags['Boligstøtte'])) === '2', 'Boligstøtte: 2');
  assert.equal(await stemmer(sags['Pension']), '0');
  assert.equal(await stemmer(sags['Handicaphjælpemidler']), '1');

  // Stopped: Anne's page stops polling; the list keeps its counts.
  const r = await fetch(`${server.url}/api/rooms/${room.roomId}/voting`, { method: 'PATCH', headers: { authorization: `Bearer ${facToken}`, 'content-type': 'application/json' }, body: '{"open":false}' });
  assert.equal(r.status, 200);
  await until(async () => (await polling()) === false, 'polling stops with the round');
  assert.equal(await shownCount(anne.page, sags['Boligstøtte']), 2);
  assert.equal(await anne.page.getByTestId('vote-countdown').count(), 0, 'no countdown in a stopped round');
  assert.deepEqual([...fac.errors, ...anne.errors], []);
  await Promise.all([fac.context.close(), anne.context.close()]);
});

test('a room without a round shows no voting anywhere, and the sheet has no Stemmer column', async () => {
  const fac = await newPage(browser, { width: 1440, height: 900 });
  const room = await createRoom(fac.page, server.url, 'Ingen afstemning');
  const facToken = tokenOf(room.facilitatorUrl);
  await importList(server.url, room.roomId, facToken, SCREENING);
  await fac.page.getByTestId('voting-panel').waitFor();
  await fac.page.getByTestId('open-wall').click();
  await fac.page.getByTestId('wall-page').waitFor();
  assert.equal(await fac.page.getByTestId('vote-bar').count(), 0);
  assert.equal(await fac.page.getByTestId('wall-sort-votes').count(), 0);
  await fac.page.goto(`${server.url}/room/${room.roomId}/sheet#${encodeURIComponent(facToken)}`);
  await fac.page.getByTestId('sheet').waitFor();
  assert.equal(await fac.page.getByTestId('sheet-votes-head').count(), 0);
  assert.equal(await fac.page.locator('[data-col="Stemmer"]').count(), 0);
  // A participant link without a seat, and the facilitator, are refused a vote by the server (403).
  const status = await fetch(`${server.url}/api/rooms/${room.roomId}/votes`, { method: 'POST', headers: { authorization: `Bearer ${facToken}`, 'content-type': 'application/json' }, body: '{"target":"x"}' });
  assert.equal(status.status, 403);
  await fac.context.close();
});
