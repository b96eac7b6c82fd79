// A live room: the wall and control Y.Docs, each with a stock y-websocket WebsocketProvider and an
// IndexedDB copy (so edits made offline survive a reload and are sent on reconnect), plus the
// connection status the views show. Views read and write only through this and ./schema.
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { IndexeddbPersistence } from 'y-indexeddb';
import { api, ApiError, type Role } from '../api';
import { problemForClose, problemForHttp, seatRemoved, seatRemovedReason, type DocKind, type Overall, type Problem } from './status';
import { readMeta } from './schema';

export interface DocLink {
  kind: DocKind;
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

  /**
   * `seated`: the token is this person's seat (CONTRACT.md v2 "Seats"); a refusal of it (4403/4401
   * on a socket, 401/403 from REST) means the facilitator removed the seat.
   */
  constructor(readonly roomId: string, readonly token: string, readonly role: Role, readonly seated = false) {
    this.wall = this.link('wall');
    this.control = this.link('control');
    this.watchPhase(this.control);
  }

  /** A participant's wall refused because the phase was "closed" comes back when it reopens. */
  private watchPhase(link: DocLink) {
    link.doc.on('update', () => {
      const phase = readMeta(link.doc).phase;
      if (phase !== this.lastPhase) {
        this.lastPhase = phase;
        if (phase !== 'closed' && this.wall.stopped && this.problem?.key === 'err.wallClosed') this.resume(this.wall);
      }
    });
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
    this.watchPhase(this.control);
  }

  private link(kind: DocKind, persist = true): DocLink {
    const doc = new Y.Doc();
    const name = kind === 'wall' ? this.roomId : `${this.roomId}/control`;
    const provider = new WebsocketProvider(wsBase(), name, doc, {
      params: { token: this.token },
      disableBc: true,
      maxBackoffTime: 4000,
      // Connect only once this device's copy is loaded: what it holds then travels in the sync step 2
      // (a diff against the server), not as a fresh "update" that a read-only connection may not send.
      connect: false,
    });
    // A review link only reads: nothing of its own to keep, and nothing to send on reconnect.
    const idb = this.role === 'review' || !persist ? null : new IndexeddbPersistence(`kortvaeg:${this.roomId}:${kind}:${this.role}`, doc);
    const link: DocLink = { kind, doc, provider, idb, connected: false, synced: false, everSynced: false, stopped: false, opened: false, loadedLocal: false, lastClose: null };
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
      if (status === 'connected') link.opened = true;
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
      }
      this.emit();
    });
    provider.on('connection-close', (event: CloseEvent | null) => {
      if (!event) return;
      link.lastClose = { code: event.code, reason: event.reason };
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
    provider.awareness.on('change', () => this.emit());
    return link;
  }

  private stop(link: DocLink, p: Problem) {
    link.stopped = true;
    link.provider.disconnect();
    if (p.key === 'err.readOnly') {
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
    for (const l of [this.wall, this.control]) this.stop(l, p);
    this.emit();
  }

  /** Is this session's seat still there? (`GET /api/rooms/{id}` with its token.) */
  async checkSeat(): Promise<void> {
    if (!this.seated || this.destroyed) return;
    try {
      await api.room(this.roomId, this.token);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 401 || e.status === 403)) this.removeSeat(e.status);
    }
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
        if (p?.key === 'err.seatRemoved') this.removeSeat(e.status);
        else if (p) {
          this.setProblem(p);
          if (p.fatal) for (const l of [this.wall, this.control]) this.stop(l, p);
        }
      }
    } finally {
      this.diagnosing = false;
      this.emit();
    }
  }

  /** Discards this device's unsent changes (after a refusal) and reloads the page. */
  async discardLocalAndReload() {
    for (const l of [this.wall, this.control]) await l.idb?.clearData();
    location.reload();
  }

  get overall(): Overall {
    if (this.problem?.fatal) return 'error';
    const links = [this.wall, this.control];
    if (links.every((l) => l.connected && l.synced)) return 'online';
    if (links.some((l) => !l.everSynced) && links.every((l) => l.provider.wsUnsuccessfulReconnects < 2)) return 'connecting';
    return 'offline';
  }

  /** Both documents have been loaded (from the server, or from this device's copy). */
  get ready(): boolean {
    const control = this.control.everSynced || (this.control.loadedLocal && this.control.doc.store.clients.size > 0);
    return control && (this.wall.everSynced || this.wall.loadedLocal);
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
    for (const l of [this.wall, this.control]) {
      l.provider.destroy();
      void l.idb?.destroy();
      l.doc.destroy();
    }
    this.listeners.clear();
  }
}
