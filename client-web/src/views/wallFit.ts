// The plenum wall on a projector (issue 16 item 2): how it is shown on this device, and "Tilpas til
// skærm", which scales the whole matrix (CSS `zoom`) until every row fits the window.
import { useLayoutEffect, useState } from 'preact/hooks';
import type { RefObject } from 'preact';

/** How the wall is shown on this device (localStorage `kortvaeg:wallView:<room>`). */
export interface WallView {
  /** "Tilpas til skærm": the whole matrix scaled to the window. */
  fit: boolean;
  /** "Ét spørgsmål ad gangen", and which question (row id; '' = the first). */
  one: boolean;
  row: string;
  /** Only this fagområde's column ('' = all). */
  fag: string;
  /** With a sagsområde in focus: hide the others' cards instead of dimming them. */
  onlySags: boolean;
}

const DEFAULT_VIEW: WallView = { fit: false, one: false, row: '', fag: '', onlySags: false };
const key = (room: string) => `kortvaeg:wallView:${room}`;

export function loadWallView(room: string): WallView {
  try {
    const v = JSON.parse(localStorage.getItem(key(room)) ?? 'null');
    if (!v || typeof v !== 'object') return DEFAULT_VIEW;
    return {
      fit: v.fit === true,
      one: v.one === true,
      row: typeof v.row === 'string' ? v.row : '',
      fag: typeof v.fag === 'string' ? v.fag : '',
      onlySags: v.onlySags === true,
    };
  } catch {
    return DEFAULT_VIEW;
  }
}

export function saveWallView(room: string, v: WallView) {
  localStorage.setItem(key(room), JSON.stringify(v));
}

/**
 * The smallest card text "Tilpas til skærm" allows, in CSS px on the screen: below it the wall is
 * not legible on a projector, so it stops there and says so (the wall then scrolls).
 */
export const MIN_LEGIBLE_PX = 12;
/** The fit never enlarges beyond this (a sparse wall, one question). */
const MAX_FIT_ZOOM = 1.6;

/**
 * With `on`, the zoom at which the element `ref` (the wall) fits between its top and the bottom
 * of the window, less `bottom` px (the room tools), and the window's width; never below
 * `MIN_LEGIBLE_PX` for its card text (`tooSmall` then). Measured again when the window, the
 * content (`deps`) or the element's size changes.
 */
export function useFitZoom(ref: RefObject<HTMLElement | null>, on: boolean, deps: unknown[]): { zoom: number; tooSmall: boolean } {
  const [state, setState] = useState({ zoom: 1, tooSmall: false });
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    if (!on) {
      el.style.zoom = '';
      if (state.zoom !== 1 || state.tooSmall) setState({ zoom: 1, tooSmall: false });
      return;
    }
    let frame = 0;
    const measure = () => {
      // The smallest text that must stay legible: the cards' and the questions'.
      const sizes = ['.card-text', '.wall-rowlabel'].map((q) => el.querySelector(q)).filter((x): x is Element => !!x)
        .map((x) => parseFloat(getComputedStyle(x).fontSize) || 16);
      const px = sizes.length ? Math.min(...sizes) : 16;
      const min = Math.min(1, Math.ceil((MIN_LEGIBLE_PX / px) * 1000) / 1000);
      const tools = document.querySelector('.room-tools')?.getBoundingClientRect();
      const bottom = (tools && tools.height < innerHeight / 3 ? tools.height + 16 : 0) + 8;
      // The largest zoom at which the matrix fits: as high as the room left below its top, and no
      // wider than its box (the columns share the width; only their least widths can overflow).
      // Found by halving (each try reflows: a smaller zoom gives the columns more room, so cards wrap less).
      const fits = (z: number) => {
        el.style.zoom = String(z);
        const r = el.getBoundingClientRect();
        return r.bottom + scrollY <= innerHeight - bottom && el.scrollWidth <= el.clientWidth + 1;
      };
      let lo = min;
      let hi = MAX_FIT_ZOOM;
      if (!fits(lo)) hi = lo;
      else if (fits(hi)) lo = hi;
      else {
        for (let i = 0; i < 9; i++) {
          const mid = (lo + hi) / 2;
          if (fits(mid)) lo = mid;
          else hi = mid;
        }
      }
      const zoom = Math.floor(lo * 1000) / 1000;
      el.style.zoom = String(zoom);
      const r = el.getBoundingClientRect();
      const tooSmall = r.bottom + scrollY > innerHeight - bottom + 1;
      setState((s) => (s.zoom === zoom && s.tooSmall === tooSmall ? s : { zoom, tooSmall }));
    };
    const later = () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(measure);
    };
    measure();
    addEventListener('resize', later);
    return () => {
      cancelAnimationFrame(frame);
      removeEventListener('resize', later);
    };
  }, [on, ...deps]);
  return state;
}
