import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type RoomInfo, type Snapshot, type SnapshotInfo } from '../api';
import { Header } from '../components/Header';
import { CardView } from '../components/CardView';
import { useSession } from '../hooks';
import { fmtDate, fmtDateTime, t } from '../i18n';
import { downloadPng, fileSlug } from '../image';
import { navigate, type Via } from '../router';
import type { RoomSession } from '../sync/room';
import { readColumns, readMeta, readRows, roundSections, rowTag, type Card } from '../sync/schema';
import { hiddenGroups, readRoomAnswers, readRoomCards } from '../sync/docs';
import { answerNotes, type AnswerNote } from '../sync/answerCards';
import { errorText } from './errors';
import { RoomChrome } from './RoomChrome';
import { axis, snapshotRows, toCard } from './Review';
import { AnswerCard } from './WallGrid';

type PrintRow = { id: string; label: string; number?: string; round?: string };
type PrintColumn = { id: string; label: string };

interface DocProps {
  title: string;
  /** What and when: "Udskrevet 2. december 2026", "Snapshot 3, taget …". */
  dateLine: string;
  rows: PrintRow[];
  columns: PrintColumn[];
  cards: Card[];
  /** The Skema's answers as answer cards, by cell (`<row>\0<column>`), as the live wall shows them. */
  notes?: Map<string, AnswerNote[]>;
  /** Groups whose cards are not shown yet (private group work). */
  hidden?: Set<string>;
}

/**
 * The wall as a document: one table per round (questions × fagområder, every row, the cards in
 * their cells), each headed with the workshop's title, the round and the date in its `<thead>`,
 * which Chromium repeats on every printed page. Print CSS (print.css) puts it on A3 landscape,
 * each round from a new page, never cutting a card; the PNG is made from the same node.
 */
export function WallPrintDoc({ title, dateLine, rows, columns, cards, notes, hidden }: DocProps) {
  const byCell = new Map<string, Card[]>();
  for (const c of cards) {
    const k = `${c.row}\u0000${c.column}`;
    byCell.set(k, [...(byCell.get(k) ?? []), c]);
  }
  return (
    <>
      {roundSections(rows).map((sec) => (
        <section key={sec.round || 'all'} class="print-round" data-testid="print-round" data-round={sec.round}>
          <table class="print-table" style={{ '--cols': String(columns.length) }}>
            <caption class="sr-only">{sec.label ? `${title} – ${sec.label}` : title}</caption>
            <colgroup>
              <col class="print-col-question" />
              {columns.map((c) => <col key={c.id} />)}
            </colgroup>
            <thead>
              <tr>
                <th colSpan={columns.length + 1} scope="colgroup" class="print-head">
                  <span class="print-title" data-testid="print-title">{title}</span>
                  {sec.label && <span class="print-round-label" data-testid="print-round-label">{sec.label}</span>}
                  <span class="print-date" data-testid="print-date">{dateLine}</span>
                </th>
              </tr>
              <tr>
                <th scope="col" class="print-corner">{t('wall.question')}</th>
                {columns.map((c) => (
                  <th key={c.id} scope="col" class="print-colhead">
                    {c.label}
                    {hidden?.has(c.id) && <span class="print-hidden"> · {t('wall.hiddenColumn')}</span>}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {sec.rows.map((r) => (
                <tr key={r.id} data-row-id={r.id}>
                  <th scope="row" class="print-rowhead">
                    <span class="qnum">{rowTag(r, rows)}</span>
                    <span class="print-rowlabel">{r.label}</span>
                  </th>
                  {columns.map((c) => {
                    const here = byCell.get(`${r.id}\u0000${c.id}`) ?? [];
                    const answers = notes?.get(`${r.id}\u0000${c.id}`) ?? [];
                    return (
                      <td key={c.id} class="print-cell" data-testid={`print-cell-${r.id}-${c.id}`}>
                        {answers.map((n) => <AnswerCard key={n.sags.id} note={n} />)}
                        {here.map((card) => <CardView key={card.id} card={card} />)}
                        {hidden?.has(c.id) && <span class="muted small">{t('print.hidden')}</span>}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ))}
    </>
  );
}

/**
 * The print page's frame: on screen a toolbar (back, "Udskriv / gem som PDF", "Hent PNG", what
 * happened) above the document; printed, only the document.
 */
function PrintFrame({ title, fileName, back, backLabel, ready, children }: {
  title: string; fileName: string; back: string; backLabel: string; ready: boolean; children: ComponentChildren;
}) {
  const doc = useRef<HTMLElement>(null);
  const [status, setStatus] = useState<{ text: string; error?: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  const png = async () => {
    if (!doc.current) return;
    setBusy(true);
    setStatus({ text: t('print.pngBusy') });
    try {
      await downloadPng(doc.current, fileName);
      setStatus({ text: t('print.pngDone', { file: fileName }) });
    } catch (e) {
      setStatus({ text: t('print.pngFailed', { error: e instanceof Error ? e.message : String(e) }), error: true });
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="print-page" data-testid="print-page" data-ready={ready ? 'yes' : 'no'}>
      <div class="print-toolbar no-print" role="group" aria-label={t('print.title')}>
        <button type="button" class="btn btn-ghost-border btn-small" onClick={() => navigate(back)} data-testid="print-back">← {backLabel}</button>
        <button type="button" class="btn btn-primary" onClick={() => window.print()} disabled={!ready} data-testid="print-pdf">{t('print.pdf')}</button>
        <button type="button" class="btn btn-ghost-border" onClick={png} disabled={!ready || busy} aria-busy={busy} data-testid="print-png">{t('print.png')}</button>
        <p class="muted small print-hint">{t('print.pdfHint')}</p>
        <p class={status?.error ? 'form-error print-status' : 'muted small print-status'} role="status" data-testid="print-status">{status?.text ?? ''}</p>
      </div>
      <div class="print-scroll" tabIndex={0} aria-label={t('print.docLabel', { title })}>
        <article ref={doc} class="wall-print" data-testid="wall-print">
          {ready ? children : <p class="muted">{t('print.loading')}</p>}
        </article>
      </div>
    </main>
  );
}

const today = () => new Date().toISOString().slice(0, 10);

/** `…/wall/print`: the live wall as the plenum sees it (the same cards, answers and hidden groups as the wall page). */
export function LiveWallPrint({ session, info, via }: { session: RoomSession; info: RoomInfo; via: Via }) {
  useSession(session);
  const control = session.control.doc;
  const title = readMeta(control).title || info.title;
  const rows = readRows(control);
  const columns = readColumns(control);
  const docs = session.docs;
  const answers = readRoomAnswers(docs, 'plenum');
  const back = `/${via === 'join' ? 'join' : 'room'}/${encodeURIComponent(info.id)}/wall`;
  return (
    <RoomChrome session={session} subtitle={t('print.title')} wide phaseBanner={false} heading>
      <PrintFrame title={title} fileName={`${fileSlug(title)}-vaeg-${today()}.png`} back={back} backLabel={t('print.back')} ready={session.ready}>
        <WallPrintDoc title={title} dateLine={t('print.printedOn', { date: fmtDate(Date.now()) })} rows={rows} columns={columns}
          cards={readRoomCards(docs, 'plenum')} notes={answerNotes(rows, columns, answers)} hidden={hiddenGroups(docs)} />
      </PrintFrame>
    </RoomChrome>
  );
}

/** `…/review/{seq}/print`: a snapshot's wall, dated when it was taken. */
export function SnapshotWallPrint({ info, token, via, seq }: { info: RoomInfo; token: string; via: Via; seq: number }) {
  const [snap, setSnap] = useState<Snapshot | null>(null);
  const [taken, setTaken] = useState<SnapshotInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    Promise.all([api.snapshot(info.id, token, seq), api.snapshots(info.id, token)]).then(([s, list]) => {
      setSnap(s);
      setTaken(list.find((x) => x.seq === seq) ?? null);
    }, (e) => setError(errorText(e)));
  }, [info.id, token, seq]);
  const title = (typeof snap?.meta?.title === 'string' && snap.meta.title) || info.title;
  const base = via === 'review' ? `/review/${encodeURIComponent(info.id)}` : `/room/${encodeURIComponent(info.id)}/review`;
  const date = taken ? taken.taken_at.slice(0, 10) : today();
  return (
    <>
      <Header title={info.title} subtitle={t('print.title')} wide heading />
      {error && <p class="form-error page" role="alert">{error}</p>}
      <PrintFrame title={title} fileName={`${fileSlug(title)}-snapshot-${seq}-${date}.png`} back={`${base}/${seq}`} backLabel={t('print.backSnapshot')} ready={!!snap}>
        {snap && (
          <WallPrintDoc title={title} dateLine={taken ? t('print.snapshot', { seq, time: fmtDateTime(taken.taken_at) }) : t('review.snapshot', { seq })}
            rows={snapshotRows(snap)} columns={snap.columns.map(axis)} cards={snap.cards.map(toCard)} />
        )}
      </PrintFrame>
    </>
  );
}
