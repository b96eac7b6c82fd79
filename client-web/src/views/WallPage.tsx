import { useEffect, useRef, useState } from 'preact/hooks';
import type { RoomInfo } from '../api';
import { useMedia, useSession, useVotes } from '../hooks';
import { fmtDate, t } from '../i18n';
import { deviceId, loadMe } from '../local';
import { navigate, printPath } from '../router';
import type { RoomSession } from '../sync/room';
import { readPresence, setUser } from '../sync/presence';
import { readColumns, readMeta, readRows, rowTag, type Card, type Column, type Row } from '../sync/schema';
import { hiddenGroups, moveRoomCard, readRoomAnswers, readRoomCards } from '../sync/docs';
import { presenceName } from '../components/Presence';
import { PhaseTimer } from '../components/Timer';
import { AddCardDialog } from './AddCardDialog';
import { CardDialog } from './CardDialog';
import { announceFacilitator } from './Console';
import { RoomChrome } from './RoomChrome';
import { rowAxes, WallGrid } from './WallGrid';
import { answerNotes, conflicts } from '../sync/answerCards';
import { conflictText } from '../components/CardView';
import { RevealAnnouncer, RevealPanel } from './Visibility';
import { isFollowing, leaderShowing, ownShowing, show } from '../sync/follow';
import { Followers, leads, startFollowing, stopFollowing } from './Follow';

/** Projector pages that have started following once (a reload of the tab starts again). */
const projectorStarted = new WeakSet<RoomSession>();
import { byVotes } from '../sync/voting';
import { SagsVoting, VoteBar, VoteControls, VotingPanel } from './Voting';
import { loadWallView, saveWallView, useFitZoom, type WallView } from './wallFit';

/**
 * The plenum wall: live, for the projector (facilitator moderates) and for remote attendees. On a
 * participant's page in plenum (`onBackToGroup`: views/Join.tsx) it is the page itself, with the
 * participant's own group (`ownGroup`) marked and a way back to the group work.
 */
export function WallPage({ session, info, via, projector = false, ownGroup, onBackToGroup }: {
  session: RoomSession; info: RoomInfo; via: 'room' | 'join'; projector?: boolean; ownGroup?: string; onBackToGroup?: () => void;
}) {
  useSession(session);
  const fac = info.role === 'facilitator';
  const me = loadMe(info.id);
  useEffect(() => {
    // The projector's wall is the facilitator's too, named so in the list of who follows; it follows from the start.
    if (fac && projector) setUser(session, { name: t('follow.projector'), color: '#12325b', role: 'facilitator', group: '' });
    else if (fac) announceFacilitator(session);
    else if (me?.name) setUser(session, { name: me.name, color: me.color, role: info.role, group: me.group });
    if (projector && !projectorStarted.has(session)) {
      projectorStarted.add(session);
      startFollowing(session);
    }
  }, [session]);
  // Follow: a follower's wall shows what the facilitator shows; the facilitator's (not following) says what it shows.
  const following = isFollowing(session);
  const lead = following ? leaderShowing(session) : null;
  const leading = leads(session);
  const mine = leading ? ownShowing(session) : null;
  const shown = following ? lead : mine;
  const [ownSags, setOwnSags] = useState('');
  const focusSags = following ? lead?.sagsomraade ?? '' : leading ? mine?.sagsomraade ?? '' : ownSags;
  const chooseSags = (id: string) => {
    // Picking another sagsområde is changing the view oneself: a follower stops following.
    if (following) stopFollowing(session, true);
    // A card shown stays only in the cell: it may be of another sagsområde (dimmed).
    if (leading) show(session, { sagsomraade: id || null, card: null });
    else setOwnSags(id);
  };
  const showCard = (c: Card) => show(session, { cell: { row: c.row, column: c.column }, card: c.id });
  const [scale, setScale] = useState(() => Number(localStorage.getItem('kortvaeg:wallScale')) || 1);
  // How this device shows the wall: fit to screen, one question at a time, filters (kept on the device).
  const [view, setViewState] = useState<WallView>(() => loadWallView(info.id));
  const setView = (patch: Partial<WallView>) => setViewState((v) => {
    const next = { ...v, ...patch };
    saveWallView(info.id, next);
    return next;
  });
  const [actions, setActions] = useState<string | null>(null);
  const [adding, setAdding] = useState<{ row?: string; column?: string } | null>(null);
  const votes = useVotes(session);
  const cardRound = votes.round?.target === 'cards';
  // "Sortér efter stemmer": off by default, kept on this device.
  const [sortVotes, setSortVotes] = useState(() => localStorage.getItem('kortvaeg:wallSortVotes') === '1');
  const toggleSort = () => {
    localStorage.setItem('kortvaeg:wallSortVotes', sortVotes ? '0' : '1');
    setSortVotes(!sortVotes);
  };
  const meta = readMeta(session.control.doc);
  const rows = readRows(session.control.doc);
  const columns = readColumns(session.control.doc);
  // The plenum's wall: the wall document's cards and the groups open to the room (in private group
  // work only those revealed, also on the facilitator's projector; a seat sees its own group too).
  const docs = session.docs;
  const cards = readRoomCards(docs, 'plenum');
  const hidden = hiddenGroups(docs);
  const people = readPresence(session);
  // One set of answers: the Skema's answers as answer cards, and cards that disagree with them.
  const answers = readRoomAnswers(docs, 'plenum');
  const notes = answerNotes(rows, columns, answers);
  const clashes = new Map([...conflicts(cards, rows, columns, answers)].map(([id, c]) => [id, conflictText(c) ?? '']));
  const canWrite = fac || (info.role === 'participant' && meta.phase !== 'closed');
  const zoom = (d: number) => {
    const v = Math.min(1.8, Math.max(0.7, Math.round((scale + d) * 10) / 10));
    setScale(v);
    localStorage.setItem('kortvaeg:wallScale', String(v));
    // Choosing a size oneself ends "Tilpas til skærm".
    if (view.fit) setView({ fit: false });
  };
  // What is shown: one fagområde or all; every question or one at a time.
  const allAxes = rowAxes(rows, meta.round);
  const shownColumns = view.fag && columns.some((c) => c.id === view.fag) ? columns.filter((c) => c.id === view.fag) : columns;
  const rowIndex = Math.max(0, allAxes.findIndex((r) => r.id === view.row));
  const shownRows = view.one ? allAxes.slice(rowIndex, rowIndex + 1).map((r) => ({ ...r, divider: undefined })) : allAxes;
  const step = (d: number) => {
    const next = allAxes[Math.min(allAxes.length - 1, Math.max(0, rowIndex + d))];
    if (next) setView({ row: next.id });
  };
  // A follower in "one question at a time" goes to the question of the cell the facilitator shows.
  const shownRow = shown?.cell?.row ?? (shown?.card ? cards.find((c) => c.id === shown.card)?.row : undefined);
  useEffect(() => {
    if (following && view.one && shownRow && shownRow !== view.row) setView({ row: shownRow });
  }, [following, view.one, shownRow]);
  // ← and → between questions (not while typing, nor under an open dialog).
  useEffect(() => {
    if (!view.one) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
      if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
      const el = e.target as HTMLElement | null;
      if (el?.closest('input, textarea, select, [contenteditable], dialog[open]') || document.querySelector('dialog[open]')) return;
      e.preventDefault();
      step(e.key === 'ArrowLeft' ? -1 : 1);
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [view.one, rowIndex, allAxes.length]);
  const wallRef = useRef<HTMLDivElement>(null);
  const fitDeps = [scale, view.one, view.row, view.fag, view.onlySags, focusSags, shownColumns.length, shownRows.length,
    cards.map((c) => `${c.id}:${c.text.length}:${c.row}:${c.column}`).join(), notes.size, hidden.size];
  // A phone shows one fagområde and scrolls: fitting is for wide screens (the setting stays for them).
  const narrow = useMedia('(max-width: 760px)');
  const fit = view.fit && !narrow;
  const fitted = useFitZoom(wallRef, fit, fitDeps);
  const own = ownGroup ?? (fac ? undefined : me?.group);
  const back = via === 'room' ? `/room/${encodeURIComponent(info.id)}` : `/join/${encodeURIComponent(info.id)}`;
  const myGroupLabel = columns.find((c) => c.id === me?.group)?.label;

  return (
    <RoomChrome session={session} subtitle={t('wall.title')} wide phaseBanner={!fac} heading>
      <main id="main" class={`wall-page ${fit ? 'is-fit' : ''} ${view.one ? 'is-one' : ''}`} data-testid="wall-page" data-fit-zoom={fit ? String(fitted.zoom) : undefined}>
        <PhaseTimer timer={meta.timer} pinned />
        <p class="print-only wall-print-line">{meta.title || info.title} · {t('print.printedOn', { date: fmtDate(Date.now()) })}</p>
        <div class="wall-toolbar">
          {onBackToGroup ? (
            <button type="button" class="btn btn-primary btn-small" onClick={onBackToGroup} data-testid="back-to-group">
              ← {t('plenum.backToGroup')}
            </button>
          ) : (
            <button type="button" class="btn btn-ghost-border btn-small" onClick={() => navigate(back)} data-testid="wall-back">
              ← {fac ? t('wall.back') : t('wall.backGroup')}
            </button>
          )}
          <span class={`badge phase-badge phase-${meta.phase}`} data-testid="wall-phase">{t(`phase.${meta.phase}`)}</span>
          <span class="muted" data-testid="wall-count">{t('wall.cardsTotal', { n: cards.length })}</span>
          <span class="avatars-inline" title={people.map(presenceName).join(', ')} data-testid="wall-online">
            ● {t('join.online', { n: people.length })}
          </span>
          <span class="spacer" />
          {leading && <Followers session={session} compact />}
          {fac && <span class="muted small hide-narrow">{t('wall.dragHint')}</span>}
          <SagsFocus columns={columns} value={focusSags} onChange={chooseSags} />
          {focusSags && (
            <label class="check-inline">
              <input type="checkbox" checked={view.onlySags} onChange={(e) => setView({ onlySags: (e.currentTarget as HTMLInputElement).checked })} data-testid="only-sags" />
              {t('plenum.onlySags')}
            </label>
          )}
          {columns.length > 1 && (
            <label class="fag-filter">
              <span class="sr-only">{t('plenum.filterFag')}</span>
              <select class="input input-small" value={view.fag} aria-label={t('plenum.filterFag')} data-testid="fag-filter"
                onChange={(e) => setView({ fag: (e.currentTarget as HTMLSelectElement).value })}>
                <option value="">{t('plenum.allFag')}</option>
                {columns.map((c) => <option key={c.id} value={c.id}>{c.label}</option>)}
              </select>
            </label>
          )}
          {leading && (
            // Always there (hidden while nothing is marked): a click that marks a cell never moves the wall under the pointer.
            <button type="button" class="btn btn-small btn-ghost" style={{ visibility: shown?.cell || shown?.card ? 'visible' : 'hidden' }}
              onClick={() => show(session, { cell: null, card: null })} data-testid="show-clear">{t('follow.clear')}</button>
          )}
          <div class="zoom" role="group" aria-label={t('plenum.view')}>
            <button type="button" class={`btn btn-small ${view.fit ? 'btn-primary' : 'btn-ghost-border'} hide-narrow`} aria-pressed={view.fit}
              onClick={() => setView({ fit: !view.fit })} data-testid="wall-fit">{t('plenum.fit')}</button>
            <button type="button" class="btn btn-small btn-ghost-border" onClick={() => zoom(-0.1)} aria-label={t('a11y.textSmaller')} data-testid="wall-zoom-out">A−</button>
            <button type="button" class="btn btn-small btn-ghost-border" onClick={() => zoom(0.1)} aria-label={t('a11y.textLarger')} data-testid="wall-zoom-in">A+</button>
            <button type="button" class={`btn btn-small ${view.one ? 'btn-primary' : 'btn-ghost-border'}`} aria-pressed={view.one}
              onClick={() => setView({ one: !view.one, row: view.row || allAxes[0]?.id || '' })} data-testid="wall-one">{t('plenum.one')}</button>
            {fit && <span class="muted small" role="status" data-testid="wall-zoom-level">{t('plenum.zoomLevel', { pct: Math.round(fitted.zoom * 100) })}</span>}
          </div>
          <button type="button" class="btn btn-ghost-border btn-small" onClick={() => navigate(printPath(via, info.id, null))} aria-label={t('a11y.printOpen', { open: t('print.open'), what: t('print.openLabel') })} data-testid="wall-print">
            {t('print.open')}
          </button>
          {cardRound && (
            <button type="button" class={`btn btn-small ${sortVotes ? 'btn-primary' : 'btn-ghost-border'}`} aria-pressed={sortVotes} onClick={toggleSort} data-testid="wall-sort-votes">
              {t('vote.sortByVotes')}
            </button>
          )}
          {fac && (
            // In the toolbar's line (a projector has no height to spare); opened, it takes a line of its own.
            <details class="wall-voting" data-testid="wall-voting">
              <summary class="btn btn-ghost-border btn-small">{t('vote.panelTitle')}</summary>
              <VotingPanel session={session} columns={columns} status={false} />
            </details>
          )}
          {canWrite && (
            <button type="button" class="btn btn-primary btn-small" onClick={() => setAdding({ column: fac ? undefined : me?.group })} data-testid="wall-add">
              + {t('wall.addCard')}
            </button>
          )}
        </div>
        {fit && fitted.tooSmall && <p class="notice-warn wall-fit-note" role="status" data-testid="wall-fit-small">{t('plenum.fitTooSmall')}</p>}
        {view.one && allAxes.length > 0 && (
          <nav class="one-question" aria-label={t('plenum.one')} data-testid="one-question">
            <button type="button" class="btn btn-ghost-border" onClick={() => step(-1)} disabled={rowIndex === 0} aria-label={t('plenum.prev')} data-testid="one-prev">←</button>
            <p class="one-question-text" aria-live="polite">
              <span class="one-question-pos" data-testid="one-pos">{t('plenum.position', { i: rowIndex + 1, n: allAxes.length })}</span>
              <span class="one-question-label"><span class="qnum">{allAxes[rowIndex]?.number}</span> {allAxes[rowIndex]?.label}</span>
            </p>
            <button type="button" class="btn btn-ghost-border" onClick={() => step(1)} disabled={rowIndex >= allAxes.length - 1} aria-label={t('plenum.next')} data-testid="one-next">→</button>
            <span class="muted small hide-narrow">{t('plenum.keysHint')}</span>
          </nav>
        )}
        {fac && <RevealPanel session={session} compact />}
        <VoteBar session={session} />
        <SagsVoting session={session} columns={columns} />
        <RevealAnnouncer session={session} />
        {following && (
          // For a screen reader: what the facilitator shows now (the marks on the wall say it to the eye).
          <p class="sr-only" aria-live="polite" data-testid="follow-announce">{shownText(lead, rows, columns, cards)}</p>
        )}
        <WallGrid
          rows={shownRows}
          columns={shownColumns}
          ownColumn={own}
          onlySags={view.onlySags}
          fit={fit}
          wallRef={wallRef}
          cards={cards}
          hidden={hidden}
          scale={scale}
          presence={people}
          notes={notes}
          conflicts={clashes}
          shownCell={shown?.cell ?? null}
          shownCard={shown?.card ?? null}
          shownBy={following ? 'facilitator' : 'self'}
          focusSags={focusSags}
          onShow={leading ? (cell, card) => show(session, { cell, card }) : undefined}
          cardVote={cardRound ? (c) => <VoteControls session={session} v={votes} id={c.id} name={c.text} kind="card" /> : undefined}
          order={cardRound && sortVotes ? (list) => byVotes(list, votes.counts) : undefined}
          onActions={fac ? (c) => { if (leading) showCard(c); setActions(c.id); } : undefined}
          onDrop={fac ? (id, row, column) => {
            const target = columns.find((c) => c.id === column);
            // Not into a hidden group: the card would leave the projector for that group's document.
            if (!target || hidden.has(column)) return;
            const from = readRoomCards(session.docs).find((c) => c.id === id)?.column;
            // Another fagområde's card gets its sole sagsområde; with several, the card's dialog
            // opens to ask which (until then it has none, never the old fagområde's). A group's
            // card moves to the other group's document (sync/docs.ts).
            if (moveRoomCard(session.docs, id, row, target) && from !== column && target.sagsomraader.length > 1) setActions(id);
          } : undefined}
          onAdd={canWrite ? (row, column) => setAdding({ row, column }) : undefined}
        />
      </main>
      {actions && <CardDialog session={session} cardId={actions} onClose={() => setActions(null)} />}
      {adding && (
        <AddCardDialog
          session={session}
          title={t('wall.addCardTitle')}
          row={adding.row}
          column={adding.column}
          author={fac ? t('role.facilitator') : me?.name || t('role.participant')}
          authorId={fac ? deviceId() : me?.id || deviceId()}
          group={fac ? undefined : myGroupLabel}
          via="wall"
          onClose={() => setAdding(null)}
        />
      )}
    </RoomChrome>
  );
}

/** "Sagsområde i fokus": the wall dims the other sagsområder's cards (the facilitator's choice is followed). */
function SagsFocus({ columns, value, onChange }: { columns: Column[]; value: string; onChange: (id: string) => void }) {
  const withSags = columns.filter((c) => c.sagsomraader.length);
  if (!withSags.length) return null;
  return (
    <label class="sags-focus">
      <span class="sr-only">{t('follow.sags')}</span>
      <select class="input input-small" value={value} onChange={(e) => onChange((e.currentTarget as HTMLSelectElement).value)} data-testid="sags-focus" aria-label={t('follow.sags')}>
        <option value="">{t('follow.allSags')}</option>
        {withSags.map((c) => (
          <optgroup key={c.id} label={c.label}>
            {c.sagsomraader.map((s) => <option key={s.id} value={s.id}>{s.kle ? `${s.kle} ` : ''}{s.label}</option>)}
          </optgroup>
        ))}
      </select>
    </label>
  );
}

/** "Facilitator viser: spørgsmål 8, Voksenservice – kort: …" for a screen reader; '' when nothing is shown. */
function shownText(lead: ReturnType<typeof leaderShowing>, rows: Row[], columns: Column[], cards: Card[]): string {
  if (!lead?.cell && !lead?.card) return '';
  const card = lead.card ? cards.find((c) => c.id === lead.card) : undefined;
  const cell = card ? { row: card.row, column: card.column } : lead.cell!;
  const row = rows.find((r) => r.id === cell.row);
  const col = columns.find((c) => c.id === cell.column);
  const where = t('follow.shownWhere', { n: row ? rowTag(row, rows) : '', col: col?.label ?? '' });
  return card ? `${where} – ${t('follow.shownCardSr', { text: card.text.slice(0, 120) })}` : where;
}
