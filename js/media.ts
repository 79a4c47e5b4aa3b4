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
  /** The track's name (`media=` dict key, "media0".., or "media"). */
  track: string;
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
  /** A static export's path of the media relative to the page (set by `to_html`). */
  href?: string;
  /** MP4 audio codec when the file's header names one (such as "mp4a.40.2", AAC). */
  audioCodec?: string;
  /** A fragmented MP4: the kernel route streams it fragment by fragment (msestream.ts). */
  fragmented?: boolean;
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

/**
 * Resolve `url` against `base` and return it if its scheme is allowed, else
 * null. A URL path on the notebook server (`/files/...`) is first resolved
 * against the server's base URL `baseUrl` (the host's). `allowFile` admits
 * file: URLs too: a static export opened from disk plays the media beside it.
 */
export function safeUrl(url: string, base: string, baseUrl: string, allowFile = false): string | null {
  let u: URL;
  try {
    u = new URL(serverPathUrl(url, baseUrl), base);
  } catch {
    return null;
  }
  return ALLOWED_SCHEMES.includes(u.protocol) || (allowFile && u.protocol === "file:") ? u.href : null;
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

/** Readable names of audio codecs strings (the kernel's `audioCodec`). */
const CODEC_NAMES: Record<string, string> = { "mp4a.40.2": "AAC", "mp4a.40.5": "HE-AAC", "mp4a.40.29": "HE-AAC v2", "mp4a.6b": "MP3", opus: "Opus", flac: "FLAC", "ac-3": "AC-3", "ec-3": "E-AC-3", alac: "ALAC" };

/**
 * A note when this browser can show the video of `info` but not play its
 * sound (VS Code's webview plays H.264 but not AAC), else null. `canPlay` is
 * the media element's `canPlayType`.
 */
export function audioWarning(info: MediaInfo, canPlay: (type: string) => string): string | null {
  const codec = info.audioCodec;
  if (info.kind !== "video" || !codec) return null;
  const container = info.mime === "video/quicktime" || !info.mime ? "video/mp4" : info.mime;
  if (canPlay(`${container}; codecs="${codec}"`) !== "") return null;
  const name = CODEC_NAMES[codec] ?? codec;
  return (
    `This browser cannot play the ${name} sound of ${info.name}: the video plays without sound. ` +
    "For sound here, re-encode the audio to Opus: ffmpeg -i INPUT -c:v copy -c:a libopus OUTPUT.mp4"
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
