import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { t } from '../i18n';
import type { RoomSession } from '../sync/room';
import { setRound } from '../sync/schema';
import { roundLabel } from '../sync/analysis';
import { errorText } from './errors';

/**
 * Facilitator only, in a room of several rounds: "Start next round" is one action — a snapshot of
 * the round that ends, named for it ("As-is" unless the facilitator writes another name), then
 * `meta.round` set to the next round. The round that ends is the one the groups see; while they
 * see every round, the first. If the snapshot fails, the round stays.
 */
export function NextRound({ session, roomId, round, rounds }: { session: RoomSession; roomId: string; round: string; rounds: string[] }) {
  const ending = rounds.includes(round) ? round : rounds[0];
  const next = rounds[rounds.indexOf(ending) + 1];
  const [name, setName] = useState(roundLabel(ending));
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  // A new round to end: its name by default again.
  useEffect(() => setName(roundLabel(ending)), [ending]);
  const said = result && <p class={result.ok ? 'notice-ok' : 'form-error'} role="status" data-testid="next-round-result">{result.text}</p>;
  if (!next) {
    return (
      <div class="next-round" data-testid="next-round">
        <p class="muted small" data-testid="next-round-last">{t('round.nextLast', { round: roundLabel(ending) })}</p>
        {said}
      </div>
    );
  }
  const start = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setResult(null);
    try {
      const s = await api.takeSnapshot(roomId, session.token, name.trim() || roundLabel(ending));
      setRound(session.control.doc, next);
      setResult({ ok: true, text: t('round.nextDone', { seq: s.seq, name: s.name ?? '', next: roundLabel(next) }) });
    } catch (err) {
      setResult({ ok: false, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="next-round" onSubmit={start} data-testid="next-round">
      <p class="field-help muted" id="next-round-help">{t('round.nextHelp', { next: roundLabel(next) })}</p>
      <div class="next-round-row">
        <label class="field-label">
          {t('round.nextName')}
          <input class="input" value={name} maxLength={80} required aria-describedby="next-round-help" data-testid="next-round-name"
            onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <button type="submit" class="btn btn-primary" disabled={busy} data-testid="next-round-start">
          {t('round.next')} ({roundLabel(ending)} → {roundLabel(next)})
        </button>
      </div>
      {said}
    </form>
  );
}
