// The whole workshop in real Chromium against the real server: set-up, two groups writing at the
// same time, the plenum wall (move, comment), a snapshot, and the review page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openServerAndBrowser, closeServerAndBrowser, newPage, shots, createRoom, joinAs, until, PHONE } from './harness.mjs';

let server;
let browser;
before(async () => ({ server, browser } = await openServerAndBrowser()));
after(() => closeServerAndBrowser(server, browser));

async function addCard(page, rowId, text) {
  const q = page.getByTestId(`question-${rowId}`);
  await q.getByTestId('card-input').fill(text);
  await q.getByTestId('card-add').click();
  await q.getByTestId('card-text').filter({ hasText: text }).waitFor();
}

test('facilitator sets up two fagområder; two participants add cards at once; wall, move, comment, snapshot, review', async () => {
  // --- the facilitator creates the room and keeps two fagområder with a sagsområde each
  const fac = await newPage(browser, { width: 1440, height: 900 });
  await fac.page.goto(`${server.url}/`);
  await fac.page.getByTestId('template-kmd-sag-exit-as-is').waitFor();
  await shots(fac.page, 'start');
  const room = await createRoom(fac.page, server.url, 'As-is workshop – Ydelse og Borgerservice');
  assert.match(room.joinUrl, /\/join\/[^#]+#.{22,}/);
  assert.match(room.facilitatorUrl, /\/room\/[^#]+#.{22,}/);
  await fac.page.getByTestId('facilitator-warning').waitFor();

  for (const id of ['beskaeftigelse', 'teknik-og-miljoe']) {
    await fac.page.getByTestId(`fag-${id}`).getByTestId('remove-fag').click();
    await fac.page.getByTestId(`fag-${id}`).waitFor({ state: 'detached' });
  }
  const setSags = async (col, kle, label) => {
    const fag = fac.page.getByTestId(`fag-${col}`);
    await fag.getByTestId('new-sags-kle').fill(kle);
    await fag.getByTestId('new-sags-label').fill(label);
    await fag.getByTestId('add-sags').click();
    await until(async () => (await fag.getByTestId('sags-item').locator('input, textarea').nth(1).inputValue()) === label, `sagsområde ${label}`);
    assert.equal(await fag.getByTestId('sags-item').locator('input').first().inputValue(), kle);
  };
  await setSags('borgerservice', '27.12', 'Boligstøtte');
  await setSags('voksenservice', '32.18', 'Hjælp til forsørgelse');
  assert.equal(await fac.page.locator('[data-testid^="fag-"][data-fag-label]').count(), 2);
  // A 10-minute countdown for the group work.
  await fac.page.getByTestId('timer-10').click();
  await fac.page.getByTestId('timer-stop').waitFor();
  await shots(fac.page, 'console-setup');
  // The join QR code, large, for the projector.
  await fac.page.getByTestId('show-qr').click();
  await fac.page.getByTestId('qr-dialog').getByTestId('qr').waitFor();
  await shots(fac.page, 'qr-projector');
  await fac.page.keyboard.press('Escape');
  await fac.page.getByTestId('qr-dialog').waitFor({ state: 'detached' });

  // --- two participants join by the link in their own browsers and pick different groups
  const anne = await newPage(browser, PHONE);
  await anne.page.goto(room.joinUrl);
  await anne.page.getByTestId('join-group-borgerservice').waitFor();
  assert.equal(await anne.page.locator('[data-testid^="join-group-"]').count(), 2, 'the join page offers the two fagområder');
  await shots(anne.page, 'join');
  await joinAs(anne.page, room.joinUrl, 'Anne Jensen', 'borgerservice');
  const bo = await newPage(browser, { width: 1280, height: 900 });
  await joinAs(bo.page, room.joinUrl, 'Bo Hansen', 'voksenservice');

  // The sagsområde is attached automatically: the group page is per sagsområde.
  await anne.page.getByTestId('sags-tab-27-12-boligstoette').waitFor();
  // Everyone sees the facilitator's countdown, saying what it times.
  assert.match(await anne.page.getByTestId('phase-timer').textContent(), /Gruppearbejde:\s*(10:00|9:\d\d)\s*tilbage/);

  // --- both add cards at the same time
  await Promise.all([
    addCard(anne.page, 'asis-2', '12 sagsbehandlere'),
    (async () => {
      await addCard(bo.page, 'asis-2', '8 sagsbehandlere i Ydelse');
      await addCard(bo.page, 'asis-3', 'Brugsmønster C – KMD Aktiv og KMD Sag');
    })(),
  ]);
  // A colleague in Bo's group: Bo sees him typing (awareness), then his card arrives.
  const carl = await newPage(browser, PHONE);
  await joinAs(carl.page, room.joinUrl, 'Carl Nielsen', 'voksenservice');
  await carl.page.getByTestId('question-asis-4').getByTestId('card-input').fill('8 sagsbeh.');
  await bo.page.getByTestId('question-asis-4').getByTestId('typing').filter({ hasText: 'Carl Nielsen skriver' }).waitFor();
  await carl.page.getByTestId('question-asis-4').getByTestId('card-add').click();
  await bo.page.getByTestId('question-asis-4').getByText('8 sagsbeh.').waitFor();
  await until(async () => (await bo.page.getByTestId('typing').count()) === 0, 'typing indicator cleared');
  // Only his own cards can be edited or deleted.
  assert.equal(await bo.page.getByTestId('question-asis-4').getByTestId('card-edit').count(), 0);

  // Nothing of one group shows in the other's column.
  assert.equal(await anne.page.getByText('8 sagsbehandlere i Ydelse').count(), 0);
  // A phone page does not scroll sideways.
  assert.ok(await anne.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'no horizontal scroll at 375 px');
  await shots(anne.page, 'group-work');

  // Anne edits her own card.
  const anneCard = anne.page.getByTestId('question-asis-2').getByTestId('card');
  await anneCard.getByTestId('card-edit').click();
  await anneCard.locator('textarea').fill('12 sagsbehandlere (heraf 2 deltid)');
  await anneCard.getByRole('button', { name: 'Gem' }).click();
  await anne.page.getByText('12 sagsbehandlere (heraf 2 deltid)').waitFor();

  // --- the console shows live progress, presence and the "vi er færdige" signal
  await anne.page.getByTestId('group-done').click();
  await anne.page.getByTestId('group-undone').waitFor();
  const progB = fac.page.getByTestId('progress-borgerservice');
  await until(async () => (await progB.getByTestId('group-cards').textContent()) === '1', 'borgerservice shows 1 card');
  await until(async () => (await fac.page.getByTestId('progress-voksenservice').getByTestId('group-cards').textContent()) === '3', 'voksenservice shows 3 cards');
  await progB.getByTestId('group-done-badge').filter({ hasText: 'færdige' }).waitFor();
  await fac.page.getByTestId('presence-list').getByText('Anne Jensen').waitFor();
  await fac.page.getByTestId('presence-list').getByText('Bo Hansen').waitFor();
  await shots(fac.page, 'console-progress');

  // --- plenum: the facilitator switches phase and opens the wall
  await fac.page.getByTestId('phase-plenum').click();
  await anne.page.getByTestId('phase-banner').filter({ hasText: 'Plenum' }).waitFor();
  // The participants' pages follow the phase to the wall; they go back to their group's page here.
  for (const p of [anne, bo, carl]) {
    await p.page.getByTestId('wall-page').waitFor();
    await p.page.getByTestId('back-to-group').click();
    await p.page.getByTestId('group-work').waitFor();
  }
  await fac.page.getByTestId('open-wall').click();
  await fac.page.getByTestId('wall').waitFor();
  const wall = fac.page.getByTestId('wall');
  await wall.getByText('12 sagsbehandlere (heraf 2 deltid)').waitFor();
  await wall.getByText('8 sagsbehandlere i Ydelse').waitFor();
  await fac.page.getByTestId('cell-asis-2-borgerservice').getByText('12 sagsbehandlere').waitFor();
  // Who is online, in which group, on the wall too.
  await fac.page.getByTestId('wall-people-borgerservice').locator('[title="Anne Jensen"]').waitFor();
  await fac.page.getByTestId('wall-people-voksenservice').locator('[title="Bo Hansen"]').waitFor();

  // Move Bo's card from question 2 to question 4 with the "Flyt" menu (no drag needed).
  const boCard = fac.page.getByTestId('card').filter({ hasText: '8 sagsbehandlere i Ydelse' });
  await boCard.getByTestId('card-actions').click();
  const dlg = fac.page.getByTestId('card-dialog');
  await dlg.getByTestId('move-row').selectOption('asis-4');
  await dlg.getByTestId('move-submit').click();
  await fac.page.getByTestId('cell-asis-4-voksenservice').getByText('8 sagsbehandlere i Ydelse').waitFor();
  assert.equal(await fac.page.getByTestId('cell-asis-2-voksenservice').getByText('8 sagsbehandlere i Ydelse').count(), 0);
  // Bo sees it under question 4 on his own page.
  await bo.page.getByTestId('question-asis-4').getByText('8 sagsbehandlere i Ydelse').waitFor();

  // Carl's card there is a duplicate: merge it into Bo's.
  await boCard.getByTestId('card-actions').click();
  await dlg.getByTestId('merge-one').click();
  const cell4 = fac.page.getByTestId('cell-asis-4-voksenservice');
  await until(async () => (await cell4.getByTestId('card').count()) === 1, 'one card after merging');
  assert.equal(await cell4.getByTestId('card-text').textContent(), '8 sagsbehandlere i Ydelse\n— 8 sagsbeh.');
  await dlg.getByRole('button', { name: 'Luk', exact: true }).last().click();
  await carl.page.getByTestId('question-asis-4').getByText('— 8 sagsbeh.').waitFor();

  // A follow-up comment and a highlight on Anne's card; everyone sees them live.
  const aCard = fac.page.getByTestId('card').filter({ hasText: '12 sagsbehandlere' });
  await aCard.getByTestId('card-actions').click();
  await dlg.getByTestId('comment-input').fill('Hvor mange af dem arbejder i KMD Sag dagligt?');
  await dlg.getByTestId('comment-submit').click();
  await dlg.getByTestId('highlight-toggle').click();
  await dlg.getByText('arbejder i KMD Sag dagligt').waitFor();
  await shots(fac.page, 'card-dialog');
  await dlg.getByRole('button', { name: 'Luk', exact: true }).last().click();
  await aCard.getByTestId('card-comment').filter({ hasText: 'arbejder i KMD Sag dagligt' }).waitFor();
  await until(async () => (await aCard.getAttribute('class')).includes('card-highlight'), 'highlighted card');
  await anne.page.getByTestId('card-comment').filter({ hasText: 'arbejder i KMD Sag dagligt' }).waitFor();

  // Drag and drop (SortableJS): Bo's other card from question 3 to question 5.
  const dragged = fac.page.getByTestId('card').filter({ hasText: 'Brugsmønster C' });
  const from = await dragged.locator('.card-text').boundingBox();
  const to = await fac.page.getByTestId('cell-asis-5-voksenservice').locator('.cell-cards').boundingBox();
  await fac.page.mouse.move(from.x + 20, from.y + 8);
  await fac.page.mouse.down();
  await fac.page.mouse.move(from.x + 30, from.y + 20, { steps: 4 });
  await fac.page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, { steps: 15 });
  await fac.page.mouse.move(to.x + to.width / 2 + 2, to.y + to.height / 2 + 2, { steps: 2 });
  await fac.page.mouse.up();
  await fac.page.getByTestId('cell-asis-5-voksenservice').getByText('Brugsmønster C').waitFor();
  await bo.page.getByTestId('question-asis-5').getByText('Brugsmønster C').waitFor();

  // A remote attendee (Bo, on the wall) adds a card from the wall.
  await bo.page.getByTestId('see-wall').click();
  await bo.page.getByTestId('wall').waitFor();
  await bo.page.getByTestId('wall-add').click();
  const add = bo.page.getByTestId('add-card-dialog');
  await add.getByTestId('add-card-row').selectOption('asis-7');
  await add.getByTestId('add-card-text').fill('Mange åbne sager uden KLE-nummer');
  await add.getByTestId('add-card-submit').click();
  await fac.page.getByTestId('cell-asis-7-voksenservice').getByText('Mange åbne sager uden KLE-nummer').waitFor();
  await shots(fac.page, 'wall-plenum');
  await shots(bo.page, 'wall-participant');

  // --- snapshot from the console
  await fac.page.getByTestId('wall-back').click();
  await fac.page.getByTestId('take-snapshot').click();
  await fac.page.getByTestId('snapshot-result').filter({ hasText: 'Snapshot 1' }).waitFor();

  // Export links carry the token and answer with the sheet.
  const csvHref = await fac.page.getByTestId('export-csv').getAttribute('href');
  const csv = await (await fetch(server.url + csvHref)).text();
  assert.match(csv, /Spørgsmål nr\./);
  assert.match(csv, /8 sagsbehandlere i Ydelse/);

  // --- the review link shows the snapshot list and opens it read-only as a wall
  const rev = await newPage(browser, { width: 1440, height: 900 });
  await rev.page.goto(room.reviewUrl);
  await rev.page.getByTestId('snapshot-1').waitFor();
  assert.equal(await rev.page.getByTestId('phase-control').count(), 0);
  await shots(rev.page, 'review-list');
  await rev.page.getByTestId('open-snapshot-1').click();
  const snapWall = rev.page.getByTestId('review-wall');
  await snapWall.getByTestId('cell-asis-4-voksenservice').getByText('8 sagsbehandlere i Ydelse').waitFor();
  await snapWall.getByText('12 sagsbehandlere (heraf 2 deltid)').waitFor();
  await snapWall.getByTestId('card-comment').filter({ hasText: 'arbejder i KMD Sag dagligt' }).waitFor();
  assert.equal(await snapWall.getByTestId('card-actions').count(), 0, 'a snapshot is read-only');
  await shots(rev.page, 'review-snapshot');

  for (const p of [fac, anne, bo, carl, rev]) assert.deepEqual(p.errors, [], 'no page errors');
  await Promise.all([fac, anne, bo, carl, rev].map((p) => p.context.close()));
});
