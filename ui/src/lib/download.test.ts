import { afterEach, describe, expect, it, vi } from "vitest";
import { MEETINGS_FILE, saveText } from "./download";

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe("downloads", () => {
  it("saves text through a temporary link to a Blob, then lets the Blob go", async () => {
    vi.useFakeTimers();
    const link = { href: "", download: "", hidden: false, click: vi.fn(), remove: vi.fn() };
    const append = vi.fn();
    vi.stubGlobal("document", { createElement: vi.fn(() => link), body: { append } });
    let blob: Blob | null = null;
    const revoke = vi.fn();
    vi.stubGlobal("URL", {
      createObjectURL: (b: Blob) => ((blob = b), "blob:porchlight/1"),
      revokeObjectURL: revoke,
    });

    saveText(MEETINGS_FILE, "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n");

    expect(link.download).toBe("porchlight-meetings.ics");
    expect(link.href).toBe("blob:porchlight/1");
    expect(append).toHaveBeenCalledWith(link);
    expect(link.click).toHaveBeenCalledOnce();
    expect(link.remove).toHaveBeenCalledOnce();
    expect(blob!.type).toBe("text/calendar;charset=utf-8");
    expect(await blob!.text()).toBe("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n");
    expect(revoke).not.toHaveBeenCalled();
    vi.runAllTimers();
    expect(revoke).toHaveBeenCalledWith("blob:porchlight/1");
  });
});
