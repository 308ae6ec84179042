// Unlocking the app with a fingerprint or face on phones (the biometric plugin, registered only
// on Android and iOS). The PIN always works too; this is a shortcut to it, never a replacement.
import { isMobile } from "./platform";

/** The part of `@tauri-apps/plugin-biometric` we use (a seam for the unit tests). */
export type Biometric = Pick<typeof import("@tauri-apps/plugin-biometric"), "checkStatus" | "authenticate">;

const loadBiometric = (): Promise<Biometric> => import("@tauri-apps/plugin-biometric");

/** Whether this device can unlock with a fingerprint or face (false off phones, or on error). */
export async function biometricAvailable(
  load: () => Promise<Biometric> = loadBiometric,
  mobile: boolean = isMobile(),
): Promise<boolean> {
  if (!mobile) return false;
  try {
    return (await (await load()).checkStatus()).isAvailable;
  } catch {
    return false;
  }
}

/** Asks the system to confirm the owner; true only when it did. Cancelling is not an error. */
export async function unlockWithBiometric(reason: string, load: () => Promise<Biometric> = loadBiometric): Promise<boolean> {
  try {
    await (await load()).authenticate(reason, { allowDeviceCredential: false });
    return true;
  } catch {
    return false;
  }
}
