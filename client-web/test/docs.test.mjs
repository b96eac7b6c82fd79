// The room's cards, answers and groups as one set over the wall and the group documents
// (src/sync/docs.ts, CONTRACT.md v2 "Group documents"), and where each change goes — for the
// facilitator, a seat, a link without a seat, review, and in a room without group documents.
// No browser, no server: plain Y.Docs, the sync modules bundled by rolldown (as analysis.test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as Y from 'yjs';
import { loadSync } from '../bundle-for-tests.mjs';

const CLIENT_DIR = resolve(fileURLToPath(import.meta.url), '../..');
const [docs, schema] = await loadSync('docs', ['docs', 'schema']);

/** A room: control with two groups (one sagsområde each) and a question; wall and two group documents. */
function room({ groupDocuments = true, visibility = 'open', revealed = [], phase = 'group' } = {}) {
  const control = new Y.Doc();
  const meta = control.getMap('meta');
  meta.set('title', 'T');
  meta.set('phase', phase);
  if (groupDocuments) meta.set('group_documents', true);
  meta.set('visibility', visibility);
  for (const id of revealed) control.getMap('revealed').set(id, true);
  const col = (id, sags) => {
    const m = new Y.Map();
    m.set('id', id);
    m.set('label', id.toUpperCase());
    const arr = new Y.Array();
    const s = new Y.Map();
    s.set('id', sags);
    s.set('label', sags);
    s.set('kle', '');
    arr.push([s]);
    m.set('sagsomraader', arr);
    return m;
  };
  control.getArray('columns').push([col('a', 'sa'), col('b', 'sb')]);
  const row = new Y.Map();
  for (const [k, v] of Object.entries({ id: 'q1', label: 'Spørgsmål', number: '1', kind: 'ja_nej', round: 'as-is' })) row.set(k, v);
  control.getArray('rows').push([row]);
  return { control, wall: new Y.Doc(), a: new Y.Doc(), b: new Y.Doc() };
}

/** What a page holds: `open` group documents, `writable` ones, role and seat group. */
const view = (r, { role = 'participant', seatGroup = '', open = ['a', 'b'], writable = [] } = {}) => ({
  wall: r.wall,
  control: r.control,
  groups: new Map(open.map((id) => [id, r[id]])),
  writable: new Set(writable),
  role,
  seatGroup,
});

const card = (over = {}) => ({ row: 'q1', column: 'a', text: 'x', author: 'Anne', author_id: 'anne', group: 'A', created_at: 1, ...over });

test('cards: the wall and every open group document, a group document card in its own column', () => {
  const r = room();
  schema.addCard(r.wall, card({ text: 'plenum', column: 'b', created_at: 1 }));
  const id = schema.addCard(r.a, card({ text: 'fra A', column: 'b', created_at: 2 })); // column says b: it counts in a
  schema.addCard(r.b, card({ text: 'fra B', column: 'b', created_at: 3 }));
  const d = view(r);
  const cards = docs.readRoomCards(d);
  assert.deepEqual(cards.map((c) => [c.text, c.column]), [['plenum', 'b'], ['fra A', 'a'], ['fra B', 'b']]);
  assert.equal(docs.holderOf(d, id), r.a);
  // A group document not open here (private, not revealed) is simply not there.
  assert.deepEqual(docs.readRoomCards(view(r, { open: ['b'] })).map((c) => c.text), ['plenum', 'fra B']);
});

test('answers and groups: merged key by key, the wall first, a group document wins', () => {
  const r = room();
  r.wall.getMap('answers').set('sa/q1', 'nej');
  r.wall.getMap('answers').set('sa/q1#by', 'wall');
  r.wall.getMap('answers').set('sb/q1', 'ja');
  r.a.getMap('answers').set('sa/q1', 'ja');
  schema.setGroupDone(r.wall, 'a', true, 'Old', 1);
  schema.setGroupDone(r.a, 'a', false, 'Anne', 2);
  schema.setGroupDone(r.b, 'b', true, 'Bo', 3);
  const d = view(r);
  assert.deepEqual(docs.readRoomAnswers(d), { sa: { q1: 'ja', 'q1#by': 'wall' }, sb: { q1: 'ja' } });
  const g = docs.readRoomGroups(d);
  assert.deepEqual([g.a.done, g.a.by, g.b.done], [false, 'Anne', true]);
});

test('a seat\'s card shows its writer by the name the seat has now', () => {
  const r = room();
  schema.addCard(r.a, card({ text: 'A', author: 'Anne', author_id: 'seat-anne' }));
  schema.addCard(r.wall, card({ text: 'W', author: 'Gammelt navn', author_id: 'device-1', column: 'b' }));
  const d = { ...view(r, { role: 'facilitator', writable: ['a', 'b'] }), names: new Map([['seat-anne', 'Anne J. Jensen']]) };
  const authors = docs.readRoomCards(d).map((c) => [c.text, c.author]).sort();
  assert.deepEqual(authors, [['A', 'Anne J. Jensen'], ['W', 'Gammelt navn']]);
});

test('plenum scope: in private group work only the revealed groups (and a seat its own) are on the wall', () => {
  const r = room({ visibility: 'private', revealed: ['b'] });
  schema.addCard(r.a, card({ text: 'A' }));
  schema.addCard(r.b, card({ text: 'B', column: 'b' }));
  const fac = view(r, { role: 'facilitator', writable: ['a', 'b'] });
  // (Same-millisecond cards are ordered by their random ids: compare as sets.)
  assert.deepEqual(docs.readRoomCards(fac).map((c) => c.text).sort(), ['A', 'B'], 'the console: everything');
  assert.deepEqual(docs.readRoomCards(fac, 'plenum').map((c) => c.text), ['B'], 'the projector: the revealed');
  assert.deepEqual([...docs.hiddenGroups(fac)], ['a']);
  const seatA = view(r, { seatGroup: 'a', writable: ['a'] });
  assert.deepEqual(docs.readRoomCards(seatA, 'plenum').map((c) => c.text).sort(), ['A', 'B']);
  assert.deepEqual([...docs.hiddenGroups(seatA)], []);
  // Open: nothing hidden.
  assert.deepEqual([...docs.hiddenGroups(view(room(), { role: 'facilitator' }))], []);
});

test('new cards: a seat writes its own group document, plenum and seatless go to the wall, an older room to the wall', () => {
  const r = room();
  const seatA = view(r, { seatGroup: 'a', writable: ['a'] });
  assert.equal(docs.newCardDoc(seatA, 'a', 'group'), r.a);
  assert.equal(docs.newCardDoc(seatA, 'a', 'wall'), r.a, 'on the wall during group work, in its own column');
  assert.equal(docs.newCardDoc(seatA, 'b', 'wall'), r.wall, 'another group\'s column: the plenum wall');
  const seatless = view(r);
  assert.equal(docs.newCardDoc(seatless, 'a', 'group'), r.wall);
  const fac = view(r, { role: 'facilitator', writable: ['a', 'b'] });
  assert.equal(docs.newCardDoc(fac, 'b', 'group'), r.b, 'for the group');
  assert.equal(docs.newCardDoc(fac, 'b', 'wall'), r.b, 'on the wall during group work');
  const plenum = room({ phase: 'plenum' });
  assert.equal(docs.newCardDoc(view(plenum, { role: 'facilitator', writable: ['a', 'b'] }), 'b', 'wall'), plenum.wall, 'in plenum: the wall');
  assert.equal(docs.newCardDoc(view(plenum, { role: 'facilitator', writable: ['a', 'b'] }), 'b', 'group'), plenum.b);
  const old = room({ groupDocuments: false });
  assert.equal(docs.newCardDoc(view(old, { seatGroup: 'a', open: [] }), 'a', 'group'), old.wall);
  assert.equal(docs.newCardDoc(view(r, { role: 'review' }), 'a', 'wall'), null);
  // A seat's own document not open (yet): no card rather than a private one on the wall.
  assert.equal(docs.newCardDoc(view(r, { seatGroup: 'a', open: ['b'] }), 'a', 'group'), null);
  // Closed: a participant writes nothing; the facilitator still does.
  const closed = room({ phase: 'closed' });
  assert.equal(docs.newCardDoc(view(closed, { seatGroup: 'a', writable: ['a'] }), 'a', 'group'), null);
  assert.equal(docs.newCardDoc(view(closed, { role: 'facilitator', writable: ['a', 'b'] }), 'a', 'group'), closed.a);
});

test('a chip card answers its open question in the sagsområde\'s group document', () => {
  const r = room({ phase: 'plenum' });
  const fac = view(r, { role: 'facilitator', writable: ['a', 'b'] });
  const sa = { id: 'sa', label: 'sa', kle: '' };
  const id = docs.addRoomCard(fac, card({ text: 'Ja', sagsomraade: sa }), 'wall', 'facilitator');
  assert.ok(schema.cardsMap(r.wall).has(id), 'a plenum card on the wall');
  assert.equal(r.a.getMap('answers').get('sa/q1'), 'ja', 'its answer in group A\'s document');
  assert.equal(r.wall.getMap('answers').get('sa/q1'), undefined);
  const seatA = view(room(), { seatGroup: 'a', writable: ['a'] });
  const id2 = docs.addRoomCard(seatA, card({ text: 'Nej', sagsomraade: sa }), 'group');
  assert.ok(schema.cardsMap(seatA.groups.get('a')).has(id2));
  assert.equal(seatA.groups.get('a').getMap('answers').get('sa/q1'), 'nej');
});

test('answers: to the sagsområde\'s group; a seat does not answer for another group; clearing clears the wall too', () => {
  const r = room();
  const seatA = view(r, { seatGroup: 'a', writable: ['a'] });
  assert.equal(docs.answerDoc(seatA, 'sa'), r.a);
  assert.equal(docs.answerDoc(seatA, 'sb'), null);
  assert.equal(docs.answerDoc(view(r), 'sb'), r.wall, 'a link without a seat: the wall (v1)');
  assert.equal(docs.answerDoc(view(r, { role: 'facilitator', writable: ['a', 'b'] }), 'sb'), r.b);
  assert.equal(docs.answerDoc(view(room({ groupDocuments: false }), { seatGroup: 'a', open: [] }), 'sb') !== null, true);
  r.wall.getMap('answers').set('sa/q1', 'nej');
  docs.writeAnswer(seatA, 'sa', 'q1', 'ja', 'anne');
  assert.equal(docs.readRoomAnswers(seatA).sa.q1, 'ja');
  docs.writeAnswer(seatA, 'sa', 'q1', null);
  assert.equal(docs.readRoomAnswers(seatA).sa?.q1, undefined, 'the wall\'s old value does not come back');
});

test('moves: a group card to another fagområde moves to that group\'s document; a wall card stays on the wall', () => {
  const r = room();
  const fac = view(r, { role: 'facilitator', writable: ['a', 'b'] });
  const id = schema.addCard(r.a, card({ text: 'A-kort' }));
  schema.addComment(r.a, id, 'hvorfor?', 'Facilitator', 5);
  const colB = schema.readColumns(r.control)[1];
  assert.equal(docs.moveRoomCard(fac, id, 'q1', colB), true);
  assert.equal(schema.cardsMap(r.a).has(id), false);
  const moved = docs.readRoomCards(fac).find((c) => c.id === id);
  assert.deepEqual([moved.column, moved.text, moved.comments.map((c) => c.text), moved.sagsomraade_id], ['b', 'A-kort', ['hvorfor?'], 'sb']);
  assert.equal(docs.holderOf(fac, id), r.b);
  const w = schema.addCard(r.wall, card({ text: 'plenum' }));
  docs.moveRoomCard(fac, w, 'q1', colB);
  assert.equal(docs.holderOf(fac, w), r.wall);
  assert.equal(docs.readRoomCards(fac).find((c) => c.id === w).column, 'b');
  // Merge across documents: the wall card into the group card.
  docs.mergeRoomCards(fac, id, w);
  assert.equal(docs.holderOf(fac, w), null);
  assert.match(docs.readRoomCards(fac).find((c) => c.id === id).text, /A-kort\n— plenum/);
});
