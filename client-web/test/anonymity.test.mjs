// Anonymity per room (src/sync/anonymity.ts, docs/API.md "Anonymity"): what the sync layer writes
// about a writer, and what it shows whom. The server refuses (4403) a card or comment naming its
// writer (`author`) in an anonymous room, and `author_id` / `#by` in a fully anonymous one; these
// check that no write path of ./docs sends one, and that the names a reader is not told stay off
// the cards it reads. Plain Y.Docs, the sync modules bundled by rolldown (as docs.test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as Y from 'yjs';
import { loadSync } from '../bundle-for-tests.mjs';

const CLIENT_DIR = resolve(fileURLToPath(import.meta.url), '../..');
const [docs, schema, anon] = await loadSync('anonymity', ['docs', 'schema', 'anonymity']);

/** A room with group documents, one group `a` (sagsområde `sa`), a ja/nej question; `meta.anonymity`. */
function room(anonymity) {
  const control = new Y.Doc();
  const meta = control.getMap('meta');
  meta.set('phase', 'group');
  meta.set('group_documents', true);
  if (anonymity) meta.set('anonymity', anonymity);
  const col = new Y.Map();
  col.set('id', 'a');
  col.set('label', 'A');
  const arr = new Y.Array();
  const s = new Y.Map();
  s.set('id', 'sa');
  s.set('label', 'SA');
  s.set('kle', '');
  arr.push([s]);
  col.set('sagsomraader', arr);
  control.getArray('columns').push([col]);
  const row = new Y.Map();
  for (const [k, v] of Object.entries({ id: 'q1', label: 'Spørgsmål', number: '1', kind: 'ja_nej' })) row.set(k, v);
  control.getArray('rows').push([row]);
  return { control, wall: new Y.Doc(), a: new Y.Doc() };
}

const seat = (r, extra = {}) => ({
  wall: r.wall, control: r.control, groups: new Map([['a', r.a]]), writable: new Set(['a']), role: 'participant', seatGroup: 'a',
  names: new Map([['s1', 'Anne'], ['s2', '']]), ...extra,
});
const facilitator = (r, names = new Map([['s1', 'Anne']])) => ({ ...seat(r), role: 'facilitator', seatGroup: '', names });
const sags = { id: 'sa', label: 'SA', kle: '' };
const newCard = (text) => ({ row: 'q1', column: 'a', text, sagsomraade: sags, author: 'Anne', author_id: 's1', group: 'A', created_at: 1 });

/** Every key anywhere in a document's `cards`, `answers` and `groups` (maps inside maps and arrays). */
function keys(doc) {
  const out = new Set();
  const walk = (v, path) => {
    if (v instanceof Y.Map) v.forEach((x, k) => { out.add(k); walk(x, `${path}.${k}`); });
    else if (v instanceof Y.Array) v.forEach((x) => walk(x, path));
  };
  for (const root of ['cards', 'answers', 'groups']) walk(doc.getMap(root), root);
  return out;
}
const byKeys = (doc) => [...keys(doc)].filter((k) => k.endsWith('#by'));

/** Everything a seat writes in group work: a card that answers (`Ja`), an answer, the wizard, "vi er færdige". */
function groupWork(d) {
  const id = docs.addRoomCard(d, newCard('Ja'), 'group');
  assert.ok(id, 'the card is added');
  docs.writeAnswer(d, 'sa', 'q2', 'tekst', 's1');
  docs.writeWizardAnswer(d, 'sa', 'q3', 'A', 's1');
  docs.writeDone(d, 'a', true, 'Anne', 5, 's1');
  return id;
}

test('names are written as before where everyone sees them', () => {
  const r = room('none');
  const id = groupWork(seat(r));
  const card = r.a.getMap('cards').get(id);
  assert.equal(card.get('author'), 'Anne');
  assert.equal(card.get('author_id'), 's1');
  assert.ok(byKeys(r.a).length >= 2);
  assert.equal(r.a.getMap('groups').get('a').get('by'), 'Anne');
});

test('a room anonymous to participants: cards carry the seat id, never a name', () => {
  const r = room('participants');
  const id = groupWork(seat(r));
  const card = r.a.getMap('cards').get(id);
  assert.equal(card.has('author'), false);
  assert.equal(card.get('author_id'), 's1');
  // Answers keep their writer by seat id; "vi er færdige" too (not by name).
  assert.ok(byKeys(r.a).length >= 2);
  assert.equal(r.a.getMap('groups').get('a').get('by'), 's1');
  // The facilitator's comment names nobody either.
  docs.commentCard(facilitator(r), id, 'God pointe', 'Facilitator', 6);
  assert.equal([...keys(r.a)].includes('author'), false);
  // The participant reads no writer; the facilitator reads the seat's name (GET /people).
  assert.equal(docs.readRoomCards(seat(r))[0].author, '');
  assert.equal(docs.readRoomCards(seat(r, { role: 'review' }))[0].author, '');
  assert.equal(docs.readRoomCards(facilitator(r))[0].author, 'Anne');
});

test('a fully anonymous room: nothing says who wrote it, for anyone', () => {
  const r = room('full');
  const id = groupWork(seat(r));
  // Another card by the facilitator for the group, and one merged into the other with a comment.
  const f = facilitator(r);
  const other = docs.addRoomCard(f, { ...newCard('Nej'), author: 'Facilitator', author_id: 'device-1' }, 'group');
  docs.commentCard(f, other, 'Se også', 'Facilitator', 7);
  docs.mergeRoomCards(f, id, other);
  const all = keys(r.a);
  assert.equal(all.has('author'), false, 'a name written');
  assert.equal(all.has('author_id'), false, 'a seat id written');
  assert.ok(r.a.getMap('cards').get(id).get('text').includes('Nej'), 'merged');
  assert.equal(r.a.getMap('groups').get('a').get('by'), '');
  assert.deepEqual(byKeys(r.a), []);
  assert.equal(docs.readRoomCards(f).every((c) => c.author === '' && c.comments.every((x) => x.author === '')), true);
});

test("the room's answer counts before the control document has its meta.anonymity", () => {
  const r = room(undefined);
  const id = docs.addRoomCard(seat(r, { anonymity: 'full' }), newCard('Ja'), 'group');
  const card = r.a.getMap('cards').get(id);
  assert.equal(card.has('author'), false);
  assert.equal(card.has('author_id'), false);
  assert.equal(anon.stricter('participants', 'none'), 'participants');
  assert.equal(anon.stricter(undefined, 'full'), 'full');
  assert.equal(anon.stricter('bogus', undefined), 'none');
});

test('presence and editing rules read the same table', () => {
  assert.equal(anon.showsNames('participants', 'facilitator'), true);
  assert.equal(anon.showsNames('participants', 'participant'), false);
  assert.equal(anon.showsNames('full', 'facilitator'), false);
  assert.equal(anon.doneBy('full', 'Anne', 's1'), '');
  assert.equal(schema.readCards(new Y.Doc()).length, 0);
});
