import { useEffect, useState } from 'preact/hooks';
import { api, archiveUrl, exportUrl, type RoomInfo } from '../api';
import { useSession } from '../hooks';
import { fmtTime, t } from '../i18n';
import { deviceId } from '../local';
import { analysisPath, navigate, STATEMENT_PATH } from '../router';
import type { RoomSession } from '../sync/room';
import { readPresence, setUser } from '../sync/presence';
import { progress, readColumns, readMeta, readRows, roomRounds, rowsInRound } from '../sync/schema';
import { readRoomAnswers, readRoomCards, readRoomGroups } from '../sync/docs';
import { PresenceByGroup } from '../components/Presence';
import { AddCardDialog } from './AddCardDialog';
import { PhaseControl, RoundControl, TimerControl } from './Controls';
import { RevealAnnouncer, RevealPanel, VisibilityControl } from './Visibility';
import { ProgressPanel } from './ProgressPanel';
import { RoomChrome } from './RoomChrome';
import { SetupPanel } from './SetupPanel';
import { SharePanel } from './SharePanel';
import { PeoplePanel } from './PeoplePanel';
import { errorText } from './errors';
import { ImportPanel } from './ImportPanel';
import { DeletePanel, DeletesSoon } from './DeletePanel';
import { FollowPanel } from './Follow';
import { VotingPanel } from './Voting';
import { NextRound } from './NextRound';

/** How often the console asks again when the server would delete the idle room (use moves it on). */
const DELETES_AT_REFRESH_MS = 10 * 60 * 1000;

export function announceFacilitator(session: RoomSession) {
  if (session.awareness.getLocalState()?.user?.role !== 'facilitator') {
    setUser(session, { name: t('role.facilitator'), color: '#12325b', role: 'facilitator', group: '' });
  }
}

/** `/room/{id}#facilitatorToken`: set up, share, run and document the workshop. */
export function Console({ session, info }: { session: RoomSession; info: RoomInfo }) {
  useSession(session);
  useEffect(() => announceFacilitator(session), [session]);
  const [addFor, setAddFor] = useState<string | null>(null);
  const [snap, setSnap] = useState<{ ok: boolean; text: string } | null>(null);
  const [snapBusy, setSnapBusy] = useState(false);
  const [snapName, setSnapName] = useState('');
  const [newJoinUrl, setNewJoinUrl] = useState<string | undefined>(undefined);
  const [deletesAt, setDeletesAt] = useState(info.deletes_at);

  // `deletes_at` as the server has it now, not as when the page first opened the room.
  useEffect(() => {
    let alive = true;
    const refresh = () => api.room(info.id, session.token).then((r) => alive && setDeletesAt(r.deletes_at), () => {});
    void refresh();
    const id = setInterval(refresh, DELETES_AT_REFRESH_MS);
    return () => {
      alive = false;
      clearInterval(id);
    };
  }, [info.id, session.token]);

  const control = session.control.doc;
  // Every group's work, also while private: the facilitator reads every group document.
  const docs = session.docs;
  const meta = readMeta(control);
  const rows = readRows(control);
  const columns = readColumns(control);
  const cards = readRoomCards(docs);
  const people = readPresence(session);
  const rounds = roomRounds(rows);
  // Progress follows what the groups see: the chosen round's questions (all of them without one).
  const seen = rowsInRound(rows, meta.round);
  const prog = progress(seen, columns, cards, readRoomGroups(docs), readRoomAnswers(docs));
  const roomPath = `/room/${encodeURIComponent(info.id)}`;

  const takeSnapshot = async () => {
    setSnapBusy(true);
    try {
      const s = await api.takeSnapshot(info.id, session.token, snapName.trim() || undefined);
      const time = fmtTime(Date.parse(s.taken_at));
      setSnap({ ok: true, text: s.name ? t('snap.takenNamed', { seq: s.seq, name: s.name, time }) : t('console.snapshotTaken', { seq: s.seq, time }) });
      setSnapName('');
    } catch (e) {
      setSnap({ ok: false, text: errorText(e) });
    } finally {
      setSnapBusy(false);
    }
  };

  return (
    <RoomChrome session={session} subtitle={t('console.title')} wide phaseBanner={false} heading>
      <main id="main" class="page wide console" data-testid="console" data-ready={session.ready ? 'yes' : 'no'}>
        <DeletesSoon deletesAt={deletesAt} />
        <section class="toolbar panel" aria-label={t('phase.label')}>
          <PhaseControl session={session} phase={meta.phase} />
          {rounds.length > 1 && <RoundControl session={session} round={meta.round} rounds={rounds} />}
          <TimerControl session={session} timer={meta.timer} phase={meta.phase} />
          <VisibilityControl session={session} />
          <div class="toolbar-actions">
            <button type="button" class="btn btn-primary" data-testid="open-wall" onClick={() => navigate(`${roomPath}/wall`)}>
              {t('console.openWall')}
            </button>
          </div>
        </section>

        <div class="console-grid">
          <div class="console-main">
            <RevealPanel session={session} />
            {rounds.length > 1 && (
              <section class="panel" aria-labelledby="next-round-h">
                <h2 id="next-round-h">{t('round.nextTitle')}</h2>
                <NextRound session={session} roomId={info.id} round={meta.round} rounds={rounds} />
              </section>
            )}
            <RevealAnnouncer session={session} />
            <ProgressPanel prog={prog} rows={rows} round={meta.round} people={people} onAdd={(c) => setAddFor(c)} />
            <VotingPanel session={session} columns={columns} />
            <SetupPanel session={session} meta={meta} rows={rows} columns={columns} />
          </div>
          <aside class="console-side">
            <SharePanel session={session} info={info} newJoinUrl={newJoinUrl} />
            <PeoplePanel session={session} info={info} columns={columns} joiningClosed={meta.joiningClosed}
              presenceCount={people.filter((p) => !p.self).length} onNewLink={setNewJoinUrl} />
            <FollowPanel session={session} />
            <section class="panel" aria-labelledby="online-h">
              <h2 id="online-h">{t('console.online')} <span class="count">{people.filter((p) => !p.self).length}</span></h2>
              <PresenceByGroup people={people} columns={columns} />
            </section>
            <section class="panel" aria-labelledby="analysis-h" data-testid="analysis-panel">
              <h2 id="analysis-h">{t('console.analysis')}</h2>
              <div class="stack">
                <button type="button" class="btn btn-primary btn-block" onClick={() => navigate(analysisPath('room', info.id, 'sheet'))} data-testid="open-sheet">{t('an.sheet')}</button>
                <div class="row-actions">
                  <button type="button" class="btn btn-ghost-border grow" onClick={() => navigate(analysisPath('room', info.id, 'priority'))} data-testid="open-priority">{t('an.priority')}</button>
                  <button type="button" class="btn btn-ghost-border grow" onClick={() => navigate(analysisPath('room', info.id, 'note'))} data-testid="open-note">{t('an.note')}</button>
                </div>
                <ImportPanel roomId={info.id} token={session.token} />
              </div>
            </section>
            <section class="panel" aria-labelledby="doc-h">
              <h2 id="doc-h">{t('console.export')}</h2>
              <div class="stack">
                <label class="field-label">
                  {t('snap.name')}
                  <input class="input" value={snapName} maxLength={80} aria-describedby="snap-name-help" data-testid="snapshot-name"
                    onInput={(e) => setSnapName((e.currentTarget as HTMLInputElement).value)} />
                  <span id="snap-name-help" class="field-help muted small">{t('snap.nameHelp')}</span>
                </label>
                <button type="button" class="btn btn-block" onClick={takeSnapshot} disabled={snapBusy} data-testid="take-snapshot">
                  {t('console.snapshot')}
                </button>
                {snap && (
                  <p class={snap.ok ? 'notice-ok' : 'form-error'} role="status" data-testid="snapshot-result">
                    {snap.text}
                  </p>
                )}
                <button type="button" class="btn btn-block btn-ghost-border" data-testid="open-review" onClick={() => navigate(`${roomPath}/review`)}>
                  {t('console.openReview')}
                </button>
                <a class="btn btn-ghost-border btn-block" href={exportUrl(info.id, session.token, 'xlsx')} download data-testid="export-xlsx">{t('console.sheetXlsx')}</a>
                <div class="row-actions">
                  <a class="btn btn-ghost-border grow" href={exportUrl(info.id, session.token, 'csv', undefined, 'dokumentationsark')} download data-testid="export-sheet-csv">{t('console.sheetCsv')}</a>
                  <a class="btn btn-ghost-border grow" href={exportUrl(info.id, session.token, 'csv')} download data-testid="export-csv">{t('console.cardsCsv')}</a>
                </div>
                <a class="btn btn-ghost-border btn-block" href={archiveUrl(info.id, session.token)} download aria-describedby="archive-help" data-testid="export-archive">{t('console.archive')}</a>
                <p id="archive-help" class="field-help muted">{t('console.archiveHelp')}</p>
              </div>
            </section>
            <DeletePanel session={session} title={meta.title || info.title} deletesAt={deletesAt} />
          </aside>
        </div>
        {/* A new tab: this page's address holds the facilitator's token. */}
        <p class="small statement-link"><a href={STATEMENT_PATH} target="_blank" rel="noopener" data-testid="statement-link">{t('a11y.statementLink')}</a></p>
      </main>
      {addFor && (
        <AddCardDialog
          session={session}
          title={t('console.addForGroupTitle', { group: columns.find((c) => c.id === addFor)?.label ?? '' })}
          column={addFor}
          author={t('role.facilitator')}
          authorId={deviceId()}
          via="group"
          onClose={() => setAddFor(null)}
        />
      )}
    </RoomChrome>
  );
}
