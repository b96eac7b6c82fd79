// Undo and redo of this person's own changes (src/sync/undo.ts) over plain Y.Docs: only local
// transactions are undone (an update from the server stays), a change over two documents is one
// step, writes of one answer in quick succession are one step, a new change clears the redo, and a
// document this page may not write now blocks the step (nothing is changed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as Y from 'yjs';
import { loadSync } from '../bundle-for-tests.mjs';

const CLIENT_DIR = resolve(fileURLToPath(import.meta.url), '../..');
const [{ RoomHistory }, schema, answers] = await loadSync('undo', ['undo', 'schema', 'answers']);

const card = (text, row = 'q1', column = 'g1') => ({ row, column, text, sagsomraade: null, author: 'A', author_id: 'a', group: column, created_at: 1 });
const texts = (doc) => [...doc.getMap('cards').values()].map((m) => String(m.get('text'))).sort();
/** The next task: the changes after it are another user action. */
const tick = () => new Promise((r) => setTimeout(r, 0));
/** Another person's change, as the provider applies it (its origin is the provider, not null). */
function remote(doc, fn) {
  const other = new Y.Doc();
  Y.applyUpdate(other, Y.encodeStateAsUpdate(doc));
  const before = Y.encodeStateVector(other);
  fn(other);
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(other, before), { provider: true });
}

function history(writable = () => true) {
  let changes = 0;
  const h = new RoomHistory(writable, () => { changes++; });
  return { h, changes: () => changes };
}

test('only this page\'s own changes are undone; another person\'s card stays; redo', async () => {
  const wall = new Y.Doc();
  const { h } = history();
  h.track(wall);
  assert.equal(h.undoState, 'no');
  const mine = schema.addCard(wall, card('mine'));
  await tick();
  remote(wall, (d) => schema.addCard(d, card('theirs')));
  await tick();
  schema.setCardText(wall, mine, 'mine, edited');
  await tick();
  assert.equal(h.undoState, 'yes');
  assert.ok(h.undo());
  assert.deepEqual(texts(wall), ['mine', 'theirs']);
  assert.ok(h.undo());
  assert.deepEqual(texts(wall), ['theirs']);
  assert.equal(h.undo(), false, 'nothing more of mine');
  assert.deepEqual(texts(wall), ['theirs'], "the other person's card is never undone");
  assert.equal(h.redoState, 'yes');
  assert.ok(h.redo());
  assert.ok(h.redo());
  assert.deepEqual(texts(wall), ['mine, edited', 'theirs']);
  assert.equal(h.redoState, 'no');
});

test('a new change clears what could be redone', async () => {
  const wall = new Y.Doc();
  const { h } = history();
  h.track(wall);
  schema.addCard(wall, card('one'));
  await tick();
  h.undo();
  assert.equal(h.redoState, 'yes');
  schema.addCard(wall, card('two'));
  await tick();
  assert.equal(h.redoState, 'no');
  assert.equal(h.redo(), false);
  assert.deepEqual(texts(wall), ['two']);
});

test('one action over two documents is one step (a card moved to another group\'s document)', async () => {
  const g1 = new Y.Doc();
  const g2 = new Y.Doc();
  const { h } = history();
  h.track(g1);
  h.track(g2);
  const id = schema.addCard(g1, card('moved'));
  await tick();
  schema.transferCard(g1, g2, id);
  await tick();
  assert.deepEqual([texts(g1), texts(g2)], [[], ['moved']]);
  assert.ok(h.undo());
  assert.deepEqual([texts(g1), texts(g2)], [['moved'], []], 'both documents in one undo');
  assert.ok(h.redo());
  assert.deepEqual([texts(g1), texts(g2)], [[], ['moved']]);
  h.untrack(g2);
  assert.ok(h.undo(), 'the step still undoes what is left of it in g1');
  assert.deepEqual(texts(g1), ['moved']);
});

test('writes of one answer close together are one step; another answer is another', async () => {
  const wall = new Y.Doc();
  const { h } = history();
  h.track(wall);
  for (const v of ['S', 'Sager', 'Sager uden KLE']) {
    answers.setAnswer(wall, 's1', 'q7', v, 'a');
    await tick();
  }
  answers.setAnswer(wall, 's1', 'q8', 'Arkiv', 'a');
  await tick();
  const now = () => { const a = answers.readAnswers(wall).s1 ?? {}; return [a.q7 ?? null, a.q8 ?? null]; };
  assert.ok(h.undo());
  assert.deepEqual(now(), ['Sager uden KLE', null]);
  assert.ok(h.undo());
  assert.deepEqual(now(), [null, null], 'the typing of one answer: one step');
  assert.ok(h.redo());
  assert.deepEqual(now(), ['Sager uden KLE', null]);
});

test('a step whose document may not be written now is blocked, and nothing changes', async () => {
  const wall = new Y.Doc();
  let open = true;
  const { h } = history(() => open);
  h.track(wall);
  schema.addCard(wall, card('kept'));
  await tick();
  open = false;
  assert.equal(h.undoState, 'blocked');
  assert.equal(h.undo(), false);
  assert.deepEqual(texts(wall), ['kept']);
  open = true;
  assert.ok(h.undo());
  assert.deepEqual(texts(wall), []);
});
