// A part of the page as a PNG file for the minutes, made in the browser from the DOM by
// html-to-image (the node and its computed styles cloned into an SVG <foreignObject>, drawn on a
// canvas). It runs under the server's Content-Security-Policy: no inline script, the SVG is loaded
// as a data: image (img-src allows data:), and no web font is fetched (the app uses system fonts).

/** Chromium's limit on a canvas side; past it `toBlob` gives nothing. */
const MAX_SIDE = 16384;

/** Sharp enough to read on a projector or in a document, never past the canvas limit. */
export function pixelRatio(width: number, height: number, wanted = 2): number {
  return Math.max(0.25, Math.min(wanted, MAX_SIDE / Math.max(1, width), MAX_SIDE / Math.max(1, height)));
}

/** A file name from a title: lower case, ASCII letters, digits and dashes ("Væg 1" → "vaeg-1"). */
export function fileSlug(title: string): string {
  const s = title
    .toLowerCase()
    .replace(/æ/g, 'ae').replace(/ø/g, 'oe').replace(/å/g, 'aa')
    .normalize('NFKD').replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return s.slice(0, 60) || 'kortvaeg';
}

/** Renders `node` (its whole size, also what is scrolled out of view) as a PNG and downloads it as `fileName`. */
export async function downloadPng(node: HTMLElement, fileName: string): Promise<void> {
  // Loaded on first use: the library is only needed here.
  const { toBlob } = await import('html-to-image');
  const width = node.scrollWidth;
  const height = node.scrollHeight;
  const blob = await toBlob(node, {
    width,
    height,
    pixelRatio: pixelRatio(width, height),
    backgroundColor: '#ffffff',
    skipFonts: true,
  });
  if (!blob) throw new Error('no image');
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // The download has its own copy once it started.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
