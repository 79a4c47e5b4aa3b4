/**
 * Colours that follow JupyterLab's light and dark themes.
 *
 * Canvas charts cannot use CSS variables directly, so colours are read from
 * the computed style and re-read when JupyterLab switches themes (it flips the
 * `data-jp-theme-light` attribute on <body>).
 */

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

function cssVar(el: Element, name: string, fallback: string): string {
  const v = getComputedStyle(el).getPropertyValue(name).trim();
  return v || fallback;
}

/** True when JupyterLab (or the OS, outside Lab) shows a dark theme. */
export function isDark(): boolean {
  const light = document.body?.dataset.jpThemeLight;
  if (light !== undefined) return light === "false";
  return typeof matchMedia === "function" && matchMedia("(prefers-color-scheme: dark)").matches;
}

export function readTheme(el: Element): Theme {
  const dark = isDark();
  return {
    fg: cssVar(el, "--jp-ui-font-color1", dark ? "#e0e0e0" : "#1f1f1f"),
    fgMuted: cssVar(el, "--jp-ui-font-color2", dark ? "#a0a0a0" : "#616161"),
    grid: cssVar(el, "--jp-border-color2", dark ? "#3a3a3a" : "#e0e0e0"),
    bg: cssVar(el, "--jp-layout-color0", dark ? "#111111" : "#ffffff"),
  };
}

/** Call `fn` whenever the theme changes; returns the unsubscribe function. */
export function onThemeChange(fn: () => void): () => void {
  const obs = new MutationObserver(fn);
  if (document.body) obs.observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-light", "data-jp-theme-name"] });
  const mq = typeof matchMedia === "function" ? matchMedia("(prefers-color-scheme: dark)") : null;
  mq?.addEventListener("change", fn);
  return () => {
    obs.disconnect();
    mq?.removeEventListener("change", fn);
  };
}
