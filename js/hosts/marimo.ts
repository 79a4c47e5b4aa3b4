/**
 * marimo (`marimo edit` / `marimo run`, with `mo.ui.anywidget(w)` or plain
 * `w`): no `/files/` handler, so local files and bytes stream from the kernel;
 * the dark theme is a `dark` / `dark-theme` class on <html> or <body>.
 */

import { ServerlessHost, watchPageTheme, type Host } from "./host";

function hasDarkClass(): boolean {
  return [document.documentElement, document.body].some(
    (n) => !!n && (n.classList.contains("dark") || n.classList.contains("dark-theme")),
  );
}

export class MarimoHost extends ServerlessHost implements Host {
  readonly name = "marimo" as const;
  readonly themeVars = { fg: ["--foreground"], fgMuted: ["--muted-foreground"], grid: ["--border"], bg: ["--background"] };

  /** This host when the page is marimo's (its `<marimo-version>` tag or mount config), else null. */
  static detect(doc: Document = document): MarimoHost | null {
    const marker = doc.querySelector("marimo-version, marimo-filename") !== null;
    const mount = typeof window !== "undefined" && "__MARIMO_MOUNT_CONFIG__" in window;
    return marker || mount ? new MarimoHost() : null;
  }

  isDark(): boolean {
    // marimo marks its dark theme (chosen, or "system" on a dark OS) with a class.
    return hasDarkClass();
  }

  onThemeChange(fn: () => void): () => void {
    return watchPageTheme(fn, ["class", "data-theme"]);
  }

  prepareRoot(root: HTMLElement): void {
    root.dataset.host = this.name;
  }
}
