import { t } from '../i18n';
import { useNow } from '../hooks';
import type { Timer } from '../sync/schema';

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

/**
 * The phase's countdown (`meta.timer`, sync/schema.ts): what it times and the time left —
 * "Gruppearbejde: 12:30 tilbage", "… pause", "… tiden er gået". `pinned`: it stays in view at the
 * top of a phone's page while the page scrolls.
 */
export function PhaseTimer({ timer, big, pinned }: { timer: Timer | null; big?: boolean; pinned?: boolean }) {
  const now = useNow(500);
  if (!timer) return null;
  const what = timer.label || t(`phase.${timer.phase ?? 'group'}`);
  const left = timer.pausedLeft ?? (timer.endsAt ?? now) - now;
  const paused = timer.pausedLeft !== null;
  const over = !paused && left <= 0;
  const time = formatLeft(left);
  const said = over ? t('ptimer.overSr', { what }) : paused ? t('ptimer.pausedSr', { what, time }) : t('ptimer.leftSr', { what, time });
  return (
    <div class={`countdown phase-timer ${big ? 'countdown-big' : ''} ${pinned ? 'timer-pin' : ''} ${over ? 'countdown-over' : paused ? 'countdown-paused' : left < 60_000 ? 'countdown-soon' : ''}`}
      data-testid="phase-timer" data-state={over ? 'over' : paused ? 'paused' : 'running'} role="timer" aria-live="off" aria-label={said}>
      <span class="countdown-label" aria-hidden="true">{what}:</span>
      {over ? (
        <span class="countdown-over-text" aria-hidden="true">{t('ptimer.over')}</span>
      ) : (
        <>
          {paused && <span class="countdown-paused-text" aria-hidden="true">{t('ptimer.paused')}</span>}
          <span class="countdown-value" aria-hidden="true" data-testid="phase-timer-left">{time}</span>
          <span class="countdown-unit" aria-hidden="true">{t('ptimer.left')}</span>
        </>
      )}
    </div>
  );
}
