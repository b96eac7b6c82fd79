import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type RoomSummary, type Template } from '../api';
import { Header } from '../components/Header';
import { t } from '../i18n';
import { creatorKey, forgetCreatorKey, forgetRoom, knownRooms, rememberCreatorKey, rememberRoom } from '../local';
import { mergeRooms } from '../myRooms';
import { appUrl, navigate, STATEMENT_PATH } from '../router';
import { errorText } from './errors';
import { MyRooms } from './MyRooms';
import { JoinByCode } from './JoinCode';
import type { DeletedNotice } from './DeletePanel';
import { ANONYMITIES, type Anonymity } from '../sync/anonymity';

/** What the page before asked the start page to confirm (a deletion); once, not again on a reload. */
function takeNotice(): string | null {
  const state = history.state as Partial<DeletedNotice> | null;
  if (!state || typeof state.deletedTitle !== 'string') return null;
  history.replaceState(null, '', location.href);
  return t('danger.deleted', { title: state.deletedTitle });
}

/** Why the server refused to create (`401`, docs/API.md "Who may create workshops"), in the UI's words. */
function refusalText(e: ApiError, sentKey: boolean): string {
  if (/not valid/i.test(e.serverMessage) || sentKey) return t('start.keyWrong');
  return t('start.keyNeeded');
}

/**
 * `/`: create a workshop from a template and land on the facilitator console. Where the server
 * requires a creator key (it answers `401`), the form asks for it and the device keeps it once the
 * server took it; "Mine workshops" lists the caller's workshops when the server knows who that is.
 */
export function Start() {
  const [templates, setTemplates] = useState<Template[] | null>(null);
  const [title, setTitle] = useState('');
  const [template, setTemplate] = useState('kmd-sag-exit-as-is');
  const [anonymity, setAnonymity] = useState<Anonymity>('none');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [local, setLocal] = useState(knownRooms());
  const [server, setServer] = useState<RoomSummary[] | null>(null);
  // The creator key: asked for once the server wants one, or when this device keeps one.
  const [stored, setStored] = useState(creatorKey());
  const [key, setKey] = useState(stored);
  const [askKey, setAskKey] = useState(!!stored);
  const [keyError, setKeyError] = useState<string | null>(null);
  const [keyNotice, setKeyNotice] = useState<string | null>(null);
  const keyInput = useRef<HTMLInputElement>(null);
  const [focusKey, setFocusKey] = useState(0);
  const [notice] = useState(takeNotice);
  const noticeRef = useRef<HTMLParagraphElement>(null);
  useEffect(() => noticeRef.current?.focus(), []);

  useEffect(() => {
    api.templates().then(
      (ts) => {
        setTemplates(ts);
        if (!ts.some((x) => x.id === template) && ts[0]) setTemplate(ts[0].id);
      },
      (e) => setError(errorText(e)),
    );
  }, []);

  // The server's list of this caller's workshops: 401 (nobody known) or any failure shows the device's own.
  useEffect(() => {
    let alive = true;
    api.myRooms(stored || undefined).then(
      (list) => alive && setServer(Array.isArray(list) ? list : null),
      () => alive && setServer(null),
    );
    return () => {
      alive = false;
    };
  }, [stored]);

  useEffect(() => {
    if (focusKey) keyInput.current?.focus();
  }, [focusKey]);

  const create = async (e: Event) => {
    e.preventDefault();
    if (!title.trim()) {
      setError(t('start.needTitle'));
      return;
    }
    const k = key.trim();
    // A header carries printable ASCII only (the browser refuses anything else before sending).
    const keyProblem = askKey && !k ? 'start.keyMissing' : k && !/^[\x21-\x7e]+$/.test(k) ? 'start.keyChars' : null;
    if (keyProblem) {
      setKeyError(t(keyProblem));
      setFocusKey((n) => n + 1);
      return;
    }
    setBusy(true);
    setError(null);
    setKeyError(null);
    setKeyNotice(null);
    try {
      const r = await api.createRoom(title.trim(), template, k || undefined, anonymity);
      if (k) rememberCreatorKey(k);
      const facilitator_url = appUrl(`/room/${r.id}`, r.facilitator_token);
      rememberRoom({
        id: r.id,
        title: title.trim(),
        template,
        created_at: Date.now(),
        facilitator_url,
        // Links from this page's origin: what the facilitator's browser reaches, the phones do too.
        join_url: appUrl(`/join/${r.id}`, r.participant_token),
        review_url: appUrl(`/review/${r.id}`, r.review_token),
      });
      navigate(`/room/${encodeURIComponent(r.id)}`, `#${r.facilitator_token}`);
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.status === 401) {
        // The form stays as it is: only the key is to be given or corrected.
        setAskKey(true);
        setKeyError(refusalText(err, !!k));
        setFocusKey((n) => n + 1);
      } else if (err instanceof ApiError && err.status === 429) setError(t('start.tooMany'));
      else setError(err instanceof ApiError ? errorText(err) : String(err));
    }
  };

  const forgetKey = () => {
    forgetCreatorKey();
    setStored('');
    setKey('');
    setKeyError(null);
    setKeyNotice(t('start.keyForgotten'));
  };

  const rooms = mergeRooms(local, server);
  const keyDescribedBy = ['creator-key-help', keyError ? 'creator-key-error' : '', stored ? 'creator-key-kept' : ''].filter(Boolean).join(' ');

  return (
    <>
      <Header />
      <main id="main" class="page start">
        {notice && (
          <p class="panel panel-notice start-notice" role="status" tabIndex={-1} ref={noticeRef} data-testid="start-notice">
            {notice}
          </p>
        )}
        <section class="hero">
          <h1>{t('start.title')}</h1>
          <p class="lead">{t('start.lead')}</p>
        </section>
        <JoinByCode />
        <div class="start-grid">
          <form class="panel" onSubmit={create} data-testid="create-form">
            <label class="field-label">
              {t('start.name')}
              <input
                class="input input-lg"
                name="title"
                data-testid="room-title-input"
                value={title}
                maxLength={200}
                placeholder={t('start.namePlaceholder')}
                onInput={(e) => setTitle((e.currentTarget as HTMLInputElement).value)}
                required
              />
            </label>
            <fieldset class="fieldset">
              <legend class="field-label">{t('start.template')}</legend>
              {!templates && !error && <p class="muted">{t('common.loading')}</p>}
              <div class="choices">
                {templates?.map((tp) => (
                  <label key={tp.id} class={`choice ${template === tp.id ? 'choice-on' : ''}`}>
                    <input type="radio" name="template" value={tp.id} checked={template === tp.id} onChange={() => setTemplate(tp.id)} data-testid={`template-${tp.id}`} />
                    <span class="choice-body">
                      <span class="choice-title">{tp.title}</span>
                      {tp.description && <span class="choice-desc">{tp.description}</span>}
                      <span class="choice-meta">{t('start.templateSize', { rows: tp.rows.length, cols: tp.columns.length })}</span>
                    </span>
                  </label>
                ))}
              </div>
            </fieldset>
            <fieldset class="fieldset" aria-describedby="anonymity-fixed">
              <legend class="field-label">{t('anon.legend')}</legend>
              <div class="choices choices-compact">
                {ANONYMITIES.map((a) => (
                  <label key={a} class={`choice ${anonymity === a ? 'choice-on' : ''}`}>
                    <input type="radio" name="anonymity" value={a} checked={anonymity === a} onChange={() => setAnonymity(a)} data-testid={`anonymity-${a}`} />
                    <span class="choice-body">
                      <span class="choice-title">{t(`anon.${a}`)}</span>
                      <span class="choice-desc">{t(`anon.${a}Desc`)}</span>
                    </span>
                  </label>
                ))}
              </div>
              <p id="anonymity-fixed" class="muted small field-help">{t('anon.fixed')}</p>
            </fieldset>
            {askKey && (
              <div class="creator-key" data-testid="creator-key">
                <label class="field-label" for="creator-key-input">{t('start.key')}</label>
                <input
                  id="creator-key-input"
                  ref={keyInput}
                  class="input"
                  type="password"
                  name="creator-key"
                  autocomplete="off"
                  spellcheck={false}
                  value={key}
                  aria-invalid={keyError ? 'true' : undefined}
                  aria-describedby={keyDescribedBy}
                  onInput={(e) => setKey((e.currentTarget as HTMLInputElement).value)}
                  data-testid="creator-key-input"
                />
                <p id="creator-key-help" class="muted small field-help">{t('start.keyHelp')}</p>
                {keyError && <p id="creator-key-error" class="form-error" role="alert" data-testid="creator-key-error">{keyError}</p>}
                {stored && (
                  <div class="row-actions">
                    <span id="creator-key-kept" class="small muted">{t('start.keyKept')}</span>
                    <button type="button" class="btn btn-ghost-border btn-small" onClick={forgetKey} data-testid="creator-key-forget">
                      {t('start.keyForget')}
                    </button>
                  </div>
                )}
                {keyNotice && <p class="notice-ok small" role="status" data-testid="creator-key-notice">{keyNotice}</p>}
              </div>
            )}
            {error && <p class="form-error" role="alert">{error}</p>}
            <button class="btn btn-primary btn-lg btn-block" type="submit" disabled={busy || !templates} data-testid="create-room">
              {busy ? t('start.creating') : t('start.create')}
            </button>
          </form>
          <aside class="start-side">
            <MyRooms rooms={rooms} fromServer={server !== null} templates={templates}
              onForget={(id) => { forgetRoom(id); setLocal(knownRooms()); }} />
            <div class="panel panel-soft">
              <h2>{t('start.how')}</h2>
              <ol class="steps">
                <li>{t('start.how1')}</li>
                <li>{t('start.how2')}</li>
                <li>{t('start.how3')}</li>
              </ol>
            </div>
          </aside>
        </div>
      </main>
      <footer class="site-footer">
        <a href={STATEMENT_PATH} onClick={(e) => { e.preventDefault(); navigate(STATEMENT_PATH, ''); }} data-testid="statement-link">{t('a11y.footer')}</a>
      </footer>
    </>
  );
}
