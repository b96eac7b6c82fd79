import { useEffect, useRef, useState } from 'preact/hooks';
import { MAX_TEXT_CHARS } from '../sync/schema';

/**
 * An input that shows the live value and commits on blur or Enter (not on every keystroke).
 * `multiline`: Enter is a new line (Ctrl/⌘+Enter commits). `wrap`: one line of text, but a long
 * one wraps onto more lines (a textarea that grows with its text) instead of being cut off.
 */
export function InlineText({ value, onCommit, label, multiline, wrap, class: cls = '', placeholder, testid }: {
  value: string;
  onCommit: (v: string) => void;
  label: string;
  multiline?: boolean;
  wrap?: boolean;
  class?: string;
  placeholder?: string;
  testid?: string;
}) {
  const [draft, setDraft] = useState(value);
  const focused = useRef(false);
  const area = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    if (!focused.current) setDraft(value);
  }, [value]);
  // A wrapping field is as tall as its text (also after a resize changes where it wraps).
  useEffect(() => {
    const el = area.current;
    if (!wrap || !el) return;
    const fit = () => {
      el.style.height = 'auto';
      el.style.height = `${el.scrollHeight + el.offsetHeight - el.clientHeight}px`;
    };
    fit();
    const ro = new ResizeObserver(fit);
    ro.observe(el);
    return () => ro.disconnect();
  }, [wrap, draft]);
  const commit = () => {
    focused.current = false;
    const v = draft.trim();
    if (v && v !== value) onCommit(v);
    else setDraft(value);
  };
  const common = {
    class: `input ${multiline ? 'textarea' : ''} ${wrap ? 'input-wrap' : ''} ${cls}`,
    'aria-label': label,
    value: draft,
    maxLength: MAX_TEXT_CHARS,
    placeholder,
    'data-testid': testid,
    onFocus: () => (focused.current = true),
    onBlur: commit,
    // A wrapping field holds one line: a pasted line break becomes a space.
    onInput: (e: Event) => setDraft(wrap ? (e.currentTarget as HTMLInputElement).value.replace(/\s*[\r\n]+\s*/g, ' ') : (e.currentTarget as HTMLInputElement).value),
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
  if (wrap) return <textarea {...common} ref={area} rows={1} />;
  return multiline ? <textarea {...common} rows={2} /> : <input {...common} />;
}
