import { describe, expect, it } from "vitest";
import { describeMediaError, filesUrl, pageBaseUrl, safeUrl, serverPathUrl, serverRootFrom } from "../media";

describe("media URLs", () => {
  it("allows only http(s) and blob: URLs", () => {
    expect(safeUrl("/files/a.mp4", "http://127.0.0.1:8888/lab")).toBe("http://127.0.0.1:8888/files/a.mp4");
    expect(safeUrl("https://x.org/v.webm", "http://h/")).toBe("https://x.org/v.webm");
    expect(safeUrl("blob:http://h/123", "http://h/")).toBe("blob:http://h/123");
    for (const bad of ["javascript:alert(1)", "data:video/mp4;base64,AA", "file:///etc/passwd", "vbscript:x"]) {
      expect(safeUrl(bad, "http://h/")).toBeNull();
    }
  });
  it("resolves a /files/ URL path against the server's base URL", () => {
    const page = "http://127.0.0.1:8888/user/someone/lab/tree/a.ipynb";
    expect(safeUrl("/files/clip.mp4", page, "/")).toBe("http://127.0.0.1:8888/files/clip.mp4");
    expect(safeUrl("/files/clip.mp4", page, "/user/someone/")).toBe("http://127.0.0.1:8888/user/someone/files/clip.mp4");
    expect(safeUrl("/files/clip.mp4", page, "/user/someone")).toBe("http://127.0.0.1:8888/user/someone/files/clip.mp4");
    expect(safeUrl("/files/sub/my%20clip%231.mp4", page, "/user/someone/")).toBe(
      "http://127.0.0.1:8888/user/someone/files/sub/my%20clip%231.mp4",
    );
    expect(safeUrl("/files/sub/my%20clip%231.mp4", page, "/")).toBe("http://127.0.0.1:8888/files/sub/my%20clip%231.mp4");
    expect(safeUrl("/files/caf%C3%A9.webm", page, "/user/someone/")).toBe("http://127.0.0.1:8888/user/someone/files/caf%C3%A9.webm");
  });
  it("leaves http(s), blob: and already-prefixed URLs alone", () => {
    const page = "http://127.0.0.1:8888/user/someone/lab";
    expect(safeUrl("https://x.org/files/v.webm", page, "/user/someone/")).toBe("https://x.org/files/v.webm");
    expect(safeUrl("http://h:1/files/v.mp4", page, "/user/someone/")).toBe("http://h:1/files/v.mp4");
    expect(safeUrl("blob:http://h/123", page, "/user/someone/")).toBe("blob:http://h/123");
    const local = filesUrl("/srv/a b.mp4", "/srv", "/root", "/user/someone/");
    expect(local).toBe("/user/someone/files/a%20b.mp4");
    expect(safeUrl(local ?? "", page, "/user/someone/")).toBe("http://127.0.0.1:8888/user/someone/files/a%20b.mp4");
    expect(serverPathUrl("/files/x/files/a.mp4", "/files/x/")).toBe("/files/x/files/a.mp4");
    expect(serverPathUrl("/other/a.mp4", "/user/someone/")).toBe("/other/a.mp4");
    expect(serverPathUrl("/filesx/a.mp4", "/user/someone/")).toBe("/filesx/a.mp4");
    expect(safeUrl("javascript:alert(1)", page, "/user/someone/")).toBeNull();
  });
  it("uses base URL / when there is no page config", () => {
    expect(pageBaseUrl()).toBe("/");
    expect(safeUrl("/files/a.mp4", "http://h/user/x/lab")).toBe("http://h/files/a.mp4");
  });
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
  it("names the file and says how to fix an unplayable one", () => {
    const msg = describeMediaError({ kind: "video", source: "file", mime: "video/x-msvideo", name: "<b>x</b>.avi", size: 1 }, 4);
    expect(msg).toContain("<b>x</b>.avi");
    expect(msg).toMatch(/cannot play this format.*ffmpeg/);
  });
});
