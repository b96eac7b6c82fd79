// Roll back: the facilitator restores the wall to a snapshot from the review page, after a
// confirmation; everyone's wall follows live, the state before is kept as a new snapshot, and a
// review link has no restore button (the server refuses it too).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openServerAndBrowser, closeServerAndBrowser, newPage, shots, createRoom, until, PHONE, PROJECTOR } from './harness.mjs';

let server;
let browser;
before(async () => ({ server, browser } = await openServerAndBrowser()));
after(() => closeServerAndBrowser(server, browser));

const cardIds = (page) => page.evaluate(() => [...window.kortvaeg.session.wall.doc.getMap('cards').keys()].sort());
const addCard = (page, id, text) =>
  page.evaluate(([id, text]) => {
    const { doc } = window.kortvaeg.session.wall;
    const Map = doc.getMap('cards').constructor;
    const m = new Map();
    m.set('row', 'asis-1');
    m.set('column', 'borgerservice');
    m.set('text', text);
    m.set('created_at', Date.now());
    doc.getMap('cards').set(id, m);
  }, [id, text]);

test('the facilitator restores a snapshot; the wall follows for everyone and the restore can be undone', async () => {
  const fac = await newPage(browser, PROJECTOR);
  const room = await createRoom(fac.page, server.url, 'Rul tilbage');
  const token = new URL(room.facilitatorUrl).hash.slice(1);
  await addCard(fac.page, 'a', 'Før snapshot');
  await until(async () => (await fetch(`${server.url}/api/rooms/${room.roomId}/snapshots`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status === 201, 'a snapshot');
  await addCard(fac.page, 'b', 'Efter snapshot');

  // The live wall on another device (a phone).
  const watcher = await newPage(browser, PHONE);
  await watcher.page.goto(`${server.url}/room/${room.roomId}/wall#${token}`);
  await watcher.page.waitForFunction(() => window.kortvaeg?.session?.wall?.doc.getMap('cards').size === 2);

  await fac.page.goto(`${server.url}/room/${room.roomId}/review#${token}`);
  await fac.page.getByTestId('restore-snapshot-1').click();
  await fac.page.getByTestId('restored').waitFor();
  assert.equal(fac.dialogs.at(-1)?.type, 'confirm', 'asked first');
  assert.match(await fac.page.getByTestId('restored').textContent(), /snapshot 1.*snapshot 2/);
  await until(async () => JSON.stringify(await cardIds(watcher.page)) === '["a"]', 'the watcher sees the snapshot');
  await shots(fac.page, 'review-restored');

  // Undone: snapshot 2 holds the wall as it was before the restore.
  await fac.page.getByTestId('restore-snapshot-2').click();
  await until(async () => JSON.stringify(await cardIds(watcher.page)) === '["a","b"]', 'the restore undone');

  // A review link: no button.
  const rev = await newPage(browser, PROJECTOR);
  await rev.page.goto(room.reviewUrl);
  await rev.page.getByTestId('snapshot-1').waitFor();
  assert.equal(await rev.page.getByTestId('restore-snapshot-1').count(), 0);
  for (const p of [fac, watcher, rev]) assert.deepEqual(p.errors, [], 'no page errors');
  await Promise.all([fac, watcher, rev].map((p) => p.context.close()));
});
