import { useEffect, useState } from 'preact/hooks';
import type { RoomSession } from './sync/room';
import { onLang } from './i18n';
import { serverNow } from './api';
import { votesOf, type VoteView } from './sync/voting';

/** Re-renders the component whenever the room's documents, presence or connection change. */
export function useSession(session: RoomSession | null): number {
  const [v, setV] = useState(0);
  useEffect(() => (session ? session.subscribe(() => setV((x) => x + 1)) : undefined), [session]);
  return v;
}

/** Re-renders when the UI language changes. */
export function useLang(): void {
  const [, setV] = useState(0);
  useEffect(() => onLang(() => setV((x) => x + 1)), []);
}

/** The server-corrected time, refreshed every `ms` milliseconds. */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(serverNow());
  useEffect(() => {
    const id = setInterval(() => setNow(serverNow()), ms);
    return () => clearInterval(id);
  }, [ms]);
  return now;
}

/** Re-renders every `ms` milliseconds (0: not at all). */
export function useTick(ms: number): void {
  const [, setV] = useState(0);
  useEffect(() => {
    if (!ms) return;
    const id = setInterval(() => setV((x) => x + 1), ms);
    return () => clearInterval(id);
  }, [ms]);
}

/** Matches a CSS media query. */
export function useMedia(query: string): boolean {
  const [m, setM] = useState(() => window.matchMedia(query).matches);
  useEffect(() => {
    const mq = window.matchMedia(query);
    const fn = () => setM(mq.matches);
    mq.addEventListener('change', fn);
    return () => mq.removeEventListener('change', fn);
  }, [query]);
  return m;
}

/**
 * The room's vote (sync/voting.ts): re-renders when the count or the round changes, and once more
 * when the round's countdown ends (its buttons then stop).
 */
export function useVotes(session: RoomSession): VoteView {
  const tracker = votesOf(session);
  const [, setV] = useState(0);
  useEffect(() => tracker.subscribe(() => setV((x) => x + 1)), [tracker]);
  const view = tracker.view();
  const endsAt = view.live ? view.round?.ends_at : undefined;
  useEffect(() => {
    if (endsAt === undefined) return;
    const id = setTimeout(() => setV((x) => x + 1), Math.max(0, endsAt - serverNow()) + 100);
    return () => clearTimeout(id);
  }, [endsAt]);
  return view;
}
