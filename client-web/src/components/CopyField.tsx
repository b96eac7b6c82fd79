import { useState } from 'preact/hooks';
import { t } from '../i18n';

/** A read-only link with a copy button (falls back to selecting the text). */
export function CopyField({ value, label, testid }: { value: string; label: string; testid?: string }) {
  const [copied, setCopied] = useState(false);
  let input: HTMLInputElement | null = null;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      input?.select();
      document.execCommand?.('copy');
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 2000);
  };
  return (
    <div class="copyfield">
      <label class="field-label">
        {label}
        <div class="copyfield-row">
          <input ref={(el) => { input = el; }} class="input mono" readOnly value={value} data-testid={testid} onFocus={(e) => (e.currentTarget as HTMLInputElement).select()} />
          <button type="button" class={`btn ${copied ? 'btn-ok' : ''}`} onClick={copy} data-testid={testid ? `${testid}-copy` : undefined}>
            {copied ? t('common.copied') : t('common.copy')}
          </button>
        </div>
      </label>
    </div>
  );
}
