// Card text is text, never HTML; a participant cannot steer the workshop; server refusals and bad
// links are shown in plain Danish.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, newPage, shots, createRoom, joinAs, until, PHONE } from './harness.mjs';

let server;
let browser;
let room;
let fac;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  fac = await newPage(browser, { width: 1440, height: 900 });
  room = await createRoom(fac.page, server.url, 'Sikkerhed');
});
after(async () => {
  await browser?.close();
  await server?.stop();
  server?.cleanup();
});

test('a card with markup shows as literal text on the group page and the wall, and runs nothing', async () => {
  const evil = '<img src=x onerror=alert(1)>';
  const p = await newPage(browser, PHONE);
  await joinAs(p.page, room.joinUrl, '<b>Mallory</b>', 'borgerservice');
  const q = p.page.getByTestId('question-asis-7');
  await q.getByTestId('card-input').fill(evil);
  await q.getByTestId('card-add').click();
  await q.getByTestId('card-text').filter({ hasText: evil }).waitFor();
  assert.equal(await q.getByTestId('card-text').first().textContent(), evil);

  await fac.page.getByTestId('open-wall').click();
  const cell = fac.page.getByTestId('cell-asis-7-borgerservice');
  await cell.getByTestId('card-text').filter({ hasText: evil }).waitFor();
  assert.equal(await cell.getByTestId('card-text').first().textContent(), evil);
  await cell.getByText('<b>Mallory</b>').waitFor();
  assert.equal(await fac.page.locator('[data-testid="wall"] img, [data-testid="wall"] b').count(), 0, 'no element made from card text');
  assert.equal(await p.page.locator('[data-testid="group-work"] img').count(), 0);
  // Give an injected handler every chance to fire before checking: the broken image would have loaded by now.
  await fac.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  assert.deepEqual([...fac.dialogs, ...p.dialogs].filter((d) => d.type === 'alert'), [], 'no alert() ran');
  await shots(fac.page, 'xss-wall');
  await shots(p.page, 'xss-group');
  await fac.page.getByTestId('wall-back').click();
  await p.context.close();
});

test('Enter in a card\'s text is a new line; Ctrl+Enter adds it as one card', async () => {
  const p = await newPage(browser, PHONE);
  await joinAs(p.page, room.joinUrl, 'Lene', 'borgerservice');
  const q = p.page.getByTestId('question-asis-6');
  const input = q.getByTestId('card-input');
  await input.click();
  await p.page.keyboard.type('første linje');
  await p.page.keyboard.press('Enter');
  await p.page.keyboard.type('anden linje');
  assert.equal(await q.getByTestId('card-text').count(), 0, 'Enter added no card');
  await p.page.keyboard.press('Control+Enter');
  await q.getByTestId('card-text').filter({ hasText: 'anden linje' }).waitFor();
  assert.equal(await q.getByTestId('card-text').count(), 1, 'one card for the two lines');
  assert.equal(await q.getByTestId('card-text').first().innerText(), 'første linje\nanden linje');
  assert.equal(await input.inputValue(), '', 'the input is empty again');
  await p.context.close();
});

test('a participant has no controls for phase, timer, structure or snapshots; a forced phase change is refused with 4403 and shown in Danish', async () => {
  const p = await newPage(browser, PHONE);
  await joinAs(p.page, room.joinUrl, 'Mette', 'voksenservice');
  for (const id of ['phase-control', 'phase-closed', 'timer-5', 'take-snapshot', 'fag-list', 'new-fag', 'question-list', 'card-actions']) {
    assert.equal(await p.page.getByTestId(id).count(), 0, `participant page has no ${id}`);
  }
  // The facilitator's console link with a participant token is not a way in: it goes to the join page.
  const joinToken = new URL(room.joinUrl).hash;
  const q = await newPage(browser, PHONE);
  await q.page.goto(`${server.url}/room/${room.roomId}${joinToken}`);
  await q.page.waitForURL(/\/join\//);
  assert.equal(await q.page.getByTestId('phase-control').count(), 0);
  await q.context.close();

  // Forced through the page's own sync layer: the server refuses the write and closes with 4403.
  await p.page.evaluate(() => {
    const k = window.kortvaeg;
    k.schema.setPhase(k.session.control.doc, 'closed');
  });
  const problem = p.page.getByTestId('problem');
  await problem.waitFor();
  assert.equal(await problem.getAttribute('data-code'), '4403');
  assert.match(await problem.textContent(), /kun facilitator kan ændre fase/);
  // The refused change is dropped here too: the page goes on with the server's version.
  await p.page.getByTestId('conn-status').and(p.page.locator('[data-status="online"]')).waitFor();
  await until(async () => (await p.page.getByTestId('phase-banner').count()) === 0, 'local phase back to group work');
  await p.page.getByTestId('card-input').first().waitFor();
  await shots(p.page, 'participant-refused');

  // Nothing changed for anyone else: the facilitator's phase is still group work.
  assert.equal(await fac.page.getByTestId('phase-group').getAttribute('aria-pressed'), 'true');
  const fresh = await newPage(browser, PHONE);
  await joinAs(fresh.page, room.joinUrl, 'Ny', 'voksenservice');
  assert.equal(await fresh.page.getByTestId('phase-banner').count(), 0, 'the phase is still group work');

  // It is not re-sent after a reload either.
  await p.page.reload();
  await p.page.getByTestId('conn-status').and(p.page.locator('[data-status="online"]')).waitFor();
  assert.equal(await p.page.getByTestId('problem').count(), 0);
  await Promise.all([p.context.close(), fresh.context.close()]);
});

test('when the facilitator closes the workshop a participant can read but not write', async () => {
  const p = await newPage(browser, PHONE);
  await joinAs(p.page, room.joinUrl, 'Lise', 'borgerservice');
  await fac.page.getByTestId('phase-closed').click();
  await p.page.getByTestId('phase-banner').filter({ hasText: 'lukket' }).waitFor();
  await until(async () => (await p.page.getByTestId('card-input').count()) === 0, 'no card inputs while closed');
  assert.ok(await p.page.getByTestId('group-done').isDisabled());
  // Reloading while closed (the page's copy comes back from IndexedDB) is not mistaken for a write.
  await p.page.reload();
  await p.page.getByTestId('conn-status').and(p.page.locator('[data-status="online"]')).waitFor();
  await p.page.getByTestId('phase-banner').filter({ hasText: 'lukket' }).waitFor();
  assert.equal(await p.page.getByTestId('problem').count(), 0, 'no refusal after a reload');
  await shots(p.page, 'participant-closed');
  await fac.page.getByTestId('phase-group').click();
  await p.page.getByTestId('card-input').first().waitFor();
  await p.context.close();
});

test('bad links are explained in Danish: wrong token (403), missing token, unknown room (404)', async () => {
  const p = await newPage(browser, PHONE);
  await p.page.goto(`${server.url}/join/${room.roomId}#AAAAAAAAAAAAAAAAAAAAAAAA`);
  await p.page.getByTestId('page-error').filter({ hasText: 'Linket er ikke gyldigt' }).waitFor();
  await shots(p.page, 'error-bad-token');
  await p.page.goto(`${server.url}/join/${room.roomId}`);
  await p.page.getByTestId('page-error').filter({ hasText: 'mangler sin adgangsnøgle' }).waitFor();
  await p.page.goto(`${server.url}/room/doesnotexist0#AAAAAAAAAAAAAAAAAAAAAAAA`);
  await p.page.getByTestId('page-error').filter({ hasText: 'Workshoppen findes ikke' }).waitFor();
  // English on request.
  await p.page.getByTestId('lang-toggle').click();
  await p.page.getByTestId('page-error').filter({ hasText: 'This workshop does not exist' }).waitFor();
  await p.page.getByTestId('lang-toggle').click();
  await p.context.close();
});
