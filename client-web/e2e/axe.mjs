// axe-core in Chromium: runs the WCAG 2.1 A/AA rules (and axe's best practices) on the page as it is
// now and writes the result to target/axe/<name>.json.
//
// The server's Content-Security-Policy forbids inline scripts, so `page.addScriptTag({content})` is
// refused. `page.evaluate(axe.source)` runs the source through the DevTools protocol instead: it is
// not a script element, the CSP does not apply, and the page under test keeps its real CSP (no
// `bypassCSP`, which would also hide a CSP regression from the other checks).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import axe from 'axe-core';
import { CLIENT_DIR } from './harness.mjs';

export const AXE_DIR = resolve(CLIENT_DIR, '../target/axe');

/**
 * Runs axe on `page` (optionally only inside `selector`, e.g. an open dialog) and saves
 * `target/axe/<name>.json`. `label-content-name-mismatch` is one of axe's experimental rules (off by
 * default); WCAG 2.5.3 is AA, so it is switched on. Returns the violations.
 */
export async function runAxe(page, name, selector) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axe.source);
  const result = await page.evaluate(async (sel) => {
    const r = await window.axe.run(sel ? document.querySelector(sel) : document, {
      rules: { 'label-content-name-mismatch': { enabled: true } },
      resultTypes: ['violations'],
    });
    return { url: location.pathname, viewport: `${innerWidth}x${innerHeight}`, violations: r.violations, incomplete: r.incomplete.map((i) => ({ id: i.id, impact: i.impact, nodes: i.nodes.length })) };
  }, selector ?? null);
  mkdirSync(AXE_DIR, { recursive: true });
  writeFileSync(join(AXE_DIR, `${name}.json`), JSON.stringify(result, null, 2));
  return result.violations;
}

/** One line per violation: id, impact, how many nodes and the first node's selector. */
export const describe = (violations) =>
  violations.map((v) => `${v.id} (${v.impact}, ${v.nodes.length}×): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`).join('\n');
