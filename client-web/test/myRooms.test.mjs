// "Mine workshops" (src/myRooms.ts): the server's list of the caller's workshops and this device's
// own list as one, newest first, without duplicates, the links only where the device has them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const CLIENT_DIR = resolve(fileURLToPath(import.meta.url), '../..');
const OUT = resolve(CLIENT_DIR, 'node_modules/.cache/kortvaeg-test-myrooms');
await build({ input: { myRooms: resolve(CLIENT_DIR, 'src/myRooms.ts') }, logLevel: 'warn', write: true, output: { dir: OUT, format: 'esm' } });
const { mergeRooms } = await import(resolve(OUT, 'myRooms.js'));

const local = (id, created_at, over = {}) => ({
  id, title: `lokal ${id}`, created_at,
  facilitator_url: `http://x/room/${id}#f`, join_url: `http://x/join/${id}#p`, review_url: `http://x/review/${id}#r`, ...over,
});
const server = (id, iso, over = {}) => ({ id, title: `server ${id}`, template: 'kmd-sag-exit', created_at: iso, ...over });

test('without a server list: the device\'s own, newest first', () => {
  const out = mergeRooms([local('a', 1000), local('b', 3000, { template: 'sbsys-medlemskab' })], null);
  assert.deepEqual(out.map((r) => [r.id, r.template, !!r.links, r.onServer]), [['b', 'sbsys-medlemskab', true, false], ['a', null, true, false]]);
});

test('one entry per workshop: the server\'s record, the device\'s links', () => {
  const out = mergeRooms(
    [local('a', Date.parse('2026-03-01T10:00:05Z')), local('c', Date.parse('2026-01-01T00:00:00Z'))],
    [server('b', '2026-03-02T09:00:00Z'), server('a', '2026-03-01T10:00:00Z')],
  );
  assert.deepEqual(out.map((r) => r.id), ['b', 'a', 'c']);
  const [b, a, c] = out;
  assert.deepEqual([b.title, b.links, b.onServer], ['server b', null, true], 'listed by the server only: no links');
  assert.deepEqual([a.title, a.template, a.createdAt, a.onServer], ['server a', 'kmd-sag-exit', Date.parse('2026-03-01T10:00:00Z'), true]);
  assert.equal(a.links.facilitator_url, 'http://x/room/a#f', 'the device\'s links are kept');
  assert.deepEqual([c.onServer, !!c.links], [false, true], 'a device entry the server does not list stays');
});

test('ties and odd entries: same time by id, an unreadable server date keeps the device\'s', () => {
  const out = mergeRooms([local('z', 5), local('z', 9)], [server('y', '2026-01-01T00:00:00Z'), server('x', '2026-01-01T00:00:00Z'), server('z', 'not a date')]);
  assert.deepEqual(out.map((r) => r.id), ['x', 'y', 'z']);
  assert.equal(out[2].createdAt, 5, 'the first device entry of an id counts');
});
