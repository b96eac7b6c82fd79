import { useEffect, useState } from 'preact/hooks';
import {
  api, ApiError, exportUrl,
  type CompareCard, type CompareCardChange, type CompareCell, type CompareSagsomraade, type CompareSide, type CompareView,
  type RoomInfo, type SnapshotInfo,
} from '../api';
import { Header } from '../components/Header';
import { fmtDateTime, t } from '../i18n';
import { useMedia } from '../hooks';
import { navigate } from '../router';
import { errorText } from './errors';
import { RoomDeletedPanel } from './RoomDeleted';

type To = number | 'now';

/** A snapshot as the pickers and headings name it: `Snapshot 2 «To-be»`. */
export const snapshotTitle = (s: { seq: number; name?: string }) =>
  s.name ? t('review.named', { seq: s.seq, name: s.name }) : t('review.snapshot', { seq: s.seq });

const sideTitle = (s: CompareSide) => (s.seq === null ? t('cmp.now') : snapshotTitle({ seq: s.seq, name: s.name }));

/**
 * What to compare when the link does not say: the last "As-is" with the first "To-be" after it,
 * else the last two snapshots, else the only one with now.
 */
export function defaultPair(list: SnapshotInfo[]): { from: number; to: To } | null {
  if (list.length === 0) return null;
  const named = (n: string) => (s: SnapshotInfo) => s.name?.toLowerCase() === n;
  const asIs = [...list].reverse().find(named('as-is'));
  if (asIs) {
    const toBe = list.find((s) => s.seq > asIs.seq && named('to-be')(s));
    return { from: asIs.seq, to: toBe ? toBe.seq : 'now' };
  }
  if (list.length === 1) return { from: list[0].seq, to: 'now' };
  return { from: list[list.length - 2].seq, to: list[list.length - 1].seq };
}

function fromQuery(list: SnapshotInfo[]): { from: number; to: To } | null {
  const q = new URLSearchParams(location.search);
  const from = Number(q.get('from'));
  const rawTo = q.get('to');
  const to: To | null = rawTo === 'now' ? 'now' : rawTo && list.some((s) => s.seq === Number(rawTo)) ? Number(rawTo) : null;
  if (!list.some((s) => s.seq === from) || to === null) return null;
  return { from, to };
}

/**
 * `/room/{id}/review/compare` and `/review/{id}/compare` (`?from=<seq>&to=<seq|now>`): two states of
 * the room compared (`GET /api/rooms/{id}/compare`): the wall with the changed cards marked, and
 * per sagsområde the answers old → new. Every mark is a text badge too, for screen readers and print.
 */
export function Compare({ info, token, via }: { info: RoomInfo; token: string; via: 'room' | 'review' }) {
  const [list, setList] = useState<SnapshotInfo[] | null>(null);
  const [pair, setPair] = useState<{ from: number; to: To } | null>(null);
  const [view, setView] = useState<CompareView | null>(null);
  const [tab, setTab] = useState<'wall' | 'sheet'>('wall');
  const [error, setError] = useState<string | null>(null);
  const [deleted, setDeleted] = useState(false);
  const failed = (e: unknown) => {
    if (e instanceof ApiError && e.status === 404 && !(e.serverMessage && /snapshot/i.test(e.serverMessage))) setDeleted(true);
    else setError(errorText(e));
  };
  const back = via === 'room' ? `/room/${encodeURIComponent(info.id)}/review` : `/review/${encodeURIComponent(info.id)}`;

  useEffect(() => {
    api.snapshots(info.id, token).then((l) => {
      setList(l);
      setPair(fromQuery(l) ?? defaultPair(l));
    }, failed);
  }, [info.id, token]);
  useEffect(() => {
    setView(null);
    setError(null);
    if (!pair || pair.from === pair.to) return;
    history.replaceState(history.state, '', `${location.pathname}?from=${pair.from}&to=${pair.to}${location.hash}`);
    let alive = true;
    api.compare(info.id, token, pair.from, pair.to).then((v) => alive && setView(v), (e) => alive && failed(e));
    return () => {
      alive = false;
    };
  }, [pair?.from, pair?.to]);

  if (deleted) {
    return (
      <>
        <Header title={info.title} subtitle={t('cmp.title')} />
        <RoomDeletedPanel roomId={info.id} />
      </>
    );
  }
  const c = view?.counts;
  return (
    <>
      <Header title={info.title} subtitle={t('cmp.title')} wide />
      <main id="main" class="page wide compare" data-testid="compare">
        <div class="page-head">
          <h1>{t('cmp.title')}</h1>
          <button type="button" class="btn btn-ghost-border btn-small" onClick={() => navigate(back)} data-testid="compare-back">
            ← {t('cmp.back')}
          </button>
        </div>
        <p class="lead">{t('cmp.lead')}</p>
        {!list && !error && <p class="muted">{t('common.loading')}</p>}
        {list && list.length === 0 && <p class="panel panel-soft" data-testid="compare-empty">{t('cmp.needOne')}</p>}
        {list && pair && (
          <form class="panel cmp-pick" onSubmit={(e) => e.preventDefault()} data-testid="compare-pick">
            <label class="field-label">
              {t('cmp.from')}
              <select class="input" value={String(pair.from)} data-testid="compare-from"
                onChange={(e) => setPair({ ...pair, from: Number((e.currentTarget as HTMLSelectElement).value) })}>
                {list.map((s) => <option key={s.seq} value={String(s.seq)}>{snapshotTitle(s)} · {fmtDateTime(s.taken_at)}</option>)}
              </select>
            </label>
            <span class="cmp-arrow" aria-hidden="true">→</span>
            <label class="field-label">
              {t('cmp.to')}
              <select class="input" value={String(pair.to)} data-testid="compare-to"
                onChange={(e) => {
                  const v = (e.currentTarget as HTMLSelectElement).value;
                  setPair({ ...pair, to: v === 'now' ? 'now' : Number(v) });
                }}>
                {list.map((s) => <option key={s.seq} value={String(s.seq)}>{snapshotTitle(s)} · {fmtDateTime(s.taken_at)}</option>)}
                <option value="now">{t('cmp.now')}</option>
              </select>
            </label>
            {view && (
              <a class="btn btn-ghost-border btn-small" href={exportUrl(info.id, token, 'xlsx', undefined, undefined, [pair.from, pair.to])} download data-testid="compare-xlsx">
                {t('cmp.xlsx')}
              </a>
            )}
          </form>
        )}
        {pair && pair.from === pair.to && <p class="notice-warn" role="status">{t('cmp.same')}</p>}
        {error && <p class="form-error" role="alert">{error}</p>}
        {pair && pair.from !== pair.to && !view && !error && <p class="muted">{t('common.loading')}</p>}
        {view && c && (
          <>
            <h2 class="cmp-sides" data-testid="compare-sides">{sideTitle(view.from)} → {sideTitle(view.to)}</h2>
            <p class="cmp-summary" role="status" data-testid="compare-summary">
              {t('cmp.summary', { added: c.cards_added - c.cards_moved, removed: c.cards_removed - c.cards_moved, changed: c.cards_changed, moved: c.cards_moved, answers: c.answers_changed, sags: c.sagsomraader_changed })}
            </p>
            <div class="segmented" role="tablist" aria-label={t('cmp.views')}>
              <button type="button" role="tab" id="cmp-tab-wall" aria-controls="cmp-panel" aria-selected={tab === 'wall'} class={`seg ${tab === 'wall' ? 'seg-on seg-group' : ''}`} onClick={() => setTab('wall')} data-testid="compare-view-wall">{t('cmp.viewWall')}</button>
              <button type="button" role="tab" id="cmp-tab-sheet" aria-controls="cmp-panel" aria-selected={tab === 'sheet'} class={`seg ${tab === 'sheet' ? 'seg-on seg-group' : ''}`} onClick={() => setTab('sheet')} data-testid="compare-view-sheet">{t('cmp.viewSheet')}</button>
            </div>
            <div id="cmp-panel" role="tabpanel" aria-labelledby={tab === 'wall' ? 'cmp-tab-wall' : 'cmp-tab-sheet'}>
              {tab === 'wall' ? <CompareWall view={view} /> : <CompareSheet view={view} />}
            </div>
          </>
        )}
      </main>
    </>
  );
}

/** The wall's questions with a change × fagområder; phones show one fagområde at a time. */
function CompareWall({ view }: { view: CompareView }) {
  const narrow = useMedia('(max-width: 760px)');
  const [only, setOnly] = useState('');
  const byCell = new Map(view.cells.map((c) => [`${c.row}\u0000${c.column}`, c]));
  const changedColumns = view.columns.filter((col) => view.cells.some((c) => c.column === col.id));
  const current = only || changedColumns[0]?.id || view.columns[0]?.id;
  const columns = narrow ? view.columns.filter((c) => c.id === current) : view.columns;
  // The questions with a change in the fagområder shown.
  const rows = view.rows.filter((r) => view.cells.some((c) => c.row === r.id && columns.some((col) => col.id === c.column)));
  const cellName = (r: { row: string; column: string }) =>
    `${view.rows.find((x) => x.id === r.row)?.label ?? r.row} · ${view.columns.find((x) => x.id === r.column)?.label ?? r.column}`;
  if (view.cells.length === 0) return <p class="panel panel-soft" data-testid="compare-no-cells">{t('cmp.noCells')}</p>;
  return (
    <div class="cmp-wall-wrap">
      {narrow && view.columns.length > 1 && (
        <div class="col-picker" role="tablist" aria-label={t('wall.column')}>
          {view.columns.map((c) => (
            <button key={c.id} type="button" role="tab" aria-selected={current === c.id} class={`chip ${current === c.id ? 'on' : ''}`} onClick={() => setOnly(c.id)}>
              {c.label}
            </button>
          ))}
        </div>
      )}
      {rows.length === 0 ? <p class="panel panel-soft">{t('cmp.noCells')}</p> : (
      <table class="cmp-wall" data-testid="compare-wall">
        <thead>
          <tr>
            <th scope="col">{t('wall.question')}</th>
            {columns.map((c) => <th key={c.id} scope="col">{c.label}</th>)}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} data-row-id={r.id}>
              <th scope="row" class="cmp-rowhead">{r.label}</th>
              {columns.map((col) => {
                const cell = byCell.get(`${r.id}\u0000${col.id}`);
                return (
                  <td key={col.id} class="cmp-cell" data-testid={`compare-cell-${r.id}-${col.id}`}>
                    {cell && <CellEntries cell={cell} cellName={cellName} />}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      )}
    </div>
  );
}

function CellEntries({ cell, cellName }: { cell: CompareCell; cellName: (r: { row: string; column: string }) => string }) {
  return (
    <ul class="cmp-cards" aria-label={t('cmp.cellLabel', { row: cell.row_label, column: cell.column_label, n: cell.added.length + cell.removed.length + cell.changed.length })}>
      {cell.added.map((c) => <Entry key={`a-${c.id}`} kind={c.moved_from ? 'moved-in' : 'added'} card={c} note={c.moved_from && t('cmp.movedFrom', { cell: cellName(c.moved_from) })} />)}
      {cell.changed.map((c) => <Changed key={`c-${c.id}`} change={c} />)}
      {cell.removed.map((c) => <Entry key={`r-${c.id}`} kind={c.moved_to ? 'moved-out' : 'removed'} card={c} note={c.moved_to && t('cmp.movedTo', { cell: cellName(c.moved_to) })} />)}
    </ul>
  );
}

const BADGE = { added: 'cmp.added', removed: 'cmp.removed', 'moved-in': 'cmp.movedIn', 'moved-out': 'cmp.movedOut' } as const;

function Entry({ kind, card, note }: { kind: keyof typeof BADGE; card: CompareCard; note?: string }) {
  return (
    <li class={`cmp-card cmp-${kind}`} data-testid={`compare-card-${card.id}`} data-change={kind}>
      <span class={`cmp-badge cmp-badge-${kind}`}>{t(BADGE[kind])}</span>
      <p class="cmp-text">{kind === 'removed' || kind === 'moved-out' ? <del>{card.text}</del> : card.text}</p>
      {(card.sagsomraade || note) && <p class="cmp-meta muted small">{[card.sagsomraade, note].filter(Boolean).join(' · ')}</p>}
    </li>
  );
}

function Changed({ change }: { change: CompareCardChange }) {
  return (
    <li class="cmp-card cmp-changed" data-testid={`compare-card-${change.id}`} data-change="changed">
      <span class="cmp-badge cmp-badge-changed">{t('cmp.changed')}</span>
      <p class="cmp-text">
        <span class="sr-only">{t('cmp.before')}: </span><del class="cmp-old">{change.before}</del>
        <span aria-hidden="true"> → </span>
        <span class="sr-only">{t('cmp.after')}: </span><ins class="cmp-new">{change.after}</ins>
      </p>
      {change.sagsomraade && <p class="cmp-meta muted small">{change.sagsomraade}</p>}
    </li>
  );
}

/** Per sagsområde: brugsmønster and løsningsscenarie before → after, and every other answer that changed. */
function CompareSheet({ view }: { view: CompareView }) {
  const [onlyChanged, setOnlyChanged] = useState(true);
  const list = view.sagsomraader.filter((s) => !onlyChanged || s.changed);
  return (
    <div class="cmp-sheet" data-testid="compare-sheet">
      <label class="choice-inline">
        <input type="checkbox" checked={onlyChanged} onChange={(e) => setOnlyChanged((e.currentTarget as HTMLInputElement).checked)} data-testid="compare-only-changed" />
        {' '}{t('cmp.onlyChanged')}
      </label>
      {view.sagsomraader.length === 0 && <p class="panel panel-soft">{t('cmp.noSags')}</p>}
      {view.sagsomraader.length > 0 && list.length === 0 && <p class="panel panel-soft">{t('cmp.noAnswers')}</p>}
      {list.map((s) => <SagsChanges key={s.sagsomraade_id} s={s} />)}
    </div>
  );
}

function SagsChanges({ s }: { s: CompareSagsomraade }) {
  const special = [s.brugsmoenster.key, s.loesningsscenarie.key];
  const others = s.answers.filter((a) => !special.includes(a.key));
  const id = `cmp-s-${s.sagsomraade_id}`;
  const value = (v: string | null) => v ?? t('cmp.none');
  return (
    <section class="panel cmp-sags" aria-labelledby={id} data-testid={`compare-sags-${s.sagsomraade_id}`}>
      <h3 id={id}>
        <span class="muted">{s.fagomraade} · </span>{s.kle ? `${s.kle} ` : ''}{s.sagsomraade}
        {s.presence === 'added' && <span class="cmp-badge cmp-badge-added">{t('cmp.sagsAdded')}</span>}
        {s.presence === 'removed' && <span class="cmp-badge cmp-badge-removed">{t('cmp.sagsRemoved')}</span>}
      </h3>
      <table class="cmp-answers">
        <thead>
          <tr><th scope="col">{t('cmp.question')}</th><th scope="col">{t('cmp.before')}</th><th scope="col">{t('cmp.after')}</th><th scope="col"><span class="sr-only">{t('cmp.changed')}</span></th></tr>
        </thead>
        <tbody>
          {([['cmp.brugsmoenster', s.brugsmoenster, 'brugsmoenster'], ['cmp.loesningsscenarie', s.loesningsscenarie, 'loesningsscenarie']] as const).map(([label, v, role]) => (
            <tr key={role} class={v.changed ? 'is-changed' : ''} data-testid={`compare-${role}-${s.sagsomraade_id}`}>
              <th scope="row">{t(label)}</th>
              <td>{value(v.before)}</td>
              <td>{value(v.after)}</td>
              <td>{v.changed ? <span class="cmp-badge cmp-badge-changed">{t('cmp.changed')}</span> : <span class="muted small">{t('cmp.unchanged')}</span>}</td>
            </tr>
          ))}
          {others.map((a) => (
            <tr key={a.key} class="is-changed" data-testid={`compare-answer-${s.sagsomraade_id}-${a.key}`}>
              <th scope="row">{a.header}</th>
              <td>{value(a.before)}</td>
              <td>{value(a.after)}</td>
              <td><span class="cmp-badge cmp-badge-changed">{t('cmp.changed')}</span></td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
