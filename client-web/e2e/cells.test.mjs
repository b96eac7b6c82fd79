// One set of answers: the fixture workshop (shared/tests/fixtures/sheet-cells.json), written into a
// real room by the stock Yjs client (tests/node/load-fixture.mjs), shows on the sheet page exactly
// the cells the server's exports hold (the fixture's `expected`, which shared/tests/sheet_cells.rs
// and tests/tests/sheet.rs check for Rust): the web client's twin of the rules (src/sync/cells.ts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { startServer, launchBrowser, newPage, shots, until, CLIENT_DIR, PHONE, PROJECTOR } from './harness.mjs';

const ROOT = resolve(CLIENT_DIR, '..');
const FIXTURE_PATH = resolve(ROOT, 'shared/tests/fixtures/sheet-cells.json');
const fixture = JSON.parse(readFileSync(FIXTURE_PATH, 'utf8'));
const { expected } = fixture;

let server;
let browser;
let room;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const r = await fetch(`${server.url}/api/rooms`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Fixtur', template: fixture.template }),
  });
  assert.equal(r.status, 201);
  room = await r.json();
  const wsUrl = `${server.url.replace('http', 'ws')}/ws`;
  // `--name=value`: a token or room id may start with `-`.
  await promisify(execFile)('node', [resolve(ROOT, 'tests/node/load-fixture.mjs'), `--url=${wsUrl}`, `--room=${room.id}`,
    `--token=${room.facilitator_token}`, `--fixture=${FIXTURE_PATH}`], { timeout: 60000 });
});
after(async () => {
  await browser?.close();
  await server?.stop();
  server?.cleanup();
});

/** Every row of the sheet page: its sagsområde's name and each cell's text by column header. */
const readSheet = (page) =>
  page.evaluate(() => [...document.querySelectorAll('[data-testid="sheet"] tbody tr')].map((tr) => ({
    sags: tr.querySelector('.sheet-sags')?.textContent ?? '',
    inAnalysis: tr.getAttribute('data-in-analysis'),
    cells: Object.fromEntries([...tr.querySelectorAll('td[data-col]')].map((td) => [td.getAttribute('data-col'), td.getAttribute('data-cell') ?? ''])),
  })));

for (const viewport of [PROJECTOR, PHONE]) {
  test(`the sheet page holds the fixture's cells (${viewport.width} px)`, async () => {
    const fac = await newPage(browser, viewport);
    await fac.page.goto(`${server.url}/room/${room.id}/sheet#${room.facilitator_token}`);
    await fac.page.locator('[data-testid="analysis-sheet"][data-ready="yes"]').waitFor();
    await until(async () => (await readSheet(fac.page)).length === expected.rows.length, 'a row per sagsområde');
    const rows = await readSheet(fac.page);
    const names = ['Fagområde', 'Sagsområde', 'KLE-nummer'];
    const inAnalysis = expected.header.indexOf('I analysen');
    for (const [i, want] of expected.rows.entries()) {
      const got = rows[i];
      assert.equal(got.sags, want[1], `row ${i}: sagsområde`);
      assert.equal(got.inAnalysis === 'yes' ? 'ja' : 'nej', want[inAnalysis], `${want[1]}: I analysen`);
      for (const [c, header] of expected.header.entries()) {
        if (names.includes(header) || c === inAnalysis) continue;
        assert.ok(header in got.cells, `${want[1]}: the page has the column ${header}`);
        assert.equal(got.cells[header], want[c], `${want[1]}: ${header}`);
      }
      assert.equal(Object.keys(got.cells).length, expected.header.length - names.length - 1, `${want[1]}: no other columns`);
    }
    // The cards show as cards in their cells: Boligstøtte's As-is 7 has the answer and two cards.
    const cell = fac.page.locator('[data-testid="cell-27-12-boligstoette-asis-7"]');
    assert.deepEqual(await cell.locator('.sheet-card').allTextContents(), ['Gamle sager skal lukkes\nca. 200 sager', 'Arkivering af afsluttede sager (Voksenservice)']);
    // The chip card "C" disagrees with the Skema's B: the sheet says so (the cell's text is the card's alone).
    const chip = fac.page.getByTestId('cards-27-12-boligstoette-asis-3');
    assert.match(await chip.getByTestId('sheet-card-conflict').textContent(), /Skemaet siger B/);
    assert.equal(await fac.page.getByTestId('sheet-card-conflict').count(), 1, 'only that card disagrees');
    // Two cards belong to no sagsområde: the page says so.
    assert.equal(await fac.page.getByTestId('sheet-unplaced').getAttribute('data-ids'), expected.unplaced.join(' '));
    await shots(fac.page, `sheet-cells-${viewport.width}`);
    assert.deepEqual(fac.errors, [], 'no page errors');
    await fac.context.close();
  });
}
