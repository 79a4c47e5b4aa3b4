/**
 * Colours that follow the page's light and dark themes.
 *
 * Canvas charts cannot use CSS variables directly, so colours are read from
 * the computed style (the host's variables, such as JupyterLab's `--jp-*`)
 * and re-read when the host says the theme changed.
 */

import type { Host } from "./hosts/host";

export interface Theme {
  fg: string;
  fgMuted: string;
  grid: string;
  bg: string;
}

/** Channel colours: distinguishable on light and dark backgrounds. */
export const PALETTE = [
  "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
  "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
];

export function channelColor(i: number): string {
  return PALETTE[i % PALETTE.length];
}

function cssVar(el: Element, names: string[], fallback: string): string {
  const style = getComputedStyle(el);
  for (const name of names) {
    const v = style.getPropertyValue(name).trim();
    if (v) return v;
  }
  return fallback;
}

/** The chart colours for `el` in `host`'s current theme. */
export function readTheme(el: Element, host: Host): Theme {
  const dark = host.isDark();
  const v = host.themeVars;
  return {
    fg: cssVar(el, v.fg, dark ? "#e0e0e0" : "#1f1f1f"),
    fgMuted: cssVar(el, v.fgMuted, dark ? "#a0a0a0" : "#616161"),
    grid: cssVar(el, v.grid, dark ? "#3a3a3a" : "#e0e0e0"),
    bg: cssVar(el, v.bg, dark ? "#111111" : "#ffffff"),
  };
}
