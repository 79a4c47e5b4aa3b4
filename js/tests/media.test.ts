import { describe, expect, it } from "vitest";
import { describeMediaError, filesUrl, safeUrl, serverRootFrom } from "../media";

describe("media URLs", () => {
  it("allows only http(s) and blob: URLs", () => {
    expect(safeUrl("/files/a.mp4", "http://127.0.0.1:8888/lab")).toBe("http://127.0.0.1:8888/files/a.mp4");
    expect(safeUrl("https://x.org/v.webm", "http://h/")).toBe("https://x.org/v.webm");
    expect(safeUrl("blob:http://h/123", "http://h/")).toBe("blob:http://h/123");
    for (const bad of ["javascript:alert(1)", "data:video/mp4;base64,AA", "file:///etc/passwd", "vbscript:x"]) {
      expect(safeUrl(bad, "http://h/")).toBeNull();
    }
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
