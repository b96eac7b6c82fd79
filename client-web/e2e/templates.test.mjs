// The seed matrices as templates (issue 16 item 8): the implementation plan of seed 003 (tasks ×
// Ansvarlig, Udfører, Startdato, Slutdato, Status) and the FBS project organisation of seed 001
// (roles × persons and tasks) are offered on the start page, and a workshop made from each shows
// its matrix on the plenum wall, on a phone and on a projector.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openServerAndBrowser, closeServerAndBrowser, newPage, shots, createRoom, until, PROJECTOR } from './harness.mjs';

let server;
let browser;
before(async () => ({ server, browser } = await openServerAndBrowser()));
after(() => closeServerAndBrowser(server, browser));

const cases = [
  { id: 'implementeringsplan', columns: ['Ansvarlig', 'Udfører', 'Startdato', 'Slutdato', 'Status'], row: 'Dialogmøde/kick-off på udrulning' },
  { id: 'fbs-projektorganisation', columns: ['Navngivne personer', 'Opgaver og ansvar'], row: 'Projektleder' },
];

for (const c of cases) {
  test(`a workshop from ${c.id} shows its matrix`, async () => {
    const { page } = await newPage(browser, PROJECTOR);
    const room = await createRoom(page, server.url, `Skabelon ${c.id}`, c.id);
    await page.goto(room.facilitatorUrl.replace(`/room/${room.roomId}#`, `/room/${room.roomId}/wall#`));
    await page.getByTestId('wall-page').waitFor();
    // The matrix comes with the control document, after the page.
    const wanted = [...c.columns, c.row].map((l) => l.toLowerCase());
    const text = await until(async () => {
      const shown = (await page.getByTestId('wall').innerText()).toLowerCase();
      return wanted.every((l) => shown.includes(l)) && shown;
    }, `the wall shows ${wanted.join(', ')}`);
    assert.ok(wanted.every((l) => text.includes(l)));
    await shots(page, `templates-${c.id}`);
    await page.context().close();
  });
}
