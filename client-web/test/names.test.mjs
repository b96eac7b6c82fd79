// Initials (src/names.ts): letters only, first and last word, never punctuation or digits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const CLIENT_DIR = resolve(fileURLToPath(import.meta.url), '../..');
const OUT = resolve(CLIENT_DIR, 'node_modules/.cache/kortvaeg-test-names');
await build({ input: { names: resolve(CLIENT_DIR, 'src/names.ts') }, logLevel: 'warn', write: true, output: { dir: OUT, format: 'esm' } });
const { initials } = await import(resolve(OUT, 'names.js'));

test('initials are the first letters of the first and the last word of letters', () => {
  assert.equal(initials('Dorte (fjern, Teams)'), 'DT');
  assert.equal(initials('Anne Marie Jensen'), 'AJ');
  assert.equal(initials('anne'), 'A');
  assert.equal(initials('  Karin   Holm '), 'KH');
});

test('brackets, digits, punctuation and emoji never become an initial', () => {
  assert.equal(initials('(Dorte)'), 'D');
  assert.equal(initials('3. sal – Ole'), 'SO');
  assert.equal(initials('🙂 Mette'), 'M');
  assert.equal(initials('"Bo" Ørsted-Hansen'), 'BØ');
  assert.equal(initials('123'), '?');
  assert.equal(initials(''), '?');
  assert.equal(initials('— , ()'), '?');
});

test('letters of every script count, Danish included', () => {
  assert.equal(initials('Åse Ærø'), 'ÅÆ');
  assert.equal(initials('Łukasz Żak'), 'ŁŻ');
  assert.equal(initials('Σοφία Παπαδοπούλου'), 'ΣΠ');
  // A decomposed letter (A + combining ring) is one initial.
  assert.equal(initials('A\u030Ase'), 'Å');
});
