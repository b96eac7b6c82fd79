// Honest connection state (issue 16 item 5): offline is shown within 2 s of the network dropping —
// the browser's offline event, and the liveness probe for a network that goes silent without the
// browser knowing (here: the server process paused with SIGSTOP, its sockets open and mute) — and
// a gone person's "… skriver" disappears at once, on their page and on the others'.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openServerAndBrowser, closeServerAndBrowser, newPage, shots, createRoom, joinAs, until, PHONE, PROJECTOR } from './harness.mjs';

let server;
let browser;
let room;
let anne;
let bo;
before(async () => {
  ({ server, browser } = await openServerAndBrowser());
  const fac = await newPage(browser, PROJECTOR);
  room = await createRoom(fac.page, server.url, 'Forbindelse');
  await fac.context.close();
  anne = await newPage(browser, PHONE);
  bo = await newPage(browser, PHONE);
  await joinAs(anne.page, room.joinUrl, 'Anne', 'borgerservice');
  await joinAs(bo.page, room.joinUrl, 'Bo', 'borgerservice');
});
after(async () => {
  if (server?.pid) try { process.kill(server.pid, 'SIGCONT'); } catch { /* gone */ }
  await closeServerAndBrowser(server, browser);
});

const status = (page) => page.getByTestId('conn-status').getAttribute('data-status');
const typing = (page, row) => page.getByTestId(`question-${row}`).getByTestId('typing');
/** Resolves with how long it took until the page's status pill says `s`. */
async function timeUntil(page, s, since) {
  await until(async () => (await status(page)) === s, `status ${s}`, 10000);
  return Date.now() - since;
}

test('the browser going offline: "Offline" within 2 s, and nobody\'s "… skriver" stays on either side', async () => {
  await until(async () => (await status(anne.page)) === 'online' && (await status(bo.page)) === 'online', 'both online');
  // Each types in a question: the other sees it.
  await bo.page.getByTestId('question-asis-2').getByTestId('card-input').fill('Bo skriver her');
  await anne.page.getByTestId('question-asis-3').getByTestId('card-input').fill('Anne skriver her');
  const typedAt = Date.now();
  await until(async () => (await typing(anne.page, 'asis-2').textContent().catch(() => '')) === 'Bo skriver…', 'Anne sees Bo typing');
  await until(async () => (await typing(bo.page, 'asis-3').textContent().catch(() => '')) === 'Anne skriver…', 'Bo sees Anne typing');

  const t0 = Date.now();
  await anne.context.setOffline(true);
  const took = await timeUntil(anne.page, 'offline', t0);
  assert.ok(took <= 2000, `offline shown after ${took} ms`);
  assert.equal(await typing(anne.page, 'asis-2').count(), 0, 'Anne\'s page no longer says Bo is typing');
  // On Bo's page: the server has not noticed yet (its pings take up to two intervals), but her
  // "skriver" is no longer renewed, so it goes within TYPING_FRESH_MS (4 s) of her last keystroke.
  await until(async () => (await typing(bo.page, 'asis-3').count()) === 0, 'Bo no longer sees Anne typing', 4000 - (Date.now() - typedAt) + 1500);
  assert.equal(await anne.page.getByTestId('question-asis-3').getByTestId('card-input').inputValue(), 'Anne skriver her', 'what she typed is kept');
  await shots(anne.page, 'connection-offline');

  await anne.context.setOffline(false);
  await timeUntil(anne.page, 'online', Date.now());
  // Back, her presence is back, but not her "skriver" (she is not typing now).
  await until(async () => (await bo.page.getByTestId('presence').count()) >= 2, 'Anne is back in Bo\'s group list');
  assert.equal(await typing(bo.page, 'asis-3').count(), 0);
  assert.deepEqual(anne.errors, []);
});

test('a network that goes silent (no event in the browser): "Offline" within 2 s, then back', async () => {
  await until(async () => (await status(anne.page)) === 'online' && (await status(bo.page)) === 'online', 'both online');
  const t0 = Date.now();
  process.kill(server.pid, 'SIGSTOP');
  try {
    const [a, b] = await Promise.all([timeUntil(anne.page, 'offline', t0), timeUntil(bo.page, 'offline', t0)]);
    assert.ok(a <= 2000 && b <= 2000, `offline shown after ${a} and ${b} ms`);
    await shots(bo.page, 'connection-silent');
  } finally {
    process.kill(server.pid, 'SIGCONT');
  }
  await Promise.all([timeUntil(anne.page, 'online', Date.now()), timeUntil(bo.page, 'online', Date.now())]);
  // Still working: a card from Bo reaches Anne.
  const q = bo.page.getByTestId('question-asis-4');
  await q.getByTestId('card-input').fill('Efter afbrydelsen');
  await q.getByTestId('card-add').click();
  await anne.page.getByTestId('question-asis-4').getByText('Efter afbrydelsen').waitFor();
  assert.deepEqual(bo.errors, []);
});

test('a page that closes: its "… skriver" goes at once on the others\' pages', async () => {
  const cai = await newPage(browser, PHONE);
  await joinAs(cai.page, room.joinUrl, 'Cai', 'borgerservice');
  const input = cai.page.getByTestId('question-asis-5').getByTestId('card-input');
  await input.fill('Cai');
  await until(async () => (await typing(anne.page, 'asis-5').textContent().catch(() => '')) === 'Cai skriver…', 'Anne sees Cai typing');
  // Typing on: renewed, it stays (past TYPING_FRESH_MS).
  for (let i = 0; i < 6; i++) {
    await input.press('x');
    await until(async () => (await typing(anne.page, 'asis-5').count()) === 1, 'still typing');
    // A person's typing pace: the time is what is tested here (longer than TYPING_FRESH_MS in all), not a wait for an event.
    await new Promise((r) => setTimeout(r, 800));
  }
  const t0 = Date.now();
  await cai.context.close();
  await until(async () => (await typing(anne.page, 'asis-5').count()) === 0, 'Cai\'s typing gone', 3000);
  const took = Date.now() - t0;
  assert.ok(took < 1500, `gone after ${took} ms`);
});

test('a quiet, healthy connection stays "Forbundet": the probe does not flap', async () => {
  await until(async () => (await status(anne.page)) === 'online', 'online');
  // Watch the status for a while in the page itself (every change recorded), nothing else happening.
  const seen = await anne.page.evaluate(() => new Promise((resolve) => {
    const pill = document.querySelector('[data-testid="conn-status"]');
    const states = new Set([pill.dataset.status]);
    const obs = new MutationObserver(() => states.add(document.querySelector('[data-testid="conn-status"]').dataset.status));
    obs.observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-status'] });
    setTimeout(() => { obs.disconnect(); resolve([...states]); }, 5000);
  }));
  assert.deepEqual(seen, ['online']);
});
