import { useEffect, useRef, useState } from 'preact/hooks';
import { MAX_TEXT_CHARS } from '../sync/schema';

/** An input that shows the live value and commits on blur or Enter (not on every keystroke). */
export function InlineText({ value, onCommit, label, multiline, class: cls = '', placeholder, testid }: {
  value: string;
  onCommit: (v: string) => void;
  label: string;
  multiline?: boolean;
  class?: string;
  placeholder?: string;
  testid?: string;
}) {
  const [draft, setDraft] = useState(value);
  const focused = useRef(false);
  useEffect(() => {
    if (!focused.current) setDraft(value);
  }, [value]);
  const commit = () => {
    focused.current = false;
    const v = draft.trim();
    if (v && v !== value) onCommit(v);
    else setDraft(value);
  };
  const common = {
    class: `input ${multiline ? 'textarea' : ''} ${cls}`,
    'aria-label': label,
    value: draft,
    maxLength: MAX_TEXT_CHARS,
    placeholder,
    'data-testid': testid,
    onFocus: () => (focused.current = true),
    onBlur: commit,
    onInput: (e: Event) => setDraft((e.currentTarget as HTMLInputElement).value),
    onKeyDown: (e: KeyboardEvent) => {
      if (e.key === 'Enter' && (!multiline || e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        (e.currentTarget as HTMLElement).blur();
      }
      if (e.key === 'Escape') {
        setDraft(value);
        focused.current = false;
        (e.currentTarget as HTMLElement).blur();
      }
    },
  };
  return multiline ? <textarea {...common} rows={2} /> : <input {...common} />;
}
