// The wall's PNG (src/image.ts): its file name from the workshop's title, and a pixel ratio that
// keeps the canvas within what Chromium draws (a side over 16384 px gives no image at all).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const CLIENT_DIR = resolve(fileURLToPath(import.meta.url), '../..');
const OUT = resolve(CLIENT_DIR, 'node_modules/.cache/kortvaeg-test-image');
await build({ input: { image: resolve(CLIENT_DIR, 'src/image.ts') }, logLevel: 'warn', write: true, output: { dir: OUT, format: 'esm' } });
const { fileSlug, pixelRatio } = await import(resolve(OUT, 'image.js'));

test('a file name from the title: Danish letters spelled out, nothing a file system minds', () => {
  assert.equal(fileSlug('Printvæg – Ydelse og Borgerservice'), 'printvaeg-ydelse-og-borgerservice');
  assert.equal(fileSlug('Økonomi & Løn: Åbent hus 2027'), 'oekonomi-loen-aabent-hus-2027');
  assert.equal(fileSlug('Café née'), 'cafe-nee');
  assert.equal(fileSlug('../../etc/passwd'), 'etc-passwd');
  assert.equal(fileSlug('!!!'), 'kortvaeg', 'nothing left: a name all the same');
  assert.equal(fileSlug('x'.repeat(200)).length, 60);
});

test('the pixel ratio: twice the screen, less when a side would pass 16384 px', () => {
  assert.equal(pixelRatio(1900, 5000), 2);
  assert.equal(pixelRatio(1900, 16384), 1);
  assert.ok(pixelRatio(1900, 40000) * 40000 <= 16384);
  assert.ok(pixelRatio(20000, 1000) * 20000 <= 16384);
  assert.equal(pixelRatio(0, 0), 2, 'an empty node does not divide by zero');
});
