import { useEffect, useState } from 'preact/hooks';
import { t, type Key } from '../i18n';
import { reducedMotion } from '../motion';
import { BRUGERANTAL, CHOICES, questionPrefix, type Brugerantal, type SheetRow } from '../sync/analysis';
import { canWriteAnswer, readRoomAnswers, writeAnswer, writeBrugerantal } from '../sync/docs';
import { conflicts } from '../sync/answerCards';
import { conflictText } from '../components/CardView';
import { cardLine, placeCards, rowCells, sheetLayout, type SheetColumn } from '../sync/cells';
import type { RoomSession } from '../sync/room';
import type { Card, Column, Row } from '../sync/schema';
import { AnswerInput, valueLabel } from './AnswerInput';
import { SheetPrint } from './SheetPrint';
import { isFollowing, leaderShowing, ownShowing, show } from '../sync/follow';
import { leads } from './Follow';
import { useVotes } from '../hooks';
import { votesBySags } from '../sync/voting';
import { voteCount } from './Voting';

type SortKey = 'wall' | 'fag' | 'loesningsscenarie' | 'forretningskritisk' | 'brugsmoenster' | 'prioritet' | 'votes';
const SORTS: { key: SortKey; label: Key }[] = [
  { key: 'wall', label: 'sheet.sortWall' },
  { key: 'fag', label: 'common.fagomraade' },
  { key: 'loesningsscenarie', label: 'sheet.loesningsscenarie' },
  { key: 'forretningskritisk', label: 'sheet.forretningskritisk' },
  { key: 'brugsmoenster', label: 'sheet.brugsmoenster' },
  { key: 'prioritet', label: 'sheet.prioritet' },
];

/** Rank of a closed answer for sorting: its place among the choices, unanswered last. */
const rank = (choices: readonly string[], v: string | null) => (v === null ? choices.length : choices.indexOf(v));

/** `votes`: the "Stemmer" column while a voting round exists (most first). */
function sortRows(rows: SheetRow[], key: SortKey, desc: boolean, votes?: Map<string, number> | null): SheetRow[] {
  const by = (r: SheetRow): (number | string)[] => {
    switch (key) {
      case 'fag': return [r.fag.label.toLocaleLowerCase('da')];
      case 'loesningsscenarie': return [rank(CHOICES.loesningsscenarie, r.loesningsscenarie)];
      case 'forretningskritisk': return [rank(CHOICES.ja_nej, r.forretningskritisk)];
      case 'brugsmoenster': return [rank(CHOICES.brugsmoenster, r.brugsmoenster)];
      case 'prioritet': return [r.prioritet ?? Number.MAX_SAFE_INTEGER];
      case 'votes': return [-(votes?.get(r.sags.id) ?? 0)];
      default: return [];
    }
  };
  const out = [...rows].sort((a, b) => {
    const ka = by(a);
    const kb = by(b);
    for (let i = 0; i < ka.length; i++) {
      const x = ka[i];
      const y = kb[i];
      const c = typeof x === 'string' ? x.localeCompare(y as string, 'da') : x - (y as number);
      if (c) return c;
    }
    return a.index - b.index;
  });
  return desc ? out.reverse() : out;
}

/** The round of a sheet column's question. */
const roundOf = (c: SheetColumn) => (c.answer?.row ?? c.question)?.round ?? '';

/**
 * The documentation sheet (R1): one row per sagsområde, the columns of docs/API.md ("Cards in the
 * sheet", `sync/cells.ts`): each question's answers, edited inline, and its cards (the wall's cards
 * are the sheet's answers); the derived values; the facilitator's comments. Each cell carries its
 * text as the exports hold it (`data-cell`).
 */
export function SheetView({ session, title, rows, columns, cards, sheet, canWrite, by }: {
  session: RoomSession; title: string; rows: Row[]; columns: Column[]; cards: Card[]; sheet: SheetRow[]; canWrite: boolean;
  /** Who edits: recorded with each answer set here (`#by`). */
  by?: string;
}) {
  const docs = session.docs;
  // Follow: the sagsområde the facilitator has in focus is marked (and, for a follower, scrolled to);
  // the facilitator puts one in focus by working in its row.
  const following = isFollowing(session);
  const leading = leads(session);
  const focusSags = following ? leaderShowing(session)?.sagsomraade ?? '' : leading ? ownShowing(session)?.sagsomraade ?? '' : '';
  useEffect(() => {
    if (!following || !focusSags) return;
    const id = requestAnimationFrame(() => {
      const calm = reducedMotion();
      document.querySelector(`[data-testid="sheet-row-${CSS.escape(focusSags)}"]`)?.scrollIntoView({ block: 'center', behavior: calm ? 'auto' : 'smooth' });
    });
    return () => cancelAnimationFrame(id);
  }, [focusSags, following]);
  const [colset, setColset] = useState<'all' | 'as-is' | 'to-be' | 'analysis'>('all');
  const layout = sheetLayout(rows);
  const { placed, unplaced } = placeCards(cards, rows, columns);
  // A voting round (docs/API.md, "Dot voting"): a "Stemmer" column; none without one.
  const votes = useVotes(session);
  const voteSums = votes.round ? votesBySags(votes.round, votes.counts, placed, sheet.map((r) => r.sags.id)) : null;
  const cellsOf = new Map(sheet.map((r) => [r.sags.id, rowCells(layout, r, placed.get(r.sags.id), rows)]));
  const indexed = layout.map((c, i) => ({ c, i }));
  const at = (holds: SheetColumn['holds']) => indexed.filter(({ c }) => c.holds === holds);
  const cols = indexed.filter(({ c }) => (c.holds === 'answer' || c.holds === 'answer_and_cards' || c.holds === 'cards')
    && (colset === 'all' || (colset === 'analysis' ? !!c.answer?.analysis : roundOf(c) === colset)));
  const [brugerantalAt, omfangAt, prioritetAt] = at('derived').map(({ i }) => i);
  const commentsAt = at('comments')[0]?.i;
  const answers = readRoomAnswers(docs);
  const clashes = new Map([...conflicts(cards, rows, columns, answers)].map(([id, k]) => [id, conflictText(k) ?? '']));
  const [fag, setFag] = useState('');
  const [ls, setLs] = useState('');
  const [fk, setFk] = useState('');
  const [bm, setBm] = useState('');
  const [sort, setSort] = useState<SortKey>('wall');
  const [desc, setDesc] = useState(false);

  const match = (want: string, v: string | null) => !want || (want === '-' ? v === null : v === want);
  const shown = sortRows(
    sheet.filter((r) => (!fag || r.fag.id === fag) && match(ls, r.loesningsscenarie) && match(fk, r.forretningskritisk) && match(bm, r.brugsmoenster)),
    sort === 'votes' && !voteSums ? 'wall' : sort,
    desc,
    voteSums,
  );

  const filterSelect = (label: Key, value: string, set: (v: string) => void, kind: string, testid: string) => (
    <label class="filter">
      <span>{t(label)}</span>
      <select class="input input-small" value={value} onChange={(e) => set((e.currentTarget as HTMLSelectElement).value)} data-testid={testid}>
        <option value="">{t('sheet.all')}</option>
        {CHOICES[kind].map((c) => <option key={c} value={c}>{valueLabel(kind, c)}</option>)}
        <option value="-">{t('val.unanswered')}</option>
      </select>
    </label>
  );

  if (!sheet.length) return null;
  return (
    <section class="sheet-section" aria-label={t('an.sheet')}>
      <p class="muted sheet-lead">{t('sheet.lead')}</p>
      <div class="sheet-tools panel" role="group" aria-label={t('sheet.filter')}>
        <label class="filter">
          <span>{t('common.fagomraade')}</span>
          <select class="input input-small" value={fag} onChange={(e) => setFag((e.currentTarget as HTMLSelectElement).value)} data-testid="filter-fag">
            <option value="">{t('sheet.all')}</option>
            {columns.filter((c) => c.sagsomraader.length).map((c) => <option key={c.id} value={c.id}>{c.label}</option>)}
          </select>
        </label>
        {filterSelect('sheet.loesningsscenarie', ls, setLs, 'loesningsscenarie', 'filter-loesningsscenarie')}
        {filterSelect('sheet.forretningskritisk', fk, setFk, 'ja_nej', 'filter-forretningskritisk')}
        {filterSelect('sheet.brugsmoenster', bm, setBm, 'brugsmoenster', 'filter-brugsmoenster')}
        <label class="filter">
          <span>{t('sheet.sort')}</span>
          <select class="input input-small" value={sort} onChange={(e) => setSort((e.currentTarget as HTMLSelectElement).value as SortKey)} data-testid="sheet-sort">
            {SORTS.map((s) => <option key={s.key} value={s.key}>{t(s.label)}</option>)}
            {voteSums && <option value="votes">{t('vote.column')}</option>}
          </select>
        </label>
        <label class="filter">
          <span>{t('sheet.columns')}</span>
          <select class="input input-small" value={colset} onChange={(e) => setColset((e.currentTarget as HTMLSelectElement).value as typeof colset)} data-testid="sheet-columns">
            <option value="all">{t('sheet.colsAll')}</option>
            <option value="as-is">As-is</option>
            <option value="to-be">To-be</option>
            <option value="analysis">{t('sheet.colsAnalysis')}</option>
          </select>
        </label>
        <label class="filter filter-check">
          <input type="checkbox" checked={desc} onChange={(e) => setDesc((e.currentTarget as HTMLInputElement).checked)} data-testid="sheet-desc" />
          <span>{t('sheet.desc')}</span>
        </label>
        <span class="muted small sheet-count" data-testid="sheet-count">{t('sheet.showing', { n: shown.length, t: sheet.length })}</span>
      </div>
      {canWrite && sheet.some((r) => !canWriteAnswer(docs, r.sags.id)) && (
        <p class="muted small" data-testid="sheet-own-group">{t('sheet.ownGroupOnly')}</p>
      )}
      {unplaced.length > 0 && <p class="panel panel-notice small" role="status" data-testid="sheet-unplaced" data-ids={unplaced.join(' ')}>{t('sheet.unplaced', { n: unplaced.length })}</p>}
      <p class="muted small sheet-scroll-hint">{t('sheet.scrollHint')}</p>
      <div class="sheet-wrap" tabIndex={0} aria-label={t('an.sheet')}>
        <table class="sheet" data-testid="sheet">
          <thead>
            <tr>
              <SheetLeadHeads />
              {voteSums && (
                <th scope="col" class="th-computed th-votes" data-header="Stemmer" data-testid="sheet-votes-head"
                  title={votes.round?.target === 'cards' ? `${t('vote.column')}: ${t('vote.columnCards')}` : undefined}>{t('vote.column')}</th>
              )}
              {cols.map(({ c, i }) => {
                const q = c.answer?.row ?? c.question!;
                const label = c.answer?.label ?? t('sheet.cards');
                return (
                  <th key={i} scope="col" title={c.answer?.field ? `${c.header} (${q.label})` : c.header} data-header={c.header} class={c.answer ? `th-${c.answer.kind}` : 'th-cards'}>
                    <span class="th-num">{questionPrefix(q)}</span>
                    <span class="th-label">{label}</span>
                  </th>
                );
              })}
              <SheetComputedHeads />
              <th scope="col" class="th-comments" data-header={layout[commentsAt]?.header}>{t('sheet.comments')}</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => {
              // A sagsområde's answers are its group's: written where that group's are (sync/docs.ts).
              const rowWrite = canWrite && canWriteAnswer(docs, r.sags.id);
              return (
              <tr key={r.sags.id} class={`${r.inAnalysis ? '' : 'outside'} ${focusSags === r.sags.id ? 'row-shown' : ''}`} data-testid={`sheet-row-${r.sags.id}`} data-in-analysis={r.inAnalysis ? 'yes' : 'no'} data-writable={rowWrite ? 'yes' : 'no'}
                data-shown={focusSags === r.sags.id ? 'yes' : 'no'} aria-current={focusSags === r.sags.id ? 'true' : undefined}
                onFocusIn={leading ? () => show(session, { sagsomraade: r.sags.id }) : undefined}>
                <th scope="row" class="sticky-col">
                  <span class="sheet-sags">{r.sags.label}</span>
                  {!r.inAnalysis && <span class="badge badge-muted outside-badge" data-testid="outside">{t('sheet.outside')}</span>}
                </th>
                <td class="ro">{r.fag.label}</td>
                <td class="ro kle">{r.sags.kle}</td>
                {voteSums && (
                  <td class="ro computed cell-votes" data-testid={`cell-${r.sags.id}-stemmer`} data-col="Stemmer" data-cell={String(voteSums.get(r.sags.id) ?? 0)}>
                    <span aria-hidden="true">{voteSums.get(r.sags.id) ?? 0}</span><span class="sr-only">{voteCount(voteSums.get(r.sags.id) ?? 0)}</span>
                  </td>
                )}
                {cols.map(({ c, i }) => {
                  const a = c.answer;
                  const text = cellsOf.get(r.sags.id)?.[i] ?? '';
                  return (
                    <td key={i} class={a ? `cell-${a.kind}` : 'cell-cardcol'} data-testid={a ? `cell-${r.sags.id}-${a.key}` : `cards-${r.sags.id}-${c.question!.id}`} data-col={c.header} data-cell={text}>
                      {a && (
                        <AnswerInput kind={a.kind} value={r.values[a.key]} compact disabled={!rowWrite} label={`${r.sags.label}: ${c.header}`}
                          onChange={(v) => writeAnswer(session.docs, r.sags.id, a.key, v, by)} />
                      )}
                      {a && r.viaWizard.has(a.key) && <span class="via-wizard small">{t('skema.fromWizard')}</span>}
                      {c.question && <CellCards cards={placed.get(r.sags.id)?.get(c.question.id) ?? []} fag={r.fag.label} clash={clashes} />}
                    </td>
                  );
                })}
                <td class="cell-brugerantal" data-testid={`cell-${r.sags.id}-brugerantal`} data-value={r.brugerantal ?? ''} data-col={layout[brugerantalAt]?.header} data-cell={cellsOf.get(r.sags.id)?.[brugerantalAt]}>
                  <select class="input answer-input" disabled={!rowWrite} aria-label={`${r.sags.label}: ${t('sheet.brugerantal')}`} value={r.brugerantalSet ?? ''}
                    onChange={(e) => writeBrugerantal(session.docs, r.sags.id, ((e.currentTarget as HTMLSelectElement).value || null) as Brugerantal | null)}>
                    <option value="">{r.brugerantalDerived ? t('sheet.derived', { v: valueLabel('brugerantal', r.brugerantalDerived) }) : t('val.none')}</option>
                    {BRUGERANTAL.map((b) => <option key={b} value={b}>{valueLabel('brugerantal', b)}</option>)}
                  </select>
                  {r.brugerantalSet && <span class="small muted">{t('sheet.handSet')}</span>}
                </td>
                <td class="ro computed" data-testid={`cell-${r.sags.id}-omfang`} data-value={r.omfang ?? ''} data-col={layout[omfangAt]?.header} data-cell={cellsOf.get(r.sags.id)?.[omfangAt]}>
                  {r.omfang ? <span class={`omfang omfang-${r.omfang}`}>{t(`omfang.${r.omfang}` as Key)}</span> : ''}
                  {r.omfangPoint !== null && <span class="small muted"> ({r.omfangPoint})</span>}
                </td>
                <td class="ro computed prio" data-testid={`cell-${r.sags.id}-prioritet`} data-value={r.prioritet ?? ''} data-col={layout[prioritetAt]?.header} data-cell={cellsOf.get(r.sags.id)?.[prioritetAt]}>{r.prioritet ?? ''}</td>
                <td class="cell-comments" data-testid={`comments-${r.sags.id}`} data-col={layout[commentsAt]?.header} data-cell={cellsOf.get(r.sags.id)?.[commentsAt]}>
                  {(cellsOf.get(r.sags.id)?.[commentsAt] ?? '').split('\n').filter(Boolean).map((line, k) => <p key={k} class="cell-comment small">{line}</p>)}
                </td>
              </tr>
              );
            })}
          </tbody>
        </table>
        {shown.length === 0 && <p class="muted sheet-nomatch">{t('sheet.noMatch')}</p>}
      </div>
      <SheetPrint title={title} columns={[
        ...cols.map(({ c, i }) => ({ at: i, num: questionPrefix(c.answer?.row ?? c.question!), label: c.answer?.label ?? t('sheet.cards') })),
        { at: brugerantalAt, label: t('sheet.brugerantal') },
        { at: omfangAt, label: t('sheet.omfang') },
        { at: prioritetAt, label: t('sheet.prioritet') },
        { at: commentsAt, label: t('sheet.comments') },
      ]} rows={shown.map((r) => ({ id: r.sags.id, label: r.sags.label, fag: r.fag.label, kle: r.sags.kle, inAnalysis: r.inAnalysis, cells: cellsOf.get(r.sags.id) ?? [] }))} />
    </section>
  );
}

/** The sheet's first header cells: sagsområde (sticky on phones), fagområde, KLE. */
export function SheetLeadHeads() {
  return (
    <>
      <th class="sticky-col" scope="col">{t('sheet.sags')}</th>
      <th scope="col">{t('common.fagomraade')}</th>
      <th scope="col">{t('sheet.kle')}</th>
    </>
  );
}

/** The sheet's last header cells: the derived values. */
export function SheetComputedHeads() {
  return (
    <>
      <th scope="col" class="th-computed">{t('sheet.brugerantal')}</th>
      <th scope="col" class="th-computed">{t('sheet.omfang')}</th>
      <th scope="col" class="th-computed">{t('sheet.prioritet')}</th>
    </>
  );
}

/** A question's cards in a sheet cell, one per line, as the exports have them. */
function CellCards({ cards, fag, clash }: { cards: Card[]; fag: string; clash?: Map<string, string> }) {
  const shown = cards.filter((c) => c.text.trim());
  if (!shown.length) return null;
  return (
    <ul class="sheet-cards" aria-label={t('sheet.cardsN', { n: shown.length })}>
      {shown.map((c) => (
        <li key={c.id} class={`sheet-card ${clash?.has(c.id) ? 'sheet-card-conflict' : ''}`} data-card={c.id}>
          {cardLine(c, fag).slice(2)}
          {clash?.has(c.id) && <span class="sheet-card-warn" data-testid="sheet-card-conflict"><span aria-hidden="true"> ⚠ </span>{clash.get(c.id)}</span>}
        </li>
      ))}
    </ul>
  );
}
