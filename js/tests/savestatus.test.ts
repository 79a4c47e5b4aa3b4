import { describe, expect, it } from "vitest";
import { statusText } from "../savestatus";

const S = { pending: 0, recovered: 0, notAnswering: false, memoryOnly: false, saved: false };

describe("the save-status line", () => {
  it("says nothing before any edit, and 'saved' once all are acknowledged", () => {
    expect(statusText(S)).toBe("");
    expect(statusText({ ...S, saved: true })).toBe("saved");
  });
  it("counts pending edits, recovered ones apart, and says when the kernel is silent", () => {
    expect(statusText({ ...S, pending: 1 })).toBe("1 edit not yet saved");
    expect(statusText({ ...S, pending: 3, notAnswering: true, saved: true })).toBe("3 edits not yet saved (kernel not answering)");
    expect(statusText({ ...S, pending: 2, recovered: 2 })).toBe("2 unsaved edits recovered, saving…");
    expect(statusText({ ...S, pending: 3, recovered: 2 })).toBe("2 unsaved edits recovered, saving… · 1 edit not yet saved");
  });
  it("says when edits live in this tab only", () => {
    expect(statusText({ ...S, pending: 1, memoryOnly: true })).toBe("1 edit not yet saved · edits kept in this tab only");
    expect(statusText({ ...S, memoryOnly: true })).toBe("edits kept in this tab only");
  });
});
