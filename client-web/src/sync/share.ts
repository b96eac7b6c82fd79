// The join and review links, kept in the control document for the facilitator only.
// The server keeps only token digests, so a facilitator who opens the console on another device
// (the projector PC) could not show the join QR code. The links are stored in `meta.share_links`,
// encrypted with AES-GCM under a key derived (HKDF-SHA-256) from the facilitator token: everyone
// can read the control document, but only a facilitator can read the links.
import type * as Y from 'yjs';
import { metaMap } from './schema';

export interface ShareLinks { join_url: string; review_url: string }

const te = new TextEncoder();
const b64 = (b: Uint8Array) => btoa(String.fromCharCode(...b)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const unb64 = (s: string) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));

const available = () => typeof crypto !== 'undefined' && !!crypto.subtle;

async function key(roomId: string, facilitatorToken: string): Promise<CryptoKey> {
  const ikm = await crypto.subtle.importKey('raw', te.encode(facilitatorToken), 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: te.encode(`kortvaeg:${roomId}`), info: te.encode('share-links-v1') },
    ikm,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

export async function writeShareLinks(control: Y.Doc, roomId: string, facilitatorToken: string, links: ShareLinks) {
  if (!available()) return;
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, await key(roomId, facilitatorToken), te.encode(JSON.stringify(links)));
  metaMap(control).set('share_links', `v1.${b64(iv)}.${b64(new Uint8Array(ct))}`);
}

export async function readShareLinks(control: Y.Doc, roomId: string, facilitatorToken: string): Promise<ShareLinks | null> {
  const v = metaMap(control).get('share_links');
  if (typeof v !== 'string' || !available()) return null;
  const [ver, iv, ct] = v.split('.');
  if (ver !== 'v1' || !iv || !ct) return null;
  try {
    const pt = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: unb64(iv) }, await key(roomId, facilitatorToken), unb64(ct));
    const o = JSON.parse(new TextDecoder().decode(pt));
    return typeof o?.join_url === 'string' ? { join_url: o.join_url, review_url: String(o.review_url ?? '') } : null;
  } catch {
    return null;
  }
}
