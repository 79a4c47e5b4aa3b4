/**
 * JupyterLab 4, Notebook 7, JupyterHub and Voila: pages with a Jupyter page
 * config (`#jupyter-config-data`).
 *
 * A local file plays through the server's `/files/` handler when it lies
 * under the server's root: the root comes from the page config (JupyterLab)
 * or from the notebook's absolute path (the kernel's `JPY_SESSION_NAME`) and
 * the page's URL (Notebook 7, whose page config has no root). Voila's pages
 * match neither, so media goes through the kernel there. Themes flip the
 * `data-jp-theme-light` attribute on <body> and set `--jp-*` colours.
 */

import type { MediaInfo } from "../media";
import { prefersDark, watchPageTheme, type Host, type MediaRoute } from "./host";

/** The part of JupyterLab's / Notebook 7's page config this code needs, if present. */
export interface PageConfig {
  baseUrl?: string;
  serverRoot?: string;
}

export function readPageConfig(doc: Document): PageConfig | null {
  const node = doc.getElementById("jupyter-config-data");
  if (!node?.textContent) return null;
  try {
    const cfg = JSON.parse(node.textContent) as Record<string, unknown>;
    return {
      baseUrl: typeof cfg.baseUrl === "string" ? cfg.baseUrl : undefined,
      serverRoot: typeof cfg.serverRoot === "string" ? cfg.serverRoot : undefined,
    };
  } catch {
    return null;
  }
}

function normalize(p: string): string {
  const parts: string[] = [];
  for (const seg of p.replace(/\\/g, "/").split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") parts.pop();
    else parts.push(seg);
  }
  return "/" + parts.join("/");
}

/**
 * The /files/ URL of local file `path` when it lies under `serverRoot`, else
 * null. `home` expands a "~" in the root (Jupyter may abbreviate it).
 */
export function filesUrl(path: string, serverRoot: string, home: string, baseUrl: string): string | null {
  let root = serverRoot;
  if (root === "~" || root.startsWith("~/")) root = home + root.slice(1);
  const r = normalize(root);
  const p = normalize(path);
  const prefix = r === "/" ? "/" : r + "/";
  if (!p.startsWith(prefix)) return null;
  const rel = p.slice(prefix.length);
  const base = baseUrl.endsWith("/") ? baseUrl : baseUrl + "/";
  return base + "files/" + rel.split("/").map(encodeURIComponent).join("/");
}

/**
 * The server's root directory from the notebook's absolute path (the kernel's
 * JPY_SESSION_NAME) and the page's URL path (`/notebooks/a/b.ipynb` in
 * Notebook 7, `/lab/tree/a/b.ipynb` in JupyterLab), or null when they do not
 * match. Notebook 7's page config does not give the root; this does.
 */
export function serverRootFrom(session: string, pathname: string, baseUrl: string): string | null {
  const base = baseUrl.endsWith("/") ? baseUrl : baseUrl + "/";
  if (!pathname.startsWith(base)) return null;
  const m = /^(?:notebooks|lab\/tree|lab\/workspaces\/[^/]+\/tree|doc\/tree|tree)\/(.+)$/.exec(pathname.slice(base.length));
  if (!m) return null;
  let rel: string;
  try {
    rel = m[1].split("/").map(decodeURIComponent).join("/");
  } catch {
    return null;
  }
  const abs = session.replace(/\\/g, "/");
  if (!abs.endsWith("/" + rel)) return null;
  const root = abs.slice(0, abs.length - rel.length - 1);
  return root === "" ? "/" : root;
}

export class JupyterHost implements Host {
  readonly name = "jupyter" as const;
  readonly kernel = true;
  readonly editable = true;
  readonly themeVars = {
    fg: ["--jp-ui-font-color1"],
    fgMuted: ["--jp-ui-font-color2"],
    grid: ["--jp-border-color2"],
    bg: ["--jp-layout-color0"],
  };

  constructor(
    private readonly config: PageConfig,
    private readonly location: { pathname: string } = window.location,
  ) {}

  /** This host when the page has a Jupyter page config, else null. */
  static detect(doc: Document = document): JupyterHost | null {
    const cfg = readPageConfig(doc);
    return cfg ? new JupyterHost(cfg) : null;
  }

  baseUrl(): string {
    return this.config.baseUrl ?? "/";
  }

  mediaRoutes(info: MediaInfo): MediaRoute[] {
    if (info.source === "url") return ["url"];
    if (info.source === "file") return ["server", "kernel"];
    return ["kernel"];
  }

  serverUrl(info: MediaInfo): string | null {
    const cfg = this.config;
    if (info.source !== "file" || !info.path || cfg.baseUrl === undefined) return null;
    const root = cfg.serverRoot ?? (info.session ? serverRootFrom(info.session, this.location.pathname, cfg.baseUrl) : null);
    return root === null ? null : filesUrl(info.path, root, info.home ?? "", cfg.baseUrl);
  }

  isDark(): boolean {
    const light = document.body?.dataset.jpThemeLight;
    if (light !== undefined) return light === "false";
    return prefersDark();
  }

  onThemeChange(fn: () => void): () => void {
    return watchPageTheme(fn, ["data-jp-theme-light", "data-jp-theme-name"]);
  }

  prepareRoot(root: HTMLElement): void {
    root.dataset.host = this.name;
    // JupyterLab handles shortcuts in the capture phase; this attribute makes
    // it leave keys pressed inside the widget to the widget.
    root.dataset.lmSuppressShortcuts = "true";
  }
}
