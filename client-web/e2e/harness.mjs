// Test harness: starts the real kortvaeg binary on a free port with a fresh data dir, launches
// Debian's Chromium through playwright-core (never a downloaded browser), and saves screenshots.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const CLIENT_DIR = resolve(here, '..');
export const WEB_DIR = join(CLIENT_DIR, 'dist');
export const BIN = process.env.KORTVAEG_BIN || resolve(CLIENT_DIR, '../target/debug/kortvaeg');
export const SHOTS = resolve(CLIENT_DIR, '../target/screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Polls `fn` until it returns a truthy value; fails with `what` after `timeout` ms. */
export async function until(fn, what, timeout = 15000) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${last})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts kortvaeg; `port` 0 picks a free one. Resolves once it logs where it listens. */
export async function startServer({ dataDir, port = 0, args = [] } = {}) {
  if (!existsSync(BIN)) throw new Error(`kortvaeg binary not found at ${BIN} (cargo build --bin kortvaeg, or set KORTVAEG_BIN)`);
  if (!existsSync(join(WEB_DIR, 'index.html'))) throw new Error(`no build in ${WEB_DIR}: run npm run build first`);
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'kortvaeg-e2e-'));
  const proc = spawn(BIN, ['--port', String(port), '--data-dir', dir, '--web-dir', WEB_DIR, ...args], {
    env: { ...process.env, NO_COLOR: '1', RUST_LOG: process.env.RUST_LOG ?? 'kortvaeg=info,warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`kortvaeg did not start:\n${log}`)), 20000);
    const onData = (chunk) => {
      log += chunk.toString();
      // eslint-disable-next-line no-control-regex
      const m = log.replace(/\x1b\[[0-9;]*m/g, '').match(/listening on (http:\/\/[\d.]+:(\d+))/);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kortvaeg exited (${code}):\n${log}`));
    });
  });
  proc.removeAllListeners('exit');
  const port_ = Number(new URL(url).port);
  return {
    url,
    port: port_,
    /** The server's process id (a test may pause it with SIGSTOP: a network that goes silent). */
    pid: proc.pid,
    dataDir: dir,
    log: () => log,
    async stop() {
      if (proc.exitCode !== null) return;
      const done = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(t);
    },
    cleanup() {
      if (!dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser(extraArgs = []) {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', ...extraArgs],
  });
}

/** The real server and Chromium for a test file: `before(async () => ({ server, browser } = await openServerAndBrowser()))`. */
export async function openServerAndBrowser(options) {
  const server = await startServer(options);
  return { server, browser: await launchBrowser() };
}

/** Closes what `openServerAndBrowser` opened (either may be missing when it failed). */
export async function closeServerAndBrowser(server, browser) {
  await browser?.close();
  await server?.stop();
  server?.cleanup();
}

export const PHONE = { width: 375, height: 812 };
export const PROJECTOR = { width: 1920, height: 1080 };

/** A fresh browser context (own storage, own IndexedDB) and page. Records dialogs and page errors. */
export async function newPage(browser, viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport, locale: 'da-DK', permissions: [] });
  const page = await context.newPage();
  page.setDefaultTimeout(12000);
  const dialogs = [];
  const errors = [];
  page.on('dialog', async (d) => {
    dialogs.push({ type: d.type(), message: d.message() });
    if (d.type() === 'confirm') await d.accept();
    else await d.dismiss();
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return { context, page, dialogs, errors };
}

/** Saves `name` at 375 px (phone) and 1920 px (projector), then restores the viewport. */
export async function shots(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  const before = page.viewportSize();
  for (const vp of [PHONE, PROJECTOR]) {
    await page.setViewportSize(vp);
    await page.evaluate(() => new Promise((r) => { window.scrollTo(0, 0); requestAnimationFrame(() => requestAnimationFrame(r)); }));
    await page.screenshot({ path: join(SHOTS, `${name}-${vp.width}.png`) });
    if (vp.width < 1000) await page.screenshot({ path: join(SHOTS, `${name}-${vp.width}-full.png`), fullPage: true });
  }
  if (before) await page.setViewportSize(before);
}

/** Creates a room through the start page and returns its console page and links. */
export async function createRoom(page, base, title, template = 'kmd-sag-exit-as-is') {
  await page.goto(`${base}/`);
  await page.getByTestId('room-title-input').fill(title);
  await page.getByTestId(`template-${template}`).check();
  await page.getByTestId('create-room').click();
  await page.waitForURL(/\/room\/[^/#]+#.+/);
  await page.waitForSelector('[data-testid="console"][data-ready="yes"]');
  const joinUrl = await page.getByTestId('join-link').inputValue();
  const facilitatorUrl = await page.getByTestId('facilitator-link').inputValue();
  const reviewUrl = await page.getByTestId('review-link').inputValue();
  const roomId = new URL(page.url()).pathname.split('/')[2];
  return { joinUrl, facilitatorUrl, reviewUrl, roomId };
}

/** A participant joins by the link: name, group, and lands on the group page. */
export async function joinAs(page, joinUrl, name, groupId) {
  await page.goto(joinUrl);
  await page.getByTestId('join-name').fill(name);
  await page.getByTestId(`join-group-${groupId}`).check();
  await page.getByTestId('join-go').click();
  await page.waitForSelector(`[data-testid="group-work"][data-group="${groupId}"]`);
}

/** Imports a screening list (CSV) into a room as its facilitator (`POST /api/rooms/{id}/import`); fails unless 200. */
export async function importList(base, roomId, token, csv) {
  const r = await fetch(`${base}/api/rooms/${roomId}/import`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' }, body: csv,
  });
  if (r.status !== 200) throw new Error(`import: HTTP ${r.status}: ${await r.text()}`);
}
