// The timer belongs to a phase (issue 16 item 4): it says what it times ("Gruppearbejde: 9:59
// tilbage"), stays in view on a phone while the page scrolls, the facilitator can pause and resume
// it, and it is cleared when the phase changes (no "tiden er gået" in plenum or after group work is
// reopened). A timer of a room from before (no `timer_phase`) keeps counting as it did.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openServerAndBrowser, closeServerAndBrowser, newPage, shots, createRoom, joinAs, until, PHONE, PROJECTOR } from './harness.mjs';

let server;
let browser;
let room;
let fac;
let pia;
before(async () => {
  ({ server, browser } = await openServerAndBrowser());
  fac = await newPage(browser, PROJECTOR);
  room = await createRoom(fac.page, server.url, 'Timer-prøve');
  pia = await newPage(browser, PHONE);
  await joinAs(pia.page, room.joinUrl, 'Pia', 'borgerservice');
});
after(() => closeServerAndBrowser(server, browser));

const meta = (page) => page.evaluate(() => window.kortvaeg.session.control.doc.getMap('meta').toJSON());
const timerText = (page) => page.getByTestId('phase-timer').getAttribute('aria-label');

test('a timer says what it times, stays in view on a phone, pauses and resumes', async () => {
  await fac.page.getByTestId('timer-what').fill('Spørgsmål 1–4');
  await fac.page.getByTestId('timer-10').click();
  const m = await meta(fac.page);
  assert.equal(m.timer_phase, 'group');
  assert.equal(m.timer_label, 'Spørgsmål 1–4');
  assert.equal(m.timer_minutes, 10);
  const page = pia.page;
  await until(async () => /^Spørgsmål 1–4: (10:00|9:\d\d) tilbage$/.test(await timerText(page) ?? ''), 'the participant sees what is timed');
  assert.match(await page.getByTestId('phase-timer').innerText(), /Spørgsmål 1–4:\s*(10:00|9:\d\d)\s*tilbage/);

  // Pinned: scrolled far down the group page, the timer is still at the top of the screen.
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await until(() => page.evaluate(() => scrollY > 800), 'the page scrolled');
  const box = await page.getByTestId('phase-timer').boundingBox();
  assert.ok(box && box.y >= 50 && box.y + box.height <= 200, `the timer is in view at the top: ${JSON.stringify(box)}`);
  await page.screenshot({ path: '../target/screenshots/timer-pinned-375.png' });

  // Pause: everyone's stands still at the time left; resume counts on from there.
  await fac.page.getByTestId('timer-pause').click();
  await until(async () => (await page.getByTestId('phase-timer').getAttribute('data-state')) === 'paused', 'paused on the phone');
  const paused = await meta(fac.page);
  assert.equal(typeof paused.timer_left_ms, 'number');
  assert.equal(paused.timer_ends_at, undefined);
  const left = Math.ceil(paused.timer_left_ms / 1000);
  const shown = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
  assert.equal(await page.getByTestId('phase-timer-left').textContent(), shown, 'the time left as it was when paused');
  assert.match(await timerText(page), /sat på pause/);
  await shots(page, 'timer-paused');
  await fac.page.getByTestId('timer-add').click();
  await until(async () => (await meta(fac.page)).timer_left_ms === paused.timer_left_ms + 60_000, '+1 min while paused adds to the time left');
  await fac.page.getByTestId('timer-resume').click();
  await until(async () => (await page.getByTestId('phase-timer').getAttribute('data-state')) === 'running', 'running again');
  const resumed = await meta(fac.page);
  assert.equal(resumed.timer_left_ms, undefined);
  assert.ok(Math.abs(resumed.timer_ends_at - Date.now() - (paused.timer_left_ms + 60_000)) < 5000, 'it ends the time left from now');
  await shots(fac.page, 'timer-console');
});

test('changing the phase clears the timer: nothing over in plenum, nothing after group work reopens', async () => {
  const page = pia.page;
  await page.getByTestId('phase-timer').waitFor();
  await fac.page.getByTestId('phase-plenum').click();
  await until(async () => (await meta(fac.page)).timer_ends_at === undefined, 'the timer keys are deleted with the phase change');
  const m = await meta(fac.page);
  for (const k of ['timer_ends_at', 'timer_minutes', 'timer_phase', 'timer_label', 'timer_left_ms']) assert.equal(m[k], undefined, k);
  await page.getByTestId('wall-page').waitFor();
  assert.equal(await page.getByTestId('phase-timer').count(), 0, 'no timer on the plenum wall');
  // A timer for the plenum, then back to group work: the plenum's is cleared, and says nothing there.
  await fac.page.getByTestId('timer-5').click();
  await until(async () => /^Plenum: (5:00|4:\d\d) tilbage$/.test(await timerText(page) ?? ''), 'a plenum timer says Plenum');
  await fac.page.getByTestId('phase-group').click();
  await page.getByTestId('group-work').waitFor();
  await until(async () => (await page.getByTestId('phase-timer').count()) === 0, 'no timer in group work');
  assert.equal(await page.getByText(/tiden er gået/i).count(), 0);
});

test('a timer of another phase is not shown, one from before phases had timers still counts', async () => {
  const page = pia.page;
  // As another (older) facilitator page could leave it: a group timer while the room is in plenum.
  await fac.page.evaluate(() => {
    const { session } = window.kortvaeg;
    const m = session.control.doc.getMap('meta');
    session.control.doc.transact(() => {
      m.set('phase', 'plenum');
      m.set('timer_ends_at', Date.now() - 1000);
      m.set('timer_minutes', 5);
      m.set('timer_phase', 'group');
    });
  });
  await page.getByTestId('wall-page').waitFor();
  assert.equal(await page.getByTestId('phase-timer').count(), 0, 'the group\'s timer is not shown in plenum');
  // An old room's timer (no phase): counts in whatever phase, as before.
  await fac.page.evaluate(() => {
    const { session } = window.kortvaeg;
    const m = session.control.doc.getMap('meta');
    session.control.doc.transact(() => {
      m.delete('timer_phase');
      m.set('timer_ends_at', Date.now() + 3 * 60_000);
    });
  });
  await until(async () => /^Gruppearbejde: (3:00|2:\d\d) tilbage$/.test(await timerText(page) ?? ''), 'the old timer counts');
  await fac.page.getByTestId('phase-group').click();
  await until(async () => (await meta(fac.page)).timer_ends_at === undefined, 'cleared by the next phase change');
  assert.deepEqual(pia.errors, []);
});
