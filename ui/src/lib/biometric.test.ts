import { describe, expect, it } from "vitest";
import { type Biometric, biometricAvailable, unlockWithBiometric } from "./biometric";

const fake = (available: boolean, accept: boolean): (() => Promise<Biometric>) => () =>
  Promise.resolve({
    checkStatus: () => Promise.resolve({ isAvailable: available, biometryType: 1 }),
    authenticate: () => (accept ? Promise.resolve() : Promise.reject(new Error("userCancel"))),
  } as unknown as Biometric);

describe("biometric unlock", () => {
  it("is offered only on phones whose system has it", async () => {
    expect(await biometricAvailable(fake(true, true), false)).toBe(false);
    expect(await biometricAvailable(fake(false, true), true)).toBe(false);
    expect(await biometricAvailable(fake(true, true), true)).toBe(true);
    expect(await biometricAvailable(() => Promise.reject(new Error("no plugin")), true)).toBe(false);
  });

  it("unlocks only when the system confirms the owner", async () => {
    expect(await unlockWithBiometric("Unlock", fake(true, true))).toBe(true);
    expect(await unlockWithBiometric("Unlock", fake(true, false))).toBe(false);
  });
});
