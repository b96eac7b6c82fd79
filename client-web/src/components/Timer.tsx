import { t } from '../i18n';
import { useNow } from '../hooks';

export function formatLeft(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * The group-work countdown (meta.timer_ends_at), the same for everyone; with `label`, `over` and
 * `testid` another one in the same look (the vote's).
 */
export function Countdown({ endsAt, big, label, over: overText, testid = 'countdown' }: {
  endsAt: number | null; big?: boolean; label?: string; over?: string; testid?: string;
}) {
  const now = useNow(500);
  if (!endsAt) return null;
  const left = endsAt - now;
  const over = left <= 0;
  return (
    <div class={`countdown ${big ? 'countdown-big' : ''} ${over ? 'countdown-over' : left < 60_000 ? 'countdown-soon' : ''}`} data-testid={testid} role="timer" aria-live="off">
      <span class="countdown-label">{over ? overText ?? t('timer.over') : label ?? t('timer.label')}</span>
      {!over && <span class="countdown-value">{formatLeft(left)}</span>}
    </div>
  );
}
