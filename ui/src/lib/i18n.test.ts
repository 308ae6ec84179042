import { describe, expect, it } from "vitest";
import { catalogs, initialLocale, translate, type MessageKey } from "./i18n";
import { en } from "./i18n/en";

describe("catalogs", () => {
  it("Spanish has exactly the English keys, each translated", () => {
    const enKeys = Object.keys(en).sort();
    expect(Object.keys(catalogs.es).sort()).toEqual(enKeys);
    for (const key of enKeys as MessageKey[]) {
      const a = en[key];
      const b = catalogs.es[key];
      expect(typeof b, key).toBe(typeof a);
    }
  });

  it("placeholders match between languages", () => {
    const names = (m: unknown) => JSON.stringify(m).match(/\{\w+\}/g)?.sort() ?? [];
    for (const key of Object.keys(en) as MessageKey[]) {
      expect(names(catalogs.es[key]), key).toEqual(names(en[key]));
    }
  });
});

describe("translate", () => {
  it("fills placeholders and picks plural forms", () => {
    expect(translate("en", "status.pending", { count: 1 })).toBe("1 change waiting to sync");
    expect(translate("en", "status.pending", { count: 3 })).toBe("3 changes waiting to sync");
    expect(translate("es", "status.pending", { count: 0 })).toBe("0 cambios pendientes de sincronizar");
    expect(translate("es", "onboarding.hello", { name: "Rosa" })).toBe("Hola, Rosa.");
  });

  it("leaves an unknown placeholder visible rather than blank", () => {
    expect(translate("en", "onboarding.hello")).toBe("Hello, {name}.");
  });

  it("chooses the saved language, then the system's, then English", () => {
    expect(initialLocale("es", ["en-US"])).toBe("es");
    expect(initialLocale(null, ["es-MX", "en"])).toBe("es");
    expect(initialLocale("xx", ["de-DE"])).toBe("en");
  });
});
