// Builds the seed document of /work/shared/repro/hostile-updates.mjs (client 478096198: five cards, a formatted
// Y.Text, a Y.Array, one deleted card) with the same transactions, and prints each transaction's v1 update as one
// hex line. The output is the fixture shared/tests/fixtures/hostile-seed.hex used by shared/tests/yrs_hostile.rs:
//
//   node yrs-hostile-seed.mjs > ../../shared/tests/fixtures/hostile-seed.hex
import * as Y from 'yjs'

const doc = new Y.Doc()
doc.clientID = 478096198
doc.on('update', u => console.log(Buffer.from(u).toString('hex')))
const card = (id, text) => {
  const m = new Y.Map()
  doc.transact(() => { m.set('row', 'asis-1'); m.set('column', 'borgerservice'); m.set('text', text); doc.getMap('cards').set(id, m) })
}
for (let i = 0; i < 5; i++) card('c' + i, 'card ' + i)
const t = new Y.Text(); doc.getMap('cards').get('c0').set('rich', t); t.insert(0, 'hello world'); t.format(0, 5, { bold: true })
const a = new Y.Array(); doc.getMap('cards').get('c1').set('comments', a); a.push(['a', 'b', { x: 1 }])
doc.getMap('cards').delete('c4')
