import { roundSections, rowTag, type Row } from '../sync/schema';

/**
 * The `<option>`s of a question select: "As-is 3. …" by each row's tag, and in a room of several
 * rounds one `<optgroup>` per round (both count from 1).
 */
export function RowOptions({ rows, width }: { rows: Row[]; width: number }) {
  const option = (r: Row) => <option key={r.id} value={r.id}>{rowTag(r, rows)}. {r.label.slice(0, width)}</option>;
  return (
    <>
      {roundSections(rows).map((sec) => (sec.label
        ? <optgroup key={sec.round} label={sec.label}>{sec.rows.map(option)}</optgroup>
        : sec.rows.map(option)))}
    </>
  );
}
