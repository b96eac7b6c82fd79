// Dot voting (docs/API.md, "Dot voting"): the round lives in the control document (`meta.voting`,
// written only by the server), the votes in the server's store. This keeps one live count per room
// session: asked again when `meta.voting` changes and after each own vote, and every 2 s only while
// a round is open and the page is visible (document.visibilityState), so a closed round or a
// hidden tab costs nothing. Every vote goes through the server, which holds the budget and the cap.
import type * as Y from 'yjs';
import { api, ApiError, serverNow, type VoteRound, type Votes } from '../api';
import type { RoomSession } from './room';
import { metaMap } from './schema';

export const VOTING = 'voting';
/** How often the count is asked again while a round is open and the page is seen. */
export const POLL_MS = 2000;

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** `meta.voting`: the current round, if there is one that reads. */
export function readVoting(control: Y.Doc): VoteRound | null {
  const v = metaMap(control).get(VOTING);
  if (!v || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  const budget = num(o.budget);
  const cap = num(o.cap);
  const started = num(o.started_at);
  if (typeof o.id !== 'string' || (o.target !== 'cards' && o.target !== 'sagsomraader') || budget === null || cap === null || started === null) return null;
  const ends = num(o.ends_at);
  return {
    id: o.id, target: o.target, budget, cap, anonymous: o.anonymous === true, started_at: started,
    ...(ends !== null ? { ends_at: ends } : {}), open: o.open === true,
  };
}

/** May votes be cast or taken back in `round` at `now` (server time)? */
export const roundAccepts = (round: VoteRound | null, now = serverNow()): boolean =>
  !!round && round.open && (round.ends_at === undefined || now < round.ends_at);

/** The round's countdown in whole minutes as the facilitator set it (for a reset with the same settings). */
export const roundMinutes = (r: VoteRound): number | undefined =>
  r.ends_at === undefined ? undefined : Math.max(1, Math.round((r.ends_at - r.started_at) / 60_000));

/** What a page shows of the vote: the round, its count, and this person's votes. */
export interface VoteView {
  round: VoteRound | null;
  /** The round accepts votes now (open, and its time not up). */
  live: boolean;
  counts: Record<string, number>;
  /** Own votes per target (a seat only). */
  mine: Record<string, number>;
  /** Votes left (a seat only; null otherwise or not known yet). */
  left: number | null;
  /** Who voted, per target: in a round that is not anonymous only. */
  voters: Votes['voters'];
  total: number;
  /** The last refusal of one of this page's own votes (cleared by the next success). */
  error: ApiError | null;
  /** Targets with a vote of this page on its way. */
  busy: ReadonlySet<string>;
}

export class VoteTracker {
  private votes: Votes = { round: null, counts: {} };
  private error: ApiError | null = null;
  private busy = new Set<string>();
  private listeners = new Set<() => void>();
  private roundKey: string | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private unsubscribe: (() => void) | null = null;
  /** Every request is numbered when sent: an answer older than the one shown is dropped. */
  private sent = 0;
  private shown = 0;

  constructor(readonly session: RoomSession) {}

  get round(): VoteRound | null {
    return readVoting(this.session.control.doc) ?? this.votes.round;
  }

  view(now = serverNow()): VoteView {
    const round = this.round;
    // A count of another round (before a reset reached this page) is not this round's.
    const same = !!round && this.votes.round?.id === round.id;
    const counts = same ? this.votes.counts : {};
    return {
      round,
      live: roundAccepts(round, now),
      counts,
      mine: same ? this.votes.mine ?? {} : {},
      left: same && typeof this.votes.left === 'number' ? this.votes.left : round && this.session.seated && !same ? round.budget : null,
      voters: same ? this.votes.voters : undefined,
      total: Object.values(counts).reduce((a, b) => a + b, 0),
      error: this.error,
      busy: this.busy,
    };
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    if (this.listeners.size === 1) this.start();
    return () => {
      this.listeners.delete(fn);
      if (this.listeners.size === 0) this.stop();
    };
  }

  private emit() {
    for (const fn of this.listeners) fn();
  }

  private start() {
    this.unsubscribe = this.session.subscribe(() => this.follow());
    document.addEventListener('visibilitychange', this.onVisibility);
    this.roundKey = null;
    this.follow();
  }

  private stop() {
    this.unsubscribe?.();
    this.unsubscribe = null;
    document.removeEventListener('visibilitychange', this.onVisibility);
    this.poll(false);
  }

  private onVisibility = () => {
    if (document.visibilityState === 'visible') void this.refresh();
    this.schedule();
  };

  /** `meta.voting` changed (a round opened, stopped, was reset): ask for the count again. */
  private follow() {
    const key = JSON.stringify(readVoting(this.session.control.doc));
    if (key === this.roundKey) return;
    // A refusal was about the round as it was (stopped, reset since): it no longer holds.
    if (this.roundKey !== null) this.error = null;
    this.roundKey = key;
    void this.refresh();
    this.schedule();
    this.emit();
  }

  /** Polls while a round accepts votes and the page is seen; not otherwise. */
  private schedule() {
    // An answer that arrives after the last page part let go starts nothing.
    this.poll(this.listeners.size > 0 && roundAccepts(this.round) && document.visibilityState === 'visible');
  }

  private poll(on: boolean) {
    if (on && !this.timer) this.timer = setInterval(() => void this.refresh(), POLL_MS);
    if (!on && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  /** Polling now? (for the tests: `window.kortvaeg`). */
  get polling(): boolean {
    return this.timer !== null;
  }

  private apply(n: number, v: Votes) {
    if (n < this.shown) return;
    this.shown = n;
    this.votes = v;
    this.emit();
  }

  async refresh(): Promise<void> {
    const n = ++this.sent;
    try {
      this.apply(n, await api.votes(this.session.roomId, this.session.token));
    } catch {
      /* asked again at the next change or poll */
    }
    this.schedule();
  }

  /** One own vote on `target` (`cast`), or one taken back. The server decides; its refusal is kept in `error`. */
  async vote(target: string, cast: boolean): Promise<boolean> {
    if (this.busy.has(target)) return false;
    this.busy.add(target);
    this.emit();
    const n = ++this.sent;
    try {
      const { roomId, token } = this.session;
      const v = await (cast ? api.castVote(roomId, token, target) : api.takeBackVote(roomId, token, target));
      this.error = null;
      this.apply(n, v);
      return true;
    } catch (e) {
      this.error = e instanceof ApiError ? e : new ApiError(0, String(e));
      void this.refresh();
      return false;
    } finally {
      this.busy.delete(target);
      this.emit();
    }
  }

  clearError() {
    this.error = null;
    this.emit();
  }
}

const trackers = new WeakMap<RoomSession, VoteTracker>();

/** The one vote count of a room session. */
export function votesOf(session: RoomSession): VoteTracker {
  let t = trackers.get(session);
  if (!t) trackers.set(session, (t = new VoteTracker(session)));
  return t;
}

/** Cards of a cell ordered by their votes, most first (the wall's "Sortér efter stemmer"); ties keep their order. */
export function byVotes<T extends { id: string }>(cards: T[], counts: Record<string, number>): T[] {
  return cards.map((c, i) => ({ c, i })).sort((a, b) => (counts[b.c.id] ?? 0) - (counts[a.c.id] ?? 0) || a.i - b.i).map(({ c }) => c);
}

/**
 * The sheet's "Stemmer" per sagsområde id: in a round on sagsområder its own votes; in a round on
 * cards the sum of the votes on the cards placed in it (`placeCards` of ./cells, the sheet's own
 * placement: the cards its cells show).
 */
export function votesBySags(round: VoteRound, counts: Record<string, number>, placed: Map<string, Map<string, { id: string }[]>>, sagsIds: string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const id of sagsIds) {
    if (round.target === 'sagsomraader') out.set(id, counts[id] ?? 0);
    else {
      let sum = 0;
      for (const cards of placed.get(id)?.values() ?? []) for (const c of cards) sum += counts[c.id] ?? 0;
      out.set(id, sum);
    }
  }
  return out;
}
