// Compare: the facilitator starts the next round (one action: snapshot "As-is", then the groups see
// To-be), changes known things, takes a snapshot named "To-be"; from the review page "Sammenlign"
// opens As-is → To-be: the wall with the new, removed, changed and moved cards marked by text
// badges, and per sagsområde the answers old → new with brugsmønster and løsningsscenarie before
// and after; snapshot → now; the XLSX link; a review link in English on a phone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, newPage, shots, createRoom, importList, until, PHONE, PROJECTOR } from './harness.mjs';

let server;
let browser;
let fac;
let room;
let token;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  fac = await newPage(browser, PROJECTOR);
  room = await createRoom(fac.page, server.url, 'Sammenligning', 'kmd-sag-exit');
  token = new URL(room.facilitatorUrl).hash.slice(1);
  await importList(server.url, room.roomId, token, 'Fagområde;Sagsområde;KLE\nBorgerservice;Boligstøtte;27.12\nVoksenservice;Handicap;27.24\n');
});
after(async () => {
  await browser?.close();
  await server?.stop();
  server?.cleanup();
});

const get = async (path) => {
  const r = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.status, 200, `${path}: ${r.status}`);
  return r;
};
/** The card list as the server has it (`export.csv`): text per card id. */
const serverCards = async () => {
  const rows = (await (await get(`/api/rooms/${room.roomId}/export.csv`)).text()).trim().split('\n').slice(1);
  return rows.map((r) => r.split(',').at(-1)).sort().join(',');
};
const serverAnswer = async (sags, key) => {
  const sheet = await (await get(`/api/rooms/${room.roomId}/sheet`)).json();
  return sheet.rows.find((r) => r.sagsomraade_id === sags)?.answers[key];
};

/**
 * The facilitator's console writes the wall document (the plenum's cards and answers): `ops` are
 * `['add', id, row, column, text]`, `['set', id, key, value]`, `['delete', id]`, `['answer', key, value]`.
 */
const edit = (page, ops) => page.evaluate((ops) => {
  const { doc } = window.kortvaeg.session.wall;
  const cards = doc.getMap('cards');
  const Card = cards.constructor;
  doc.transact(() => {
    for (const [op, a, b, c, d] of ops) {
      if (op === 'add') {
        const m = new Card();
        m.set('row', b);
        m.set('column', c);
        m.set('text', d);
        m.set('created_at', Date.now());
        cards.set(a, m);
      } else if (op === 'set') cards.get(a).set(b, c);
      else if (op === 'delete') cards.delete(a);
      else if (op === 'answer') doc.getMap('answers').set(a, b);
    }
  });
}, ops);

test('start the next round, change things, and compare As-is with To-be on the wall and per sagsområde', async () => {
  const page = fac.page;
  const sheet = await (await get(`/api/rooms/${room.roomId}/sheet`)).json();
  const bolig = sheet.rows.find((r) => r.sagsomraade === 'Boligstøtte').sagsomraade_id;
  await edit(page, [
    ['add', 'c-edit', 'asis-7', 'borgerservice', 'Åbne sager'],
    ['add', 'c-move', 'asis-7', 'voksenservice', 'Journalnotater uden sag'],
    ['add', 'c-gone', 'asis-8', 'voksenservice', 'Kan arkiveres'],
    ['answer', `${bolig}/asis-3`, 'D'],
  ]);
  await until(async () => (await serverCards()) === 'c-edit,c-gone,c-move' && (await serverAnswer(bolig, 'asis-3')) === 'D', 'the server has the As-is wall');

  // Start the next round: one action, "As-is" by default; the groups see To-be from then on.
  const next = page.getByTestId('next-round');
  assert.equal(await next.getByTestId('next-round-name').inputValue(), 'As-is');
  assert.match(await next.getByTestId('next-round-start').textContent(), /As-is → To-be/);
  await next.scrollIntoViewIfNeeded();
  await shots(page, 'compare-next-round');
  await next.getByTestId('next-round-start').click();
  await until(async () => /Snapshot 1 «As-is»/.test(await next.getByTestId('next-round-result').textContent()), 'the snapshot taken');
  await until(async () => (await page.getByTestId('round-to-be').getAttribute('aria-pressed')) === 'true', 'the groups see To-be');
  const listed = await (await get(`/api/rooms/${room.roomId}/snapshots`)).json();
  assert.deepEqual(listed.map((s) => [s.seq, s.name]), [[1, 'As-is']]);
  assert.equal(await page.getByTestId('next-round-last').count(), 1, 'To-be is the last round: no further round to start');

  // The known changes.
  await edit(page, [
    ['set', 'c-edit', 'text', 'Åbne sager: 120'],
    ['set', 'c-move', 'row', 'tobe-3'],
    ['delete', 'c-gone'],
    ['add', 'c-new', 'asis-8', 'borgerservice', 'Arkivering kræver afklaring'],
    ['answer', `${bolig}/asis-3`, 'E'],
    ['answer', `${bolig}/tobe-loesningsscenarie`, '2'],
  ]);
  await until(async () => (await serverCards()) === 'c-edit,c-move,c-new' && (await serverAnswer(bolig, 'asis-3')) === 'E', 'the server has the To-be wall');

  // A snapshot named by hand, by keyboard.
  await page.getByTestId('snapshot-name').fill('To-be');
  await page.getByTestId('take-snapshot').focus();
  await page.keyboard.press('Enter');
  await until(async () => /Snapshot 2 «To-be»/.test((await page.getByTestId('snapshot-result').textContent()) ?? ''), 'snapshot 2 named');

  // The review page names the snapshots and offers "Sammenlign".
  await page.getByTestId('open-review').click();
  await page.getByTestId('snapshot-list').waitFor();
  assert.equal(await page.getByTestId('snapshot-1').locator('.snap-title').textContent(), 'Snapshot 1 «As-is»');
  await page.getByTestId('open-compare').click();
  await page.getByTestId('compare-wall').waitFor().catch(async (e) => {
    console.log('DEBUG', page.url(), await page.locator('body').innerText(), fac.errors);
    throw e;
  });
  assert.match(page.url(), /\/review\/compare\?from=1&to=2#/);
  assert.equal(await page.getByTestId('compare-from').inputValue(), '1', 'As-is by default');
  assert.equal(await page.getByTestId('compare-to').inputValue(), '2', 'then To-be');
  assert.equal(await page.getByTestId('compare-sides').textContent(), 'Snapshot 1 «As-is» → Snapshot 2 «To-be»');
  assert.equal(await page.getByTestId('compare-summary').textContent(), 'Nye kort: 1 · Fjernet: 1 · Ændret: 1 · Flyttet: 1 · Ændrede svar: 2 (i 1 sagsområder)');

  // The wall: each change in its cell, marked by a text badge (not only a colour).
  const card = (cell, id) => page.getByTestId(`compare-cell-${cell}`).getByTestId(`compare-card-${id}`);
  const badge = async (cell, id) => (await card(cell, id).locator('.cmp-badge').textContent()).trim();
  assert.equal(await badge('asis-8-borgerservice', 'c-new'), 'Ny');
  assert.equal(await badge('asis-8-voksenservice', 'c-gone'), 'Fjernet');
  assert.equal(await badge('asis-7-borgerservice', 'c-edit'), 'Ændret');
  assert.equal(await card('asis-7-borgerservice', 'c-edit').locator('del').textContent(), 'Åbne sager');
  assert.equal(await card('asis-7-borgerservice', 'c-edit').locator('ins').textContent(), 'Åbne sager: 120');
  assert.equal(await badge('asis-7-voksenservice', 'c-move'), 'Flyttet herfra');
  assert.equal(await badge('tobe-3-voksenservice', 'c-move'), 'Flyttet hertil');
  assert.match(await card('tobe-3-voksenservice', 'c-move').locator('.cmp-meta').textContent(), /^fra As-is 7: .* · Voksenservice$/);
  assert.equal(await card('asis-8-voksenservice', 'c-gone').locator('del').textContent(), 'Kan arkiveres');
  assert.equal(await page.locator('[data-testid^="compare-card-"]').count(), 5, 'exactly the changes');
  assert.match(await page.getByTestId('compare-cell-asis-8-borgerservice').locator('ul').getAttribute('aria-label'), /^As-is 8: .* · Borgerservice: 1 ændringer$/);
  assert.match(await page.getByTestId('compare-xlsx').getAttribute('href'), /export\.xlsx\?token=.*&compare=1%2C2$/);
  await shots(page, 'compare-wall');

  // Per sagsområde, by keyboard: brugsmønster D → E, løsningsscenarie — → 2.
  await page.getByTestId('compare-view-sheet').focus();
  await page.keyboard.press('Enter');
  const s = page.getByTestId(`compare-sags-${bolig}`);
  await s.waitFor();
  const cells = async (id) => (await s.getByTestId(id).locator('td').allTextContents()).map((x) => x.trim());
  assert.deepEqual(await cells(`compare-brugsmoenster-${bolig}`), ['D', 'E', 'Ændret']);
  assert.deepEqual(await cells(`compare-loesningsscenarie-${bolig}`), ['—', '2', 'Ændret']);
  assert.equal(await page.locator('[data-testid^="compare-sags-"]').count(), 1, 'only the sagsområde with changes');
  await page.getByTestId('compare-only-changed').uncheck();
  assert.equal(await page.locator('[data-testid^="compare-sags-"]').count(), 2, 'every sagsområde');
  await page.getByTestId('compare-only-changed').check();
  await shots(page, 'compare-sheet');

  // To-be → now: nothing changed since.
  await page.getByTestId('compare-from').selectOption('2');
  await page.getByTestId('compare-to').selectOption('now');
  await until(async () => /^Nye kort: 0 · Fjernet: 0 · Ændret: 0 · Flyttet: 0 · Ændrede svar: 0/.test((await page.getByTestId('compare-summary').textContent()) ?? ''), 'to-be → now');
  assert.match(page.url(), /from=2&to=now/);
  await page.getByTestId('compare-view-wall').click();
  await page.getByTestId('compare-no-cells').waitFor();
  assert.deepEqual(fac.errors, []);
});

test('a review link compares too, in English on a phone', async () => {
  const rev = await newPage(browser, PHONE);
  await rev.context.addInitScript(() => localStorage.setItem('kortvaeg:lang', 'en'));
  const reviewToken = new URL(room.reviewUrl).hash.slice(1);
  await rev.page.goto(`${server.url}/review/${room.roomId}/compare?from=1&to=2#${reviewToken}`);
  await rev.page.getByTestId('compare-wall').waitFor();
  assert.equal(await rev.page.getByTestId('compare-sides').textContent(), 'Snapshot 1 «As-is» → Snapshot 2 «To-be»');
  // A phone shows one fagområde at a time: Borgerservice first (it has changes).
  assert.equal(await rev.page.getByTestId('compare-card-c-new').locator('.cmp-badge').textContent(), 'New');
  assert.equal(await rev.page.getByTestId('compare-card-c-gone').count(), 0, 'Voksenservice is not shown yet');
  await rev.page.getByRole('tab', { name: 'Voksenservice' }).click();
  assert.equal(await rev.page.getByTestId('compare-card-c-gone').locator('.cmp-badge').textContent(), 'Removed');
  await shots(rev.page, 'compare-review-en');
  // Back to the list of snapshots of the review link.
  await rev.page.getByTestId('compare-back').click();
  await rev.page.getByTestId('snapshot-list').waitFor();
  assert.equal(await rev.page.getByTestId('snapshot-2').locator('.snap-title').textContent(), 'Snapshot 2 «To-be»');
  assert.deepEqual(rev.errors, []);
});
