// The wall as a printable page, a PDF and a PNG (issue 15 item 6, issue 16 item 6): the print page
// puts every row of the wall on A3 landscape, each round from its own page, with the workshop's
// title and the date on every page and no buttons; Chromium makes the PDF (`page.pdf`, the page
// size the CSS asks for) and pdfjs-dist reads its pages back. The PNG is made in the browser under
// the server's Content-Security-Policy. The sheet prints as a table on A3, the decision note on A4.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { startServer, launchBrowser, newPage, shots, createRoom, importList, joinAs, until, PROJECTOR, PHONE, SHOTS } from './harness.mjs';

const TITLE = 'Printvæg – Ydelse og Borgerservice';
// Points (1/72 in): A3 is 297 × 420 mm, A4 210 × 297 mm.
const A3_LANDSCAPE = { width: 1190.55, height: 841.89 };
const A4_PORTRAIT = { width: 595.28, height: 841.89 };
const COLUMNS = ['borgerservice', 'voksenservice', 'beskaeftigelse', 'teknik-og-miljoe'];

let server;
let browser;
let fac;
let room;
let token;
/** Every card put on the wall: id, row, column, text. */
const cards = [];

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  fac = await newPage(browser, PROJECTOR);
  // Every CSP violation the pages report (security.test.mjs does the same).
  await fac.context.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  room = await createRoom(fac.page, server.url, TITLE, 'kmd-sag-exit');
  token = new URL(room.facilitatorUrl).hash.slice(1);
  await importList(server.url, room.roomId, token, 'Fagområde;Sagsområde;KLE\nBorgerservice;Boligstøtte;27.12\nVoksenservice;Hjælp til forsørgelse;32.18\n');
  // Every row of both rounds (As-is 1–8, To-be 1–7) gets cards in two or three of the four
  // fagområder; some are long, so the rounds run over more than one page.
  const rows = await fac.page.evaluate(() => window.kortvaeg.schema.readRows(window.kortvaeg.session.control.doc).map((r) => ({ id: r.id, round: r.round })));
  assert.equal(rows.length, 15, 'the combined template has 15 questions');
  rows.forEach((r, i) => {
    const cols = COLUMNS.filter((_, k) => (i + k) % 4 !== 3);
    cols.forEach((column, k) => {
      const long = (i + k) % 3 === 0 ? ' Vi skriver journalnotater i fagsystemet og adviserne kommer i KMD Sag, så overblikket er delt mellem to systemer.' : '';
      cards.push({ id: `c-${r.id}-${column}`, row: r.id, round: r.round, column, text: `Kort${i + 1}${column.slice(0, 4)} om ${r.id}.${long}` });
    });
  });
  // One cell with a stack of cards taller than an A3 page: the row breaks, a card never does.
  for (let n = 1; n <= 28; n++) {
    cards.push({ id: `stak-${n}`, row: 'asis-8', round: 'as-is', column: 'borgerservice', text: `Stak${n}: journalnotater uden sag skal knyttes til en sag, før de kan flyttes.` });
  }
  await fac.page.evaluate((list) => {
    const { doc } = window.kortvaeg.session.wall;
    const YMap = doc.getMap('cards').constructor;
    doc.transact(() => {
      for (const c of list) {
        const m = new YMap();
        m.set('row', c.row);
        m.set('column', c.column);
        m.set('text', c.text);
        m.set('author', 'Facilitator');
        m.set('created_at', Date.now());
        doc.getMap('cards').set(c.id, m);
      }
    });
  }, cards);
});
after(async () => {
  await browser?.close();
  await server?.stop();
  server?.cleanup();
});

/** The PDF's pages: size in points and text (pdfjs-dist). */
async function pdfPages(buf) {
  const doc = await getDocument({ data: new Uint8Array(buf), isEvalSupported: false, useSystemFonts: false, verbosity: 0 }).promise;
  const pages = [];
  for (let i = 1; i <= doc.numPages; i++) {
    const p = await doc.getPage(i);
    const [x0, y0, x1, y1] = p.view;
    const content = await p.getTextContent();
    pages.push({ width: x1 - x0, height: y1 - y0, text: content.items.map((it) => it.str ?? '').join(' ') });
  }
  await doc.destroy();
  return pages;
}

/** Text compared without white space: a PDF breaks lines where the page did. */
const flat = (s) => s.replace(/\s+/g, '');
const has = (text, what) => flat(text).includes(flat(what));
const near = (a, b) => Math.abs(a - b) < 1.5;

/** The page printed by Chromium as a PDF, in the page size its CSS asks for. */
async function printPdf(page, name) {
  const buf = await page.pdf({ preferCSSPageSize: true, printBackground: true, path: join(SHOTS, `${name}.pdf`) });
  return pdfPages(buf);
}

/**
 * A printed sheet: its columns in parts ("kolonner, del 2 af 4"), every page headed with the title,
 * the date and its part (a row taller than a page runs on, under the same head); every part there,
 * each beginning with the rows' sagsområder.
 */
function assertParts(pages, when) {
  const parts = new Set();
  let of = 0;
  for (const [i, p] of pages.entries()) {
    const m = flat(p.text).match(/kolonner,del(\d+)af(\d+)/);
    assert.ok(m && has(p.text, TITLE) && has(p.text, when), `sheet page ${i + 1}: title, date and part`);
    parts.add(Number(m[1]));
    of = Number(m[2]);
  }
  assert.ok(of >= 2, `the columns run over more than one page across (${of})`);
  assert.deepEqual([...parts].sort((a, b) => a - b), Array.from({ length: of }, (_, k) => k + 1), 'every part printed');
  const all = pages.map((p) => p.text).join(' ');
  assert.ok(has(all, 'Boligstøtte') && has(all, 'Hjælp til forsørgelse'), 'the rows');
}

/** Today in words as the page says it ("2. december 2026"). */
const todayDa = (page) => page.evaluate(() => new Date().toLocaleDateString('da-DK', { day: 'numeric', month: 'long', year: 'numeric' }));

test('the live wall prints on A3 landscape: every row and card, each round from its own page, title and date on every page, no buttons', async () => {
  const { page } = fac;
  await page.goto(`${server.url}/room/${room.roomId}/wall#${token}`);
  await page.getByTestId('wall-page').waitFor();
  await until(async () => (await page.getByTestId('card').count()) === cards.length, 'every card on the wall');
  await page.getByTestId('wall-print').click();
  await page.waitForURL(/\/room\/[^/]+\/wall\/print#/);
  await page.locator('[data-testid="print-page"][data-ready="yes"]').waitFor();
  await until(async () => (await page.getByTestId('wall-print').getByTestId('card').count()) === cards.length, 'every card on the print page');

  // On screen: the page's controls above the document; the document itself holds no control.
  assert.equal(await page.getByTestId('wall-print').locator('button, input, select, textarea').count(), 0, 'no control in the document');
  assert.deepEqual(await page.getByTestId('print-round').evaluateAll((els) => els.map((e) => e.dataset.round)), ['as-is', 'to-be']);
  assert.equal(await page.getByTestId('wall-print').locator('tbody tr').count(), 15, 'every row');
  assert.equal(await page.getByTestId('wall-print').locator('thead').count(), 2, 'one head per round, repeated on each page');
  await shots(page, 'print-wall-screen');

  // The print button opens the browser's print dialog (where "Gem som PDF" is).
  await page.evaluate(() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; });
  await page.getByTestId('print-pdf').click();
  assert.equal(await page.evaluate(() => window.__printed), 1, 'window.print() called');

  // As printed: a screenshot of the print layout at 1920 px, then the PDF.
  await page.emulateMedia({ media: 'print' });
  await page.screenshot({ path: join(SHOTS, 'print-wall-media-print-1920.png'), fullPage: true });
  await page.emulateMedia({ media: null });
  const date = await todayDa(page);
  const pages = await printPdf(page, 'print-wall');
  assert.ok(pages.length >= 2, `more than one page (${pages.length})`);
  for (const [i, p] of pages.entries()) {
    assert.ok(near(p.width, A3_LANDSCAPE.width) && near(p.height, A3_LANDSCAPE.height), `page ${i + 1} is A3 landscape (${p.width} × ${p.height})`);
    assert.ok(has(p.text, TITLE), `page ${i + 1} has the title`);
    assert.ok(has(p.text, `Udskrevet ${date}`), `page ${i + 1} has the date`);
    const rounds = new Set(cards.filter((c) => has(p.text, c.text)).map((c) => c.round));
    assert.ok(rounds.size <= 1, `page ${i + 1} holds one round's rows (${[...rounds]})`);
  }
  const all = pages.map((p) => p.text).join('\n');
  for (const c of cards) assert.ok(pages.some((p) => has(p.text, c.text)), `card ${c.id} is in the PDF, whole on one page`);
  for (const label of ['As-is 1', 'As-is 8', 'To-be 1', 'To-be 7']) assert.ok(has(all, label), `row ${label} is in the PDF`);
  for (const chrome of ['Tilføj kort', 'Udskriv / gem som PDF', 'Hent PNG', 'Til konsollen', 'Forbundet']) assert.ok(!has(all, chrome), `no "${chrome}" in the PDF`);
  const firstToBe = pages.findIndex((p) => has(p.text, cards.find((c) => c.round === 'to-be').text));
  assert.ok(firstToBe > 0 && pages.slice(firstToBe).every((p) => !cards.some((c) => c.round === 'as-is' && has(p.text, c.text))), 'To-be starts on a page of its own');
});

test('"Hent PNG" downloads the wall as a PNG of the whole document, under the Content-Security-Policy', async () => {
  const { page } = fac;
  await page.goto(`${server.url}/room/${room.roomId}/wall/print#${token}`);
  await page.locator('[data-testid="print-page"][data-ready="yes"]').waitFor();
  await until(async () => (await page.getByTestId('wall-print').getByTestId('card').count()) === cards.length, 'every card on the print page');
  const size = await page.getByTestId('wall-print').evaluate((e) => ({ w: e.scrollWidth, h: e.scrollHeight }));
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('print-png').click()]);
  assert.match(download.suggestedFilename(), /^printvaeg-ydelse-og-borgerservice-vaeg-\d{4}-\d{2}-\d{2}\.png$/);
  const png = readFileSync(await download.path());
  await download.saveAs(join(SHOTS, 'print-wall-download.png'));
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  assert.equal(png.subarray(12, 16).toString('latin1'), 'IHDR');
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  // The whole document (both rounds, every row), sharper than the screen: twice its size, or as
  // much as a canvas takes.
  assert.ok(width >= size.w && height >= size.h, `PNG ${width} × ${height} covers the document ${size.w} × ${size.h}`);
  assert.ok(Math.abs(width / height - size.w / size.h) < 0.02, 'the document\'s proportions');
  assert.ok(png.length > 50_000, `a picture with content (${png.length} bytes)`);
  await until(async () => /hentet/.test(await page.getByTestId('print-status').textContent()), 'the page says the image is downloaded');
  assert.deepEqual(await page.evaluate(() => window.__violations), [], 'no CSP violation');
  assert.deepEqual(fac.errors, [], 'no page error');
});

test('a snapshot prints the same way, dated when it was taken; a review link prints it too', async () => {
  const r = await fetch(`${server.url}/api/rooms/${room.roomId}/snapshots`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.status, 201);
  const { seq } = await r.json();
  const { page } = fac;
  await page.goto(`${server.url}/room/${room.roomId}/review/${seq}#${token}`);
  await page.getByTestId('review-wall').waitFor();
  await page.getByTestId('snapshot-print').click();
  await page.waitForURL(new RegExp(`/room/[^/]+/review/${seq}/print#`));
  await page.locator('[data-testid="print-page"][data-ready="yes"]').waitFor();
  assert.match(await page.getByTestId('print-date').first().textContent(), new RegExp(`^Snapshot ${seq}, taget `));
  const pages = await printPdf(page, 'print-snapshot');
  assert.ok(pages.length >= 2);
  assert.ok(pages.every((p) => near(p.width, A3_LANDSCAPE.width) && near(p.height, A3_LANDSCAPE.height)), 'A3 landscape');
  assert.ok(pages.every((p) => has(p.text, TITLE) && has(p.text, `Snapshot ${seq}, taget`)), 'title and snapshot date on every page');
  const all = pages.map((p) => p.text).join('\n');
  for (const c of cards) assert.ok(has(all, c.text), `card ${c.id} is in the snapshot's PDF`);
  await page.getByTestId('print-back').click();
  await page.getByTestId('review-wall').waitFor();
  // The snapshot's documentation sheet prints as tables too, dated like the snapshot.
  await page.getByTestId('snapshot-view-sheet').click();
  await page.getByTestId('snapshot-sheet').getByText('Hjælp til forsørgelse').first().waitFor();
  const sheet = await printPdf(page, 'print-snapshot-sheet');
  assert.ok(sheet.every((p) => near(p.width, A3_LANDSCAPE.width) && near(p.height, A3_LANDSCAPE.height)), 'A3 landscape');
  assertParts(sheet, `Snapshot ${seq}, taget`);
  assert.ok(has(sheet.map((p) => p.text).join(' '), '• Kort1borg om asis-1.'), 'a card in the snapshot\'s printed sheet');
  assert.ok(!has(sheet.map((p) => p.text).join(' '), 'Alle snapshots'), 'no controls');

  // The review link: the same print page of the snapshot, read-only like the rest of its pages.
  const reviewToken = new URL(room.reviewUrl).hash.slice(1);
  const rev = await newPage(browser, PHONE);
  await rev.page.goto(`${server.url}/review/${room.roomId}/${seq}/print#${reviewToken}`);
  await rev.page.locator('[data-testid="print-page"][data-ready="yes"]').waitFor();
  assert.equal(await rev.page.getByTestId('wall-print').getByTestId('card').count(), cards.length);
  await shots(rev.page, 'print-snapshot-review');
  await rev.context.close();
});

test('a participant prints the wall from their wall page, in English too', async () => {
  const pia = await newPage(browser, PHONE);
  await joinAs(pia.page, room.joinUrl, 'Pia', 'borgerservice');
  await pia.page.goto(room.joinUrl.replace(/#/, '/wall#'));
  await pia.page.getByTestId('wall-print').click();
  await pia.page.waitForURL(/\/join\/[^/]+\/wall\/print#/);
  await pia.page.locator('[data-testid="print-page"][data-ready="yes"]').waitFor();
  await until(async () => (await pia.page.getByTestId('wall-print').getByTestId('card').count()) === cards.length, 'every card on the participant\'s print page');
  await pia.page.getByTestId('lang-toggle').click();
  assert.equal(await pia.page.getByTestId('print-pdf').textContent(), 'Print / save as PDF');
  assert.match(await pia.page.getByTestId('print-date').first().textContent(), /^Printed \d{1,2} [A-Z][a-z]+ \d{4}$/);
  await shots(pia.page, 'print-wall-participant-en');
  const pages = await printPdf(pia.page, 'print-wall-participant');
  assert.ok(pages.length >= 2 && pages.every((p) => near(p.width, A3_LANDSCAPE.width) && has(p.text, TITLE)), 'A3 landscape with the title');
  assert.ok(!has(pages.map((p) => p.text).join(' '), 'Download PNG'));
  await pia.context.close();
});

test('the live wall printed as it is (Ctrl+P) has every row and no buttons; the sheet prints as a table on A3; the decision note on A4', async () => {
  const { page } = fac;
  // The wall page itself: no longer cut after a few rows, no controls.
  await page.goto(`${server.url}/room/${room.roomId}/wall#${token}`);
  await until(async () => (await page.getByTestId('card').count()) === cards.length, 'every card on the wall');
  const wall = await printPdf(page, 'print-wall-page');
  assert.ok(wall.every((p) => near(p.width, A3_LANDSCAPE.width) && near(p.height, A3_LANDSCAPE.height)), 'A3 landscape');
  const wallText = wall.map((p) => p.text).join('\n');
  for (const c of cards) assert.ok(has(wallText, c.text), `card ${c.id} printed from the wall page`);
  assert.ok(has(wall[0].text, TITLE), 'the title on the first page');
  for (const chrome of ['Tilføj kort', 'Flyt', 'Til konsollen']) assert.ok(!has(wallText, chrome), `no "${chrome}" printed`);

  // The documentation sheet: the table and its rows, not the filters.
  await page.goto(`${server.url}/room/${room.roomId}/sheet#${token}`);
  await page.getByTestId('sheet').getByText('Hjælp til forsørgelse').waitFor();
  await page.emulateMedia({ media: 'print' });
  await page.screenshot({ path: join(SHOTS, 'print-sheet-media-print-1920.png'), fullPage: true });
  await page.emulateMedia({ media: null });
  const sheet = await printPdf(page, 'print-sheet');
  assert.ok(sheet.every((p) => near(p.width, A3_LANDSCAPE.width) && near(p.height, A3_LANDSCAPE.height)), 'the sheet on A3 landscape');
  const sheetText = sheet.map((p) => p.text).join('\n');
  for (const s of ['Boligstøtte', 'Hjælp til forsørgelse', '27.12', '32.18', 'Sagsområde']) assert.ok(has(sheetText, s), `"${s}" in the printed sheet`);
  for (const chrome of ['Sortér efter', 'Kolonner', 'Til konsollen']) assert.ok(!has(sheetText, chrome), `no "${chrome}" in the printed sheet`);
  // Pages across: the columns in parts, each part's head (title, date, which part) on every page.
  assertParts(sheet, `Udskrevet ${await todayDa(page)}`);
  // A card in its sagsområde's cell, as the export has it.
  assert.ok(has(sheetText, '• Kort1borg om asis-1.'), 'a card in the printed sheet');

  // The decision note keeps A4 portrait.
  await page.goto(`${server.url}/room/${room.roomId}/note#${token}`);
  await page.getByTestId('note-title').waitFor();
  const note = await printPdf(page, 'print-note');
  assert.ok(note.length >= 1);
  assert.ok(note.every((p) => near(p.width, A4_PORTRAIT.width) && near(p.height, A4_PORTRAIT.height)), `the note on A4 portrait (${note[0].width} × ${note[0].height})`);
  assert.ok(has(note[0].text, TITLE), 'the title in the note');
  assert.ok(has(note[0].text.toLowerCase(), 'beslutningsnotat'), 'the note says what it is (in capitals)');
  assert.ok(!has(note.map((p) => p.text).join(' '), 'Udskriv'), 'no print button in the note');
  assert.deepEqual(await page.evaluate(() => window.__violations), [], 'no CSP violation');
});
