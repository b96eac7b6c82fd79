import { useRef, useState } from 'preact/hooks';
import { api, ApiError, ImportError, type ImportProblem } from '../api';
import { t } from '../i18n';
import { errorText } from './errors';
import { importText } from './importText';

type Result = { ok: true; text: string } | { ok: false; text: string; problems: ImportProblem[] };

/** The server's answer to an import (`Imported`), in words. */
function summarise(json: Record<string, unknown>): string {
  const n = (k: string) => (typeof json[k] === 'number' ? (json[k] as number) : null);
  if (n('rows') === null) return '';
  const parts = [t('imp.rows', { n: n('rows')! }), t('imp.columnsAdded', { n: n('columns_added') ?? 0 }), t('imp.sagsAdded', { n: n('sagsomraader_added') ?? 0 })];
  if (n('sagsomraader_matched')) parts.push(t('imp.matched', { n: n('sagsomraader_matched')! }));
  if (n('answers_set')) parts.push(t('imp.answers', { n: n('answers_set')! }));
  return parts.join(', ');
}

/** Console: import a screening list (CSV/XLSX) to set up fagområder and sagsområder in one step. */
export function ImportPanel({ roomId, token }: { roomId: string; token: string }) {
  const input = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Result | null>(null);

  const go = async (e: Event) => {
    e.preventDefault();
    if (!file) return;
    if (!/\.(csv|xlsx)$/i.test(file.name)) return setResult({ ok: false, text: t('imp.badType'), problems: [] });
    setBusy(true);
    setResult(null);
    try {
      const json = await api.importScreening(roomId, token, file);
      const summary = summarise(json);
      setResult({ ok: true, text: summary ? t('imp.okCounts', { summary }) : t('imp.ok') });
      setFile(null);
      if (input.current) input.current.value = '';
    } catch (err) {
      if (err instanceof ApiError && err.status === 404 && !(err instanceof ImportError && err.problems.length) && !/room/i.test(err.serverMessage)) {
        setResult({ ok: false, text: t('imp.notAvailable'), problems: [] });
      } else {
        const problems = (err instanceof ImportError ? err.problems : []).map((p) => ({ ...p, problem: importText(p.problem) }));
        const known = err instanceof ApiError && [400, 403, 413].includes(err.status) && err.serverMessage;
        const text = t('imp.failed', { error: known ? importText((err as ApiError).serverMessage) : errorText(err) });
        setResult({ ok: false, text, problems });
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="import-form stack" onSubmit={go} data-testid="import-form">
      <h3>{t('imp.title')}</h3>
      <p class="muted small">{t('imp.lead')}</p>
      <input ref={input} type="file" class="input" accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        aria-label={t('imp.choose')} data-testid="import-file" onChange={(e) => { setFile((e.currentTarget as HTMLInputElement).files?.[0] ?? null); setResult(null); }} />
      <button type="submit" class="btn btn-block" disabled={!file || busy} data-testid="import-go">{busy ? t('imp.busy') : t('imp.go')}</button>
      {result && (
        <div role="status" data-testid="import-result" data-ok={result.ok ? 'yes' : 'no'}>
          <p class={result.ok ? 'notice-ok' : 'form-error'}>{result.text}</p>
          {!result.ok && result.problems.length > 0 && (
            <ul class="import-problems" data-testid="import-problems">
              {result.problems.map((p, i) => <li key={i}>{t('imp.row', { row: p.row, problem: p.problem })}</li>)}
            </ul>
          )}
        </div>
      )}
    </form>
  );
}
