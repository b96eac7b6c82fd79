import { useEffect, useState } from 'preact/hooks';
import type { RoomInfo } from '../api';
import { CopyField } from '../components/CopyField';
import { Modal } from '../components/Modal';
import { Qr } from '../components/Qr';
import { JoinCodeView, useJoinCode } from './JoinCode';
import { t } from '../i18n';
import { knownRoom, rememberRoom } from '../local';
import { appUrl } from '../router';
import type { RoomSession } from '../sync/room';
import { readMeta } from '../sync/schema';
import { readShareLinks, writeShareLinks, type ShareLinks } from '../sync/share';

const written = new Set<string>();

/**
 * Join link + QR code for the projector, and the facilitator's own link (the only way back in).
 * `newJoinUrl`: a new join link just made ("Nyt deltagerlink"): shown, kept on this device and in
 * the room (encrypted) in place of the old one.
 */
export function SharePanel({ session, info, newJoinUrl }: { session: RoomSession; info: RoomInfo; newJoinUrl?: string }) {
  const [links, setLinks] = useState<ShareLinks | null>(() => {
    const k = knownRoom(info.id);
    return k ? { join_url: k.join_url, review_url: k.review_url } : null;
  });
  const [big, setBig] = useState(false);
  const [code, codeError, newCode] = useJoinCode(info.id, session.token);
  const facilitatorUrl = appUrl(`/room/${encodeURIComponent(info.id)}`, session.token);
  const stored = session.control.doc.getMap('meta').get('share_links');
  const title = readMeta(session.control.doc).title;

  useEffect(() => {
    if (!session.control.everSynced) return;
    if (links && !stored && !written.has(info.id)) {
      written.add(info.id);
      // Keep the links (encrypted for facilitators) in the room, for the console on another device.
      void writeShareLinks(session.control.doc, info.id, session.token, links);
    } else if (!links && stored) {
      void readShareLinks(session.control.doc, info.id, session.token).then((l) => {
        if (!l) return;
        setLinks(l);
        rememberRoom({ id: info.id, title: title || info.title, created_at: Date.now(), facilitator_url: facilitatorUrl, ...l });
      });
    }
  }, [session.control.everSynced, !!stored, !!links]);

  useEffect(() => {
    if (!newJoinUrl || links?.join_url === newJoinUrl) return;
    const next = { join_url: newJoinUrl, review_url: links?.review_url ?? knownRoom(info.id)?.review_url ?? '' };
    setLinks(next);
    const k = knownRoom(info.id);
    rememberRoom({ id: info.id, title: k?.title || title || info.title, created_at: k?.created_at ?? Date.now(), facilitator_url: facilitatorUrl, ...next });
    written.add(info.id);
    void writeShareLinks(session.control.doc, info.id, session.token, next);
  }, [newJoinUrl]);

  return (
    <section class="panel share" aria-labelledby="share-h">
      <h2 id="share-h">{t('console.share')}</h2>
      {links ? (
        <>
          <div class="share-qr">
            <button type="button" class="qr-button" onClick={() => setBig(true)} aria-label={t('console.showQr')}>
              <Qr value={links.join_url} size={200} label={t('console.joinLink')} />
            </button>
            <p class="muted small">{t('console.joinHint')}</p>
          </div>
          {code && <JoinCodeView code={code} />}
          {code && <button type="button" class="btn btn-small btn-ghost-border" onClick={newCode} data-testid="join-code-new">{t('code.new')}</button>}
          {codeError && <p class="notice-warn small" role="alert">{codeError}</p>}
          <CopyField value={links.join_url} label={t('console.joinLink')} testid="join-link" />
          <button type="button" class="btn btn-block" onClick={() => setBig(true)} data-testid="show-qr">{t('console.showQr')}</button>
        </>
      ) : (
        <p class="notice-warn">{t('console.noJoinLink')}</p>
      )}
      <div class="keep-link">
        <CopyField value={facilitatorUrl} label={t('console.facLink')} testid="facilitator-link" />
        <p class="notice-warn small" data-testid="facilitator-warning">{t('console.facWarn')}</p>
      </div>
      {links?.review_url && <CopyField value={links.review_url} label={t('console.reviewLink')} testid="review-link" />}
      {big && links && (
        <Modal title={title || info.title} onClose={() => setBig(false)} wide testid="qr-dialog">
          <div class="qr-big">
            <Qr value={links.join_url} size={520} label={t('console.joinLink')} />
            <div>
              <p class="qr-big-lead">{t('console.joinHint')}</p>
              {code ? <JoinCodeView code={code} big /> : <p class="qr-big-url mono">{links.join_url}</p>}
            </div>
          </div>
        </Modal>
      )}
    </section>
  );
}
