// As-is and To-be in one room ("kmd-sag-exit"): both rounds count their questions from 1, so every
// place that numbers a question says which round ("As-is 3", "To-be 2"; chips "A3", "T2"), with a
// divider where the round changes. The facilitator chooses the round the groups see now
// (`meta.round`); the participant's page shows that round's questions live and folds the other away.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, newPage, shots, createRoom, joinAs, until, PHONE, PROJECTOR } from './harness.mjs';

let server;
let browser;
let room;
let fac;
let pia;
let token;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  fac = await newPage(browser, PROJECTOR);
  room = await createRoom(fac.page, server.url, 'As-is og To-be', 'kmd-sag-exit');
  token = new URL(room.facilitatorUrl).hash.slice(1);
  const list = 'Fagområde;Sagsområde;KLE\nBorgerservice;Boligstøtte;27.12\n';
  const r = await fetch(`${server.url}/api/rooms/${room.roomId}/import`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' }, body: list,
  });
  assert.equal(r.status, 200, await r.text());
  pia = await newPage(browser, PHONE);
  await joinAs(pia.page, room.joinUrl, 'Pia', 'borgerservice');
});
after(async () => {
  await browser?.close();
  await server?.stop();
  server?.cleanup();
});

const texts = (locator) => locator.evaluateAll((els) => els.map((e) => e.textContent.trim()));
const dupes = (list) => list.filter((x, i) => list.indexOf(x) !== i);

/** `meta.round` as the server has it (from a fresh snapshot). */
async function storedRound() {
  const s = await fetch(`${server.url}/api/rooms/${room.roomId}/snapshots`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  assert.equal(s.status, 201);
  const { seq } = await s.json();
  const view = await (await fetch(`${server.url}/api/rooms/${room.roomId}/snapshots/${seq}`, { headers: { authorization: `Bearer ${token}` } })).json();
  return view.meta?.round ?? '';
}

test('every question says its round: the group page, the Skema, the progress chips, the console list, the dialogs and the wall', async () => {
  // The group page (375 px): both rounds, each question by its tag, in text and for screen readers.
  const page = pia.page;
  const q = (id) => page.getByTestId(`question-${id}`);
  assert.equal(await q('asis-3').locator('.qnum').textContent(), 'As-is 3');
  assert.equal(await q('tobe-2').locator('.qnum').textContent(), 'To-be 2');
  assert.match(await q('tobe-2').locator('.question-label').textContent(), /^Spørgsmål To-be 2: /);
  assert.equal(await q('asis-2').getByTestId('card-input').getAttribute('aria-label'), 'Tilføj kort: Spørgsmål As-is 2');
  const nums = await texts(page.locator('.questions .qnum'));
  assert.equal(nums.length, 13, 'As-is 1–8 and To-be 2–6 (To-be 1 and 7 are plenum questions)');
  assert.deepEqual(dupes(nums), [], 'no two questions with the same number');
  assert.equal(await page.getByTestId('round-folded').count(), 0, 'nothing folded while both rounds are shown');
  await page.getByTestId('view-skema').click();
  assert.equal(await page.getByTestId('skema-q-tobe-2').locator('.qnum').textContent(), 'To-be 2');
  assert.equal(await page.getByTestId('skema-q-asis-2').locator('.qnum').textContent(), 'As-is 2');
  await page.getByTestId('view-cards').click();
  await shots(page, 'rounds-group-both');

  // The console (1920 px): progress chips, distinct in each group's list, with a divider per round.
  const con = fac.page;
  const chips = con.getByTestId('progress-borgerservice').locator('.rc-q');
  const labels = await texts(chips);
  assert.deepEqual(labels, ['A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'A7', 'A8', 'T2', 'T3', 'T4', 'T5', 'T6']);
  for (const col of ['borgerservice', 'voksenservice', 'beskaeftigelse', 'teknik-og-miljoe']) {
    assert.deepEqual(dupes(await texts(con.getByTestId(`progress-${col}`).locator('.rc-q'))), [], `no two chips alike in ${col}`);
  }
  assert.deepEqual(await texts(con.getByTestId('progress-borgerservice').locator('.rc-round')), ['As-is', 'To-be']);
  assert.match(await con.getByTestId('progress-borgerservice').getByTestId('rc').nth(8).getAttribute('title'), /^Spørgsmål To-be 2: /);
  // The console's question list: a divider where To-be starts, each question's controls by its tag.
  const list = con.getByTestId('question-list');
  await list.getByTestId('q-round-as-is').waitFor();
  assert.equal(await list.getByTestId('q-round-to-be').textContent(), 'To-be');
  assert.equal(await list.locator('[data-row-id="tobe-1"] .q-num').getAttribute('aria-label'), 'Nr. (To-be 1)');
  // The round control, shown because the room has two rounds: every round shown to begin with.
  assert.equal(await con.getByTestId('round-all').getAttribute('aria-pressed'), 'true');
  assert.deepEqual(await texts(con.getByTestId('round-control').locator('button')), ['Begge', 'As-is', 'To-be']);
  // The facilitator's "add a card for the group" dialog: the questions by round.
  await con.getByTestId('add-for-borgerservice').click();
  const select = con.getByTestId('add-card-dialog').getByTestId('add-card-row');
  assert.deepEqual(await select.locator('optgroup').evaluateAll((els) => els.map((e) => e.label)), ['As-is', 'To-be']);
  assert.match(await select.locator('option[value="tobe-3"]').textContent(), /^To-be 3\. /);
  await con.keyboard.press('Escape');
  await con.getByTestId('add-card-dialog').waitFor({ state: 'detached' });
  await shots(con, 'rounds-console');

  // The wall: the rows by their tags, a divider per round.
  await con.getByTestId('open-wall').click();
  await con.getByTestId('wall').waitFor();
  assert.deepEqual(await texts(con.getByTestId('wall-round')), ['As-is', 'To-be']);
  const heads = await texts(con.locator('.wall-rowhead .qnum'));
  assert.equal(heads.length, 15);
  assert.deepEqual(dupes(heads), []);
  assert.equal(heads[8], 'To-be 1', 'To-be starts where As-is ends');
  assert.equal(await con.getByTestId('cell-tobe-2-borgerservice').locator('.cell-add').getAttribute('aria-label'), 'Tilføj kort: Spørgsmål To-be 2 · Borgerservice');
  await shots(con, 'rounds-wall');
  await con.getByTestId('wall-back').click();
  await con.getByTestId('round-control').waitFor();
});

test('the facilitator chooses the round the groups see: the participant\'s page follows live and folds the other away', async () => {
  const con = fac.page;
  const page = pia.page;
  // To-be, by keyboard.
  await con.getByTestId('round-to-be').focus();
  await con.keyboard.press('Enter');
  await until(async () => (await con.getByTestId('round-to-be').getAttribute('aria-pressed')) === 'true', 'To-be pressed');
  assert.equal(await con.getByTestId('round-all').getAttribute('aria-pressed'), 'false');

  // The participant (375 px): the To-be questions, As-is folded away (closed), readable in the fold.
  await until(async () => (await page.getByTestId('question-asis-1').count()) === 0, 'As-is questions gone from the group page');
  await page.getByTestId('question-tobe-2').waitFor();
  assert.deepEqual(await texts(page.locator('.questions .qnum')), ['To-be 2', 'To-be 3', 'To-be 4', 'To-be 5', 'To-be 6']);
  const fold = page.getByTestId('round-folded-as-is');
  assert.equal(await fold.evaluate((d) => d.open), false, 'folded away');
  assert.equal(await fold.locator('summary').textContent(), 'As-is-spørgsmål (8) — foldet væk i To-be-runden');
  assert.match(await page.getByTestId('sags-tab-27-12-boligstoette').textContent(), /0\/5/, 'the count follows the round');
  await shots(page, 'rounds-group-tobe');
  await fold.locator('summary').click();
  assert.equal(await fold.getByTestId('folded-asis-3').locator('.qnum').textContent(), 'As-is 3');
  await fold.locator('summary').click();
  // The Skema follows too.
  await page.getByTestId('view-skema').click();
  await page.getByTestId('skema-q-tobe-2').waitFor();
  assert.equal(await page.getByTestId('skema-q-asis-2').count(), 0);
  assert.match(await page.getByTestId('skema-folded').textContent(), /As-is-spørgsmålene \(8\) er foldet væk/);
  await page.getByTestId('view-cards').click();

  // The server has the choice (the control document, written only by the facilitator).
  assert.equal(await until(async () => ((await storedRound()) === 'to-be' ? 'to-be' : null), 'meta.round at the server'), 'to-be');
  // The console's progress follows what the groups see.
  assert.deepEqual(await texts(con.getByTestId('progress-borgerservice').locator('.rc-q')), ['T2', 'T3', 'T4', 'T5', 'T6']);
  await shots(con, 'rounds-console-tobe');
  // The wall still shows both rounds and marks the current one.
  await con.getByTestId('open-wall').click();
  await con.getByTestId('wall').waitFor();
  assert.deepEqual(await texts(con.getByTestId('wall-round')), ['As-is', 'To-be · grupperne arbejder nu']);
  await con.getByTestId('wall-back').click();

  // As-is: the other way round.
  await con.getByTestId('round-as-is').click();
  await until(async () => (await page.getByTestId('question-tobe-2').count()) === 0, 'To-be questions gone');
  await page.getByTestId('question-asis-1').waitFor();
  assert.equal(await page.getByTestId('round-folded-to-be').locator('summary').textContent(), 'To-be-spørgsmål (5) — foldet væk i As-is-runden');
  // Both again: nothing folded.
  await con.getByTestId('round-all').click();
  await page.getByTestId('question-tobe-2').waitFor();
  await until(async () => (await page.getByTestId('round-folded').count()) === 0, 'nothing folded');
  assert.equal(await page.locator('.questions .qnum').count(), 13);
  assert.deepEqual(pia.errors, []);
  assert.deepEqual(fac.errors, []);
});

test('a room of one round shows neither tags nor the round control', async () => {
  const p = await newPage(browser, PROJECTOR);
  const one = await createRoom(p.page, server.url, 'Kun As-is');
  assert.equal(await p.page.getByTestId('round-control').count(), 0);
  assert.deepEqual((await texts(p.page.getByTestId('progress-borgerservice').locator('.rc-q'))).slice(0, 3), ['1', '2', '3']);
  assert.equal(await p.page.getByTestId('question-list').locator('.q-round').count(), 0);
  assert.ok(one.joinUrl);
  await p.context.close();
});
