// Structured answers, the R2 wizard, the documentation sheet edited from two pages at once, the
// prioritisation and the decision note, in real Chromium against the real server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, newPage, shots, createRoom, joinAs, until, PHONE, PROJECTOR } from './harness.mjs';

let server;
let browser;
let room;
let fac;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  // One room for all the tests here: kmd-sag-exit (As-is and To-be), two fagområder, four sagsområder.
  fac = await newPage(browser, PROJECTOR);
  room = await createRoom(fac.page, server.url, 'KMD Sag Exit – Borgerservice og Voksenservice', 'kmd-sag-exit');
  for (const id of ['beskaeftigelse', 'teknik-og-miljoe']) {
    await fac.page.getByTestId(`fag-${id}`).getByTestId('remove-fag').click();
    await fac.page.getByTestId(`fag-${id}`).waitFor({ state: 'detached' });
  }
  for (const [col, kle, label] of [
    ['borgerservice', '27.12', 'Boligstøtte'],
    ['borgerservice', '05.04', 'Folkeregister'],
    ['voksenservice', '32.18', 'Hjælp til forsørgelse'],
    ['voksenservice', '32.24', 'Pension'],
  ]) {
    const fag = fac.page.getByTestId(`fag-${col}`);
    const before = await fag.getByTestId('sags-item').count();
    await fag.getByTestId('new-sags-kle').fill(kle);
    await fag.getByTestId('new-sags-label').fill(label);
    await fag.getByTestId('add-sags').click();
    await until(async () => (await fag.getByTestId('sags-item').count()) === before + 1, `sagsområde ${label}`);
  }
});
after(async () => {
  await browser?.close();
  await server?.stop();
  server?.cleanup();
});

const BOLIG = '27-12-boligstoette';
const FOLK = '05-04-folkeregister';
const HJAELP = '32-18-hjaelp-til-forsoergelse';
const PENSION = '32-24-pension';

/** A stored answer, read from the page's own sync layer (the wall's and the group documents' answers as one set). */
const stored = (page, sags, key) =>
  page.evaluate(([s, k]) => {
    const { docs, session } = window.kortvaeg;
    return docs.readRoomAnswers(session.docs)[s]?.[k] ?? null;
  }, [sags, key]);

test('the R2 wizard reaches each of the six brugsmønstre and stores the answer; a hand-picked value drops "fra guiden"', async () => {
  const tree = await (await fetch(`${server.url}/api/trees/brugsmoenster`)).json();
  const anne = await newPage(browser, PHONE);
  await joinAs(anne.page, room.joinUrl, 'Anne Jensen', 'borgerservice');
  await anne.page.getByTestId(`sags-tab-${BOLIG}`).waitFor();
  // On a phone the Skema is one tap away from the cards.
  await anne.page.getByTestId('view-skema').click();
  const skema = anne.page.locator(`[data-testid="skema"][data-sags="${BOLIG}"]`);
  await skema.waitFor();
  const select = skema.getByTestId('answer-asis-3');
  // The sagsområde's tab counts questions answered by a card or in the Skema.
  const tabCount = () => anne.page.getByTestId(`sags-tab-${BOLIG}`).locator('.sags-tab-count').textContent();
  const before = Number((await tabCount()).split('/')[0]);

  const paths = { 0: ['nej'], D: ['ja', 'nej', 'ja'], E: ['ja', 'nej', 'nej'], C: ['ja', 'ja', 'nej'], A: ['ja', 'ja', 'ja', 'ja'], B: ['ja', 'ja', 'ja', 'nej'] };
  for (const [outcome, steps] of Object.entries(paths)) {
    await skema.getByTestId('wizard-open-asis-3').click();
    const wiz = anne.page.getByTestId('wizard');
    await wiz.getByTestId('wizard-question').waitFor();
    assert.equal(await wiz.getByTestId('wizard-question').textContent(), tree.nodes[tree.start].question);
    if (outcome === 'A') {
      // A wrong turn, undone with "Tilbage".
      await wiz.getByTestId('wizard-nej').click();
      await wiz.getByTestId('wizard-outcome').waitFor();
      await wiz.getByTestId('wizard-back').click();
      await wiz.getByTestId('wizard-question').waitFor();
    }
    for (const [i, s] of steps.entries()) {
      await wiz.getByTestId(`wizard-${s}`).click();
      await until(async () => (await wiz.locator('.wizard-path li').count()) === i + 1, `step ${i + 1}`);
    }
    const out = wiz.getByTestId('wizard-outcome');
    await out.waitFor();
    assert.equal(await out.getAttribute('data-outcome'), outcome);
    assert.equal(await wiz.getByTestId('wizard-description').textContent(), tree.outcomes[outcome].description);
    assert.equal(await wiz.getByTestId('wizard-dependence').textContent(), tree.outcomes[outcome].dependence);
    if (outcome === 'C') await shots(anne.page, 'wizard-outcome');
    await wiz.getByTestId('wizard-use').click();
    await wiz.waitFor({ state: 'detached' });
    await until(async () => (await select.inputValue()) === outcome, `select shows ${outcome}`);
    assert.equal(await stored(anne.page, BOLIG, 'asis-3'), outcome);
    assert.equal(await stored(anne.page, BOLIG, 'asis-3#via'), 'wizard');
    await skema.getByTestId('via-asis-3').filter({ hasText: '(fra guiden)' }).waitFor();
  }
  await shots(anne.page, 'skema');
  await until(async () => Number((await tabCount()).split('/')[0]) === before + 1, 'the tab counts the Skema answer');

  // A colleague in the group sees the same answer live, marked as from the guide.
  const bo = await newPage(browser, PROJECTOR);
  await joinAs(bo.page, room.joinUrl, 'Bo Hansen', 'borgerservice');
  const boSkema = bo.page.locator(`[data-testid="skema"][data-sags="${BOLIG}"]`);
  await until(async () => (await boSkema.getByTestId('answer-asis-3').inputValue()) === 'B', 'Bo sees B');
  await boSkema.getByTestId('via-asis-3').waitFor();
  // Bo types the number of caseworkers; Anne sees it without reloading.
  await boSkema.getByTestId('answer-asis-2').fill('12');
  await until(async () => (await skema.getByTestId('answer-asis-2').inputValue()) === '12', 'Anne sees 12');
  assert.equal(await stored(anne.page, BOLIG, 'asis-2'), 12);
  await shots(bo.page, 'group-work-skema');

  // Picked by hand: the value changes and "#via" goes.
  await select.selectOption('D');
  await until(async () => (await stored(anne.page, BOLIG, 'asis-3#via')) === null, '#via deleted');
  assert.equal(await stored(anne.page, BOLIG, 'asis-3'), 'D');
  await until(async () => (await boSkema.getByTestId('via-asis-3').count()) === 0, 'Bo no longer sees "fra guiden"');
  assert.ok(await anne.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'no horizontal scroll at 375 px');
  // "Anvendes KMD Sag: nej" keeps the sagsområde but takes it out of the analysis; said on the form.
  await skema.getByTestId('answer-asis-1.anvendes').selectOption('nej');
  await boSkema.getByTestId('skema-outside').waitFor();
  await skema.getByTestId('answer-asis-1.anvendes').selectOption('');
  await until(async () => (await boSkema.getByTestId('skema-outside').count()) === 0, 'back in the analysis');

  for (const p of [anne, bo]) assert.deepEqual(p.errors, [], 'no page errors');
  await Promise.all([anne, bo].map((p) => p.context.close()));
});

test('the sheet is edited from two pages at once; prioritisation and the decision note follow', async () => {
  // The facilitator opens the sheet from the console; a participant from the group page (phone).
  await fac.page.getByTestId('open-sheet').click();
  await fac.page.locator('[data-testid="analysis-sheet"][data-ready="yes"]').waitFor();
  const fs = fac.page.getByTestId('sheet');
  await fs.getByTestId(`sheet-row-${PENSION}`).waitFor();
  const carl = await newPage(browser, PHONE);
  await joinAs(carl.page, room.joinUrl, 'Carl Nielsen', 'voksenservice');
  await carl.page.getByTestId('see-sheet').click();
  await carl.page.locator('[data-testid="analysis-sheet"][data-ready="yes"]').waitFor();
  const cs = carl.page.getByTestId('sheet');
  await cs.getByTestId(`sheet-row-${PENSION}`).waitFor();

  const cell = (sheet, sags, key) => sheet.getByTestId(`cell-${sags}-${key}`);
  const pick = (sheet, sags, key, v) => cell(sheet, sags, key).locator('select').selectOption(v);
  const type = async (sheet, sags, key, v) => {
    const input = cell(sheet, sags, key).locator('input');
    await input.fill(v);
    await input.press('Tab');
  };
  const value = (sheet, sags, key) => cell(sheet, sags, key).locator('select, input').first().inputValue();

  // A seat answers for its own group's sagsområder (their group document); another group's it reads.
  await until(async () => (await cs.getByTestId(`sheet-row-${BOLIG}`).getAttribute('data-writable')) === 'no', 'Borgerservice read-only for Carl');
  assert.ok(await cell(cs, BOLIG, 'asis-2').locator('input').isDisabled());
  assert.equal(await cs.getByTestId(`sheet-row-${HJAELP}`).getAttribute('data-writable'), 'yes');
  await cs.page().getByTestId('sheet-own-group').waitFor();
  // Same row, different cells, at the same time: kompleksitet middel (facilitator) and 10 sagsbehandlere (Carl).
  await Promise.all([pick(fs, HJAELP, 'tobe-6', 'middel'), type(cs, HJAELP, 'asis-2', '10')]);
  for (const s of [fs, cs]) {
    await until(async () => (await value(s, HJAELP, 'tobe-6')) === 'middel' && (await value(s, HJAELP, 'asis-2')) === '10', 'both edits on both pages');
    // 10 → mellem (2) × middel (2) = 4 → 2 Moderat
    await until(async () => (await cell(s, HJAELP, 'omfang').getAttribute('data-value')) === '2', 'omfang 2 Moderat');
    assert.equal(await cell(s, HJAELP, 'brugerantal').getAttribute('data-value'), 'mellem');
    assert.match(await cell(s, HJAELP, 'omfang').textContent(), /2 Moderat \(4\)/);
  }
  // Different rows at once: forretningskritisk (facilitator) and løsningsscenarie (Carl).
  await Promise.all([pick(fs, FOLK, 'tobe-5', 'ja'), pick(cs, HJAELP, 'tobe-loesningsscenarie', '2')]);
  for (const s of [fs, cs]) {
    await until(async () => (await value(s, FOLK, 'tobe-5')) === 'ja' && (await value(s, HJAELP, 'tobe-loesningsscenarie')) === '2', 'both rows on both pages');
  }
  // The rest of the known case.
  await type(fs, FOLK, 'asis-2', '3');
  await pick(fs, FOLK, 'tobe-6', 'lav'); // få × lav = 1 → 1 Let
  await type(fs, BOLIG, 'asis-2', '30');
  await pick(fs, BOLIG, 'tobe-6', 'hoej'); // 30 > 20 → mange × høj = 9 → 3 Stort
  await pick(fs, BOLIG, 'tobe-loesningsscenarie', '3');
  await pick(fs, FOLK, 'tobe-loesningsscenarie', '2');
  await pick(cs, PENSION, 'asis-1.anvendes', 'nej'); // out of the analysis, still in the sheet
  await until(async () => (await fs.getByTestId(`sheet-row-${PENSION}`).getAttribute('data-in-analysis')) === 'no', 'Pension out of the analysis');
  await fs.getByTestId(`sheet-row-${PENSION}`).getByText('uden for analysen').waitFor();
  for (const s of [fs, cs]) {
    await until(async () => (await cell(s, BOLIG, 'omfang').getAttribute('data-value')) === '3', 'omfang 3 Stort');
    assert.match(await cell(s, BOLIG, 'omfang').textContent(), /3 Stort \(9\)/);
    await until(async () => (await cell(s, HJAELP, 'omfang').getAttribute('data-value')) === '2', 'omfang 2 Moderat');
    await until(async () => (await cell(s, FOLK, 'prioritet').getAttribute('data-value')) === '1', 'Folkeregister first');
    assert.equal(await cell(s, BOLIG, 'prioritet').getAttribute('data-value'), '2');
    assert.equal(await cell(s, HJAELP, 'prioritet').getAttribute('data-value'), '3');
    assert.equal(await cell(s, PENSION, 'prioritet').getAttribute('data-value'), '');
  }
  // A hand-set brugerantal overrides the derived one (Carl), and back.
  await cell(cs, HJAELP, 'brugerantal').locator('select').selectOption('mange');
  await until(async () => (await cell(fs, HJAELP, 'omfang').getAttribute('data-value')) === '3', 'mange × middel = 6 → 3 Stort');
  await cell(cs, HJAELP, 'brugerantal').locator('select').selectOption('');
  await until(async () => (await cell(fs, HJAELP, 'omfang').getAttribute('data-value')) === '2', 'back to derived mellem');

  // The server computes the same brugerantal, omfang and prioritet (GET /sheet, used by the XLSX export).
  const token = new URL(room.facilitatorUrl).hash.slice(1);
  const server_ = await (await fetch(`${server.url}/api/rooms/${room.roomId}/sheet`, { headers: { Authorization: `Bearer ${token}` } })).json();
  for (const r of server_.rows) {
    const id = r.sagsomraade_id;
    assert.equal(await cell(fs, id, 'brugerantal').getAttribute('data-value'), r.brugerantal ?? '', `brugerantal of ${id}`);
    assert.equal(await cell(fs, id, 'omfang').getAttribute('data-value'), r.omfang === null ? '' : String(r.omfang), `omfang of ${id}`);
    assert.equal(await cell(fs, id, 'prioritet').getAttribute('data-value'), r.prioritet === null ? '' : String(r.prioritet), `prioritet of ${id}`);
    assert.equal(await fs.getByTestId(`sheet-row-${id}`).getAttribute('data-in-analysis'), r.in_analysis ? 'yes' : 'no', `in analysis: ${id}`);
  }
  const headers = await fs.locator('thead th[data-header]').evaluateAll((els) => els.map((e) => e.dataset.header));
  assert.deepEqual(headers, server_.layout.filter((c) => !['name', 'derived'].includes(c.holds)).map((c) => c.header), 'the same answer, card and comment columns as the server');

  // Filter and sort.
  await fac.page.getByTestId('filter-forretningskritisk').selectOption('ja');
  await until(async () => (await fs.locator('tbody tr').count()) === 1, 'one forretningskritisk row');
  await fac.page.getByTestId('filter-forretningskritisk').selectOption('');
  await fac.page.getByTestId('filter-fag').selectOption('voksenservice');
  await until(async () => (await fs.locator('tbody tr').count()) === 2, 'two voksenservice rows');
  await fac.page.getByTestId('filter-fag').selectOption('');
  await fac.page.getByTestId('sheet-sort').selectOption('prioritet');
  await until(async () => (await fs.locator('tbody tr').first().getAttribute('data-testid')) === `sheet-row-${FOLK}`, 'sorted by priority');
  await fac.page.getByTestId('filter-loesningsscenarie').selectOption('2');
  await until(async () => (await fs.locator('tbody tr').count()) === 2, 'two rows on scenario 2');
  await fac.page.getByTestId('filter-loesningsscenarie').selectOption('');
  await fac.page.getByTestId('filter-brugsmoenster').selectOption('D');
  await until(async () => (await fs.locator('tbody tr').count()) === 1, 'one row with brugsmønster D');
  await fac.page.getByTestId('filter-brugsmoenster').selectOption('');
  await shots(fac.page, 'sheet-facilitator');
  await carl.page.setViewportSize(PHONE);
  // The first column stays put while the sheet scrolls sideways on a phone.
  const sticky = cs.getByTestId(`sheet-row-${BOLIG}`).locator('th.sticky-col');
  const x0 = (await sticky.boundingBox()).x;
  await carl.page.locator('.sheet-wrap').evaluate((el) => (el.scrollLeft = 600));
  await until(async () => Math.abs((await sticky.boundingBox()).x - x0) < 1, 'sticky first column');
  assert.ok(await carl.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'only the sheet scrolls sideways');
  await carl.page.locator('.sheet-wrap').evaluate((el) => (el.scrollLeft = 0));
  await shots(carl.page, 'sheet-participant');

  // --- prioritisation: the facilitator's rules; the participant sees them and the same order
  await fac.page.getByTestId('nav-priority').click();
  await carl.page.getByTestId('nav-priority').click();
  const order = async (page) => page.getByTestId('priority-item').evaluateAll((els) => els.map((e) => `${e.dataset.sags}:${e.dataset.omfang}`));
  const expected = [`${FOLK}:1`, `${BOLIG}:3`, `${HJAELP}:2`];
  await until(async () => JSON.stringify(await order(fac.page)) === JSON.stringify(expected), 'priority order (facilitator)');
  await until(async () => JSON.stringify(await order(carl.page)) === JSON.stringify(expected), 'priority order (participant)');
  assert.match(await fac.page.getByTestId('formula-omfang').textContent(),
    /Omfang = kompleksitet \(lav 1, middel 2, høj 3\) × brugerantal \(få 1, mellem 2, mange 3\); ≤ 2 Let, ≤ 4 Moderat, ellers Stort/);
  assert.ok(await carl.page.getByTestId('prio-faa_max').isDisabled(), 'participants see, but cannot change, the rules');
  await fac.page.getByTestId('summary-loesningsscenarie').getByTestId('sum-loesningsscenarie-2').getByText('Hjælp til forsørgelse').waitFor();
  assert.equal(await fac.page.getByTestId('sum-loesningsscenarie-2').getAttribute('data-count'), '2');
  assert.equal(await fac.page.getByTestId('sum-brugsmoenster-D').getAttribute('data-count'), '1');
  await fac.page.getByTestId('summary-kritiske').getByText('05.04 Folkeregister').waitFor();
  // Smallest clean-up first instead; then a lower "mellem" threshold makes Hjælp til forsørgelse mange (6 → 3 Stort).
  await fac.page.getByTestId('prio-omfang_foerst').selectOption('let');
  await until(async () => JSON.stringify(await order(carl.page)) === JSON.stringify([`${FOLK}:1`, `${HJAELP}:2`, `${BOLIG}:3`]), 'smallest first, on the participant\'s page');
  await fac.page.getByTestId('prio-mellem_max').fill('8');
  await until(async () => JSON.stringify(await order(carl.page)) === JSON.stringify([`${FOLK}:1`, `${BOLIG}:3`, `${HJAELP}:3`]), 'mellem_max 8');
  await carl.page.getByTestId('formula').getByText('mellem, hvis ≤ 8').waitFor();
  await shots(fac.page, 'priority');
  await shots(carl.page, 'priority-participant');
  await fac.page.getByTestId('prio-reset').click();
  await until(async () => JSON.stringify(await order(carl.page)) === JSON.stringify(expected), 'defaults again');

  // --- the decision note
  await fac.page.getByTestId('nav-note').click();
  const note = fac.page.getByTestId('note');
  await note.waitFor();
  assert.equal(await fac.page.getByTestId('note-title').textContent(), 'KMD Sag Exit – Borgerservice og Voksenservice');
  assert.match(await fac.page.getByTestId('note-date').textContent(), /Dato: \d+\. \w+ \d{4}/);
  await until(async () => (await fac.page.getByTestId('note-kritisk').allTextContents()).join('|').includes('05.04 Folkeregister'), 'forretningskritisk in the note');
  assert.deepEqual(await fac.page.getByTestId('note-prio-row').evaluateAll((els) => els.map((e) => e.dataset.sags)), [FOLK, BOLIG, HJAELP]);
  await note.getByTestId('sum-loesningsscenarie-3').getByText('Boligstøtte').waitFor();
  // Printing: window.print() is called; the print stylesheet hides the app's chrome.
  await fac.page.evaluate(() => { window.__printed = 0; window.print = () => { window.__printed++; }; });
  await fac.page.getByTestId('note-print').click();
  assert.equal(await fac.page.evaluate(() => window.__printed), 1);
  await fac.page.emulateMedia({ media: 'print' });
  assert.equal(await fac.page.locator('.topbar').isVisible(), false);
  assert.equal(await fac.page.getByTestId('note-print').isVisible(), false);
  await fac.page.emulateMedia({ media: 'screen' });
  await shots(fac.page, 'decision-note');

  // --- a review link sees the sheet read-only
  const rev = await newPage(browser, PROJECTOR);
  await rev.page.goto(room.reviewUrl.replace(/#/, '/sheet#'));
  const rs = rev.page.getByTestId('sheet');
  await until(async () => (await cell(rs, BOLIG, 'omfang').getAttribute('data-value')) === '3', 'review sees the sheet');
  assert.ok(await cell(rs, BOLIG, 'tobe-6').locator('select').isDisabled(), 'read-only for review links');
  await rev.page.getByTestId('analysis-readonly').waitFor();

  // --- a snapshot keeps the sheet as it was: taken now, then an answer changes live
  const facToken = room.facilitatorUrl.split('#')[1];
  const taken = await fetch(`${server.url}/api/rooms/${room.roomId}/snapshots`, { method: 'POST', headers: { Authorization: `Bearer ${facToken}` } });
  assert.equal(taken.status, 201);
  const { seq } = await taken.json();
  await fac.page.evaluate(([s, k]) => { const { docs, session } = window.kortvaeg; docs.writeAnswer(session.docs, s, k, 'lav'); }, [BOLIG, 'tobe-6']);
  await until(async () => (await cell(rs, BOLIG, 'omfang').getAttribute('data-value')) === '2', 'live sheet follows: lav × mange = 3 → 2 Moderat');
  await rev.page.goto(room.reviewUrl);
  await rev.page.getByTestId(`open-snapshot-${seq}`).click();
  await rev.page.getByTestId('snapshot-view-sheet').click();
  const ss = rev.page.getByTestId('snapshot-sheet');
  await until(async () => (await cell(ss, BOLIG, 'omfang').getAttribute('data-value')) === '3', "the snapshot's sheet keeps 3 Stort");
  assert.equal(await cell(ss, BOLIG, 'tobe-6').textContent(), 'Høj');
  assert.equal(await cell(ss, FOLK, 'prioritet').textContent(), '1');
  await shots(rev.page, 'review-snapshot-sheet');

  for (const p of [fac, carl, rev]) assert.deepEqual(p.errors, [], 'no page errors');
  await Promise.all([carl, rev].map((p) => p.context.close()));
});

test('console: a screening list is imported (CSV); a list with bad rows is refused with the problems per row in Danish', async () => {
  await fac.page.goto(room.facilitatorUrl);
  await fac.page.locator('[data-testid="console"][data-ready="yes"]').waitFor();
  const form = fac.page.getByTestId('import-form');
  const result = form.getByTestId('import-result');
  const upload = async (name, text) => {
    await form.getByTestId('import-file').setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(text) });
    await form.getByTestId('import-go').click();
    await result.waitFor();
  };

  // Two unreadable rows: nothing is imported, each problem is named.
  await upload('screening-fejl.csv', 'Fagområde;Sagsområde;KLE-nummer;Anvendes KMD Sag\nBeskæftigelse;;27.24;ja\nBeskæftigelse;Jobafklaring;27.30;måske\n');
  assert.equal(await result.getAttribute('data-ok'), 'no');
  assert.match(await result.textContent(), /Filen blev ikke importeret: 2 rækker i listen kan ikke læses, så intet er importeret/);
  const problems = await form.getByTestId('import-problems').locator('li').allTextContents();
  assert.deepEqual(problems, ['Række 2: sagsområde mangler', 'Række 3: "Anvendes KMD Sag" skal være ja eller nej (eller tom), ikke "måske"']);
  await shots(fac.page, 'console-import-problems');
  assert.equal(await fac.page.getByTestId('fag-beskaeftigelse').count(), 0, 'nothing imported');

  // A readable list: a new fagområde with two sagsområder; "nej" puts one outside the analysis.
  await upload('screening.csv', 'Fagområde;Sagsområde;KLE-nummer;Anvendes KMD Sag\nBeskæftigelse;Sygedagpenge;27.24;ja\nBeskæftigelse;Jobafklaring;27.30;nej\n');
  assert.equal(await result.getAttribute('data-ok'), 'yes');
  assert.match(await result.textContent(), /Screeningslisten er importeret: 2 rækker læst, 1 nye fagområder, 2 nye sagsområder, 2 svar på "Anvendes KMD Sag"/);
  await until(async () => (await fac.page.getByTestId('fag-beskaeftigelse').getByTestId('sags-item').count()) === 2, 'imported sagsområder in the set-up');
  await fac.page.getByTestId('open-sheet').click();
  const sheet = fac.page.getByTestId('sheet');
  await until(async () => (await sheet.getByTestId('sheet-row-27-30-jobafklaring').getAttribute('data-in-analysis')) === 'no', 'Jobafklaring outside the analysis');
  assert.equal(await sheet.getByTestId('sheet-row-27-24-sygedagpenge').getAttribute('data-in-analysis'), 'yes');
  assert.deepEqual(fac.errors, [], 'no page errors');
});
