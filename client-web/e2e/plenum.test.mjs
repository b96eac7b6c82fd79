// The plenum view for a projector (issue 16 item 2): "Tilpas til skærm" fits the whole matrix of a
// 15-question × 4-fagområde room with cards on a 1920×1080 screen, with the card text at least
// MIN_LEGIBLE_PX (12 px on the screen); one question at a time (← →); filters by fagområde and by
// sagsområde; the choices kept on the device. Participants' pages follow the phase: the wall in
// plenum (their group marked) with "Tilbage til gruppearbejdet", and the group page again in group work.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openServerAndBrowser, closeServerAndBrowser, newPage, shots, createRoom, joinAs, importList, until, PHONE, PROJECTOR } from './harness.mjs';

const MIN_LEGIBLE_PX = 12;
let server;
let browser;
let room;
let fac;
before(async () => {
  ({ server, browser } = await openServerAndBrowser());
  fac = await newPage(browser, PROJECTOR);
  room = await createRoom(fac.page, server.url, 'Plenum på projektoren');
  const token = new URL(room.facilitatorUrl).hash.slice(1);
  await importList(server.url, room.roomId, token, 'Fagområde;Sagsområde;KLE\nBorgerservice;Boligstøtte;27.12\nBorgerservice;Pas;23.05\n');
  await until(() => fac.page.evaluate(() => window.kortvaeg.schema.readColumns(window.kortvaeg.session.control.doc)[0].sagsomraader.length === 2), 'the imported sagsområder');
  // 15 questions (the template's 8 and 7 more), and cards in every cell: one or two each.
  await fac.page.evaluate(() => {
    const { session, schema, docs } = window.kortvaeg;
    const control = session.control.doc;
    for (let i = schema.readRows(control).length + 1; i <= 15; i++) schema.addRow(control, `Ekstra spørgsmål nummer ${i} om sagsområdet`);
    const rows = schema.readRows(control);
    const cols = schema.readColumns(control);
    rows.forEach((r, i) => cols.forEach((c, j) => {
      const n = (i + j) % 3 === 0 ? 2 : 1;
      for (let k = 0; k < n; k++) {
        const sags = c.sagsomraader[k % Math.max(1, c.sagsomraader.length)] ?? null;
        docs.addRoomCard(session.docs, {
          row: r.id, column: c.id, text: `${c.label}: svar ${k + 1} på spørgsmål ${r.number}`, sagsomraade: sags,
          author: 'Facilitator', author_id: 'fac', group: c.label, created_at: Date.now(),
        }, 'wall');
      }
    }));
  });
  await fac.page.getByTestId('open-wall').click();
  await fac.page.getByTestId('wall').waitFor();
  await until(async () => (await fac.page.getByTestId('card').count()) >= 75, 'the cards on the wall');
});
after(() => closeServerAndBrowser(server, browser));

/** Every row's box (and the header's) against the viewport; the card text's size on the screen. */
const measure = (page) => page.evaluate(() => {
  const wall = document.querySelector('[data-testid="wall"]');
  const zoom = wall.currentCSSZoom ?? 1;
  const boxes = [...wall.querySelectorAll('.wall-rowhead, .wall-corner')].map((el) => {
    const cells = [el, ...(el.closest('[role="row"]')?.querySelectorAll('[role="cell"], [role="columnheader"]') ?? [])];
    const rs = cells.map((c) => c.getBoundingClientRect());
    return { top: Math.min(...rs.map((r) => r.top)), bottom: Math.max(...rs.map((r) => r.bottom)), left: Math.min(...rs.map((r) => r.left)), right: Math.max(...rs.map((r) => r.right)) };
  });
  const text = wall.querySelector('.card-text');
  const cardPx = parseFloat(getComputedStyle(text).fontSize) * text.currentCSSZoom;
  const labelEl = wall.querySelector('.wall-rowlabel');
  const labelPx = parseFloat(getComputedStyle(labelEl).fontSize) * labelEl.currentCSSZoom;
  const tools = document.querySelector('[data-testid="room-tools"]')?.getBoundingClientRect();
  return { boxes, rows: wall.querySelectorAll('.wall-rowhead').length, cardPx, labelPx, zoom, vw: innerWidth, vh: innerHeight, toolsTop: tools?.top ?? innerHeight };
});

test('"Tilpas til skærm" fits all 15 rows × 4 columns on 1920×1080, card text at least 12 px', async () => {
  const page = fac.page;
  const before = await measure(page);
  assert.equal(before.rows, 15);
  assert.ok(before.boxes.some((b) => b.bottom > before.vh), 'without fitting the wall does not fit (else this test proves nothing)');
  await page.getByTestId('wall-fit').click();
  assert.equal(await page.getByTestId('wall-fit').getAttribute('aria-pressed'), 'true');
  await until(async () => Number(await page.getByTestId('wall-page').getAttribute('data-fit-zoom')) < 1, 'the wall scaled down');
  await page.screenshot({ path: '../target/screenshots/plenum-fit-1920.png' });
  const m = await measure(page);
  assert.equal(m.rows, 15);
  for (const [i, b] of m.boxes.entries()) {
    assert.ok(b.top >= 0 && b.bottom <= m.vh && b.left >= 0 && b.right <= m.vw, `row ${i} inside 1920×1080: ${JSON.stringify(b)}`);
    assert.ok(b.bottom <= m.toolsTop + 1, `row ${i} not under the room tools: ${JSON.stringify(b)}, tools from ${m.toolsTop}`);
  }
  assert.ok(m.cardPx >= MIN_LEGIBLE_PX, `card text ${m.cardPx.toFixed(1)} px on the screen (zoom ${m.zoom})`);
  assert.ok(m.labelPx >= MIN_LEGIBLE_PX, `question text ${m.labelPx.toFixed(1)} px on the screen`);
  assert.equal(await page.getByTestId('wall-fit-small').count(), 0, 'no "too big to fit" note');
  assert.match(await page.getByTestId('wall-zoom-level').textContent(), /^Zoom \d+ %$/);

  // Kept on the device: a reload opens the wall fitted again.
  await page.reload();
  await page.getByTestId('wall').waitFor();
  await until(async () => (await page.getByTestId('wall-fit').getAttribute('aria-pressed')) === 'true', 'fit kept after a reload');
  await until(async () => Number(await page.getByTestId('wall-page').getAttribute('data-fit-zoom')) < 1, 'fitted after the reload');
  // A− / A+ is choosing a size oneself: fitting stops.
  await page.getByTestId('wall-zoom-in').click();
  assert.equal(await page.getByTestId('wall-fit').getAttribute('aria-pressed'), 'false');
  await page.getByTestId('wall-zoom-out').click();
});

test('one question at a time: ← and → between the 15 questions, the wall shows that row only', async () => {
  const page = fac.page;
  await page.getByTestId('wall-one').click();
  assert.equal(await page.getByTestId('wall-one').getAttribute('aria-pressed'), 'true');
  const rowIds = () => page.locator('[data-testid="wall"] [data-row-id]').evaluateAll((els) => els.map((e) => e.dataset.rowId));
  assert.deepEqual(await rowIds(), ['asis-1']);
  assert.equal(await page.getByTestId('one-pos').textContent(), 'Spørgsmål 1 af 15');
  assert.equal(await page.getByTestId('one-prev').isDisabled(), true);
  await page.locator('body').press('ArrowRight');
  await until(async () => (await rowIds())[0] === 'asis-2', 'ArrowRight goes to question 2');
  await page.getByTestId('one-next').click();
  await until(async () => (await rowIds())[0] === 'asis-3', 'the → button goes to question 3');
  await page.locator('body').press('ArrowLeft');
  await until(async () => (await page.getByTestId('one-pos').textContent()) === 'Spørgsmål 2 af 15', 'ArrowLeft back to 2');
  // Fitted, one question fills the screen with larger text.
  if ((await page.getByTestId('wall-fit').getAttribute('aria-pressed')) !== 'true') await page.getByTestId('wall-fit').click();
  await until(async () => Number(await page.getByTestId('wall-page').getAttribute('data-fit-zoom')) > 1, 'one question scaled up');
  const m = await measure(page);
  assert.ok(m.cardPx > 20, `one question's cards are large: ${m.cardPx.toFixed(1)} px`);
  await shots(page, 'plenum-one-question');
  await page.setViewportSize(PROJECTOR);
  await page.getByTestId('wall-one').click();
  await page.getByTestId('wall-fit').click();
});

test('filters: one fagområde, and one sagsområde hides the others\' cards; both kept on the device', async () => {
  const page = fac.page;
  await page.getByTestId('fag-filter').selectOption('borgerservice');
  const heads = () => page.locator('[data-testid="wall"] [data-column-id]').evaluateAll((els) => els.map((e) => e.dataset.columnId));
  await until(async () => JSON.stringify(await heads()) === '["borgerservice"]', 'only Borgerservice');
  const sags = await page.evaluate(() => window.kortvaeg.schema.readColumns(window.kortvaeg.session.control.doc).find((c) => c.id === 'borgerservice').sagsomraader);
  assert.equal(sags.length, 2);
  const all = await page.getByTestId('card').count();
  await page.getByTestId('sags-focus').selectOption(sags[0].id);
  const dimmed = await until(() => page.locator('[data-testid="card"][data-dim="yes"]').count(), 'the other sagsområde dimmed first');
  assert.ok(dimmed < all, 'the sagsområde in focus keeps its cards');
  await page.getByTestId('only-sags').check();
  await until(async () => (await page.getByTestId('card').count()) === all - dimmed, 'the other sagsområde\'s cards are left out');
  assert.equal(await page.locator('[data-testid="card"][data-dim="yes"]').count(), 0);
  await shots(page, 'plenum-filtered');
  await page.setViewportSize(PROJECTOR);
  await page.reload();
  await page.getByTestId('wall').waitFor();
  await until(async () => JSON.stringify(await heads()) === '["borgerservice"]', 'the fagområde filter is kept after a reload');
  await page.getByTestId('fag-filter').selectOption('');
  await page.getByTestId('sags-focus').selectOption('');
  await until(async () => (await heads()).length === 4, 'every fagområde again');
});

test('participants follow the phase: the wall in plenum with their group marked, and a way back', async () => {
  const pia = await newPage(browser, PHONE);
  await joinAs(pia.page, room.joinUrl, 'Pia Dorte Sørensen-Kristiansen (fjern, Teams)', 'voksenservice');
  const page = pia.page;
  await page.getByTestId('group-work').waitFor();
  await fac.page.getByTestId('wall-back').click();
  await fac.page.getByTestId('phase-plenum').click();
  // The page becomes the wall, by itself.
  await page.getByTestId('wall-page').waitFor();
  assert.equal(await page.getByTestId('group-work').count(), 0);
  // A phone shows one fagområde: the participant's own first? It shows the tabs; the own column is marked wherever it is.
  await page.getByRole('tab', { name: 'Voksenservice' }).click();
  const own = page.locator('[data-testid="wall"] [data-column-id="voksenservice"]');
  assert.equal(await own.getAttribute('data-own'), 'yes');
  assert.equal(await own.getByTestId('wall-own').textContent(), 'Din gruppe');
  await shots(page, 'plenum-participant-wall');
  const wide = await newPage(browser, PROJECTOR);
  await wide.page.goto(room.joinUrl);
  await wide.page.getByTestId('join-name').fill('Ole');
  await wide.page.getByTestId('join-group-beskaeftigelse').check();
  await wide.page.getByTestId('join-go').click();
  await wide.page.getByTestId('wall-page').waitFor();
  assert.equal(await wide.page.locator('[data-column-id="beskaeftigelse"]').getAttribute('data-own'), 'yes');
  assert.equal(await wide.page.locator('[data-column-id="borgerservice"]').getAttribute('data-own'), 'no');
  await wide.page.screenshot({ path: '../target/screenshots/plenum-participant-wall-1920.png' });

  // "Tilbage til gruppearbejdet", and from there back to the wall.
  await page.getByTestId('back-to-group').click();
  await page.getByTestId('group-work').waitFor();
  await page.getByTestId('to-wall-bar').waitFor();
  await shots(page, 'plenum-participant-back');
  await page.getByTestId('to-wall').click();
  await page.getByTestId('wall-page').waitFor();

  // Group work again: the group page, without the bar; plenum again: the wall.
  await fac.page.getByTestId('phase-group').click();
  await page.getByTestId('group-work').waitFor();
  assert.equal(await page.getByTestId('to-wall-bar').count(), 0);
  await wide.page.getByTestId('group-work').waitFor();
  await fac.page.getByTestId('phase-plenum').click();
  await page.getByTestId('wall-page').waitFor();
  await fac.page.getByTestId('phase-group').click();
  await page.getByTestId('group-work').waitFor();
  assert.deepEqual(pia.errors, []);
  await Promise.all([pia.context.close(), wide.context.close()]);
});

test('names: long fagområde and sagsområde names wrap in the console, initials are letters only', async () => {
  const page = fac.page;
  await page.goto(room.facilitatorUrl);
  await page.waitForSelector('[data-testid="console"][data-ready="yes"]');
  const long = 'Social- og Sundhedsforvaltningen, Myndighedsafdelingen for Voksne med Særlige Behov (Handicap og Psykiatri)';
  await page.getByTestId('new-fag').fill(long);
  await page.getByTestId('add-fag').click();
  const fag = page.locator(`[data-fag-label="${long}"]`);
  await fag.waitFor();
  await fag.getByTestId('new-sags-kle').fill('27.24');
  await fag.getByTestId('new-sags-label').fill('Botilbud og bostøtte efter servicelovens §§ 85, 107 og 108 (længerevarende og midlertidige)');
  await fag.getByTestId('add-sags').click();
  await fag.getByTestId('sags-item').waitFor();
  // Every character of both names is on the screen: the fields grow instead of cutting the text.
  const cut = await fag.locator('textarea.input-wrap').evaluateAll((els) => els.map((e) => ({ v: e.value.length, cut: e.scrollHeight > e.clientHeight + 2 || e.scrollWidth > e.clientWidth + 2, lines: Math.round(e.clientHeight / parseFloat(getComputedStyle(e).lineHeight)) })));
  assert.equal(cut.length, 2, JSON.stringify(cut));
  for (const c of cut) assert.equal(c.cut, false, `not cut: ${JSON.stringify(cut)}`);
  assert.ok(cut.some((c) => c.lines >= 2), `a long name wraps onto several lines: ${JSON.stringify(cut)}`);
  await fag.scrollIntoViewIfNeeded();
  await page.screenshot({ path: '../target/screenshots/names-console-1920.png' });
  await page.setViewportSize(PHONE);
  await fag.scrollIntoViewIfNeeded();
  for (const c of await fag.locator('textarea.input-wrap').evaluateAll((els) => els.map((e) => e.scrollHeight > e.clientHeight + 2))) assert.equal(c, false, 'not cut on a phone either');
  await page.screenshot({ path: '../target/screenshots/names-console-375.png' });
  await page.setViewportSize(PROJECTOR);
  // Enter still commits a rename (one line), and the name reaches the wall's column head whole.
  const name = fag.locator('.fag-head textarea');
  await name.fill(`${long} – Nord`);
  await name.press('Enter');
  await until(() => page.evaluate((l) => window.kortvaeg.schema.readColumns(window.kortvaeg.session.control.doc).some((c) => c.label === l), `${long} – Nord`), 'renamed');
  // Initials in the presence list: letters only ("Pia … (fjern, Teams)" joined earlier is gone; a new one).
  const dorte = await newPage(browser, PHONE);
  await joinAs(dorte.page, room.joinUrl, 'Dorte (fjern, Teams)', 'borgerservice');
  await until(async () => (await page.getByTestId('presence-list').getByTestId('presence').filter({ hasText: 'Dorte' }).count()) === 1, 'Dorte in the console');
  assert.equal(await page.getByTestId('presence-list').getByTestId('presence').filter({ hasText: 'Dorte' }).locator('.avatar-dot').textContent(), 'DT');
  await dorte.context.close();
});
