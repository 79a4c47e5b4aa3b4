import { describe, expect, it } from "vitest";
import { filesUrl } from "../hosts/jupyter";
import { audioWarning, describeMediaError, safeUrl, serverPathUrl, type MediaInfo } from "../media";

describe("media URLs", () => {
  it("allows only http(s) and blob: URLs", () => {
    expect(safeUrl("/files/a.mp4", "http://127.0.0.1:8888/lab", "/")).toBe("http://127.0.0.1:8888/files/a.mp4");
    expect(safeUrl("https://x.org/v.webm", "http://h/", "/")).toBe("https://x.org/v.webm");
    expect(safeUrl("blob:http://h/123", "http://h/", "/")).toBe("blob:http://h/123");
    for (const bad of ["javascript:alert(1)", "data:video/mp4;base64,AA", "file:///etc/passwd", "vbscript:x"]) {
      expect(safeUrl(bad, "http://h/", "/")).toBeNull();
    }
  });
  it("admits file: URLs only when asked (a static page opened from disk)", () => {
    expect(safeUrl("clip.mp4", "file:///home/a/page.html", "/", true)).toBe("file:///home/a/clip.mp4");
    expect(safeUrl("clip.mp4", "file:///home/a/page.html", "/")).toBeNull();
    expect(safeUrl("javascript:alert(1)", "file:///home/a/page.html", "/", true)).toBeNull();
    expect(safeUrl("sub/c%20d.webm", "http://h/x/page.html", "/", true)).toBe("http://h/x/sub/c%20d.webm");
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
  it("names the file and says how to fix an unplayable one", () => {
    const msg = describeMediaError({ track: "media", kind: "video", source: "file", mime: "video/x-msvideo", name: "<b>x</b>.avi", size: 1 }, 4);
    expect(msg).toContain("<b>x</b>.avi");
    expect(msg).toMatch(/cannot play this format.*ffmpeg/);
  });
  it("warns when the browser shows the video but cannot play its sound (VS Code and AAC)", () => {
    const info: MediaInfo = { track: "media", kind: "video", source: "file", mime: "video/mp4", name: "<i>s</i>.mp4", size: 1, audioCodec: "mp4a.40.2" };
    const asked: string[] = [];
    const noAac = (type: string) => (asked.push(type), type.includes("mp4a") ? "" : "probably");
    const msg = audioWarning(info, noAac);
    expect(asked).toEqual(['video/mp4; codecs="mp4a.40.2"']);
    expect(msg).toContain("cannot play the AAC sound of <i>s</i>.mp4");
    expect(msg).toContain("the video plays without sound");
    expect(audioWarning({ ...info, audioCodec: "opus" }, noAac)).toBeNull();
    expect(audioWarning(info, () => "maybe")).toBeNull();
    expect(audioWarning({ ...info, audioCodec: undefined }, noAac)).toBeNull();
    expect(audioWarning({ ...info, kind: "audio" }, noAac)).toBeNull();
    expect(audioWarning({ ...info, mime: "video/quicktime", audioCodec: "mp4a.6b" }, () => "")).toContain("MP3 sound");
  });
});
