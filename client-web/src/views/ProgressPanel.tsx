import { t } from '../i18n';
import type { Presence } from '../sync/presence';
import { groupRows, roundSections, rowsInRound, rowTag, type GroupProgress, type Row } from '../sync/schema';
import { Avatar } from '../components/Presence';

/** Live progress of every group: cards, sagsområder answered, who is there, "vi er færdige". */
export function ProgressPanel({ prog, rows, round = '', people, onAdd }: { prog: GroupProgress[]; rows: Row[]; round?: string; people: Presence[]; onAdd: (column: string) => void }) {
  // The questions the groups see now (`meta.round`); tags from all rows ("As-is 2", "To-be 2").
  const qs = groupRows(rowsInRound(rows, round));
  return (
    <section class="panel" aria-labelledby="progress-h">
      <h2 id="progress-h">{t('console.progress')}</h2>
      <div class="progress-grid">
        {prog.map((g) => {
          const members = people.filter((p) => p.user.group === g.column.id && p.user.role !== 'facilitator');
          const pct = g.sagsTotal > 0 ? g.sagsAnswered / g.sagsTotal : g.rowsTotal > 0 ? g.rowsAnswered / g.rowsTotal : 0;
          return (
            <article key={g.column.id} class={`group-card ${g.done?.done ? 'group-done' : ''}`} data-testid={`progress-${g.column.id}`}>
              <header class="group-card-head">
                <h3>{g.column.label}</h3>
                <span class={`badge ${g.done?.done ? 'badge-ok' : 'badge-muted'}`} data-testid="group-done-badge">
                  {g.done?.done ? `✓ ${t('console.done')}` : t('console.notDone')}
                </span>
              </header>
              <div class="meter" aria-hidden="true"><span style={{ width: `${Math.round(pct * 100)}%` }} /></div>
              <dl class="stats">
                <div><dt>{t('console.cards', { n: '' }).trim()}</dt><dd data-testid="group-cards">{g.cards}</dd></div>
                <div>
                  <dt>{g.sagsTotal > 0 ? t('group.sags') : t('wall.question')}</dt>
                  <dd>{g.sagsTotal > 0 ? t('console.sagsAnswered', { a: g.sagsAnswered, t: g.sagsTotal }) : t('console.rowsAnswered', { a: g.rowsAnswered, t: g.rowsTotal })}</dd>
                </div>
              </dl>
              {g.perSags.length > 0 && (
                <ul class="sags-progress">
                  {g.perSags.map((p) => (
                    <li key={p.sags.id}>
                      <span class="sags-name">{p.sags.kle && <span class="kle">{p.sags.kle}</span>} {p.sags.label}</span>
                      <span class="sags-count">{p.answered}/{p.total}</span>
                    </li>
                  ))}
                </ul>
              )}
              <ol class="row-counts" aria-label={t('console.cards', { n: '' })}>
                {roundSections(qs).map((sec) => [
                  sec.label && <li key={`round-${sec.round}`} class="rc-round" aria-hidden="true">{sec.label}</li>,
                  ...sec.rows.map((r) => {
                    const n = g.perRow[r.id] ?? 0;
                    const tag = rowTag(r, rows);
                    return (
                      <li key={r.id} class={n ? 'rc rc-on' : 'rc'} title={`${t('group.question', { n: tag })}: ${t('console.cards', { n })}`} data-testid="rc">
                        <span class="rc-q" aria-hidden="true">{rowTag(r, rows, true)}</span>
                        <span class="sr-only">{t('group.question', { n: tag })}: </span>
                        <span class="rc-n">{n}</span>
                      </li>
                    );
                  }),
                ])}
              </ol>
              <div class="group-card-foot">
                <span class="avatars">{members.length ? members.map((p) => <Avatar key={p.clientId} p={p} showName={false} />) : <span class="muted small">{t('console.noMembers')}</span>}</span>
                <button type="button" class="btn btn-small btn-ghost-border" onClick={() => onAdd(g.column.id)} data-testid={`add-for-${g.column.id}`}>
                  + {t('console.addForGroup')}
                </button>
              </div>
            </article>
          );
        })}
      </div>
    </section>
  );
}
