import { useEffect, useRef, useState } from 'preact/hooks';
import type { ComponentChildren, RefObject } from 'preact';
import { reducedMotion } from '../motion';
import Sortable from 'sortablejs';
import { t } from '../i18n';
import { roundSections, rowTag, type Card } from '../sync/schema';
import { CardView } from '../components/CardView';
import { useMedia } from '../hooks';
import type { Presence } from '../sync/presence';
import { Avatar } from '../components/Presence';
import type { AnswerNote } from '../sync/answerCards';
import { valueLabel } from './AnswerInput';
import type { ShownCell } from '../sync/follow';

export interface Axis { id: string; label: string; number?: string; /** A round divider before this row ("To-be"). */ divider?: string }

interface Props {
  rows: Axis[];
  columns: Axis[];
  cards: Card[];
  /** Facilitator: card actions and drag and drop between cells. */
  onActions?: (card: Card) => void;
  onDrop?: (cardId: string, row: string, column: string) => void;
  /** Anyone who may write: a "+" in each cell. */
  onAdd?: (row: string, column: string) => void;
  scale?: number;
  /** Who is online, by group (column id): shown in the column heads. */
  presence?: Presence[];
  /** The Skema's answers, by cell (`<row>\0<column>`): answer cards (sync/answerCards.ts). */
  notes?: Map<string, AnswerNote[]>;
  /** What a card that disagrees with the Skema says, by card id. */
  conflicts?: Map<string, string>;
  /** Groups (column ids) whose cards are hidden in private group work until the facilitator shows them. */
  hidden?: Set<string>;
  /** Follow (sync/follow.ts): the cell and card shown — by the facilitator to a follower, or by this facilitator's page. */
  shownCell?: ShownCell | null;
  shownCard?: string | null;
  shownBy?: 'self' | 'facilitator';
  /** The sagsområde in focus (id; '' = all): the others' cards are dimmed. */
  focusSags?: string;
  /** The facilitator (not following) picks a cell, or a card in it, by clicking or focusing it. */
  onShow?: (cell: ShownCell, card: string | null) => void;
  /** A voting round on cards: each card's count and vote buttons. */
  cardVote?: (card: Card) => ComponentChildren;
  /** The order of a cell's cards ("Sortér efter stemmer"); as they come without it. */
  order?: (cards: Card[]) => Card[];
  /** The viewer's own group (column id): its column is marked ("Din gruppe"). */
  ownColumn?: string;
  /** With a sagsområde in focus: the others' cards and answers are left out, not dimmed. */
  onlySags?: boolean;
  /** "Tilpas til skærm": the compact layout that is scaled to the window (views/wallFit.ts). */
  fit?: boolean;
  /** The matrix element (what "Tilpas til skærm" measures and scales). */
  wallRef?: RefObject<HTMLDivElement | null>;
}

/** The matrix questions × fagområder with the cards in their cells. Phones show one fagområde at a time. */
export function WallGrid({ rows, columns, cards, onActions, onDrop, onAdd, scale = 1, presence = [], notes, conflicts, hidden, shownCell, shownCard, shownBy = 'self', focusSags = '', onShow, cardVote, order, ownColumn, onlySags, fit, wallRef }: Props) {
  const narrow = useMedia('(max-width: 760px)');
  // A phone starts on the viewer's own group.
  const [only, setOnly] = useState<string>(ownColumn ?? '');
  const wrap = useRef<HTMLDivElement>(null);
  // The cell (or card) shown: on a phone its fagområde's column, and scrolled into view.
  const shownCardColumn = shownCard ? cards.find((c) => c.id === shownCard)?.column : undefined;
  const shownColumn = shownCardColumn ?? shownCell?.column;
  const shownKey = `${shownCell?.row ?? ''}|${shownCell?.column ?? ''}|${shownCard ?? ''}`;
  useEffect(() => {
    if (shownColumn && narrow && columns.some((c) => c.id === shownColumn)) setOnly(shownColumn);
  }, [shownKey, narrow]);
  useEffect(() => {
    if (shownBy !== 'facilitator' || (!shownCell && !shownCard)) return;
    // After the render that shows the column (a phone switches to it first).
    const id = requestAnimationFrame(() => {
      const el = wrap.current?.querySelector(shownCard ? `[data-card-id="${CSS.escape(shownCard)}"]` : `[data-testid="cell-${CSS.escape(shownCell!.row)}-${CSS.escape(shownCell!.column)}"]`);
      const calm = reducedMotion();
      el?.scrollIntoView({ block: 'center', inline: 'center', behavior: calm ? 'auto' : 'smooth' });
    });
    return () => cancelAnimationFrame(id);
  }, [shownKey, shownBy, only]);
  const shown = narrow ? columns.filter((c) => c.id === (only || columns[0]?.id)) : columns;
  const byCell = new Map<string, Card[]>();
  const inFocus = (id: string | undefined) => !onlySags || !focusSags || id === focusSags;
  for (const c of cards) {
    if (!inFocus(c.sagsomraade_id)) continue;
    const k = `${c.row}\u0000${c.column}`;
    byCell.set(k, [...(byCell.get(k) ?? []), c]);
  }
  return (
    <div class="wall-wrap" ref={wrap} style={{ '--wall-scale': String(scale) }}>
      {narrow && columns.length > 1 && (
        <div class="col-picker" role="tablist" aria-label={t('wall.column')}>
          {columns.map((c) => (
            <button key={c.id} type="button" role="tab" aria-selected={shown[0]?.id === c.id} class={`chip ${shown[0]?.id === c.id ? 'on' : ''}`} onClick={() => setOnly(c.id)}>
              {c.label}
            </button>
          ))}
        </div>
      )}
      <div class={`wall ${fit ? 'wall-fit' : ''}`} role="table" tabIndex={0} aria-label={t('wall.title')} data-testid="wall" ref={wallRef} style={{ '--cols': String(shown.length) }}>
        <div class="wall-row wall-header" role="row">
          <div class="wall-corner" role="columnheader">{t('wall.question')}</div>
          {shown.map((c) => (
            <div key={c.id} class={`wall-colhead ${hidden?.has(c.id) ? 'is-hidden' : ''} ${ownColumn === c.id ? 'is-own' : ''}`} role="columnheader" data-column-id={c.id} data-hidden={hidden?.has(c.id) ? 'yes' : 'no'} data-own={ownColumn === c.id ? 'yes' : 'no'}>
              <span class="wall-collabel">{c.label}</span>
              {ownColumn === c.id && <span class="badge wall-own" data-testid="wall-own">{t('plenum.ownGroup')}</span>}
              {hidden?.has(c.id) && (
                <span class="badge badge-muted wall-hidden" data-testid={`wall-hidden-${c.id}`} title={t('wall.hiddenColumnLabel', { group: c.label })}>
                  <span aria-hidden="true">{t('wall.hiddenColumn')}</span><span class="sr-only">{t('wall.hiddenColumnLabel', { group: c.label })}</span>
                </span>
              )}
              <span class="wall-colpeople" data-testid={`wall-people-${c.id}`}>
                {presence.filter((p) => p.user.group === c.id && p.user.role !== 'facilitator').map((p) => <Avatar key={p.clientId} p={p} showName={false} />)}
              </span>
              {!hidden?.has(c.id) && <span class="wall-colcount">{cards.filter((x) => x.column === c.id).length}</span>}
            </div>
          ))}
        </div>
        {rows.map((r) => [
          r.divider && (
            <div key={`round-${r.id}`} class="wall-row wall-round" role="row">
              <div class="wall-round-head" role="rowheader" data-testid="wall-round"><span>{r.divider}</span></div>
            </div>
          ),
          <div key={r.id} class="wall-row" role="row" data-row-id={r.id}>
            <div class="wall-rowhead" role="rowheader">
              <span class="qnum">{r.number}</span>
              <span class="wall-rowlabel">{r.label}</span>
            </div>
            {shown.map((c) => (
              // A hidden group's cell takes no new card: it would go to the group's document, out of sight.
              <Cell key={c.id} row={r} column={c} cards={(order ?? same)(byCell.get(`${r.id}\u0000${c.id}`) ?? [])} onActions={onActions} onDrop={onDrop} onAdd={hidden?.has(c.id) ? undefined : onAdd}
                notes={(notes?.get(`${r.id}\u0000${c.id}`) ?? []).filter((n) => inFocus(n.sags.id))} conflicts={conflicts} own={ownColumn === c.id}
                shown={shownCell?.row === r.id && shownCell?.column === c.id} shownCard={shownCard ?? null} shownBy={shownBy} focusSags={focusSags} onShow={onShow} cardVote={cardVote} />
            ))}
          </div>,
        ])}
      </div>
    </div>
  );
}

const same = (cards: Card[]) => cards;

function Cell({ row, column, cards, onActions, onDrop, onAdd, notes, conflicts, shown, shownCard, shownBy, focusSags, onShow, cardVote, own }: {
  row: Axis; column: Axis; cards: Card[]; onActions?: (c: Card) => void; onDrop?: Props['onDrop']; onAdd?: Props['onAdd']; own?: boolean;
  notes: AnswerNote[]; conflicts?: Map<string, string>;
  shown: boolean; shownCard: string | null; shownBy: 'self' | 'facilitator'; focusSags: string; onShow?: Props['onShow']; cardVote?: Props['cardVote'];
}) {
  const list = useRef<HTMLDivElement>(null);
  // A click or focus in the cell shows it; on a card, that card (its "+" or a card's button too).
  const pick = (target: EventTarget | null) => {
    const card = target instanceof Element ? target.closest<HTMLElement>('[data-card-id]')?.dataset.cardId ?? null : null;
    onShow?.({ row: row.id, column: column.id }, card);
  };
  const dropRef = useRef(onDrop);
  dropRef.current = onDrop;
  useEffect(() => {
    if (!list.current || !onDrop) return;
    const s = Sortable.create(list.current, {
      group: 'wall',
      sort: false,
      animation: reducedMotion() ? 0 : 120,
      // Pointer events instead of native HTML5 drag: the same on mouse, touch and pen.
      forceFallback: true,
      fallbackOnBody: true,
      fallbackTolerance: 4,
      draggable: '.card',
      filter: 'button, textarea, input',
      preventOnFilter: false,
      ghostClass: 'card-ghost',
      chosenClass: 'card-chosen',
      onEnd: (evt) => {
        const id = (evt.item as HTMLElement).dataset.cardId;
        const to = evt.to as HTMLElement;
        if (evt.from !== evt.to) {
          // Put the node back where Preact rendered it; the document change re-renders it in its new cell.
          evt.from.insertBefore(evt.item, evt.from.children[evt.oldIndex ?? 0] ?? null);
          if (id && to.dataset.row && to.dataset.column) dropRef.current?.(id, to.dataset.row, to.dataset.column);
        }
      },
    });
    return () => s.destroy();
  }, [!!onDrop]);
  return (
    <div class={`wall-cell ${shown ? 'cell-shown' : ''} ${own ? 'cell-own' : ''}`} role="cell" data-testid={`cell-${row.id}-${column.id}`} data-row={row.id} data-column={column.id} data-shown={shown ? 'yes' : 'no'}
      onPointerDown={onShow ? (e) => pick(e.target) : undefined} onFocusIn={onShow ? (e) => pick(e.target) : undefined}>
      {shown && <p class="shown-label" data-testid="cell-shown-label">{t(shownBy === 'self' ? 'follow.youShowCell' : 'follow.shownCell')}</p>}
      {notes.map((n) => <AnswerCard key={n.sags.id} note={n} dim={!!focusSags && n.sags.id !== focusSags} />)}
      <div ref={list} class="cell-cards" data-row={row.id} data-column={column.id}>
        {cards.map((c) => (
          <CardView key={c.id} card={c} onActions={onActions ? () => onActions(c) : undefined} draggable={!!onDrop} conflict={conflicts?.get(c.id)}
            shown={shownCard === c.id ? t(shownBy === 'self' ? 'follow.youShowCard' : 'follow.shownCard') : undefined}
            dim={!!focusSags && c.sagsomraade_id !== focusSags} vote={cardVote?.(c)} />
        ))}
      </div>
      {onAdd && (
        <button type="button" class="cell-add" onClick={() => onAdd(row.id, column.id)} aria-label={`${t('wall.addCard')}: ${t('wall.cell', { n: row.number ?? '', col: column.label })}`}>
          +
        </button>
      )}
    </div>
  );
}

/**
 * The wall's rows from the room's questions: each numbered by its tag ("As-is 3"), with a divider
 * where the round changes; the round the groups see now (`current`) says so.
 */
export function rowAxes(rows: { id: string; label: string; number?: string; round?: string }[], current = ''): Axis[] {
  return roundSections(rows).flatMap((sec) => sec.rows.map((r, i) => ({
    id: r.id,
    label: r.label,
    number: rowTag(r, rows),
    divider: i === 0 && sec.label ? (sec.round === current ? `${sec.label} · ${t('round.now')}` : sec.label) : undefined,
  })));
}

/** A sagsområde's Skema answer to the cell's question: an answer card, unlike a free card (not movable). */
export function AnswerCard({ note, dim }: { note: AnswerNote; dim?: boolean }) {
  const one = note.values.length === 1 && !note.values[0].column.field;
  return (
    <section class={`answer-card ${dim ? 'is-dim' : ''}`} data-testid="answer-card" data-sags={note.sags.id} aria-label={t('wall.answerCardLabel', { sags: note.sags.label })}>
      <header class="answer-card-head">
        <span class="answer-card-badge">{t('wall.answerCard')}</span>
        <span class="answer-card-sags">{note.sags.kle ? `${note.sags.kle} ` : ''}{note.sags.label}</span>
      </header>
      {one ? (
        <p class="answer-card-value" data-testid="answer-card-value">{valueLabel(note.values[0].column.kind, note.values[0].value, true)}</p>
      ) : (
        <dl class="answer-card-fields">
          {note.values.map(({ column, value }) => (
            <div key={column.key}><dt>{column.label}</dt><dd data-testid="answer-card-value">{valueLabel(column.kind, value, true)}</dd></div>
          ))}
        </dl>
      )}
    </section>
  );
}
