import { describe, expect, it } from "vitest";
import { addHash, bytesToBase64, readAsDataUrl, toDataUrl } from "./photos";

describe("photos", () => {
  it("encodes bytes as base64, also past one chunk", () => {
    expect(bytesToBase64(new Uint8Array([0x89, 0x50, 0x4e, 0x47]))).toBe("iVBORw==");
    const big = new Uint8Array(100_000).map((_, i) => i % 251);
    expect(bytesToBase64(big)).toBe(Buffer.from(big).toString("base64"));
  });

  it("builds a data URL, octet-stream when the type is unknown", () => {
    expect(toDataUrl("image/png", new Uint8Array([1, 2, 3]))).toBe("data:image/png;base64,AQID");
    expect(toDataUrl("", new Uint8Array([1]))).toBe("data:application/octet-stream;base64,AQ==");
  });

  it("reads a file as a data URL", async () => {
    const file = new Blob([new Uint8Array([0xff, 0xd8, 0xff])], { type: "image/jpeg" });
    expect(await readAsDataUrl(file)).toBe("data:image/jpeg;base64,/9j/");
  });

  it("keeps each photo once", () => {
    expect(addHash([], "a")).toEqual(["a"]);
    expect(addHash(["a"], "b")).toEqual(["a", "b"]);
    expect(addHash(["a", "b"], "a")).toEqual(["a", "b"]);
  });
});
