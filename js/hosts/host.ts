/**
 * The host seam: what differs between the pages a widget is shown in
 * (JupyterLab and Notebook 7, marimo, a static HTML export, and any other
 * anywidget host such as VS Code or Colab).
 *
 * A host says where media bytes can come from (an ordered chain of routes the
 * player tries in turn), whether a kernel answers and whether regions may be
 * edited, and how the page signals a dark theme. Adding a host is one file
 * implementing {@link Host} plus a line in `hosts/index.ts`.
 */

import type { MediaInfo } from "../media";

/**
 * Where the player may get media bytes from, in the order a host prefers:
 *
 * - `url`: the media's own http(s) URL, or a URL path on the notebook server
 *   (`/files/...`) resolved against the host's base URL.
 * - `server`: the notebook server's `/files/` handler for a local file (HTTP
 *   Range requests, so seeking works and nothing passes through the kernel).
 * - `relative`: a path relative to the page (a static export beside its media).
 * - `kernel`: the bytes streamed from the kernel over custom messages.
 */
export type MediaRoute = "url" | "server" | "relative" | "kernel";

export interface Host {
  /** Short name, shown in diagnostics and set as the root's `data-host`. */
  readonly name: "jupyter" | "marimo" | "static" | "fallback";
  /** False where no kernel answers (a static page): nothing is requested or saved. */
  readonly kernel: boolean;
  /** False where regions are shown read-only (a static page). */
  readonly editable: boolean;
  /** The routes to try for `info`, best first. */
  mediaRoutes(info: MediaInfo): MediaRoute[];
  /**
   * The `/files/` URL of local media through the notebook server, or null
   * when this host has no such handler (or the file lies outside its root).
   */
  serverUrl(info: MediaInfo): string | null;
  /** The server's base URL that `/files/` URL paths are resolved against ("/" when none). */
  baseUrl(): string;
  /** True when the page shows a dark theme. */
  isDark(): boolean;
  /** CSS custom properties holding the page's colours, tried before built-in defaults. */
  readonly themeVars: { fg: string[]; fgMuted: string[]; grid: string[]; bg: string[] };
  /** Call `fn` when the page's theme changes; returns the unsubscribe function. */
  onThemeChange(fn: () => void): () => void;
  /** Mark the widget's root for the page (keys pressed inside it stay the widget's). */
  prepareRoot(root: HTMLElement): void;
}

/** The OS colour scheme (what a page with no theme of its own follows). */
export function prefersDark(): boolean {
  return typeof matchMedia === "function" && matchMedia("(prefers-color-scheme: dark)").matches;
}

/**
 * Watch `attributes` of <html> and <body>, and the OS colour scheme; `fn`
 * runs on any change. Returns the unsubscribe function.
 */
export function watchPageTheme(fn: () => void, attributes: string[]): () => void {
  const obs = new MutationObserver(fn);
  for (const node of [document.documentElement, document.body]) {
    if (node) obs.observe(node, { attributes: true, attributeFilter: attributes });
  }
  const mq = typeof matchMedia === "function" ? matchMedia("(prefers-color-scheme: dark)") : null;
  mq?.addEventListener("change", fn);
  return () => {
    obs.disconnect();
    mq?.removeEventListener("change", fn);
  };
}

/**
 * The shared part of hosts with no notebook server the page can reach
 * (marimo, VS Code, Colab): media comes from its own URL, else the kernel.
 */
export abstract class ServerlessHost {
  readonly kernel = true;
  readonly editable = true;

  baseUrl(): string {
    return "/";
  }

  mediaRoutes(info: MediaInfo): MediaRoute[] {
    return info.source === "url" ? ["url"] : ["kernel"];
  }

  serverUrl(): string | null {
    return null;
  }
}
