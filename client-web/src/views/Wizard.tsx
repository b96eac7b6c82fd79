import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type Tree } from '../api';
import { t } from '../i18n';
import { Modal } from '../components/Modal';
import { errorText } from './errors';

let cached: Promise<Tree> | null = null;
/** The R2 tree (data on the server), fetched once per page. */
function loadTree(): Promise<Tree> {
  if (!cached) cached = api.tree('brugsmoenster').catch((e) => { cached = null; throw e; });
  return cached;
}

/**
 * The brugsmønster wizard (R2): yes/no steps from the tree's start node to an outcome (0, A–E),
 * which "Brug resultatet" hands to `onUse`.
 */
export function Wizard({ sagsLabel, onUse, onClose }: { sagsLabel: string; onUse: (outcome: string) => void; onClose: () => void }) {
  const [tree, setTree] = useState<Tree | null>(null);
  const [error, setError] = useState<string | null>(null);
  // The nodes answered so far, with the answer given.
  const [path, setPath] = useState<{ node: string; answer: 'ja' | 'nej' }[]>([]);
  useEffect(() => {
    loadTree().then(setTree, (e) => setError(errorText(e)));
  }, []);
  // After each answer (or "Tilbage") focus goes to the next question or the result: the button just
  // pressed is gone, and a screen reader reads what is asked now.
  const shown = useRef<HTMLParagraphElement>(null);
  const steps = useRef(0);
  useEffect(() => {
    if (steps.current !== path.length) shown.current?.focus();
    steps.current = path.length;
  }, [path.length]);

  let current: string | null = tree ? tree.start : null;
  for (const step of path) current = tree!.nodes[step.node]?.[step.answer] ?? null;
  const node = tree && current ? tree.nodes[current] : undefined;
  const outcome = tree && current && !node ? tree.outcomes[current] : undefined;
  const answer = (a: 'ja' | 'nej') => current && setPath([...path, { node: current, answer: a }]);

  return (
    <Modal title={t('wizard.title')} onClose={onClose} testid="wizard">
      <p class="muted small wizard-sags">{sagsLabel}</p>
      {error && <p class="form-error" role="alert">{t('wizard.loadError', { error })}</p>}
      {!tree && !error && <p class="muted">{t('common.loading')}</p>}
      {path.length > 0 && (
        <ol class="wizard-path" aria-label={t('wizard.path')}>
          {path.map((s, i) => (
            <li key={i}><span class="muted">{tree!.nodes[s.node]?.question}</span> <strong>{t(s.answer === 'ja' ? 'wizard.ja' : 'wizard.nej')}</strong></li>
          ))}
        </ol>
      )}
      {node && (
        <div class="wizard-step" data-testid="wizard-step" data-node={current}>
          <p class="eyebrow">{t('wizard.step', { n: path.length + 1 })}</p>
          <p class="wizard-question" ref={shown} tabIndex={-1} data-testid="wizard-question">{node.question}</p>
          <div class="wizard-answers">
            <button type="button" class="btn btn-primary btn-lg" onClick={() => answer('ja')} data-testid="wizard-ja">{t('wizard.ja')}</button>
            <button type="button" class="btn btn-lg" onClick={() => answer('nej')} data-testid="wizard-nej">{t('wizard.nej')}</button>
          </div>
        </div>
      )}
      {outcome && (
        <div class="wizard-outcome" data-testid="wizard-outcome" data-outcome={current}>
          <p class="eyebrow">{t('wizard.result')}</p>
          <p class="wizard-label" ref={shown} tabIndex={-1}><span class="bm-badge">{current}</span> {outcome.label}</p>
          <p data-testid="wizard-description">{outcome.description}</p>
          <p class="muted"><strong>{t('wizard.dependence')}:</strong> <span data-testid="wizard-dependence">{outcome.dependence}</span></p>
        </div>
      )}
      {tree && current && !node && !outcome && <p class="form-error">?</p>}
      <div class="row-actions wizard-actions">
        <button type="button" class="btn btn-ghost-border" disabled={path.length === 0} onClick={() => setPath(path.slice(0, -1))} data-testid="wizard-back">
          ← {t('wizard.back')}
        </button>
        {outcome && (
          <>
            <button type="button" class="btn btn-ghost" onClick={() => setPath([])} data-testid="wizard-restart">{t('wizard.restart')}</button>
            <span class="spacer" />
            <button type="button" class="btn btn-primary" onClick={() => onUse(current!)} data-testid="wizard-use">{t('wizard.use')}</button>
          </>
        )}
      </div>
    </Modal>
  );
}
