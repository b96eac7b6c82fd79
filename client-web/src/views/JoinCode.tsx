// Joining by code (docs/API.md, "Joining by code"): the start page's field for the six characters
// the projector shows, and the console's panel that shows them ("Gå til … og skriv koden").
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type JoinCode } from '../api';
import { t } from '../i18n';
import { navigate } from '../router';

/** `/`: "Deltag med kode"; `?kode=` fills it in. A found code opens the room's join page with it. */
export function JoinByCode() {
  const [code, setCode] = useState(() => new URLSearchParams(location.search).get('kode') ?? '');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const found = await api.findCode(code.trim());
      navigate(`/join/${encodeURIComponent(found.room)}`, `#${found.code}`);
    } catch (err) {
      const status = err instanceof ApiError ? err.status : 0;
      setError(status === 404 ? t('code.unknown', { code: code.trim().toUpperCase() })
        : status === 429 ? t('code.tooMany')
        : t('code.failed', { message: err instanceof Error ? err.message : String(err) }));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="panel join-code" aria-labelledby="join-code-h" data-testid="join-by-code">
      <h2 id="join-code-h">{t('code.title')}</h2>
      <form class="join-code-form" onSubmit={submit}>
        <label for="join-code-input">{t('code.label')}</label>
        <input id="join-code-input" class="join-code-input mono" value={code} maxLength={9} autoComplete="off" autoCapitalize="characters" spellcheck={false}
          aria-describedby="join-code-help" onInput={(e) => setCode((e.target as HTMLInputElement).value)} data-testid="join-code-input" />
        <button type="submit" class="btn btn-primary" disabled={busy || code.trim().length < 6} data-testid="join-code-go">{t('code.go')}</button>
      </form>
      <p id="join-code-help" class="muted small">{t('code.help')}</p>
      {error && <p class="notice-warn" role="alert" data-testid="join-code-error">{error}</p>}
    </section>
  );
}

/** The room's code, for the facilitator to show (made the first time it is asked for). */
export function useJoinCode(roomId: string, token: string): [JoinCode | null, string | null, () => void] {
  const [code, setCode] = useState<JoinCode | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = async (fresh: boolean) => {
    try {
      if (fresh) setCode(await api.newJoinCode(roomId, token));
      else {
        try {
          setCode(await api.joinCode(roomId, token));
        } catch (e) {
          if (!(e instanceof ApiError && e.status === 404)) throw e;
          setCode(await api.newJoinCode(roomId, token));
        }
      }
      setError(null);
    } catch (e) {
      setError(t('code.none', { message: e instanceof Error ? e.message : String(e) }));
    }
  };
  useEffect(() => { void load(false); }, [roomId, token]);
  return [code, error, () => { if (confirm(t('code.newConfirm'))) void load(true); }];
}

/** "Gå til kortvaeg.kommune.dk og skriv koden K7M2QX", big enough for a projector when `big`. */
export function JoinCodeView({ code, big }: { code: JoinCode; big?: boolean }) {
  // Where this console is (as the join link and QR code say): what the room types.
  const host = location.host;
  return (
    <div class={`join-code-view ${big ? 'big' : ''}`} data-testid={big ? 'join-code-big' : 'join-code'}>
      <p class="join-code-hint">{t('code.shareHint', { host })}</p>
      <p class="join-code-code mono" aria-label={`${t('code.label')}: ${code.code.split('').join(' ')}`} data-code={code.code}>{code.code}</p>
    </div>
  );
}
