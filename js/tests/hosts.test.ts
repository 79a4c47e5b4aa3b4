// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from "vitest";
import { detectHost } from "../hosts";
import { FallbackHost } from "../hosts/fallback";
import { filesUrl, JupyterHost, serverRootFrom } from "../hosts/jupyter";
import { MarimoHost } from "../hosts/marimo";
import { StaticHost } from "../hosts/static";
import type { MediaInfo } from "../media";
import { readTheme } from "../theme";

const file: MediaInfo = { track: "media", kind: "video", source: "file", mime: "video/mp4", name: "a b.mp4", size: 10, path: "/srv/nb/a b.mp4", home: "/root" };
const bytes: MediaInfo = { track: "media", kind: "audio", source: "bytes", mime: "audio/wav", name: "media bytes", size: 10 };
const url: MediaInfo = { track: "media", kind: "video", source: "url", mime: "video/mp4", name: "u", size: 0, url: "https://x.org/v.mp4" };

afterEach(() => {
  document.head.replaceChildren();
  document.body.replaceChildren();
  document.body.removeAttribute("data-jp-theme-light");
  document.body.className = "";
  document.documentElement.className = "";
});

function pageConfig(cfg: Record<string, unknown>): void {
  const node = document.createElement("script");
  node.id = "jupyter-config-data";
  node.type = "application/json";
  node.textContent = JSON.stringify(cfg);
  document.body.append(node);
}

describe("host detection", () => {
  it("a page config means Jupyter; marimo's tags mean marimo; anything else is the fallback", () => {
    expect(detectHost().name).toBe("fallback");
    document.body.append(document.createElement("marimo-version"));
    expect(detectHost().name).toBe("marimo");
    pageConfig({ baseUrl: "/user/ann/" });
    const host = detectHost();
    expect(host.name).toBe("jupyter");
    expect(host.baseUrl()).toBe("/user/ann/");
  });
  it("a broken page config is no page config", () => {
    const node = document.createElement("script");
    node.id = "jupyter-config-data";
    node.textContent = "{not json";
    document.body.append(node);
    expect(detectHost().name).toBe("fallback");
  });
});

describe("media routes per host", () => {
  it("Jupyter: /files/ first, then the kernel; URLs as they are", () => {
    const lab = new JupyterHost({ baseUrl: "/", serverRoot: "/srv" }, { pathname: "/lab/tree/nb/x.ipynb" });
    expect(lab.mediaRoutes(file)).toEqual(["server", "kernel"]);
    expect(lab.mediaRoutes(bytes)).toEqual(["kernel"]);
    expect(lab.mediaRoutes(url)).toEqual(["url"]);
    expect(lab.serverUrl(file)).toBe("/files/nb/a%20b.mp4");
    expect(lab.serverUrl(bytes)).toBeNull();
  });
  it("Notebook 7 (no serverRoot): the root comes from the kernel's session path and the page URL", () => {
    const nb7 = new JupyterHost({ baseUrl: "/" }, { pathname: "/notebooks/nb/x.ipynb" });
    expect(nb7.serverUrl({ ...file, session: "/srv/nb/x.ipynb" })).toBe("/files/nb/a%20b.mp4");
    expect(nb7.serverUrl(file)).toBeNull();
    // Voila's pages match no notebook URL: the kernel serves the media there.
    const voila = new JupyterHost({ baseUrl: "/" }, { pathname: "/voila/render/nb/x.ipynb" });
    expect(voila.serverUrl({ ...file, session: "/srv/nb/x.ipynb" })).toBeNull();
  });
  it("marimo and the fallback (VS Code, Colab) have no /files/: the kernel streams files and bytes", () => {
    for (const host of [new MarimoHost(), new FallbackHost()]) {
      expect(host.mediaRoutes(file)).toEqual(["kernel"]);
      expect(host.mediaRoutes(bytes)).toEqual(["kernel"]);
      expect(host.mediaRoutes(url)).toEqual(["url"]);
      expect(host.serverUrl()).toBeNull();
      expect(host.kernel && host.editable).toBe(true);
    }
  });
  it("static: no kernel, read-only; a file beside the page, nothing for bytes without a copy", () => {
    const host = new StaticHost();
    expect(host.kernel).toBe(false);
    expect(host.editable).toBe(false);
    expect(host.mediaRoutes({ ...file, href: "a%20b.mp4" })).toEqual(["relative"]);
    expect(host.mediaRoutes(file)).toEqual([]);
    expect(host.mediaRoutes(bytes)).toEqual([]);
    expect(host.mediaRoutes(url)).toEqual(["url"]);
  });
});

describe("themes per host", () => {
  it("Jupyter reads data-jp-theme-light; marimo a dark class; VS Code its body class", () => {
    const lab = new JupyterHost({ baseUrl: "/" });
    document.body.dataset.jpThemeLight = "false";
    expect(lab.isDark()).toBe(true);
    document.body.dataset.jpThemeLight = "true";
    expect(lab.isDark()).toBe(false);
    const marimo = new MarimoHost();
    expect(marimo.isDark()).toBe(false);
    document.body.classList.add("dark-theme");
    expect(marimo.isDark()).toBe(true);
    const vscode = new FallbackHost();
    document.body.className = "vscode-dark";
    expect(vscode.isDark()).toBe(true);
    document.body.className = "vscode-light";
    expect(vscode.isDark()).toBe(false);
  });
  it("chart colours come from the host's variables, else the light or dark defaults", () => {
    const el = document.createElement("div");
    document.body.append(el);
    const vscode = new FallbackHost();
    document.body.className = "vscode-dark";
    expect(readTheme(el, vscode).bg).toBe("#111111");
    el.style.setProperty("--vscode-editor-background", "#1e1e1e");
    expect(readTheme(el, vscode).bg).toBe("#1e1e1e");
    document.body.className = "vscode-light";
    expect(readTheme(el, vscode).fg).toBe("#1f1f1f");
  });
  it("theme changes are reported until unsubscribed", async () => {
    const lab = new JupyterHost({ baseUrl: "/" });
    let calls = 0;
    const off = lab.onThemeChange(() => calls++);
    document.body.dataset.jpThemeLight = "false";
    await new Promise((r) => setTimeout(r, 0));
    expect(calls).toBe(1);
    off();
    document.body.dataset.jpThemeLight = "true";
    await new Promise((r) => setTimeout(r, 0));
    expect(calls).toBe(1);
  });
});

describe("Jupyter's /files/ paths", () => {
  it("maps a file under the server root to /files/, encoding each segment", () => {
    expect(filesUrl("/srv/data/my video#1.mp4", "/srv", "/root", "/user/ann/")).toBe("/user/ann/files/data/my%20video%231.mp4");
    expect(filesUrl("/root/proj/a.mp4", "~/proj", "/root", "/")).toBe("/files/a.mp4");
    expect(filesUrl("/srv2/a.mp4", "/srv", "/root", "/")).toBeNull();
    expect(filesUrl("/srv/../etc/a.mp4", "/srv", "/root", "/")).toBeNull();
  });
  it("finds the server root from the notebook's path and the page URL (Notebook 7)", () => {
    expect(serverRootFrom("/home/ann/work/sub/a b.ipynb", "/notebooks/sub/a%20b.ipynb", "/")).toBe("/home/ann/work");
    expect(serverRootFrom("/home/ann/work/a.ipynb", "/user/ann/lab/tree/a.ipynb", "/user/ann/")).toBe("/home/ann/work");
    expect(serverRootFrom("/a.ipynb", "/notebooks/a.ipynb", "/")).toBe("/");
    expect(serverRootFrom("/home/x/b.ipynb", "/notebooks/a.ipynb", "/")).toBeNull();
    expect(serverRootFrom("/home/x/a.ipynb", "/other/a.ipynb", "/")).toBeNull();
  });
});
