#!/usr/bin/env node
// Interop client: the stock y-websocket `WebsocketProvider` (no project code) against a kortvaeg server.
//
//   node tests/node/interop.mjs --url ws://127.0.0.1:PORT/ws --room ROOM_ID --token T \
//        --card-id node-1 --expect-card rust-1 [--row asis-1 --column borgerservice] [--timeout-ms 20000]
//
// 1. connects to `${url}/${room}?token=T` (room = ROOM_ID for the wall, ROOM_ID + '/control' for control)
//    and waits for the first sync with the server;
// 2. adds to the root Y.Map `cards` a Y.Map under --card-id with row, column, text, author, created_at
//    (skipped when --card-id is not given: a read-only observer);
// 3. waits until every --expect-card key (repeatable) exists in `cards`;
// 4. makes sure the server has our card: waits until the socket has sent everything, then opens a second,
//    fresh Y.Doc on the same room and waits until the card shows up there (skip with --no-confirm);
// 5. prints JSON.stringify(cards.toJSON()) on one line to stdout and exits 0.
//
// Exit codes: 0 done; 1 failed (timeout, or the server refused / closed the connection: the reason is on
// stderr); 2 bad arguments.
import { parseArgs } from 'node:util'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'

const USAGE = `usage: node interop.mjs --url ws://HOST:PORT/ws --room ROOM_ID [--token T]
         [--card-id ID] [--expect-card ID]... [--row ROW_ID] [--column COLUMN_ID]
         [--text TEXT] [--author NAME] [--timeout-ms MS] [--no-confirm]
  room: ROOM_ID for the wall document, ROOM_ID/control for the control document`

function usageError (msg) {
  process.stderr.write(`interop: ${msg}\n${USAGE}\n`)
  process.exit(2)
}

let parsed
try {
  parsed = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    allowPositionals: false,
    options: {
      url: { type: 'string' },
      room: { type: 'string' },
      token: { type: 'string' },
      'card-id': { type: 'string' },
      'expect-card': { type: 'string', multiple: true, default: [] },
      row: { type: 'string', default: 'asis-1' },
      column: { type: 'string', default: 'borgerservice' },
      text: { type: 'string', default: 'fra Node' },
      author: { type: 'string', default: 'node' },
      'timeout-ms': { type: 'string', default: '20000' },
      'no-confirm': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false }
    }
  })
} catch (e) {
  usageError(e.message)
}
const opts = parsed.values
if (opts.help) {
  process.stdout.write(USAGE + '\n')
  process.exit(0)
}
if (!opts.url) usageError('--url is required')
if (!/^wss?:\/\//.test(opts.url)) usageError(`--url must start with ws:// or wss:// (got ${JSON.stringify(opts.url)})`)
if (!opts.room) usageError('--room is required')
if (!/^\d+$/.test(opts['timeout-ms']) || Number(opts['timeout-ms']) <= 0) {
  usageError(`--timeout-ms must be a positive integer (got ${JSON.stringify(opts['timeout-ms'])})`)
}
const timeoutMs = Number(opts['timeout-ms'])
const cardId = opts['card-id']
const expectCards = opts['expect-card']

// ---------------------------------------------------------------------------------------------------------
let stage = 'connecting'
let lastProblem = null // last connection error / close seen, for the timeout message
let lastError = null
const providers = []

function fail (msg) {
  process.stderr.write(`interop: ${msg}\n`)
  for (const p of providers) {
    try { p.destroy() } catch {}
  }
  process.exit(1)
}

const timer = setTimeout(() => {
  fail(`timeout after ${timeoutMs} ms while ${stage}` + (lastProblem ? ` (last problem: ${lastProblem})` : ''))
}, timeoutMs)

function connect (doc) {
  const params = opts.token !== undefined ? { token: opts.token } : {}
  const provider = new WebsocketProvider(opts.url, opts.room, doc, {
    params,
    WebSocketPolyfill: WebSocket,
    connect: true,
    disableBc: true // everything must go through the server
  })
  providers.push(provider)
  provider.on('connection-error', (event) => {
    const msg = (event && (event.message || (event.error && event.error.message))) || String(event)
    lastError = msg
    lastProblem = `connection error: ${msg}`
    // `ws` reports a refused upgrade as "Unexpected server response: 401": that will not get better.
    const m = /Unexpected server response: (4\d\d)/.exec(msg)
    if (m) fail(`server refused the WebSocket upgrade with HTTP ${m[1]} while ${stage}`)
  })
  provider.on('connection-close', (event) => {
    if (event) {
      lastProblem = `connection closed with code ${event.code}${event.reason ? ` (${event.reason})` : ''}` +
        (lastError ? ` after error: ${lastError}` : '')
      lastError = null
    }
  })
  // 'closed': the server closed with a 44xx code, so the provider stops reconnecting.
  provider.on('closed', ({ code, reason }) => {
    fail(`server closed the connection with code ${code}${reason ? ` (${reason})` : ''} while ${stage}`)
  })
  return provider
}

function whenSynced (provider) {
  return new Promise((resolve) => {
    if (provider.synced) return resolve()
    const onSync = (state) => {
      if (state) {
        provider.off('sync', onSync)
        resolve()
      }
    }
    provider.on('sync', onSync)
  })
}

function whenKeys (map, keys) {
  return new Promise((resolve) => {
    const done = () => keys.every((k) => map.has(k))
    if (done()) return resolve()
    const observer = () => {
      if (done()) {
        map.unobserveDeep(observer)
        resolve()
      }
    }
    map.observeDeep(observer)
  })
}

// Resolves once the provider's socket has handed every queued frame to the OS.
function whenFlushed (provider) {
  return new Promise((resolve) => {
    const check = () => {
      const ws = provider.ws
      if (!ws || ws.bufferedAmount === 0) resolve()
      else setTimeout(check, 5)
    }
    check()
  })
}

// Destroys a provider and waits (briefly) for its socket's close handshake, so the server sees a clean close.
function shutdown (provider) {
  const ws = provider.ws
  provider.destroy()
  if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve()
  return new Promise((resolve) => {
    const t = setTimeout(resolve, 1000)
    ws.addEventListener('close', () => { clearTimeout(t); resolve() })
  })
}

// ---------------------------------------------------------------------------------------------------------
const doc = new Y.Doc()
const cards = doc.getMap('cards')
const provider = connect(doc)

stage = 'waiting for the first sync'
await whenSynced(provider)

if (cardId !== undefined) {
  stage = `writing card ${cardId}`
  doc.transact(() => {
    const card = new Y.Map()
    cards.set(cardId, card)
    card.set('row', opts.row)
    card.set('column', opts.column)
    card.set('text', opts.text)
    card.set('author', opts.author)
    card.set('created_at', Date.now())
  })
}

if (expectCards.length > 0) {
  stage = `waiting for card(s) ${expectCards.join(', ')}`
  await whenKeys(cards, expectCards)
}

stage = 'flushing our updates'
await whenFlushed(provider)

if (cardId !== undefined && !opts['no-confirm']) {
  // A second, fresh document on the same room: once our card is there, the server has it.
  stage = `confirming that the server has card ${cardId}`
  const check = new Y.Doc()
  const checker = connect(check)
  await whenSynced(checker)
  await whenKeys(check.getMap('cards'), [cardId])
  await shutdown(checker)
}

const line = JSON.stringify(cards.toJSON())
clearTimeout(timer)
await shutdown(provider)
process.stdout.write(line + '\n', () => process.exit(0))
