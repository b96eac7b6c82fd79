import { useState } from 'preact/hooks';
import { t } from '../i18n';
import { answerColumns, outsideAnalysis, readValue, roundLabel, sheetRows, viaKey, type AnswerColumn } from '../sync/analysis';
import { readRoomAnswers, writeAnswer, writeWizardAnswer } from '../sync/docs';
import type { RoomSession } from '../sync/room';
import { roomRounds, rowsInRound, rowTag, type Row, type Sagsomraade } from '../sync/schema';
import { AnswerInput } from './AnswerInput';
import { Wizard } from './Wizard';

/** "Skema": the structured answers of one sagsområde, question by question (live, shared by the group). */
export function AnswerForm({ session, sags, rows, round = '', canWrite, by }: {
  session: RoomSession; sags: Sagsomraade; rows: Row[]; round?: string; canWrite: boolean;
  /** Who answers: the seat id, recorded with each answer (`#by`). */
  by?: string;
}) {
  const answers = readRoomAnswers(session.docs)[sags.id] ?? {};
  const cols = answerColumns(rows);
  const [wizardFor, setWizardFor] = useState<string | null>(null);
  const sagsName = `${sags.kle ? sags.kle + ' ' : ''}${sags.label}`;
  const outside = outsideAnalysis(answers, cols);
  // The round the groups see now (`meta.round`): the other round's questions are folded away.
  const seen = new Set(rowsInRound(rows, round).map((r) => r.id));
  const folded = sheetRows(rows).filter((r) => !seen.has(r.id));

  const input = (c: AnswerColumn, label: string) => {
    const value = readValue(answers[c.key], c.kind);
    const via = answers[viaKey(c.key)] === 'wizard' && value !== null;
    return (
      <div class="answer-control">
        <AnswerInput kind={c.kind} value={value} label={label} disabled={!canWrite} testid={`answer-${c.key}`}
          onChange={(v) => writeAnswer(session.docs, sags.id, c.key, v, by)} />
        {c.kind === 'brugsmoenster' && (
          <div class="answer-extra">
            {via && <span class="via-wizard" data-testid={`via-${c.key}`}>{t('skema.fromWizard')}</span>}
            {canWrite && (
              <button type="button" class="btn btn-small btn-ghost-border" onClick={() => setWizardFor(c.key)} data-testid={`wizard-open-${c.key}`}>
                {t('skema.findBm')}
              </button>
            )}
          </div>
        )}
      </div>
    );
  };

  return (
    <section class="skema panel" data-testid="skema" data-sags={sags.id} aria-labelledby={`skema-h-${sags.id}`}>
      <h2 id={`skema-h-${sags.id}`}>{t('skema.title')}: {sagsName}</h2>
      <p class="muted small">{t('skema.lead', { sags: sags.label })}</p>
      {!canWrite && <p class="notice-warn small">{t('skema.readOnly')}</p>}
      {outside && <p class="notice-warn small" data-testid="skema-outside">{t('skema.outside')}</p>}
      <ol class="skema-list">
        {sheetRows(rows).map((r) => {
          // Out of the analysis only the screening answer itself is asked (to change it back),
          // whatever the round; otherwise the questions of the round the groups see.
          const mine = cols.filter((c) => c.row.id === r.id && (outside ? c.analysis === 'anvendes' : seen.has(r.id)));
          if (!mine.length) return null;
          const single = !(r.fields && r.fields.length);
          return (
            <li key={r.id} class="skema-q" data-testid={`skema-q-${r.id}`}>
              <div class="skema-q-head">
                <span class="qnum small-qnum">{rowTag(r, rows)}</span>
                <span class="skema-q-label">{r.label}</span>
              </div>
              {single ? input(mine[0], `${rowTag(r, rows)}. ${r.label}`) : (
                <div class="skema-fields">
                  {mine.map((c) => (
                    <label key={c.key} class="skema-field">
                      <span class="skema-field-label">{c.label}</span>
                      {input(c, c.label)}
                    </label>
                  ))}
                </div>
              )}
            </li>
          );
        })}
      </ol>
      {folded.length > 0 && (
        <p class="muted small" data-testid="skema-folded">
          {roomRounds(folded).map((other) => t('round.foldedSkema', { round: roundLabel(other), n: folded.filter((r) => r.round === other).length, current: roundLabel(round) })).join(' ')}
        </p>
      )}
      {wizardFor && (
        <Wizard sagsLabel={sagsName} onClose={() => setWizardFor(null)}
          onUse={(outcome) => { writeWizardAnswer(session.docs, sags.id, wizardFor, outcome, by); setWizardFor(null); }} />
      )}
    </section>
  );
}
