/**
 * Media sources and the media element.
 *
 * URLs pass a scheme allowlist (http, https, and the blob: URLs this code
 * makes itself); nothing from the data or a file name is ever parsed as HTML.
 * A local file is played through Jupyter's /files/ handler when it lies under
 * the server's root (HTTP Range requests, so seeking works and nothing passes
 * through the kernel); otherwise its bytes are fetched from the kernel in
 * chunks and played from a blob: URL.
 */

import { MEDIA_CHUNK_BYTES } from "./wire";

export interface MediaInfo {
  kind: "video" | "audio";
  source: "url" | "file" | "bytes";
  mime: string;
  name: string;
  size: number;
  url?: string;
  path?: string;
  home?: string;
  cwd?: string;
  /** Absolute path of the notebook the kernel runs for, when jupyter_server set it. */
  session?: string;
}

export const ALLOWED_SCHEMES = ["http:", "https:", "blob:"];

/** Bytes asked of the kernel per media chunk message (wire.json). */
export const CHUNK_BYTES = MEDIA_CHUNK_BYTES;

/** The prefix of a media URL path on the notebook server (the Python side's URL_PATH_PREFIX). */
export const URL_PATH_PREFIX = "/files/";

/**
 * A media URL path on the notebook server (`/files/...`) resolved against the
 * server's base URL (`{baseUrl}files/...`; on JupyterHub `/user/ann/files/...`).
 * Anything else (http(s) URLs, blob: URLs, other paths) is returned unchanged,
 * and so is a path that already starts with a non-root base URL (such as the
 * result of {@link filesUrl}), so resolving twice changes nothing.
 */
export function serverPathUrl(url: string, baseUrl: string): string {
  if (!url.startsWith(URL_PATH_PREFIX)) return url;
  const base = baseUrl === "" ? "/" : baseUrl.endsWith("/") ? baseUrl : baseUrl + "/";
  if (base === "/" || url.startsWith(base)) return url;
  return base + url.slice(1);
}

/** The page's base URL from its page config, or "/" when there is none (or no document). */
export function pageBaseUrl(): string {
  if (typeof document === "undefined") return "/";
  return readPageConfig(document)?.baseUrl ?? "/";
}

/**
 * Resolve `url` against `base` and return it if its scheme is allowed, else
 * null. A URL path on the notebook server (`/files/...`) is first resolved
 * against the server's base URL `baseUrl` (by default the page config's).
 */
export function safeUrl(url: string, base: string, baseUrl: string = pageBaseUrl()): string | null {
  let u: URL;
  try {
    u = new URL(serverPathUrl(url, baseUrl), base);
  } catch {
    return null;
  }
  return ALLOWED_SCHEMES.includes(u.protocol) ? u.href : null;
}

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

/** True when `url` answers a one-byte Range request (so the browser can seek it). */
export async function probe(url: string, signal?: AbortSignal): Promise<boolean> {
  try {
    const res = await fetch(url, { headers: { Range: "bytes=0-0" }, credentials: "same-origin", signal });
    await res.body?.cancel();
    return res.status === 206 || res.status === 200;
  } catch {
    return false;
  }
}

/** A readable sentence about a media element error, naming the file (shown as text only). */
export function describeMediaError(info: MediaInfo, code: number | undefined): string {
  const what = info.mime ? `${info.name} (${info.mime})` : info.name;
  const reason =
    code === 4
      ? "the browser cannot play this format or codec"
      : code === 2
        ? "a network error interrupted loading"
        : code === 3
          ? "the file could not be decoded"
          : "loading failed";
  return (
    `Cannot play ${what}: ${reason}. Browsers play H.264/AAC MP4, WebM (VP8/VP9/AV1), ` +
    "MP3, WAV, OGG and FLAC. Re-encode with: ffmpeg -i INPUT -c:v libx264 -pix_fmt yuv420p " +
    "-c:a aac OUTPUT.mp4"
  );
}

/** Create the <video> or <audio> element for `info`. */
export function createMediaElement(info: MediaInfo): HTMLMediaElement {
  const el = document.createElement(info.kind === "audio" ? "audio" : "video");
  el.controls = true;
  el.preload = "auto";
  el.dataset.part = "media";
  if (el instanceof HTMLVideoElement) el.playsInline = true;
  return el;
}
