// The fixture room shared/tests/fixtures/analysis.json gives, in the web client, exactly the
// answer columns, layout headers, sheet rows (canonical answers, I analysen, brugerantal, omfang,
// prioritet) and summaries the server gives (its `expected`, checked for Rust by
// shared/tests/analysis_fixture.rs): the two implementations of docs/API.md, "Derived values",
// cannot drift apart. The room is written into Yjs documents as the server and the browser would
// hold it and read back by the web client's own readers (src/sync/schema.ts, answers.ts), so a
// reader's difference (a row without a number) shows here too. No browser, no server: the sync
// modules are bundled by rolldown (vite's bundler) into node_modules/.cache, yjs left external so
// that this file and the bundle share one yjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as Y from 'yjs';
import { loadSync } from '../bundle-for-tests.mjs';

const CLIENT_DIR = resolve(fileURLToPath(import.meta.url), '../..');
const ROOT = resolve(CLIENT_DIR, '..');
const fixture = JSON.parse(readFileSync(resolve(ROOT, 'shared/tests/fixtures/analysis.json'), 'utf8'));
const template = JSON.parse(readFileSync(resolve(ROOT, `shared/templates/${fixture.template}.json`), 'utf8'));

const [analysis, cells, schema, answers] = await loadSync('analysis', ['analysis', 'cells', 'schema', 'answers']);

const ymap = (entries) => {
  const m = new Y.Map();
  for (const [k, v] of Object.entries(entries)) m.set(k, v);
  return m;
};

/** The room's documents: rows as the server's `init_control` writes a template's (fields as plain values), then the added rows; columns, answers and settings as the web client writes them. */
function room(prioritering) {
  const control = new Y.Doc();
  const wall = new Y.Doc();
  control.transact(() => {
    control.getArray('rows').push([...template.rows, ...fixture.added_rows].map((r) => ymap(r)));
    control.getArray('columns').push(fixture.columns.map((c) => {
      const sags = new Y.Array();
      sags.push(c.sagsomraader.map((s) => ymap(s)));
      return ymap({ id: c.id, label: c.label, sagsomraader: sags });
    }));
    const prio = control.getMap('prioritering');
    for (const [k, v] of Object.entries(prioritering)) prio.set(k, v);
  });
  wall.transact(() => {
    const map = wall.getMap('answers');
    for (const [k, v] of Object.entries(fixture.answers)) map.set(k, v);
  });
  return { control, wall };
}

/** What the fixture compares, in the server's shape (`GET /sheet`). */
function sheetOf(name, { control, wall }) {
  const rows = schema.readRows(control);
  const columns = schema.readColumns(control);
  const settings = answers.readPrioritering(control);
  const sheet = analysis.buildSheet(rows, columns, answers.readAnswers(wall), settings);
  const sum = analysis.summaries(sheet);
  const ids = (list) => list.map((r) => r.sags.id);
  const buckets = (kind, groups) =>
    [...analysis.CHOICES[kind], ''].map((v) => ({ value: v || null, count: groups[v].length, sagsomraader: ids(groups[v]) }));
  return {
    columns: analysis.answerColumns(rows).map((c) => ({ key: c.key, header: c.header, kind: c.kind, ...(c.analysis ? { analysis: c.analysis } : {}) })),
    layout: cells.sheetLayout(rows).map((c) => c.header),
    variant: {
      name,
      settings,
      rows: sheet.map((r) => ({
        sagsomraade_id: r.sags.id,
        answers: Object.fromEntries(Object.entries(r.values).filter(([, v]) => v !== null)),
        in_analysis: r.inAnalysis,
        brugerantal: r.brugerantal,
        brugerantal_hand: r.inAnalysis && r.brugerantalSet !== null,
        omfang_point: r.omfangPoint,
        omfang: r.omfang,
        prioritet: r.prioritet,
      })),
      summaries: {
        total: sheet.length,
        in_analysis: sum.prioritet.length,
        loesningsscenarie: buckets('loesningsscenarie', sum.perLoesningsscenarie),
        brugsmoenster: buckets('brugsmoenster', sum.perBrugsmoenster),
        forretningskritiske: ids(sum.forretningskritiske),
      },
    },
  };
}

const { expected } = fixture;
assert.equal(expected.variants.length, fixture.variants.length, 'one expected per variant');

for (const [i, v] of fixture.variants.entries()) {
  test(`the fixture room's sheet in the web client: ${v.name}`, () => {
    const got = sheetOf(v.name, room(v.prioritering));
    const want = expected.variants[i];
    assert.deepEqual(got.columns, expected.columns, 'answer columns (key, header, kind, analysis)');
    assert.deepEqual(got.layout, expected.layout, 'layout headers');
    assert.deepEqual(got.variant.settings, want.settings, 'settings');
    assert.equal(got.variant.rows.length, want.rows.length, 'a row per sagsområde');
    for (const [j, row] of want.rows.entries()) assert.deepEqual(got.variant.rows[j], row, `row of ${row.sagsomraade_id}`);
    assert.deepEqual(got.variant.summaries, want.summaries, 'summaries');
  });
}

test('a row without a number is headed by its round alone, as the server heads it', () => {
  const header = expected.columns.find((c) => c.key === 'tobe-arkiv')?.header;
  assert.equal(header, 'To-be: Antal sager til arkivering');
  assert.ok(expected.layout.includes('To-be: kort'));
});
