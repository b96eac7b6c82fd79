import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type Template } from '../api';
import { Header } from '../components/Header';
import { fmtDateTime, t } from '../i18n';
import { forgetRoom, knownRooms, rememberRoom } from '../local';
import { appUrl, navigate } from '../router';
import { errorText } from './errors';

/** `/`: create a workshop from a template and land on the facilitator console. */
export function Start() {
  const [templates, setTemplates] = useState<Template[] | null>(null);
  const [title, setTitle] = useState('');
  const [template, setTemplate] = useState('kmd-sag-exit-as-is');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [mine, setMine] = useState(knownRooms());

  useEffect(() => {
    api.templates().then(
      (ts) => {
        setTemplates(ts);
        if (!ts.some((x) => x.id === template) && ts[0]) setTemplate(ts[0].id);
      },
      (e) => setError(errorText(e)),
    );
  }, []);

  const create = async (e: Event) => {
    e.preventDefault();
    if (!title.trim()) {
      setError(t('start.needTitle'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const r = await api.createRoom(title.trim(), template);
      const facilitator_url = appUrl(`/room/${r.id}`, r.facilitator_token);
      rememberRoom({
        id: r.id,
        title: title.trim(),
        created_at: Date.now(),
        facilitator_url,
        // Links from this page's origin: what the facilitator's browser reaches, the phones do too.
        join_url: appUrl(`/join/${r.id}`, r.participant_token),
        review_url: appUrl(`/review/${r.id}`, r.review_token),
      });
      navigate(`/room/${encodeURIComponent(r.id)}`, `#${r.facilitator_token}`);
    } catch (err) {
      setError(err instanceof ApiError ? errorText(err) : String(err));
      setBusy(false);
    }
  };

  return (
    <>
      <Header />
      <main class="page start">
        <section class="hero">
          <h1>{t('start.title')}</h1>
          <p class="lead">{t('start.lead')}</p>
        </section>
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
            {error && <p class="form-error" role="alert">{error}</p>}
            <button class="btn btn-primary btn-lg btn-block" type="submit" disabled={busy || !templates} data-testid="create-room">
              {busy ? t('start.creating') : t('start.create')}
            </button>
          </form>
          <aside class="start-side">
            <div class="panel panel-soft">
              <h2>{t('start.how')}</h2>
              <ol class="steps">
                <li>{t('start.how1')}</li>
                <li>{t('start.how2')}</li>
                <li>{t('start.how3')}</li>
              </ol>
            </div>
            {mine.length > 0 && (
              <div class="panel">
                <h2>{t('start.mine')}</h2>
                <p class="muted small">{t('start.mineHint')}</p>
                <ul class="room-list">
                  {mine.map((r) => (
                    <li key={r.id}>
                      <div>
                        <div class="room-list-title">{r.title}</div>
                        <div class="muted small">{fmtDateTime(r.created_at)}</div>
                      </div>
                      <div class="row-actions">
                        <a class="btn btn-small" href={r.facilitator_url}>{t('start.openConsole')}</a>
                        <button type="button" class="btn btn-ghost btn-small" onClick={() => { forgetRoom(r.id); setMine(knownRooms()); }}>
                          {t('start.forget')}
                        </button>
                      </div>
                    </li>
                  ))}
                </ul>
              </div>
            )}
          </aside>
        </div>
      </main>
    </>
  );
}
