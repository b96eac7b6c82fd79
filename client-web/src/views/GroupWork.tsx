import { useEffect, useState } from 'preact/hooks';
import { serverNow, type RoomInfo } from '../api';
import { t } from '../i18n';
import type { Me } from '../local';
import { navigate } from '../router';
import type { RoomSession } from '../sync/room';
import { cellKey, readPresence, setTyping, type Presence } from '../sync/presence';
import {
  cardMatchesSags, groupRows, readColumns, readMeta, readRows, MAX_TEXT_CHARS, type Card, type Column, type Row, type Sagsomraade,
} from '../sync/schema';
import {
  addRoomCard, anonymityOf, canWriteAnswer, doneDoc, editCardText, newCardDoc, readRoomAnswers, readRoomCards, readRoomGroups, removeCard, writeDone,
} from '../sync/docs';
import { roomRounds, rowsInRound, rowTag } from '../sync/schema';
import { CardView } from '../components/CardView';
import { Avatar } from '../components/Presence';
import { idsWritten, namesWritten } from '../sync/anonymity';
import { PhaseTimer } from '../components/Timer';
import { RoomChrome } from './RoomChrome';
import { AnswerForm } from './AnswerForm';
import { useMedia, useTick, useVotes } from '../hooks';
import { SagsVoting, VoteBar, VoteControls } from './Voting';
import { conflicts, type Conflict } from '../sync/answerCards';
import { PrivateNote } from './Visibility';
import { conflictText } from '../components/CardView';
import { answerColumns, CHOICES, choiceLabel, hasAnswer, outsideAnalysis, roundLabel } from '../sync/analysis';
import { analysisPath } from '../router';
import type { VoteView } from '../sync/voting';

/** The chips of a closed question: its values as a card would say them (`Ja`, `Høj`, `C`). */
const QUICK: Record<string, string[]> = Object.fromEntries(
  Object.entries(CHOICES).map(([kind, codes]) => [kind, codes.map((c) => choiceLabel(c).charAt(0).toUpperCase() + choiceLabel(c).slice(1))]),
);

/** The participant's column: per sagsområde, the questions in order, with the group's cards. */
export function GroupWork({ session, info, me, onLeave, toWall }: { session: RoomSession; info: RoomInfo; me: Me; onLeave: () => void; /** In plenum: back to the wall (views/ParticipantPage.tsx). */ toWall?: () => void }) {
  const control = session.control.doc;
  // The wall's cards and answers and the group documents this person may read, as one set.
  const docs = session.docs;
  const meta = readMeta(control);
  // The round the facilitator has chosen (`meta.round`); the other round's questions are folded away.
  const rows = groupRows(rowsInRound(readRows(control), meta.round));
  const column = readColumns(control).find((c) => c.id === me.group)!;
  const cards = readRoomCards(docs).filter((c) => c.column === column.id);
  const groupState = readRoomGroups(docs)[column.id];
  const people = readPresence(session).filter((p) => p.user.group === column.id && p.user.role !== 'facilitator');
  // While someone types, look again every second: a "… skriver" not renewed goes (sync/presence.ts).
  useTick(people.some((p) => !p.self && p.typing) ? 1000 : 0);
  const closed = meta.phase === 'closed';
  // An anonymous room says no names (sync/anonymity.ts); in a fully anonymous one no card says whose it is.
  const anonymity = anonymityOf(docs);
  const named = namesWritten(anonymity);
  const ownOnly = idsWritten(anonymity);
  const sagsList: (Sagsomraade | null)[] = column.sagsomraader.length ? column.sagsomraader : [null];
  const [sel, setSel] = useState(0);
  const sags = sagsList[Math.min(sel, sagsList.length - 1)];
  const inSags = (c: Card) => (sags ? cardMatchesSags(c, sags) : true);
  const allRows = readRows(control);
  const wide = useMedia('(min-width: 1100px)');
  const [view, setView] = useState<'cards' | 'skema'>('cards');
  const votes = useVotes(session);
  const answers = readRoomAnswers(docs);
  const answerCols = answerColumns(allRows);
  const clash = conflicts(cards, allRows, [column], answers);
  // Screened out ("anvendes: nej"): one line instead of every question; the facilitator brings
  // it back by changing the answer (documentation sheet, or a new screening list).
  const outside = (s: Sagsomraade | null) => s !== null && outsideAnalysis(answers[s.id] ?? {}, answerCols);
  const answered = (s: Sagsomraade | null) =>
    rows.filter((r) => cards.some((c) => c.row === r.id && (s ? cardMatchesSags(c, s) : true)) || (s !== null && hasAnswer(answers, s.id, r.id))).length;

  return (
    <RoomChrome session={session} subtitle={t('group.title', { group: column.label })}>
      <main id="main" class={`page group-page ${sags && wide ? 'with-skema' : ''}`} data-testid="group-work" data-group={column.id}>
        {/* First in the page, sticky: on a phone it stays in view under the top bar while the questions scroll. */}
        <PhaseTimer timer={meta.timer} big pinned />
        {toWall && <ToWallBar onClick={toWall} />}
        <section class="group-head">
          <div class="group-head-main">
            <p class="eyebrow">{t('group.myGroup')}</p>
            <h1 data-testid="group-name">{column.label}</h1>
            <p class="muted small me-line">{t('group.you')} <strong data-testid="me-name">{me.name}</strong></p>
            <div class="avatars" aria-label={t('group.members')}>
              {people.map((p) => <Avatar key={p.clientId} p={p} />)}
            </div>
          </div>
          <div class="group-head-side">
            <div class="row-actions">
              <button type="button" class="btn btn-ghost-border btn-small" onClick={() => navigate(`/join/${encodeURIComponent(info.id)}/wall`)} data-testid="see-wall">
                {t('group.seeWall')}
              </button>
              <button type="button" class="btn btn-ghost-border btn-small" onClick={() => navigate(analysisPath('join', info.id, 'sheet'))} data-testid="see-sheet">
                {t('group.sheet')}
              </button>
              <button type="button" class="btn btn-ghost btn-small" onClick={onLeave} data-testid="change-group">
                {t('group.change')}
              </button>
            </div>
          </div>
        </section>

        <PrivateNote session={session} />

        <VoteBar session={session}>
          {votes.round?.target === 'cards' && (
            <button type="button" class="btn btn-primary btn-small" onClick={() => navigate(`/join/${encodeURIComponent(info.id)}/wall`)} data-testid="vote-go-wall">
              {t('vote.goWall')}
            </button>
          )}
        </VoteBar>
        <SagsVoting session={session} columns={readColumns(control)} />

        {sagsList.length > 1 || sags ? (
          <nav class="sags-tabs" aria-label={t('group.sags')} role="tablist">
            {sagsList.map((s, i) => {
              const a = answered(s);
              const out = outside(s);
              return (
                <button key={s?.id ?? 'all'} type="button" role="tab" aria-selected={i === sel} class={`sags-tab ${i === sel ? 'on' : ''} ${!out && a === rows.length && rows.length ? 'complete' : ''} ${out ? 'outside' : ''}`}
                  onClick={() => setSel(i)} data-testid={`sags-tab-${s?.id ?? 'all'}`}>
                  <span class="sags-tab-label">{s ? <>{s.kle && <span class="kle">{s.kle}</span>} {s.label}</> : t('group.wholeFag')}</span>
                  <span class="sags-tab-count">{out ? t('sheet.outside') : `${a}/${rows.length}`}</span>
                </button>
              );
            })}
          </nav>
        ) : null}

        {sags && !wide && (
          <div class="segmented work-toggle" role="group" aria-label={t('skema.viewLabel')}>
            <button type="button" class={`seg ${view === 'cards' ? 'seg-on seg-group' : ''}`} aria-pressed={view === 'cards'} onClick={() => setView('cards')} data-testid="view-cards">{t('skema.cards')}</button>
            <button type="button" class={`seg ${view === 'skema' ? 'seg-on seg-group' : ''}`} aria-pressed={view === 'skema'} onClick={() => setView('skema')} data-testid="view-skema">{t('skema.title')}</button>
          </div>
        )}
        <div class={`work-split ${sags && wide ? 'two' : ''}`}>
          {(wide || !sags || view === 'cards') && outside(sags) && (
            <p class="panel panel-soft sags-outside" data-testid="sags-outside">{t('group.outside')}</p>
          )}
          {(wide || !sags || view === 'cards') && !outside(sags) && (
            <ol class="questions">
              {rows.map((r) => (
                <Question key={`${r.id}:${sags?.id ?? ''}`} session={session} row={r} column={column} sags={sags} me={me} closed={closed} clash={clash} votes={votes}
                  cards={cards.filter((c) => c.row === r.id && inSags(c))} people={people} ownOnly={ownOnly} />
              ))}
            </ol>
          )}
          {sags && (wide || view === 'skema') && (
            <AnswerForm key={sags.id} session={session} sags={sags} rows={allRows} round={meta.round} canWrite={canWriteAnswer(docs, sags.id)} by={me.id} />
          )}
        </div>

        <FoldedRounds rows={allRows} round={meta.round} />

        <section class={`done-bar ${groupState?.done ? 'is-done' : ''}`} data-testid="done-bar">
          {groupState?.done ? (
            <>
              <p><strong>✓ {t('group.done')}</strong> — {named ? t('group.doneSent', { by: groupState.by }) : t('anon.doneSent')}</p>
              {!closed && <button type="button" class="btn btn-ghost-border" disabled={!doneDoc(docs, column.id)} onClick={() => writeDone(session.docs, column.id, false, me.name, serverNow(), me.id)} data-testid="group-undone">{t('group.undo')}</button>}
            </>
          ) : (
            <>
              <p class="muted">{t('group.doneHint')}</p>
              <button type="button" class="btn btn-primary btn-lg" disabled={closed || !doneDoc(docs, column.id)} onClick={() => writeDone(session.docs, column.id, true, me.name, serverNow(), me.id)} data-testid="group-done">
                ✓ {t('group.done')}
              </button>
            </>
          )}
        </section>
      </main>
    </RoomChrome>
  );
}

function Question({ session, row, column, sags, me, closed, cards, people, clash, votes, ownOnly }: {
  session: RoomSession; row: Row; column: Column; sags: Sagsomraade | null; me: Me; closed: boolean; cards: Card[]; people: Presence[]; clash: Map<string, Conflict>;
  votes: VoteView;
  /** Only one's own cards are edited here (by `author_id`); false in a fully anonymous room, where no card says whose it is: the group edits all of its cards. */
  ownOnly: boolean;
}) {
  const [text, setText] = useState('');
  const key = cellKey(row.id, column.id, sags?.id ?? '');
  const typing = people.filter((p) => !p.self && p.typing === key);
  useEffect(() => () => setTyping(session, null), []);
  const add = (e?: Event) => {
    e?.preventDefault();
    const v = text.trim();
    if (!v || closed) return;
    // To the group's own document (or the wall in an older room); a chip's value (or a card that
    // is one) also answers a closed question that is still open.
    const id = addRoomCard(session.docs, { row: row.id, column: column.id, text: v, sagsomraade: sags, author: me.name, author_id: me.id, group: column.label, created_at: serverNow() }, 'group');
    if (!id) return;
    setText('');
    setTyping(session, null);
  };
  const quick = QUICK[row.kind];
  const tag = rowTag(row, readRows(session.control.doc));
  return (
    <li class="question" data-testid={`question-${row.id}`} data-row-id={row.id}>
      <div class="question-head">
        <span class="qnum" aria-hidden="true">{tag}</span>
        <div>
          <h2 class="question-label"><span class="sr-only">{t('group.question', { n: tag })}: </span>{row.label}</h2>
          {row.help && (
            <details class="help">
              <summary>{t('group.help')}</summary>
              <p>{row.help}</p>
            </details>
          )}
        </div>
      </div>
      <div class="question-cards">
        {cards.length === 0 && <p class="muted small empty">{t('group.emptyCell')}</p>}
        {cards.map((c) => (
          <CardView key={c.id} card={c} showSags={false} editable={!closed && (!ownOnly || c.author_id === me.id)} conflict={conflictText(clash.get(c.id))}
            onSave={(v) => editCardText(session.docs, c.id, v)} onDelete={() => removeCard(session.docs, c.id)}
            vote={votes.round?.target === 'cards' ? <VoteControls session={session} v={votes} id={c.id} name={c.text} kind="card" /> : undefined} />
        ))}
      </div>
      {typing.length > 0 && (
        <p class="typing" data-testid="typing">{typingText(typing)}</p>
      )}
      {!closed && (
        <form class="add-card" onSubmit={add}>
          {quick && (
            <div class="quick" role="group" aria-label={t('group.quick')}>
              {quick.map((q) => (
                <button key={q} type="button" class={`chip ${text === q ? 'on' : ''}`} onClick={() => setText(q)}>{q}</button>
              ))}
            </div>
          )}
          {/* Enter is a new line (an answer of several lines is one card); Ctrl/⌘+Enter or the button adds it. */}
          <textarea class="input textarea" rows={2} value={text} maxLength={MAX_TEXT_CHARS} placeholder={t('group.cardPlaceholder')} aria-label={`${t('group.addCard')}: ${t('group.question', { n: tag })}`}
            aria-describedby={`add-hint-${key}`}
            data-testid="card-input"
            onInput={(e) => { setText((e.currentTarget as HTMLTextAreaElement).value); setTyping(session, key); }}
            onBlur={() => setTyping(session, null)}
            onKeyDown={(e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) add(e); }} />
          <p class="muted small add-hint" id={`add-hint-${key}`}>{t('group.addHint')}</p>
          <button type="submit" class="btn btn-primary" disabled={!text.trim() || !newCardDoc(session.docs, column.id, 'group')} data-testid="card-add">{t('group.addCard')}</button>
        </form>
      )}
    </li>
  );
}

/** "Anne skriver…", and for those an anonymous room does not name one "Nogen skriver…". */
function typingText(typing: Presence[]): string {
  const named = typing.filter((p) => p.user.name).map((p) => t('group.typing', { name: p.user.name }));
  if (typing.some((p) => !p.user.name)) named.push(t('anon.typing'));
  return named.join(' ');
}

/**
 * The group questions of the rounds the facilitator has not chosen, folded away: readable ahead
 * (or back), but not answered here. Nothing while every round is shown.
 */
function FoldedRounds({ rows, round }: { rows: Row[]; round: string }) {
  const seen = new Set(rowsInRound(rows, round).map((r) => r.id));
  const folded = groupRows(rows).filter((r) => !seen.has(r.id));
  if (!folded.length) return null;
  return (
    <section class="folded-rounds" data-testid="round-folded" data-round={round}>
      {roomRounds(folded).map((other) => {
        const qs = folded.filter((r) => r.round === other);
        return (
          <details key={other} class="panel panel-soft folded-round" data-testid={`round-folded-${other}`}>
            <summary>{t('round.folded', { round: roundLabel(other), n: qs.length, current: roundLabel(round) })}</summary>
            <p class="muted small">{t('round.foldedHint', { current: roundLabel(round) })}</p>
            <ol class="folded-list">
              {qs.map((r) => (
                <li key={r.id} data-testid={`folded-${r.id}`}>
                  <span class="qnum small-qnum" aria-hidden="true">{rowTag(r, rows)}</span>
                  <span><span class="sr-only">{t('group.question', { n: rowTag(r, rows) })}: </span>{r.label}</span>
                </li>
              ))}
            </ol>
          </details>
        );
      })}
    </section>
  );
}

/** On the group page in plenum: the way back to the wall. */
export function ToWallBar({ onClick }: { onClick: () => void }) {
  return (
    <div class="banner banner-phase phase-plenum to-wall" data-testid="to-wall-bar">
      <span>{t('plenum.groupInPlenum')}</span>
      <button type="button" class="btn btn-primary btn-small" onClick={onClick} data-testid="to-wall">{t('plenum.toWall')} →</button>
    </div>
  );
}
