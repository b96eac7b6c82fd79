// A live room: the wall and control Y.Docs, each with a stock y-websocket WebsocketProvider and an
// IndexedDB copy (so edits made offline survive a reload and are sent on reconnect), plus the
// connection status the views show; and one link per group document this person may read
// (CONTRACT.md v2, "Group documents"), opened and closed as the control document changes.
// Views read and write only through this, ./docs (the room's cards and answers as one set) and ./schema.
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { IndexeddbPersistence } from 'y-indexeddb';
import { api, ApiError, type Role } from '../api';
import { anonymityRefusal, problemForClose, problemForHttp, roomDeleted, seatRemoved, seatRemovedReason, type DocKind, type Overall, type Problem } from './status';
import { readColumns, readMeta, readRevealed } from './schema';
import { canWriteGroup, canWriteWall, type RoomDocs } from './docs';
import { RoomHistory } from './undo';
import type { Anonymity } from './anonymity';
import { Liveness } from './liveness';
import { setLocalTyping } from './presence';

export interface DocLink {
  kind: DocKind;
  /** A group document's column id ('' for the wall and control). */
  column: string;
  /** This person may write it (a group document: the facilitator, or the group's own seats). */
  writable: boolean;
  doc: Y.Doc;
  provider: WebsocketProvider;
  idb: IndexeddbPersistence | null;
  connected: boolean;
  synced: boolean;
  everSynced: boolean;
  /** Stopped after a refusal (4403 etc.): no reconnect until resumed. */
  stopped: boolean;
  /** Did the current attempt open the socket? */
  opened: boolean;
  /** This device's copy (IndexedDB) has been read into the doc. */
  loadedLocal: boolean;
  lastClose: { code: number; reason: string } | null;
}

const canListDatabases = () => typeof indexedDB !== 'undefined' && typeof indexedDB.databases === 'function';

/** Deletes this device's IndexedDB copies of a room's documents: every document's, every role's. */
async function dropLocalCopies(roomId: string): Promise<void> {
  if (!canListDatabases()) return;
  const prefix = `kortvaeg:${roomId}:`;
  const names = (await indexedDB.databases().catch(() => [])).map((d) => d.name ?? '').filter((n) => n.startsWith(prefix));
  // A copy another tab still has open goes once that tab closes it (the request waits for it).
  await Promise.all(names.map((n) => new Promise((done) => {
    const req = indexedDB.deleteDatabase(n);
    req.onsuccess = req.onerror = req.onblocked = () => done(null);
  })));
}

export function wsBase(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}

export class RoomSession {
  readonly wall: DocLink;
  control: DocLink;
  problem: Problem | null = null;
  private listeners = new Set<() => void>();
  private diagnosing = false;
  private lastDiagnosis = 0;
  private destroyed = false;
  private lastPhase: string | null = null;
  /** The group documents open now, by column id (see `wantedGroups`). */
  readonly groups = new Map<string, DocLink>();
  /**
   * Group documents the server refused (4403, or an upgrade refused while the wall is connected),
   * with the reading right (`rightOf`) they were refused under: not asked again until that changes,
   * so a refusal is no reconnect loop and no error banner.
   */
  private refused = new Map<string, string>();
  /** Upgrades of a group document refused in a row while the wall was connected. */
  private failedOpens = new Map<string, number>();
  /** Refused by a failed upgrade only (no close code): asked again after the wall's next reconnect. */
  private refusedUnseen = new Set<string>();
  /** The seat's group (column id); '' without a seat. */
  private seatGroup: string;
  /** This person's own changes to the wall and the group documents they write, to undo and redo (./undo). */
  readonly history = new RoomHistory((doc) => this.mayWrite(doc), () => this.emit());

  /**
   * `seated`: the token is this person's seat (CONTRACT.md v2 "Seats"); a refusal of it (4403/4401
   * on a socket, 401/403 from REST) means the facilitator removed the seat. `seatGroup`: its group.
   */
  constructor(
    readonly roomId: string, readonly token: string, readonly role: Role, readonly seated = false, seatGroup = '',
    /** The room's anonymity as `GET /api/rooms/{id}` said (the control document's holds too: sync/docs.ts, `anonymityOf`). */
    readonly anonymity: Anonymity = 'none',
  ) {
    this.seatGroup = seated ? seatGroup : '';
    this.wall = this.link('wall');
    this.control = this.link('control');
    this.watchControl(this.control);
    this.liveness = new Liveness(() => this.links, () => this.control, () => this.offlineNow());
  }

  /** The browser's online/offline events and the probe of a quiet connection (./liveness). */
  private readonly liveness: Liveness;

  /**
   * The connection is gone: this page's "… skriver" is not true any more (the others' is cleared
   * by y-websocket with their presence), and would be re-announced on reconnect.
   */
  private offlineNow() {
    if (this.overall !== 'online') setLocalTyping(this.awareness, null);
    this.emit();
  }

  /**
   * Follows the control document: a participant's wall (or own group document) refused because the
   * phase was "closed" comes back when it reopens, and the group links follow columns, visibility
   * and the reveal.
   */
  private watchControl(link: DocLink) {
    link.doc.on('update', () => {
      if (link !== this.control) return;
      const phase = readMeta(link.doc).phase;
      if (phase !== this.lastPhase) {
        this.lastPhase = phase;
        if (phase !== 'closed' && this.problem?.key === 'err.wallClosed') {
          for (const l of [this.wall, ...this.groups.values()]) if (l.stopped) this.resume(l);
        }
      }
      this.syncGroups();
    });
  }

  /** The seat was moved to another group (by the facilitator or by this person): follow it. */
  setSeatGroup(group: string) {
    if (!this.seated || group === this.seatGroup) return;
    this.seatGroup = group;
    this.syncGroups();
    this.emit();
  }

  /**
   * The group documents this person may read now (CONTRACT.md v2, "Permissions v2"), by column id,
   * and whether each is writable: the facilitator every group's; a seat its own, and the others
   * while the room is open or once revealed; anyone else (a link without a seat, review) those
   * open or revealed. None in a room without group documents.
   */
  private wantedGroups(): Map<string, boolean> {
    const out = new Map<string, boolean>();
    const control = this.control.doc;
    const meta = readMeta(control);
    if (!meta.groupDocuments) return out;
    const revealed = readRevealed(control);
    for (const c of readColumns(control)) {
      if (this.role === 'facilitator') out.set(c.id, true);
      else if (this.seatGroup === c.id) out.set(c.id, this.role === 'participant');
      else if (meta.visibility === 'open' || revealed.has(c.id)) out.set(c.id, false);
    }
    return out;
  }

  /**
   * What decides whether `column`'s document may be read or written: a refusal holds until it
   * changes. The phase is in it because a write refused in a closed workshop may arrive before
   * this page has the control document's "closed": once it does, the link comes back and says so.
   */
  private rightOf(column: string): string {
    const meta = readMeta(this.control.doc);
    return [meta.visibility, readRevealed(this.control.doc).has(column), this.seatGroup === column, meta.phase].join('|');
  }

  /** Opens the group links now wanted, closes those no longer wanted (their content leaves this page). */
  private syncGroups() {
    if (this.destroyed) return;
    const wanted = this.wantedGroups();
    // A refusal holds only while the right it was refused under holds (the server may have refused
    // before this page learnt of the change: once that change arrives, the refusal is stale).
    for (const [column, under] of this.refused) if (under !== this.rightOf(column)) this.refused.delete(column);
    for (const [column, link] of this.groups) {
      if (wanted.get(column) !== link.writable) this.dropGroup(column);
    }
    for (const [column, writable] of wanted) {
      if (this.groups.has(column)) continue;
      const refusedUnder = this.refused.get(column);
      if (refusedUnder !== undefined && refusedUnder === this.rightOf(column)) continue;
      this.refused.delete(column);
      this.groups.set(column, this.link('group', writable, column));
    }
  }

  private dropGroup(column: string) {
    const link = this.groups.get(column);
    if (!link) return;
    this.groups.delete(column);
    this.failedOpens.delete(column);
    this.history.untrack(link.doc);
    link.provider.destroy();
    void link.idb?.destroy();
    link.doc.destroy();
    this.emit();
  }

  /** The server will not let this person read `column`'s document now: close it, quietly, until the right changes. */
  private refuseGroup(link: DocLink, unseen = false) {
    // Later: this runs inside the provider's own close handler, which goes on using it.
    queueMicrotask(() => {
      if (this.groups.get(link.column) !== link) return;
      this.refused.set(link.column, this.rightOf(link.column));
      if (unseen) this.refusedUnseen.add(link.column);
      else this.refusedUnseen.delete(link.column);
      this.dropGroup(link.column);
    });
  }

  /** The room's documents as ./docs reads and writes them. */
  get docs(): RoomDocs {
    const groups = new Map<string, Y.Doc>();
    for (const [column, link] of this.groups) groups.set(column, link.doc);
    const writable = new Set<string>();
    for (const [column, link] of this.groups) if (link.writable) writable.add(column);
    return {
      wall: this.wall.doc, control: this.control.doc, groups, writable, role: this.role, seatGroup: this.seatGroup, names: this.people,
      anonymity: this.anonymity,
    };
  }

  /** Each seat's name now, by seat id (`GET /api/rooms/{id}/people`): cards show their writer by it. */
  people: ReadonlyMap<string, string> = new Map();
  private peopleAsked = 0;
  private peopleTimer: ReturnType<typeof setTimeout> | null = null;

  /**
   * Asks for the room's people again: at the start and when presence changes (a rename shows in
   * the renamed person's presence at once), at most every two seconds.
   */
  refreshPeople() {
    if (this.destroyed || this.peopleTimer) return;
    const wait = Math.max(0, this.peopleAsked + 2000 - Date.now());
    this.peopleTimer = setTimeout(() => {
      this.peopleTimer = null;
      this.peopleAsked = Date.now();
      api.people(this.roomId, this.token).then((list) => {
        const next = new Map(list.map((s) => [s.seat_id, s.name]));
        const same = next.size === this.people.size && [...next].every(([k, v]) => this.people.get(k) === v);
        if (!same && !this.destroyed) {
          this.people = next;
          this.emit();
        }
      }, () => { /* asked again at the next presence change */ });
    }, wait);
  }

  /**
   * After the server refused a change to the control document (which this role may never write),
   * the local copy holds a change nobody else has: drop it and load the document afresh.
   */
  private resetControl() {
    const old = this.control;
    old.provider.destroy();
    void old.idb?.clearData();
    old.doc.destroy();
    this.control = this.link('control', false);
    this.watchControl(this.control);
  }

  /**
   * `persist`: keep a copy on this device. A group document is kept only where this person writes
   * it (offline edits survive): a copy of another group's would outlive the right to read it.
   */
  private link(kind: DocKind, persist = true, column = ''): DocLink {
    const doc = new Y.Doc();
    const name = kind === 'wall' ? this.roomId : kind === 'control' ? `${this.roomId}/control` : `${this.roomId}/group/${column}`;
    const provider = new WebsocketProvider(wsBase(), name, doc, {
      params: { token: this.token },
      disableBc: true,
      maxBackoffTime: 4000,
      // Connect only once this device's copy is loaded: what it holds then travels in the sync step 2
      // (a diff against the server), not as a fresh "update" that a read-only connection may not send.
      connect: false,
    });
    // Presence travels on the wall connection only.
    if (kind === 'group') provider.awareness.setLocalState(null);
    // A review link only reads: nothing of its own to keep, and nothing to send on reconnect.
    const store = kind === 'group' ? `group:${column}` : kind;
    const idb = this.role === 'review' || !persist ? null : new IndexeddbPersistence(`kortvaeg:${this.roomId}:${store}:${this.role}`, doc);
    const writable = kind === 'group' ? persist : kind === 'wall' ? this.role !== 'review' : this.role === 'facilitator';
    if (writable && kind !== 'control') this.history.track(doc);
    const link: DocLink = { kind, column, writable, doc, provider, idb, connected: false, synced: false, everSynced: false, stopped: false, opened: false, loadedLocal: false, lastClose: null };
    idb?.on('synced', () => {
      link.loadedLocal = true;
      this.emit();
    });
    let started = false;
    const start = () => {
      if (started || this.destroyed) return;
      started = true;
      provider.connect();
    };
    if (idb) {
      void idb.whenSynced.then(start, start);
      setTimeout(start, 2000); // IndexedDB unavailable or stuck: go on without it
    } else start();

    provider.on('status', ({ status }) => {
      if (status === 'connecting') link.opened = false;
      if (status === 'connected') {
        link.opened = true;
        this.failedOpens.delete(column);
      }
      link.connected = status === 'connected';
      if (!link.connected) link.synced = false;
      this.emit();
    });
    provider.on('sync', (synced: boolean) => {
      link.synced = synced;
      if (synced) {
        link.everSynced = true;
        // A transient problem (store failure, busy server) is over once we are back in sync.
        if (this.problem && !this.problem.fatal && this.problem.doc === kind && this.problem.key !== 'err.forbiddenControl') this.problem = null;
        // Back in sync with the wall after an outage: group documents that failed to open then may be tried again.
        if (kind === 'wall') this.retryFailedOpens();
      }
      this.emit();
    });
    provider.on('connection-close', (event: CloseEvent | null) => {
      if (!event) return;
      link.lastClose = { code: event.code, reason: event.reason };
      if (kind === 'group') {
        if (this.groups.get(column) === link) this.groupClosed(link, event);
        this.emit();
        return;
      }
      if (link !== this.wall && link !== this.control) return; // an old, replaced link
      if (this.seated && (event.code === 4403 || event.code === 4401)) {
        if (seatRemovedReason(event.reason)) {
          this.removeSeat(event.code, event.reason);
          this.emit();
          return;
        }
        // A refused write also closes with 4403: ask REST whether the seat itself is gone.
        void this.checkSeat();
      }
      const p = problemForClose(event.code, event.reason, kind, this.role);
      if (p?.key === 'err.roomDeleted') {
        this.deleted(event.code, event.reason);
        return;
      }
      if (p && p.key === 'err.forbiddenControl') {
        // Refused and dropped by the server: say so, and go on with the server's version.
        this.setProblem({ ...p, fatal: false });
        queueMicrotask(() => this.resetControl());
      } else if (p) {
        this.setProblem(p);
        if (p.fatal) this.stop(link, p);
      } else if (!link.opened || event.code === 1006) {
        // The browser hides the HTTP status of a refused upgrade (401/403/404/503): ask REST why.
        void this.diagnose();
      }
      this.emit();
    });
    doc.on('update', () => this.emit());
    provider.awareness.on('change', () => {
      if (kind === 'wall') this.refreshPeople();
      this.emit();
    });
    if (kind === 'wall') this.refreshPeople();
    return link;
  }

  /**
   * A group document's connection closed. A refusal of the right to read (4403 "not revealed yet",
   * the visibility switched to private, the seat moved; or an upgrade refused with HTTP 403, which
   * the browser hides) closes that link without a banner until the right changes; a removed seat
   * is said as on the wall; a write refused while the workshop is closed is said as on the wall.
   */
  private groupClosed(link: DocLink, event: CloseEvent) {
    const { code, reason } = event;
    if (code === 4403 || code === 4401) {
      if (this.seated && seatRemovedReason(reason)) return this.removeSeat(code, reason);
      // A change that named its writer in an anonymous room: said, not taken for a lost right to read.
      if (anonymityRefusal(reason)) {
        const p = problemForClose(code, reason, 'group', this.role)!;
        this.setProblem(p);
        this.stop(link, p);
        return;
      }
      if (link.writable && this.role !== 'facilitator' && readMeta(this.control.doc).phase === 'closed') {
        const p = problemForClose(4403, reason, 'group', this.role)!;
        this.setProblem(p);
        this.stop(link, p);
        return;
      }
      if (this.seated) void this.checkSeat();
      return this.refuseGroup(link);
    }
    if (code === 4404) return this.refuseGroup(link); // a column the server no longer has
    const p = problemForClose(code, reason, 'group', this.role);
    if (p) {
      this.setProblem(p);
      if (p.fatal) this.stop(link, p);
    } else if (!link.opened && this.wall.connected && this.wall.synced) {
      // The upgrade failed while the wall is fine: the server refuses this document (HTTP 403).
      const n = (this.failedOpens.get(link.column) ?? 0) + 1;
      this.failedOpens.set(link.column, n);
      if (n >= 2) this.refuseGroup(link, true);
    }
  }

  /**
   * After the wall reconnects, group documents closed only because their upgrade failed (the
   * browser does not say why: it may have been the outage) are asked for again, once.
   */
  private retryFailedOpens() {
    if (!this.refusedUnseen.size) return;
    for (const column of this.refusedUnseen) this.refused.delete(column);
    this.refusedUnseen.clear();
    this.syncGroups();
  }

  private stop(link: DocLink, p: Problem) {
    link.stopped = true;
    link.provider.disconnect();
    if (p.key === 'err.readOnly' || p.key === 'err.anonymous') {
      // The refused change exists only here: drop the device copy so it is not re-sent forever.
      void link.idb?.clearData();
      link.idb = null;
    }
  }

  private resume(link: DocLink) {
    link.stopped = false;
    if (this.problem && this.problem.doc === link.kind) this.problem = null;
    link.provider.connect();
    this.emit();
  }

  private setProblem(p: Problem) {
    // A fatal problem is not hidden by a later transient one.
    if (this.problem?.fatal && !p.fatal) return;
    this.problem = p;
  }

  /** The seat was removed: say so, and stop every connection (its token is refused from now on). */
  removeSeat(code?: number, reason?: string) {
    if (this.problem?.key === 'err.seatRemoved') return;
    const p = seatRemoved(code, reason);
    this.problem = p;
    for (const l of this.links) this.stop(l, p);
    this.emit();
  }

  /** Is this session's seat still there? (`GET /api/rooms/{id}` with its token.) */
  async checkSeat(): Promise<void> {
    if (!this.seated || this.destroyed) return;
    try {
      await api.room(this.roomId, this.token);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) this.deleted(404);
      else if (e instanceof ApiError && (e.status === 401 || e.status === 403)) this.removeSeat(e.status);
    }
  }

  /**
   * The room was deleted (close 4404 on the wall or control, or REST `404` for the room this
   * session opened): say so, stop every connection, and drop this device's copies of its documents,
   * which would otherwise outlive it.
   */
  deleted(code?: number, reason?: string) {
    if (this.problem?.key === 'err.roomDeleted' || this.destroyed) return;
    const p = roomDeleted(code, reason);
    this.problem = p;
    const closing: Promise<unknown>[] = [];
    for (const l of this.links) {
      this.stop(l, p);
      // Every copy goes, also those of group links already dropped (their 4404 may come first).
      if (l.idb) closing.push(canListDatabases() ? l.idb.destroy() : l.idb.clearData());
      l.idb = null;
    }
    void Promise.allSettled(closing).then(() => dropLocalCopies(this.roomId));
    this.emit();
  }

  /** Asks `GET /api/rooms/{id}` why the WebSocket could not open. */
  private async diagnose() {
    const now = Date.now();
    if (this.diagnosing || now - this.lastDiagnosis < 2000 || this.destroyed) return;
    this.diagnosing = true;
    this.lastDiagnosis = now;
    try {
      await api.room(this.roomId, this.token);
      if (this.problem?.key === 'err.unavailable') this.problem = null;
    } catch (e) {
      if (e instanceof ApiError) {
        const p = problemForHttp(e.status, this.seated);
        // This session opened the room, so a 404 now means it was deleted since.
        if (e.status === 404) this.deleted(404);
        else if (p?.key === 'err.seatRemoved') this.removeSeat(e.status);
        else if (p) {
          this.setProblem(p);
          if (p.fatal) for (const l of this.links) this.stop(l, p);
        }
      }
    } finally {
      this.diagnosing = false;
      this.emit();
    }
  }

  /** Discards this device's unsent changes (after a refusal) and reloads the page. */
  async discardLocalAndReload() {
    for (const l of this.links) await l.idb?.clearData();
    location.reload();
  }

  /** May this page write `doc` now (an undo is an ordinary write: the same rule, sync/docs.ts)? */
  private mayWrite(doc: Y.Doc): boolean {
    if (this.destroyed) return false;
    if (doc === this.wall.doc) return !this.wall.stopped && canWriteWall(this.docs);
    for (const [column, link] of this.groups) if (link.doc === doc) return !link.stopped && canWriteGroup(this.docs, column);
    return false;
  }

  /** Every open link: wall, control and the group documents. */
  private get links(): DocLink[] {
    return [this.wall, this.control, ...this.groups.values()];
  }

  get overall(): Overall {
    if (this.problem?.fatal) return 'error';
    if (this.liveness?.browserOffline) return 'offline';
    const links = this.links.filter((l) => !l.stopped || l.kind !== 'group');
    if (links.every((l) => l.connected && l.synced)) return 'online';
    if (links.some((l) => !l.everSynced) && links.every((l) => l.provider.wsUnsuccessfulReconnects < 2)) return 'connecting';
    return 'offline';
  }

  /**
   * The documents have been loaded (from the server, or from this device's copy): control, wall and
   * the group documents this person writes (the others fill in as they arrive).
   */
  get ready(): boolean {
    const control = this.control.everSynced || (this.control.loadedLocal && this.control.doc.store.clients.size > 0);
    const loaded = (l: DocLink) => l.everSynced || l.loadedLocal;
    return control && loaded(this.wall) && [...this.groups.values()].every((l) => !l.writable || l.stopped || loaded(l));
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emitScheduled = false;
  private emit() {
    if (this.emitScheduled) return;
    this.emitScheduled = true;
    queueMicrotask(() => {
      this.emitScheduled = false;
      for (const fn of this.listeners) fn();
    });
  }

  get awareness() {
    return this.wall.provider.awareness;
  }

  destroy() {
    this.destroyed = true;
    this.liveness.destroy();
    if (this.peopleTimer) clearTimeout(this.peopleTimer);
    this.history.destroy();
    for (const l of this.links) {
      l.provider.destroy();
      void l.idb?.destroy();
      l.doc.destroy();
    }
    this.listeners.clear();
  }
}
