import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, exportUrl, type RoomInfo, type Snapshot, type SnapshotInfo } from '../api';
import { Header } from '../components/Header';
import { fmtDateTime, t } from '../i18n';
import { analysisPath, comparePath, navigate, printPath } from '../router';
import type { Card } from '../sync/schema';
import { errorText } from './errors';
import { rowAxes, WallGrid, type Axis } from './WallGrid';
import { SnapshotSheet } from './SnapshotSheet';
import { RoomDeletedPanel } from './RoomDeleted';
import { snapshotTitle } from './Compare';

/** `/review/{id}#reviewToken` (or from the console): the snapshots, each opened read-only as a wall. */
export function Review({ info, token, via, seq }: { info: RoomInfo; token: string; via: 'room' | 'review'; seq: number | null }) {
  const [list, setList] = useState<SnapshotInfo[] | null>(null);
  const [snap, setSnap] = useState<Snapshot | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [view, setView] = useState<'wall' | 'sheet'>('wall');
  const [restored, setRestored] = useState<{ seq: number; before: number } | null>(null);
  // The room opened, so a 404 from it now means it was deleted since.
  const [deleted, setDeleted] = useState(false);
  const failed = (e: unknown) => {
    if (e instanceof ApiError && e.status === 404 && !(e.serverMessage && /snapshot/i.test(e.serverMessage))) setDeleted(true);
    else setError(errorText(e));
  };
  const fac = info.role === 'facilitator';
  // The facilitator rolls the wall back to a snapshot; the state before is kept as a new one.
  const restore = async (s: SnapshotInfo) => {
    if (!confirm(t('review.restoreConfirm', { seq: s.seq }))) return;
    setError(null);
    try {
      const { seq: before } = await api.restoreSnapshot(info.id, token, s.seq);
      setRestored({ seq: s.seq, before });
      setList(await api.snapshots(info.id, token));
    } catch (e) {
      failed(e);
    }
  };
  const base = via === 'room' ? `/room/${encodeURIComponent(info.id)}/review` : `/review/${encodeURIComponent(info.id)}`;

  useEffect(() => {
    api.snapshots(info.id, token).then((l) => setList(l), failed);
  }, [info.id, token]);
  useEffect(() => {
    setSnap(null);
    if (seq === null) return;
    api.snapshot(info.id, token, seq).then(setSnap, failed);
  }, [seq]);

  const current = list?.find((s) => s.seq === seq);
  if (deleted) {
    return (
      <>
        <Header title={info.title} subtitle={t('review.title')} />
        <RoomDeletedPanel roomId={info.id} />
      </>
    );
  }
  return (
    <>
      <Header title={info.title} subtitle={t('review.title')} wide={seq !== null} heading={seq !== null} />
      {seq === null ? (
        <main id="main" class="page narrow review" data-testid="review">
          <div class="page-head">
            <h1>{t('review.title')}</h1>
            {via === 'room' && (
              <button type="button" class="btn btn-ghost-border btn-small" onClick={() => navigate(`/room/${encodeURIComponent(info.id)}`)}>
                ← {t('wall.back')}
              </button>
            )}
          </div>
          <p class="lead">{t('review.lead')}</p>
          {via === 'review' && (
            <div class="row-actions review-analysis">
              <button type="button" class="btn btn-ghost-border" onClick={() => navigate(analysisPath('review', info.id, 'sheet'))} data-testid="review-open-sheet">{t('an.sheet')}</button>
              <button type="button" class="btn btn-ghost-border" onClick={() => navigate(analysisPath('review', info.id, 'priority'))}>{t('an.priority')}</button>
              <button type="button" class="btn btn-ghost-border" onClick={() => navigate(analysisPath('review', info.id, 'note'))} data-testid="review-open-note">{t('an.note')}</button>
            </div>
          )}
          {error && <p class="form-error" role="alert">{error}</p>}
          {list && list.length > 0 && (
            <div class="row-actions">
              <button type="button" class="btn btn-primary" onClick={() => navigate(comparePath(via, info.id))} aria-label={t('cmp.openLabel')} data-testid="open-compare">
                {t('cmp.open')}
              </button>
            </div>
          )}
          {restored && <p class="panel panel-notice" role="status" data-testid="restored">{t('review.restored', { seq: restored.seq, before: restored.before })}</p>}
          {!list && !error && <p class="muted">{t('common.loading')}</p>}
          {list && list.length === 0 && <p class="panel panel-soft" data-testid="review-empty">{t('review.none')}</p>}
          {list && list.length > 0 && (
            <ul class="snap-list" data-testid="snapshot-list">
              {[...list].reverse().map((s) => (
                <li key={s.seq} class="snap-item" data-testid={`snapshot-${s.seq}`}>
                  <div>
                    <div class="snap-title">{snapshotTitle(s)}</div>
                    <div class="muted small">{t('review.takenAt', { time: fmtDateTime(s.taken_at) })}</div>
                  </div>
                  <div class="row-actions">
                    <a class="btn btn-small btn-ghost-border" href={exportUrl(info.id, token, 'xlsx', s.seq)} download>XLSX</a>
                    <a class="btn btn-small btn-ghost-border" href={exportUrl(info.id, token, 'csv', s.seq)} download>CSV</a>
                    {fac && (
                      <button type="button" class="btn btn-small btn-ghost-border" onClick={() => restore(s)} data-testid={`restore-snapshot-${s.seq}`}
                        aria-label={t('review.restoreLabel', { seq: s.seq })}>
                        {t('review.restore')}
                      </button>
                    )}
                    <button type="button" class="btn btn-primary btn-small" onClick={() => navigate(`${base}/${s.seq}`)} data-testid={`open-snapshot-${s.seq}`}>
                      {t('review.open')}
                    </button>
                  </div>
                </li>
              ))}
            </ul>
          )}
        </main>
      ) : (
        <main id="main" class="wall-page" data-testid="review-wall" data-seq={seq}>
          <div class="wall-toolbar">
            <button type="button" class="btn btn-ghost-border btn-small" onClick={() => navigate(base)} data-testid="review-back">
              ← {t('review.back')}
            </button>
            <strong>{current ? snapshotTitle(current) : t('review.snapshot', { seq })}</strong>
            {current && <span class="muted">{t('review.takenAt', { time: fmtDateTime(current.taken_at) })}</span>}
            {snap && <span class="muted">{t('review.cards', { n: snap.cards.length })}</span>}
            <span class="badge badge-muted">{t('wall.readOnly')}</span>
            <div class="segmented" role="tablist">
              <button type="button" role="tab" aria-selected={view === 'wall'} class={`seg ${view === 'wall' ? 'seg-on seg-group' : ''}`} onClick={() => setView('wall')} data-testid="snapshot-view-wall">{t('review.viewWall')}</button>
              <button type="button" role="tab" aria-selected={view === 'sheet'} class={`seg ${view === 'sheet' ? 'seg-on seg-group' : ''}`} onClick={() => setView('sheet')} data-testid="snapshot-view-sheet">{t('an.sheet')}</button>
            </div>
            <span class="spacer" />
            <button type="button" class="btn btn-ghost-border btn-small" onClick={() => navigate(printPath(via, info.id, seq))} aria-label={t('a11y.printOpen', { open: t('print.open'), what: t('print.openLabel') })} data-testid="snapshot-print">
              {t('print.open')}
            </button>
          </div>
          {error && <p class="form-error" role="alert">{error}</p>}
          {!snap && !error && <p class="muted page">{t('common.loading')}</p>}
          {view === 'sheet' && <SnapshotSheet roomId={info.id} token={token} seq={seq} title={info.title}
            dateLine={current ? t('print.snapshot', { seq, time: fmtDateTime(current.taken_at) }) : t('review.snapshot', { seq })} />}
          {view === 'wall' && snap && <WallGrid rows={rowAxes(snapshotRows(snap))} columns={snap.columns.map(axis)} cards={snap.cards.map(toCard)} />}
        </main>
      )}
    </>
  );
}

const s = (v: unknown) => (typeof v === 'string' ? v : v == null ? '' : String(v));

/** A snapshot's rows as the wall numbers them: id, label, number and round. */
export function snapshotRows(snap: Snapshot): { id: string; label: string; number?: string; round?: string }[] {
  return snap.rows.map((r) => ({ ...axis(r), round: s(r.round) || undefined }));
}

export function axis(a: { id: string; label: string; [k: string]: unknown }): Axis {
  return { id: a.id, label: a.label, number: a.number === undefined ? undefined : s(a.number) };
}

export function toCard(c: Snapshot['cards'][number]): Card {
  const comments = Array.isArray(c.comments) ? (c.comments as Record<string, unknown>[]) : [];
  return {
    id: c.id,
    row: c.row,
    column: c.column,
    text: s(c.text),
    sagsomraade: s(c.sagsomraade),
    sagsomraade_id: s(c.sagsomraade_id),
    kle: s(c.kle),
    author: s(c.author),
    author_id: s(c.author_id),
    group: s(c.group),
    created_at: typeof c.created_at === 'number' ? c.created_at : 0,
    highlight: c.highlight === true,
    comments: comments.map((x) => ({ id: s(x.id), text: s(x.text), author: s(x.author), created_at: typeof x.created_at === 'number' ? x.created_at : 0 })),
    merged_from: Array.isArray(c.merged_from) ? c.merged_from.map(s) : [],
  };
}
