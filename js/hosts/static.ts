/**
 * A static HTML export (`w.to_html(path)`): no kernel, regions read-only,
 * media from its http(s) URL or from a path relative to the page (the file
 * beside the exported HTML). Detail requests are answered from the chunks
 * embedded in the page (see `staticpage.ts`). The theme follows the OS.
 */

import type { MediaInfo } from "../media";
import { prefersDark, watchPageTheme, type Host, type MediaRoute } from "./host";

export class StaticHost implements Host {
  readonly name = "static" as const;
  readonly kernel = false;
  readonly editable = false;
  readonly themeVars = { fg: [], fgMuted: [], grid: [], bg: [] };

  baseUrl(): string {
    return "/";
  }

  mediaRoutes(info: MediaInfo): MediaRoute[] {
    if (info.source === "url") return ["url"];
    return info.href ? ["relative"] : [];
  }

  serverUrl(): string | null {
    return null;
  }

  isDark(): boolean {
    return prefersDark();
  }

  onThemeChange(fn: () => void): () => void {
    return watchPageTheme(fn, []);
  }

  prepareRoot(root: HTMLElement): void {
    root.dataset.host = this.name;
  }
}
