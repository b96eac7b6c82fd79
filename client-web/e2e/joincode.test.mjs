// Joining from the projector by typing a code (issue 16 item 3): the console shows the room's
// six-character code and where to type it (also on the big QR screen, which no longer shows a link
// without its key); a participant on a phone types it at `/` — in lower case, with a space — and
// joins the room; an unknown code is said in Danish; "Ny kode" retires the old one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openServerAndBrowser, closeServerAndBrowser, newPage, shots, createRoom, until, PHONE, PROJECTOR } from './harness.mjs';

let server;
let browser;
before(async () => ({ server, browser } = await openServerAndBrowser()));
after(() => closeServerAndBrowser(server, browser));

test('a participant joins by typing the code the projector shows', async () => {
  const fac = await newPage(browser, PROJECTOR);
  await createRoom(fac.page, server.url, 'Kodeværksted');
  const shown = fac.page.getByTestId('join-code');
  await shown.waitFor();
  const code = await shown.locator('[data-code]').getAttribute('data-code');
  assert.match(code, /^[A-HJKMNP-Z2-9]{6}$/);
  const host = new URL(await fac.page.getByTestId('join-link').inputValue()).host;
  assert.ok((await shown.innerText()).includes(host), `says where to type it (${host}): ${await shown.innerText()}`);
  await fac.page.getByTestId('show-qr').click();
  const big = fac.page.getByTestId('join-code-big');
  await big.waitFor();
  assert.equal(await big.locator('[data-code]').getAttribute('data-code'), code);
  await shots(fac.page, 'joincode-projector');
  await fac.page.keyboard.press('Escape');

  const phone = await newPage(browser, PHONE);
  await phone.page.goto(`${server.url}/`);
  const input = phone.page.getByTestId('join-code-input');
  await input.fill('zzzzzz');
  await phone.page.getByTestId('join-code-go').click();
  const err = phone.page.getByTestId('join-code-error');
  await err.waitFor();
  assert.match(await err.innerText(), /Ingen workshop har koden ZZZZZZ/);
  await input.fill(`${code.slice(0, 3).toLowerCase()} ${code.slice(3)}`);
  await shots(phone.page, 'joincode-start');
  await phone.page.getByTestId('join-code-go').click();
  await phone.page.waitForURL(/\/join\/[^/#]+#/);
  await phone.page.getByTestId('join-name').fill('Kim Kode');
  await phone.page.locator('[data-testid^="join-group-"]').first().check();
  await phone.page.getByTestId('join-go').click();
  await phone.page.waitForSelector('[data-testid="group-work"]');

  // A new code: the old one leads nowhere, the person stays in.
  await fac.page.getByTestId('join-code-new').click();
  await until(async () => (await fac.page.getByTestId('join-code').locator('[data-code]').getAttribute('data-code')) !== code, 'a new code');
  const old = await fetch(`${server.url}/api/join/${code}`);
  assert.equal(old.status, 404);
  await phone.page.reload();
  await phone.page.waitForSelector('[data-testid="group-work"]');
  await fac.context.close();
  await phone.context.close();
});
