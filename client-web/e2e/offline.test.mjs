// Losing the connection: the status says so, cards typed meanwhile are kept (in the page, and in
// IndexedDB when the page is closed) and reach the server when it is back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, launchBrowser, newPage, shots, createRoom, joinAs, PHONE } from './harness.mjs';

let server;
let browser;
const dataDir = mkdtempSync(join(tmpdir(), 'kortvaeg-e2e-offline-'));
before(async () => {
  server = await startServer({ dataDir });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const status = (page, s) => page.getByTestId('conn-status').and(page.locator(`[data-status="${s}"]`)).waitFor({ timeout: 20000 });

async function addCard(page, rowId, text) {
  const q = page.getByTestId(`question-${rowId}`);
  await q.getByTestId('card-input').fill(text);
  await q.getByTestId('card-add').click();
  await q.getByTestId('card-text').filter({ hasText: text }).waitFor();
}

/**
 * Resolves once every write queued so far on the room's copies in IndexedDB is committed: the
 * wall's and the group document's (where a seat's cards go in a room with group documents), with
 * the number of updates each holds.
 */
const idbFlushed = (page, roomId, group) =>
  page.evaluate((names) => Promise.all(names.map((name) => new Promise((resolve, reject) => {
    const req = indexedDB.open(name);
    req.onerror = () => reject(req.error);
    req.onsuccess = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains('updates')) { db.close(); return resolve(0); }
      const tx = db.transaction('updates', 'readonly');
      const count = tx.objectStore('updates').count();
      tx.oncomplete = () => { db.close(); resolve(count.result); };
    };
  }))), [`kortvaeg:${roomId}:wall:participant`, `kortvaeg:${roomId}:group:${group}:participant`]);

test('cards typed while the server is away are kept and synced when it returns', async () => {
  const fac = await newPage(browser, { width: 1440, height: 900 });
  const room = await createRoom(fac.page, server.url, 'Offline-prøve');
  await fac.context.close();

  const p = await newPage(browser, PHONE);
  await joinAs(p.page, room.joinUrl, 'Karin', 'borgerservice');
  await addCard(p.page, 'asis-2', 'Skrevet før afbrydelsen');
  // A second tab of the same person, closed before the server is back.
  const tab2 = await p.context.newPage();
  await tab2.goto(room.joinUrl);
  await tab2.getByTestId('group-work').waitFor();
  await status(tab2, 'online');

  const port = server.port;
  await server.stop();
  await status(p.page, 'offline');
  await status(tab2, 'offline');

  await addCard(tab2, 'asis-6', 'Skrevet offline i en fane, der blev lukket');
  const [wallUpdates, groupUpdates] = await idbFlushed(tab2, room.roomId, 'borgerservice');
  assert.ok(groupUpdates > 0, `the group document's copy holds the offline card (wall ${wallUpdates}, group ${groupUpdates})`);
  await tab2.close();
  await addCard(p.page, 'asis-7', 'Skrevet offline, mens siden var åben');
  await shots(p.page, 'offline');

  server = await startServer({ dataDir, port });
  await status(p.page, 'online');
  // The page still shows what was typed, now confirmed by the server.
  await p.page.getByTestId('question-asis-7').getByText('Skrevet offline, mens siden var åben').waitFor();
  await shots(p.page, 'reconnected');

  // The closed tab's card comes back from IndexedDB when the person opens the page again.
  const tab3 = await p.context.newPage();
  await tab3.goto(room.joinUrl);
  await tab3.getByTestId('question-asis-6').getByText('Skrevet offline i en fane, der blev lukket').waitFor();
  await status(tab3, 'online');

  // Someone else, fresh from the server, sees all three.
  const other = await newPage(browser, { width: 1440, height: 900 });
  await other.page.goto(room.facilitatorUrl.replace(/^http:\/\/[^/]+/, server.url));
  await other.page.getByTestId('open-wall').click();
  const wall = other.page.getByTestId('wall');
  for (const text of ['Skrevet før afbrydelsen', 'Skrevet offline, mens siden var åben', 'Skrevet offline i en fane, der blev lukket']) {
    await wall.getByText(text).waitFor();
  }
  assert.deepEqual(p.errors, []);
  await Promise.all([p.context.close(), other.context.close()]);
});
