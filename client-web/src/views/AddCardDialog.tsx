import { useState } from 'preact/hooks';
import { Modal } from '../components/Modal';
import { t } from '../i18n';
import { serverNow } from '../api';
import type { RoomSession } from '../sync/room';
import { addRoomCard, newCardDoc } from '../sync/docs';
import { groupRows, MAX_TEXT_CHARS, readColumns, readMeta, readRows, rowsInRound, soleSagsomraade, type Column } from '../sync/schema';
import { RowOptions } from './RowOptions';

/** The sagsområde select's value for "no sagsområde" ('' is "not chosen yet"). */
const NONE = '-';

/**
 * A new card in any cell: the facilitator on behalf of a group, or a remote attendee on the wall.
 * `via`: `group` — written in the group's work (the console's "Tilføj kort for gruppen"), to the
 * group's own document; `wall` — on the plenum wall (sync/docs.ts, `newCardDoc`).
 */
export function AddCardDialog({ session, title, column: fixedColumn, row: fixedRow, author, authorId, group, via, onClose }: {
  session: RoomSession;
  title: string;
  column?: string;
  row?: string;
  author: string;
  authorId: string;
  /** The group the card is written for; by default the label of the chosen fagområde. */
  group?: string;
  via: 'group' | 'wall';
  onClose: () => void;
}) {
  const rows = readRows(session.control.doc);
  const columns = readColumns(session.control.doc);
  // By default the first question of the round the groups see now.
  const [row, setRow] = useState(fixedRow ?? groupRows(rowsInRound(rows, readMeta(session.control.doc).round))[0]?.id ?? rows[0]?.id ?? '');
  const [column, setColumn] = useState(fixedColumn ?? columns[0]?.id ?? '');
  const col = columns.find((c) => c.id === column);
  // With several sagsområder nobody's choice is silently the first: '' until one is picked.
  const initialSags = (c: Column | undefined) => (c && c.sagsomraader.length > 1 ? '' : soleSagsomraade(c)?.id ?? NONE);
  const [sags, setSags] = useState(initialSags(col));
  const [text, setText] = useState('');
  const submit = (e: Event) => {
    e.preventDefault();
    const v = text.trim();
    if (!v || !row || !col || (col.sagsomraader.length > 1 && sags === '')) return;
    const chosen = col.sagsomraader.find((s) => s.id === sags) ?? null;
    // A card that is a closed question's value also answers it when it is still open (sync/answerCards.ts).
    if (!addRoomCard(session.docs, { row, column, text: v, sagsomraade: chosen, author, author_id: authorId, group: group ?? col.label, created_at: serverNow() }, via)) return;
    onClose();
  };
  return (
    <Modal title={title} onClose={onClose} testid="add-card-dialog">
      <form class="form" onSubmit={submit}>
        <label class="field-label">
          {t('wall.question')}
          <select class="input" value={row} onChange={(e) => setRow((e.currentTarget as HTMLSelectElement).value)} data-testid="add-card-row">
            <RowOptions rows={rows} width={90} />
          </select>
        </label>
        {!fixedColumn && (
          <label class="field-label">
            {t('common.fagomraade')}
            <select class="input" value={column} data-testid="add-card-column" onChange={(e) => {
              const v = (e.currentTarget as HTMLSelectElement).value;
              setColumn(v);
              setSags(initialSags(columns.find((c) => c.id === v)));
            }}>
              {columns.map((c) => <option key={c.id} value={c.id}>{c.label}</option>)}
            </select>
          </label>
        )}
        {col && col.sagsomraader.length > 0 && (
          <label class="field-label">
            {t('group.sags')}
            <select class="input" value={sags} required onChange={(e) => setSags((e.currentTarget as HTMLSelectElement).value)} data-testid="add-card-sags">
              {sags === '' && <option value="" disabled>{t('card.chooseSags')}</option>}
              {col.sagsomraader.map((s) => <option key={s.id} value={s.id}>{s.kle ? `${s.kle} ` : ''}{s.label}</option>)}
              <option value={NONE}>{t('wall.noSags')}</option>
            </select>
          </label>
        )}
        <label class="field-label">
          {t('card.text')}
          <textarea class="input textarea" rows={4} value={text} maxLength={MAX_TEXT_CHARS} required data-testid="add-card-text"
            onInput={(e) => setText((e.currentTarget as HTMLTextAreaElement).value)} autoFocus />
        </label>
        <div class="row-actions end">
          <button type="button" class="btn btn-ghost" onClick={onClose}>{t('common.cancel')}</button>
          <button type="submit" class="btn btn-primary" disabled={!newCardDoc(session.docs, column, via)} data-testid="add-card-submit">{t('group.addCard')}</button>
        </div>
      </form>
    </Modal>
  );
}
