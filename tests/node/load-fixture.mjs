#!/usr/bin/env node
// Loads a fixture workshop (shared/tests/fixtures/sheet-cells.json) into a live room with the stock
// y-websocket WebsocketProvider, as the web client would have written it:
//
//   node tests/node/load-fixture.mjs --url=ws://127.0.0.1:PORT/ws --room=ROOM_ID --token=FACILITATOR_TOKEN \
//        --fixture=shared/tests/fixtures/sheet-cells.json [--timeout-ms=20000]
//
// (`--name=value`: a token or a room id may start with `-`, which `--name value` would read as an option)
//
// - control document: the fagområder (columns) are replaced by the fixture's, each with its
//   sagsområder as a Y.Array of Y.Map {id, label, kle}; the rows stay the template's;
// - wall document: each card a Y.Map (its comments a Y.Array of Y.Map, merged_from a Y.Array), each
//   answer a key `<sagsområde>/<answer key>` of the flat `answers` map.
// Then opens fresh documents on the same room and waits until the server hands everything back.
// Exit 0 when done; 1 on a timeout or a refused connection (reason on stderr); 2 on bad arguments.
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'

let opts
try {
  opts = parseArgs({
    options: {
      url: { type: 'string' },
      room: { type: 'string' },
      token: { type: 'string' },
      fixture: { type: 'string' },
      'timeout-ms': { type: 'string', default: '20000' }
    }
  }).values
} catch (e) {
  process.stderr.write(`load-fixture: ${e.message}\n`)
  process.exit(2)
}
if (!opts.url || !opts.room || !opts.token || !opts.fixture) {
  process.stderr.write('load-fixture: --url, --room, --token and --fixture are needed\n')
  process.exit(2)
}
const fixture = JSON.parse(readFileSync(opts.fixture, 'utf8'))
const providers = []
const fail = (msg) => {
  process.stderr.write(`load-fixture: ${msg}\n`)
  for (const p of providers) p.destroy()
  process.exit(1)
}
const timer = setTimeout(() => fail(`timeout after ${opts['timeout-ms']} ms`), Number(opts['timeout-ms']))

function connect (name) {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(opts.url, name, doc, {
    params: { token: opts.token },
    WebSocketPolyfill: WebSocket,
    disableBc: true
  })
  provider.on('closed', ({ code, reason }) => fail(`${name}: closed with ${code} ${reason}`))
  providers.push(provider)
  const synced = new Promise((resolve) => {
    if (provider.synced) resolve()
    provider.on('sync', (s) => s && resolve())
  })
  return { doc, provider, synced }
}

const ymap = (entries) => {
  const m = new Y.Map()
  for (const [k, v] of Object.entries(entries)) m.set(k, v)
  return m
}

const control = connect(`${opts.room}/control`)
const wall = connect(opts.room)
await Promise.all([control.synced, wall.synced])

control.doc.transact(() => {
  const columns = control.doc.getArray('columns')
  columns.delete(0, columns.length)
  columns.push(fixture.columns.map((c) => {
    const sags = new Y.Array()
    sags.push(c.sagsomraader.map((s) => ymap(s)))
    return ymap({ id: c.id, label: c.label, sagsomraader: sags })
  }))
})
wall.doc.transact(() => {
  const cards = wall.doc.getMap('cards')
  for (const card of fixture.cards) {
    const { id, comments, merged_from: merged, ...fields } = card
    const m = ymap(fields)
    if (comments) {
      const arr = new Y.Array()
      arr.push(comments.map((c) => ymap(c)))
      m.set('comments', arr)
    }
    if (merged) {
      const arr = new Y.Array()
      arr.push(merged)
      m.set('merged_from', arr)
    }
    cards.set(id, m)
  }
  const answers = wall.doc.getMap('answers')
  for (const [k, v] of Object.entries(fixture.answers)) answers.set(k, v)
})

// The server has it all once fresh documents on the same room receive it.
const freshControl = connect(`${opts.room}/control`)
const freshWall = connect(opts.room)
await Promise.all([freshControl.synced, freshWall.synced])
const complete = () =>
  freshWall.doc.getMap('cards').size >= fixture.cards.length &&
  freshWall.doc.getMap('answers').size >= Object.keys(fixture.answers).length &&
  JSON.stringify(freshControl.doc.getArray('columns').toJSON().map((c) => c.id)) ===
    JSON.stringify(fixture.columns.map((c) => c.id))
await new Promise((resolve) => {
  if (complete()) return resolve()
  const check = () => complete() && resolve()
  freshWall.doc.on('update', check)
  freshControl.doc.on('update', check)
})
clearTimeout(timer)
for (const p of providers) p.destroy()
process.stdout.write(JSON.stringify({ cards: fixture.cards.length, answers: Object.keys(fixture.answers).length }) + '\n')
process.exit(0)
