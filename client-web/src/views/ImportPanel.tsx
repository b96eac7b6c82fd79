import { useRef, useState } from 'preact/hooks';
import { api, ApiError, ImportError, type ImportProblem } from '../api';
import { t } from '../i18n';
import { errorText } from './errors';

type Result = { ok: true; text: string } | { ok: false; text: string; problems: ImportProblem[] };

/** A short summary of the server's answer to an import: the numbers it reports, if any. */
function summarise(json: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(json)) {
    if (typeof v === 'number') parts.push(`${v} ${k.replace(/_/g, ' ')}`);
    else if (Array.isArray(v)) parts.push(`${v.length} ${k.replace(/_/g, ' ')}`);
  }
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
        const problems = err instanceof ImportError ? err.problems : [];
        const text = err instanceof ApiError && err.status === 400 && err.serverMessage ? t('imp.failed', { error: err.serverMessage }) : t('imp.failed', { error: errorText(err) });
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
