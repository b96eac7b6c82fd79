import { useEffect, useRef, useState } from 'preact/hooks';
import { t, type Key } from '../i18n';
import { CHOICES, type Value } from '../sync/analysis';
import { MAX_TEXT_CHARS } from '../sync/schema';

/** The display text of a stored value of a closed kind ("hoej" → "Høj"). */
export function valueLabel(kind: string, v: Value | null | undefined, long = false): string {
  if (v === null || v === undefined || v === '') return '';
  const s = String(v);
  if (kind === 'ja_nej' || kind === 'lav_middel_hoej' || kind === 'brugerantal') return t(`val.${s}` as Key);
  if (long && kind === 'loesningsscenarie') return `${s} – ${t(`ls.${s}` as Key)}`;
  if (long && kind === 'brugsmoenster') return `${s} – ${t(`bm.${s}` as Key)}`;
  return s;
}

interface Props {
  kind: string;
  value: Value | null;
  onChange: (v: string | number | null) => void;
  label: string;
  disabled?: boolean;
  /** Compact (sheet cell): short option labels, one-line text. */
  compact?: boolean;
  testid?: string;
}

/** One answer input by answer kind: a dropdown for the closed kinds, else number / date / text. */
export function AnswerInput({ kind, value, onChange, label, disabled, compact, testid }: Props) {
  const choices = CHOICES[kind];
  if (choices) {
    return (
      <select class={`input answer-input answer-${kind}`} aria-label={label} disabled={disabled} data-testid={testid} value={value === null ? '' : String(value)}
        onChange={(e) => onChange((e.currentTarget as HTMLSelectElement).value || null)}>
        <option value="">{t('val.none')}</option>
        {choices.map((c) => <option key={c} value={c}>{valueLabel(kind, c, !compact)}</option>)}
      </select>
    );
  }
  if (kind === 'date') {
    return (
      <input type="date" class="input answer-input answer-date" aria-label={label} disabled={disabled} data-testid={testid} value={typeof value === 'string' ? value : ''}
        onChange={(e) => onChange((e.currentTarget as HTMLInputElement).value || null)} />
    );
  }
  return <DraftInput kind={kind} value={value} onChange={onChange} label={label} disabled={disabled} compact={compact} testid={testid} />;
}

/**
 * Text and number answers: typed into a local draft that is written shortly after typing stops and
 * on blur, so others see it live; a remote change replaces the draft only while not focused.
 */
function DraftInput({ kind, value, onChange, label, disabled, compact, testid }: Props) {
  const shown = value === null ? '' : String(value);
  const [draft, setDraft] = useState(shown);
  const focused = useRef(false);
  const timer = useRef<number | null>(null);
  const latest = useRef(onChange);
  latest.current = onChange;
  useEffect(() => {
    if (!focused.current) setDraft(shown);
  }, [shown]);
  useEffect(() => () => { if (timer.current !== null) clearTimeout(timer.current); }, []);
  const commit = (v: string) => {
    if (timer.current !== null) clearTimeout(timer.current);
    timer.current = null;
    if (kind === 'number') {
      const s = v.trim().replace(',', '.');
      if (s === '') return latest.current(null);
      const n = Number(s);
      if (Number.isFinite(n)) latest.current(n);
    } else latest.current(v.trim() === '' ? null : v);
  };
  const common = {
    'aria-label': label,
    disabled,
    'data-testid': testid,
    value: draft,
    maxLength: MAX_TEXT_CHARS,
    onFocus: () => (focused.current = true),
    onBlur: () => {
      focused.current = false;
      commit(draft);
    },
    onInput: (e: Event) => {
      const v = (e.currentTarget as HTMLInputElement).value;
      setDraft(v);
      if (timer.current !== null) clearTimeout(timer.current);
      timer.current = window.setTimeout(() => commit(v), 350);
    },
  };
  if (kind === 'number') return <input {...common} class="input answer-input answer-number" type="text" inputMode="decimal" placeholder={compact ? '' : t('skema.number')} />;
  if (compact) return <input {...common} class="input answer-input answer-text" type="text" />;
  return <textarea {...common} class="input textarea answer-input answer-text" rows={2} placeholder={t('skema.textPlaceholder')} />;
}
