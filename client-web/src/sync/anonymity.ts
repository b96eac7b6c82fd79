// Anonymity per room (docs/API.md, "Anonymity"), decided when the room is made and kept for good:
// `none` — everyone sees who wrote what; `participants` — participants (and review links) see no
// names, the facilitator does; `full` — nobody does, the facilitator included.
// The server refuses (close 4403) an update that names its writer in an anonymous room: a card's or
// comment's `author` anywhere, and in a `full` room also `author_id` and an answer's `#by`. So the
// sync layer (./docs) asks here what a write may say about its writer, and what a reader is shown.
import * as Y from 'yjs';
import { META } from './schema';

export type Anonymity = 'none' | 'participants' | 'full';
export const ANONYMITIES: Anonymity[] = ['none', 'participants', 'full'];

const parse = (v: unknown): Anonymity => (v === 'participants' || v === 'full' ? v : 'none');

/** `meta.anonymity` of the control document (written by the server when the room is made). */
export const readAnonymity = (control: Y.Doc): Anonymity => parse(control.getMap<unknown>(META).get('anonymity'));

/** The stricter of two: the room's answer (`GET /api/rooms/{id}`) and the control document's, whichever is known first. */
export function stricter(a: Anonymity | undefined, b: Anonymity | undefined): Anonymity {
  const rank = (x: Anonymity | undefined) => ANONYMITIES.indexOf(parse(x));
  return ANONYMITIES[Math.max(rank(a), rank(b))];
}

/** May a document carry a writer's name (a card's or comment's `author`)? Only where everyone sees names. */
export const namesWritten = (a: Anonymity) => a === 'none';

/** May a document carry a writer's seat id (a card's `author_id`, an answer's `#by`, "vi er færdige"'s `by`)? */
export const idsWritten = (a: Anonymity) => a !== 'full';

/** Is a reader with `role` told who wrote what (cards, comments, typing, the people they see)? */
export const showsNames = (a: Anonymity, role: string) => a === 'none' || (a === 'participants' && role === 'facilitator');

/** What a new card says about its writer in a room of anonymity `a`: nothing the server would refuse. */
export function cardWriter(a: Anonymity, author: string, authorId: string): { author: string; author_id: string } {
  return { author: namesWritten(a) ? author : '', author_id: idsWritten(a) ? authorId : '' };
}

/**
 * Who "vi er færdige" records (`groups.<column>.by`): the name where names are shown, the seat id in a
 * room anonymous to participants (the facilitator's people list names it), nothing in a full one.
 */
export const doneBy = (a: Anonymity, name: string, seatId: string) => (namesWritten(a) ? name : idsWritten(a) ? seatId : '');
