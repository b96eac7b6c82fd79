import { useEffect, useRef, useState } from 'preact/hooks';
import { serverNow } from '../api';
import { t } from '../i18n';
import type { RoomSession } from '../sync/room';
import { extendTimer, pauseTimer, PHASES, resumeTimer, setPhase, setRound, startTimer, stopTimer, type Phase, type Timer } from '../sync/schema';
import { roundLabel } from '../sync/analysis';
import { PhaseTimer } from '../components/Timer';

/** Facilitator only: gruppearbejde / plenum / lukket. */
export function PhaseControl({ session, phase }: { session: RoomSession; phase: Phase }) {
  return (
    <div class="control-block">
      <span class="control-label" id="phase-label">{t('phase.label')}</span>
      <div class="segmented" role="group" aria-labelledby="phase-label" data-testid="phase-control">
        {PHASES.map((p) => (
          <button
            key={p}
            type="button"
            class={`seg ${phase === p ? 'seg-on' : ''} seg-${p}`}
            aria-pressed={phase === p}
            data-testid={`phase-${p}`}
            onClick={() => setPhase(session.control.doc, p)}
          >
            {t(`phase.${p}`)}
          </button>
        ))}
      </div>
    </div>
  );
}

/**
 * Facilitator only: the countdown everyone sees, of the phase now (it stops when the phase
 * changes: `setPhase`), saying what it times; pause and resume, +1 min, stop.
 */
export function TimerControl({ session, timer, phase }: { session: RoomSession; timer: Timer | null; phase: Phase }) {
  const [custom, setCustom] = useState('');
  const [label, setLabel] = useState('');
  // The button pressed goes away (start → the running timer's, pause ↔ resume, stop → the
  // starting ones): focus moves to its counterpart, not to the page (WCAG 2.4.3).
  const [focusNext, setFocusNext] = useState<string | null>(null);
  const group = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!focusNext) return;
    const el = group.current?.querySelector<HTMLElement>(`[data-testid="${focusNext}"]`);
    if (el) {
      el.focus();
      setFocusNext(null);
    }
  });
  const doc = session.control.doc;
  const start = (m: number) => {
    startTimer(doc, m, serverNow(), label);
    setLabel('');
    setFocusNext('timer-pause');
  };
  return (
    <div class="control-block">
      <span class="control-label" id="timer-label">{t('timer.titlePhase', { phase: t(`phase.${phase}`) })}</span>
      <div class="timer-control" role="group" aria-labelledby="timer-label" ref={group}>
        {timer ? (
          <>
            <PhaseTimer timer={timer} />
            {timer.pausedLeft !== null ? (
              <button type="button" class="btn btn-small btn-primary" onClick={() => { resumeTimer(doc, serverNow()); setFocusNext('timer-pause'); }} data-testid="timer-resume">{t('ptimer.resume')}</button>
            ) : (
              <button type="button" class="btn btn-small" onClick={() => { pauseTimer(doc, serverNow()); setFocusNext('timer-resume'); }} data-testid="timer-pause">{t('ptimer.pause')}</button>
            )}
            <button type="button" class="btn btn-small" onClick={() => extendTimer(doc, 1, serverNow())} data-testid="timer-add">{t('timer.add')}</button>
            <button type="button" class="btn btn-small btn-ghost-border" onClick={() => { stopTimer(doc); setFocusNext('timer-5'); }} data-testid="timer-stop">{t('timer.stop')}</button>
          </>
        ) : (
          <>
            <input class="input input-small timer-what" aria-label={t('ptimer.what')} placeholder={t('ptimer.what')} value={label} maxLength={80}
              title={t('ptimer.forPhase', { phase: t(`phase.${phase}`) })} data-testid="timer-what"
              onInput={(e) => setLabel((e.currentTarget as HTMLInputElement).value)} />
            {[5, 10, 15, 20].map((m) => (
              <button key={m} type="button" class="btn btn-small" onClick={() => start(m)} data-testid={`timer-${m}`}>
                {m} {t('common.minutes')}
              </button>
            ))}
            <form class="inline-form" onSubmit={(e) => {
              e.preventDefault();
              const m = Number(custom.replace(',', '.'));
              if (m > 0 && m <= 600) start(m);
              setCustom('');
            }}>
              <input class="input input-small" inputMode="numeric" aria-label={t('timer.custom')} placeholder={t('timer.custom')} value={custom}
                onInput={(e) => setCustom((e.currentTarget as HTMLInputElement).value)} />
              <button type="submit" class="btn btn-small btn-ghost-border">{t('timer.startCustom')}</button>
            </form>
          </>
        )}
      </div>
    </div>
  );
}

/**
 * Facilitator only, in a room of several rounds: which round the groups see now (`meta.round`;
 * '' = every round). Only the facilitator may write the control document, so the server holds it.
 */
export function RoundControl({ session, round, rounds }: { session: RoomSession; round: string; rounds: string[] }) {
  const current = rounds.includes(round) ? round : '';
  return (
    <div class="control-block">
      <span class="control-label" id="round-label">{t('round.label')}</span>
      <div class="segmented" role="group" aria-labelledby="round-label" data-testid="round-control">
        {['', ...rounds].map((r) => (
          <button
            key={r || 'all'}
            type="button"
            class={`seg ${current === r ? 'seg-on seg-round' : ''}`}
            aria-pressed={current === r}
            data-testid={`round-${r || 'all'}`}
            onClick={() => setRound(session.control.doc, r)}
          >
            {r ? roundLabel(r) : t('round.both')}
          </button>
        ))}
      </div>
    </div>
  );
}
