// Undo and redo of this person's own changes ("Fortryd" / "Gentag"), over every document the page
// writes: the wall and the group documents it may write (never the control document: phase,
// timer and setup have their own controls, and an undo there would surprise the whole room).
//
// One Y.UndoManager per document tracks only this page's local transactions (origin `null`, as
// every write in ./schema and ./answers makes them): updates from the server (the provider is their
// origin) and this device's IndexedDB copy are never undone, so another person's card stays.
//
// One user action can touch two documents (a card on the wall whose value answers in the group's
// document; a card moved to another group's document), so the steps are kept here, across
// documents: a step is every change made in one go (the same task), undone and redone together.
// The managers only hold the stack items; a step undoes exactly its own items (Yjs would otherwise
// skip items that change nothing any more and take an older one with them). Consecutive writes of
// the same answer (a text typed with pauses, written 350 ms after each) are one step while they
// come within CAPTURE_MS of each other.
import * as Y from 'yjs';
import { answersMap } from './answers';
import { cardsMap, groupsMap } from './schema';

/** Writes of the same answer closer together than this are one undo step. */
export const CAPTURE_MS = 1500;

type StackItem = Y.UndoManager['undoStack'][number];
interface Entry { manager: Y.UndoManager; item: StackItem }
interface Step {
  entries: Entry[];
  /** When the last change joined this step (ms). */
  last: number;
  /** The single answer key every change of this step wrote, if that is all it did: writes of it coalesce. */
  answerKey: string | null;
}

interface StackEvent { stackItem: StackItem; origin: unknown; type: 'undo' | 'redo'; changedParentTypes: Map<Y.AbstractType<Y.YEvent<any>>, Y.YEvent<any>[]> }

/** What the buttons may do now: `blocked` = there is a step, but its document may not be written now (a closed workshop). */
export type UndoState = 'yes' | 'no' | 'blocked';

export class RoomHistory {
  private managers = new Map<Y.Doc, Y.UndoManager>();
  private undoSteps: Step[] = [];
  private redoSteps: Step[] = [];
  /** The step the changes of the current task join (one user action = one step). */
  private taskStep: Step | null = null;
  /** While a step is undone or redone: the step its replayed changes are collected in. */
  private replaying: Step | null = null;

  /**
   * `mayWrite`: may this page write `doc` now (the same rule every other edit follows, sync/docs.ts)?
   * An undo is an ordinary update, so one the server would refuse is not made.
   */
  constructor(private readonly mayWrite: (doc: Y.Doc) => boolean, private readonly changed: () => void) {}

  /** Starts tracking this person's changes to `doc` (the wall, or a group document they write). */
  track(doc: Y.Doc) {
    if (this.managers.has(doc)) return;
    const manager = new Y.UndoManager([cardsMap(doc), answersMap(doc), groupsMap(doc)], {
      // Every transaction is its own stack item: this class groups them into steps.
      captureTimeout: 0,
      trackedOrigins: new Set([null]),
    });
    manager.on('stack-item-added', (e: StackEvent) => this.added(manager, e));
    this.managers.set(doc, manager);
  }

  /** Forgets `doc` (its link closed): its changes can no longer be undone from here. */
  untrack(doc: Y.Doc) {
    const manager = this.managers.get(doc);
    if (!manager) return;
    this.managers.delete(doc);
    for (const list of [this.undoSteps, this.redoSteps]) {
      for (const s of list) s.entries = s.entries.filter((e) => e.manager !== manager);
    }
    this.undoSteps = this.undoSteps.filter((s) => s.entries.length);
    this.redoSteps = this.redoSteps.filter((s) => s.entries.length);
    manager.destroy();
    this.changed();
  }

  private added(manager: Y.UndoManager, e: StackEvent) {
    const entry = { manager, item: e.stackItem };
    if (this.replaying) {
      // The undo (or redo) of a step: its counterpart collects the items that revert it.
      this.replaying.entries.push(entry);
      return;
    }
    if (e.type !== 'undo') return;
    // A new change of this person's: what was undone can no longer be redone (as in any editor).
    if (this.redoSteps.length) {
      this.redoSteps = [];
      for (const m of this.managers.values()) if (m !== manager) m.clear(false, true);
    }
    const now = Date.now();
    const key = onlyAnswerKey(e.changedParentTypes, manager.doc);
    const top = this.undoSteps[this.undoSteps.length - 1];
    let step = this.taskStep;
    if (!step && top && key && top.answerKey === key && now - top.last < CAPTURE_MS) step = top;
    if (step) {
      step.entries.push(entry);
      if (step.answerKey !== key) step.answerKey = null;
    } else {
      step = { entries: [entry], last: now, answerKey: key };
      this.undoSteps.push(step);
    }
    step.last = now;
    if (!this.taskStep) {
      this.taskStep = step;
      queueMicrotask(() => { this.taskStep = null; });
    }
    this.changed();
  }

  private stateOf(steps: Step[]): UndoState {
    const top = steps[steps.length - 1];
    if (!top) return 'no';
    return top.entries.every((e) => this.mayWrite(e.manager.doc)) ? 'yes' : 'blocked';
  }

  get undoState(): UndoState {
    return this.stateOf(this.undoSteps);
  }

  get redoState(): UndoState {
    return this.stateOf(this.redoSteps);
  }

  /** Undoes this person's last step; false when there was none, or it may not be written now. */
  undo(): boolean {
    return this.replay(this.undoSteps, this.redoSteps, 'undo');
  }

  /** Redoes the step undone last; false when there is none, or it may not be written now. */
  redo(): boolean {
    return this.replay(this.redoSteps, this.undoSteps, 'redo');
  }

  /**
   * Pops steps from `from` until one changes something (a step whose changes others have since
   * overwritten or deleted changes nothing), replays it and pushes its counterpart onto `to`.
   */
  private replay(from: Step[], to: Step[], kind: 'undo' | 'redo'): boolean {
    while (from.length) {
      if (this.stateOf(from) !== 'yes') return false;
      const step = from.pop()!;
      const back: Step = { entries: [], last: 0, answerKey: null };
      this.replaying = back;
      let did = false;
      try {
        // Last change first; the counterpart's items come in the order they are made.
        for (const { manager, item } of [...step.entries].reverse()) did = replayItem(manager, item, kind) || did;
      } finally {
        this.replaying = null;
      }
      if (back.entries.length) to.push(back);
      if (did) {
        this.changed();
        return true;
      }
    }
    this.changed();
    return false;
  }

  destroy() {
    for (const m of this.managers.values()) m.destroy();
    this.managers.clear();
    this.undoSteps = [];
    this.redoSteps = [];
  }
}

/** Undoes (or redoes) exactly `item` of `manager`, none of its other items. */
function replayItem(manager: Y.UndoManager, item: StackItem, kind: 'undo' | 'redo'): boolean {
  const stack = kind === 'undo' ? manager.undoStack : manager.redoStack;
  if (!stack.includes(item)) return false;
  const rest = stack.filter((x) => x !== item);
  if (kind === 'undo') manager.undoStack = [item];
  else manager.redoStack = [item];
  let result: unknown = null;
  try {
    result = kind === 'undo' ? manager.undo() : manager.redo();
  } finally {
    // The replay pushed its counterpart onto the other stack; this stack is what it was, less `item`.
    if (kind === 'undo') manager.undoStack = rest;
    else manager.redoStack = rest;
  }
  return result !== null;
}

/** The keys of the root `answers` map a transaction changed (one answer and its marks), when that is all it changed. */
function onlyAnswerKey(changed: StackEvent['changedParentTypes'], doc: Y.Doc): string | null {
  const answers = answersMap(doc);
  const events = changed.get(answers as unknown as Y.AbstractType<Y.YEvent<any>>);
  if (changed.size !== 1 || !events) return null;
  const keys = new Set<string>();
  for (const ev of events) if (ev instanceof Y.YMapEvent) for (const k of ev.keysChanged) keys.add(String(k));
  return keys.size ? [...keys].sort().join('\n') : null;
}
