// Closed questions have one value: a card written with a chip answers the question in the Skema
// when it is still open, a card that disagrees says so on screen (group page and wall), and the
// Skema's answers show on the plenum wall as answer cards in their cells.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, newPage, shots, createRoom, joinAs, until, importList, PHONE, PROJECTOR } from './harness.mjs';

let server;
let browser;
let room;
let fac;
let token;
const BOLIG = '27-12-boligstoette';
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  fac = await newPage(browser, PROJECTOR);
  room = await createRoom(fac.page, server.url, 'Ét sæt svar');
  token = new URL(room.facilitatorUrl).hash.slice(1);
  await importList(server.url, room.roomId, token, 'Fagområde;Sagsområde;KLE\nBorgerservice;Boligstøtte;27.12\nBorgerservice;Pension;32.12\n');
});
after(async () => {
  await browser?.close();
  await server?.stop();
  server?.cleanup();
});

/** The room's answers as the server has them (GET /sheet). */
async function serverAnswers(sags) {
  const s = await (await fetch(`${server.url}/api/rooms/${room.roomId}/sheet`, { headers: { authorization: `Bearer ${token}` } })).json();
  return s.rows.find((r) => r.sagsomraade_id === sags)?.answers ?? {};
}

test('a chip card answers the open question; a card that disagrees says so on the phone and on the wall; Skema answers are answer cards on the wall', async () => {
  const anne = await newPage(browser, PHONE);
  await joinAs(anne.page, room.joinUrl, 'Anne', 'borgerservice');
  await anne.page.getByTestId(`sags-tab-${BOLIG}`).click();
  const q3 = anne.page.getByTestId('question-asis-3');
  // The chip "C", then the button: the card, and brugsmønster C in the Skema.
  await q3.getByRole('button', { name: 'C', exact: true }).click();
  await q3.getByTestId('card-add').click();
  await q3.getByTestId('card').filter({ hasText: 'C' }).waitFor();
  const a = await until(async () => { const x = await serverAnswers(BOLIG); return x['asis-3'] ? x : null; }, 'the answer at the server');
  assert.equal(a['asis-3'], 'C', 'the chip card set the open answer');
  // The answer records who set it: the card's author (the seat).
  const [by, author] = await anne.page.evaluate(([s]) => {
    const { docs, session } = window.kortvaeg;
    const card = docs.readRoomCards(session.docs).find((c) => c.text === 'C');
    return [docs.readRoomAnswers(session.docs)[s]?.['asis-3#by'], card?.author_id];
  }, [BOLIG]);
  assert.ok(by, 'recorded');
  assert.equal(by, author);
  assert.equal(await q3.getByTestId('card-conflict').count(), 0, 'the card agrees with the Skema');

  // A second chip card, "D": the answer stays C and the D card says the Skema disagrees.
  await q3.getByRole('button', { name: 'D', exact: true }).click();
  await q3.getByTestId('card-add').click();
  const d = q3.getByTestId('card').filter({ hasText: /^D/ });
  await d.getByTestId('card-conflict').waitFor();
  assert.match(await d.getByTestId('card-conflict').textContent(), /Skemaet siger C/);
  assert.equal((await serverAnswers(BOLIG))['asis-3'], 'C', 'a card never overwrites an answer');
  // A free text card on a closed question carries no value: no answer, no warning.
  const q5 = anne.page.getByTestId('question-asis-5');
  await q5.getByTestId('card-input').fill('Det ved vi ikke endnu');
  await q5.getByTestId('card-add').click();
  await q5.getByTestId('card').filter({ hasText: 'Det ved vi ikke endnu' }).waitFor();
  assert.equal((await serverAnswers(BOLIG))['asis-5.omfattet'], undefined);
  await shots(anne.page, 'answers-group-conflict');

  // The Skema's number of caseworkers, typed by a colleague.
  await anne.page.evaluate(([s]) => { const { docs, session } = window.kortvaeg; docs.writeAnswer(session.docs, s, 'asis-2', 12); }, [BOLIG]);

  // The wall: answer cards in their cells, the disagreeing card marked.
  await fac.page.goto(room.facilitatorUrl);
  await fac.page.getByTestId('open-wall').click();
  const cell3 = fac.page.getByTestId('cell-asis-3-borgerservice');
  const answer3 = cell3.locator(`[data-testid="answer-card"][data-sags="${BOLIG}"]`);
  await answer3.waitFor();
  assert.match(await answer3.getByTestId('answer-card-value').textContent(), /^C/);
  assert.match(await answer3.textContent(), /Boligstøtte/);
  const cell2 = fac.page.getByTestId('cell-asis-2-borgerservice');
  await until(async () => (await cell2.getByTestId('answer-card-value').textContent()) === '12', 'the number on the wall');
  assert.equal(await cell3.getByTestId('card').filter({ hasText: /^D/ }).getByTestId('card-conflict').count(), 1);
  assert.equal(await cell3.getByTestId('card').filter({ hasText: /^C/ }).getByTestId('card-conflict').count(), 0);
  // Answer cards are not free cards: they cannot be moved or merged.
  assert.equal(await answer3.getByTestId('card-actions').count(), 0);
  await shots(fac.page, 'answers-wall');

  // The facilitator settles it in the sheet: D. The D card agrees now, the C card disagrees.
  await fac.page.evaluate(([s]) => { const { docs, session } = window.kortvaeg; docs.writeAnswer(session.docs, s, 'asis-3', 'D'); }, [BOLIG]);
  await until(async () => (await cell3.getByTestId('card').filter({ hasText: /^C/ }).getByTestId('card-conflict').count()) === 1, 'the C card now disagrees');
  await until(async () => (await d.getByTestId('card-conflict').count()) === 0, 'the phone sees the D card agree');
  for (const p of [fac, anne]) assert.deepEqual(p.errors, [], 'no page errors');
  await anne.context.close();
});
