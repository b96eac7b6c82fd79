// Dot voting in the views (docs/API.md, "Dot voting"): the facilitator's "Afstemning" panel (start,
// stop, reset, live results), everyone's line about the round (votes left, countdown, a refusal),
// the vote controls on a card or a sagsområde, and the list of sagsområder in a sagsområde round.
// Every vote goes through the server (sync/voting.ts); the buttons never decide alone.
import { useState } from 'preact/hooks';
import { api, type VoteRound } from '../api';
import { useVotes } from '../hooks';
import { t } from '../i18n';
import type { RoomSession } from '../sync/room';
import { readRoomCards } from '../sync/docs';
import type { Column } from '../sync/schema';
import { roundMinutes, votesOf, type VoteView } from '../sync/voting';
import { Countdown } from '../components/Timer';
import { voteErrorText } from './votingText';

export const voteCount = (n: number) => (n === 1 ? t('vote.countOne') : t('vote.countMany', { n }));
const targetLabel = (r: VoteRound) => (r.target === 'cards' ? t('vote.targetCards') : t('vote.targetSags'));
const quote = (text: string) => text.trim().replace(/\s+/g, ' ').slice(0, 40) || t('vote.emptyCard');

/** This person may vote: a seat (a person who joined), not the facilitator, a v1 link or review. */
export const canVote = (session: RoomSession) => session.seated && session.role === 'participant';

/**
 * Everyone's line about the round: what is voted on and the rules, "Du har N af M stemmer
 * tilbage" for a seat, the countdown, and the last refusal of an own vote (an alert).
 */
export function VoteBar({ session, children }: { session: RoomSession; children?: preact.ComponentChildren }) {
  const v = useVotes(session);
  const r = v.round;
  if (!r) return null;
  const status = v.live ? 'vote.statusOpen' : r.open ? 'vote.statusOver' : 'vote.statusStopped';
  return (
    <section class={`vote-bar ${v.live ? 'is-live' : ''}`} aria-label={t('vote.panelTitle')} data-testid="vote-bar" data-live={v.live ? 'yes' : 'no'} data-round={r.id}>
      <div class="vote-bar-main">
        <p class="vote-status" data-testid="vote-status">
          <strong>{t(status, { target: targetLabel(r) })}</strong>
          {' '}<span class="muted">{t('vote.rules', { budget: r.budget, cap: r.cap, what: r.target === 'cards' ? t('vote.whatCards') : t('vote.whatSags') })}</span>
          {r.anonymous && <> <span class="badge badge-muted" data-testid="vote-anonymous">{t('vote.anonymousBadge')}</span></>}
        </p>
        {canVote(session) && (
          <p class="vote-left" data-testid="vote-left" data-left={v.left ?? ''} aria-live="polite">{t('vote.left', { n: v.left ?? r.budget, m: r.budget })}</p>
        )}
        {!canVote(session) && session.role === 'participant' && v.live && <p class="muted small">{t('vote.noSeat')}</p>}
      </div>
      {v.live && r.ends_at !== undefined && <Countdown endsAt={r.ends_at} label={t('vote.countdown')} over={t('vote.countdownOver')} testid="vote-countdown" />}
      {children}
      <VoteError session={session} v={v} />
    </section>
  );
}

/** The last refusal of an own vote, in Danish (or English); an alert, so a screen reader says it. */
function VoteError({ session, v }: { session: RoomSession; v: VoteView }) {
  return (
    <div class="vote-toast-slot" role="alert" aria-atomic="true">
      {v.error && (
        <p class="vote-toast" data-testid="vote-error" data-status={v.error.status}>
          <span data-testid="vote-error-text">{voteErrorText(v.error)}</span>
          <button type="button" class="btn btn-small btn-ghost-border" onClick={() => votesOf(session).clearError()} data-testid="vote-error-close">{t('vote.dismiss')}</button>
        </p>
      )}
    </div>
  );
}

/**
 * A card's or sagsområde's count (read as "3 stemmer"), and for a seat "Stem" / "Fjern stemme",
 * named after what they vote on. Disabled when the round is stopped or over; the count stays.
 */
export function VoteControls({ session, v, id, name, kind }: { session: RoomSession; v: VoteView; id: string; name: string; kind: 'card' | 'sags' }) {
  const n = v.counts[id] ?? 0;
  const mine = v.mine[id] ?? 0;
  const tracker = votesOf(session);
  const busy = v.busy.has(id);
  const q = quote(name);
  return (
    <div class="vote-controls" data-testid={kind === 'card' ? 'card-vote' : 'sags-vote'} data-target={id} data-count={n} data-mine={mine}>
      <span class={`vote-count ${n ? 'has-votes' : ''}`} data-testid="vote-count">
        {voteCount(n)}
      </span>
      {mine > 0 && <span class="vote-mine">{t('vote.mine', { n: mine })}</span>}
      {canVote(session) && (
        <span class="vote-buttons">
          <button type="button" class="btn btn-small btn-vote" disabled={!v.live || busy} data-testid="vote-cast"
            aria-label={kind === 'card' ? t('vote.castCard', { text: q }) : t('vote.castSags', { name: q })}
            onClick={() => void tracker.vote(id, true)}>
            + {t('vote.cast')}
          </button>
          <button type="button" class="btn btn-small btn-ghost-border" disabled={!v.live || busy || mine === 0} data-testid="vote-take-back"
            aria-label={kind === 'card' ? t('vote.takeBackCard', { text: q }) : t('vote.takeBackSags', { name: q })}
            onClick={() => void tracker.vote(id, false)}>
            − {t('vote.takeBack')}
          </button>
        </span>
      )}
    </div>
  );
}

/** A round on sagsområder: the room's sagsområder per fagområde with their count (and, for a seat, the vote). */
export function SagsVoting({ session, columns }: { session: RoomSession; columns: Column[] }) {
  const v = useVotes(session);
  if (v.round?.target !== 'sagsomraader') return null;
  const fags = columns.filter((c) => c.sagsomraader.length);
  return (
    <section class="panel vote-sags" aria-labelledby="vote-sags-h" data-testid="vote-sags">
      <h2 id="vote-sags-h">{canVote(session) ? t('vote.sagsTitle') : t('vote.sagsResults')}</h2>
      <div class="vote-sags-grid">
        {fags.map((c) => (
          <div key={c.id} class="vote-fag">
            <h3 class="vote-fag-h">{c.label}</h3>
            <ul class="vote-sags-list">
              {c.sagsomraader.map((s) => (
                <li key={s.id} class="vote-sags-item" data-testid={`vote-sags-${s.id}`}>
                  <span class="vote-sags-name">{s.kle && <span class="kle">{s.kle} </span>}{s.label}</span>
                  <VoteControls session={session} v={v} id={s.id} name={s.label} kind="sags" />
                </li>
              ))}
            </ul>
          </div>
        ))}
      </div>
    </section>
  );
}

/** Facilitator: "Afstemning": the settings, start / stop / reopen / reset, and the live results. */
export function VotingPanel({ session, columns, status = true }: {
  session: RoomSession; columns: Column[];
  /** Show the round's line (off where the page shows it already: the wall). */
  status?: boolean;
}) {
  const v = useVotes(session);
  const r = v.round;
  const [target, setTarget] = useState<VoteRound['target']>(r?.target ?? 'cards');
  const [budget, setBudget] = useState(String(r?.budget ?? 5));
  const [cap, setCap] = useState(String(r?.cap ?? 2));
  const [anonymous, setAnonymous] = useState(r?.anonymous ?? false);
  const [minutes, setMinutes] = useState(r ? String(roundMinutes(r) ?? '') : '');
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const { roomId, token } = session;

  const run = async (what: () => Promise<unknown>, done: string) => {
    setBusy(true);
    try {
      await what();
      setMsg({ ok: true, text: done });
      await votesOf(session).refresh();
    } catch (e) {
      setMsg({ ok: false, text: voteErrorText(e) });
    } finally {
      setBusy(false);
    }
  };

  const start = (e: Event) => {
    e.preventDefault();
    const b = Number(budget);
    const c = Number(cap);
    const m = minutes.trim() ? Number(minutes.replace(',', '.')) : undefined;
    // The server checks the same; said here before anything is sent.
    if (!Number.isInteger(b) || b < 1 || b > 20) return setMsg({ ok: false, text: t('vote.err.budgetRange') });
    if (!Number.isInteger(c) || c < 1 || c > b) return setMsg({ ok: false, text: t('vote.err.capRange', { n: b }) });
    if (m !== undefined && (!Number.isInteger(m) || m < 1 || m > 240)) return setMsg({ ok: false, text: t('vote.err.minutesRange') });
    if (r && (r.open || v.total > 0) && !confirm(t('vote.newConfirm'))) return;
    void run(() => api.openVoting(roomId, token, { target, budget: b, cap: c, anonymous, ...(m ? { minutes: m } : {}) }), t('vote.started'));
  };
  const reset = () => {
    if (!r || !confirm(t('vote.resetConfirm'))) return;
    const m = roundMinutes(r);
    void run(() => api.openVoting(roomId, token, { target: r.target, budget: r.budget, cap: r.cap, anonymous: r.anonymous, ...(m ? { minutes: m } : {}) }), t('vote.resetDone'));
  };

  return (
    <section class="panel voting-panel" aria-labelledby="voting-h" data-testid="voting-panel">
      <h2 id="voting-h">{t('vote.panelTitle')}</h2>
      <form class="voting-form" onSubmit={start} noValidate>
        <fieldset class="voting-target">
          <legend class="control-label">{t('vote.target')}</legend>
          <div class="segmented" role="group">
            {(['cards', 'sagsomraader'] as const).map((x) => (
              <button key={x} type="button" class={`seg ${target === x ? 'seg-on seg-group' : ''}`} aria-pressed={target === x} data-testid={`vote-target-${x}`} onClick={() => setTarget(x)}>
                {x === 'cards' ? t('vote.targetCards') : t('vote.targetSags')}
              </button>
            ))}
          </div>
        </fieldset>
        <div class="voting-numbers">
          <label class="field-label">
            {t('vote.budget')}
            <input class="input" type="number" min={1} max={20} step={1} inputMode="numeric" value={budget} data-testid="vote-budget"
              onInput={(e) => setBudget((e.currentTarget as HTMLInputElement).value)} />
          </label>
          <label class="field-label">
            {t('vote.cap')}
            <input class="input" type="number" min={1} max={Math.max(1, Math.min(20, Number(budget) || 20))} step={1} inputMode="numeric" value={cap} data-testid="vote-cap"
              aria-describedby="vote-cap-help" onInput={(e) => setCap((e.currentTarget as HTMLInputElement).value)} />
            <span id="vote-cap-help" class="field-help muted">{t('vote.capHelp')}</span>
          </label>
          <label class="field-label">
            {t('vote.minutes')}
            <input class="input" type="number" min={1} max={240} step={1} inputMode="numeric" value={minutes} data-testid="vote-minutes"
              onInput={(e) => setMinutes((e.currentTarget as HTMLInputElement).value)} />
          </label>
        </div>
        <label class="filter-check voting-anon">
          <input type="checkbox" checked={anonymous} data-testid="vote-anonymous-input" aria-describedby="vote-anon-help"
            onChange={(e) => setAnonymous((e.currentTarget as HTMLInputElement).checked)} />
          <span>{t('vote.anonymous')}</span>
        </label>
        <p id="vote-anon-help" class="field-help muted">{t('vote.anonymousHelp')}</p>
        <div class="row-actions">
          <button type="submit" class="btn btn-primary" disabled={busy} data-testid="vote-start">{t('vote.start')}</button>
          {r?.open && (
            <button type="button" class="btn" disabled={busy} data-testid="vote-stop" onClick={() => void run(() => api.setVotingOpen(roomId, token, false), t('vote.stopped'))}>
              {t('vote.stop')}
            </button>
          )}
          {r && !r.open && (
            <button type="button" class="btn" disabled={busy} data-testid="vote-reopen" onClick={() => void run(() => api.setVotingOpen(roomId, token, true), t('vote.started'))}>
              {t('vote.reopen')}
            </button>
          )}
          {r && <button type="button" class="btn btn-ghost-border" disabled={busy} data-testid="vote-reset" onClick={reset}>{t('vote.reset')}</button>}
        </div>
        <p role="status" class={msg?.ok ? 'notice-ok' : 'form-error'} data-testid="vote-panel-msg">{msg?.text ?? ''}</p>
      </form>
      {r && <VoteResults session={session} v={v} columns={columns} status={status} />}
    </section>
  );
}

/** The facilitator's live results: the total, per target most first, and who voted (open rounds only). */
function VoteResults({ session, v, columns, status }: { session: RoomSession; v: VoteView; columns: Column[]; status: boolean }) {
  const r = v.round!;
  const labels = new Map<string, string>();
  if (r.target === 'cards') for (const c of readRoomCards(session.docs)) labels.set(c.id, quote(c.text));
  else for (const c of columns) for (const s of c.sagsomraader) labels.set(s.id, `${s.label} (${c.label})`);
  const list = Object.entries(v.counts).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || (labels.get(a[0]) ?? '').localeCompare(labels.get(b[0]) ?? '', 'da'));
  return (
    <div class="vote-results-wrap" data-testid="vote-results-wrap">
      <h3 class="vote-results-h">{t('vote.results')}</h3>
      {status && <VoteBar session={session} />}
      <p class="vote-total" data-testid="vote-total" data-total={v.total}>{t('vote.total', { n: v.total })}</p>
      {r.anonymous && <p class="muted small" data-testid="vote-anonymous-note">{t('vote.anonymousResults')}</p>}
      {list.length === 0 ? <p class="muted">{t('vote.noneYet')}</p> : (
        <ol class="vote-results" data-testid="vote-results">
          {list.map(([id, n]) => (
            <li key={id} class="vote-result" data-testid="vote-result" data-target={id} data-count={n}>
              <span class="vote-result-label">{labels.get(id) ?? t('vote.gone')}</span>
              <span class="vote-count has-votes">{voteCount(n)}</span>
              {v.voters?.[id]?.length ? (
                <span class="vote-voters small muted" data-testid="vote-voters">
                  {t('vote.votedBy')}: {[...v.voters[id]].sort((x, y) => x.name.localeCompare(y.name, 'da')).map((p) => `${p.name}${p.votes > 1 ? ` (${p.votes})` : ''}`).join(', ')}
                </span>
              ) : null}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
