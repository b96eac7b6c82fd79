import { useEffect } from 'preact/hooks';
import type { RoomInfo } from '../api';
import { useSession } from '../hooks';
import { t, type Key } from '../i18n';
import { deviceId, loadMe } from '../local';
import { analysisPath, navigate, type AnalysisView, type Via } from '../router';
import { buildSheet } from '../sync/analysis';
import { readPrioritering } from '../sync/answers';
import { canWriteWall, readRoomAnswers, readRoomCards } from '../sync/docs';
import { setUser } from '../sync/presence';
import type { RoomSession } from '../sync/room';
import { readColumns, readMeta, readRows } from '../sync/schema';
import { announceFacilitator } from './Console';
import { NoteView } from './NoteView';
import { PriorityView } from './PriorityView';
import { RoomChrome } from './RoomChrome';
import { SheetView } from './SheetView';

const VIEW_LABEL: Record<AnalysisView, Key> = { sheet: 'an.sheet', priority: 'an.priority', note: 'an.note' };

/** `/{room|join|review}/{id}/{sheet|priority|note}`: the documentation sheet, the prioritisation, the decision note. */
export function AnalysisPage({ session, info, via, view }: { session: RoomSession; info: RoomInfo; via: Via; view: AnalysisView }) {
  useSession(session);
  const fac = info.role === 'facilitator';
  useEffect(() => {
    if (fac) announceFacilitator(session);
    else if (info.role === 'participant') {
      const me = loadMe(info.id);
      if (me?.name) setUser(session, { name: me.name, color: me.color, role: info.role, group: me.group });
    }
  }, [session]);
  const control = session.control.doc;
  const rows = readRows(control);
  const columns = readColumns(control);
  const settings = readPrioritering(control);
  const sheet = buildSheet(rows, columns, readRoomAnswers(session.docs), settings);
  const canWrite = canWriteWall(session.docs);

  const enc = encodeURIComponent(info.id);
  const back = via === 'room' ? { path: `/room/${enc}`, label: t('an.backConsole') }
    : via === 'join' ? { path: `/join/${enc}`, label: t('an.backGroup') }
    : { path: `/review/${enc}`, label: t('an.backReview') };

  return (
    <RoomChrome session={session} subtitle={t(VIEW_LABEL[view])} wide phaseBanner={!fac} heading={view !== 'note'}>
      <main id="main" class={`page wide analysis analysis-${view}`} data-testid={`analysis-${view}`} data-ready={session.ready ? 'yes' : 'no'}>
        <nav class="analysis-nav no-print" aria-label={t('an.nav')}>
          <button type="button" class="btn btn-ghost-border btn-small" onClick={() => navigate(back.path)} data-testid="analysis-back">← {back.label}</button>
          <div class="segmented" role="tablist">
            {(['sheet', 'priority', 'note'] as AnalysisView[]).map((v) => (
              <button key={v} type="button" role="tab" aria-selected={v === view} class={`seg ${v === view ? 'seg-on seg-group' : ''}`}
                onClick={() => navigate(analysisPath(via, info.id, v))} data-testid={`nav-${v}`}>
                {t(VIEW_LABEL[v])}
              </button>
            ))}
          </div>
          {!canWrite && view !== 'note' && <span class="badge badge-muted" data-testid="analysis-readonly">{t('an.readOnly')}</span>}
        </nav>
        {session.ready && sheet.length === 0 && <p class="panel panel-soft" data-testid="analysis-empty">{t('an.noSags')}</p>}
        {view === 'sheet' && <SheetView session={session} title={readMeta(control).title || info.title} rows={rows} columns={columns} cards={readRoomCards(session.docs)} sheet={sheet} canWrite={canWrite}
          by={fac ? deviceId() : loadMe(info.id)?.id} />}
        {view === 'priority' && <PriorityView session={session} sheet={sheet} settings={settings} canEdit={fac} />}
        {view === 'note' && <NoteView title={readMeta(control).title || info.title} sheet={sheet} />}
      </main>
    </RoomChrome>
  );
}
