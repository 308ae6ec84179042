// Every visible string comes from a catalog. English is the reference: the Spanish catalog must
// have exactly its keys (the type checker and a unit test both hold it to that).
import { derived, writable } from "svelte/store";
import { en } from "./en";
import { es } from "./es";

export type Plural = { one: string; other: string };
export type Message = string | Plural;
export type MessageKey = keyof typeof en;
export type Catalog = Record<MessageKey, Message>;
export type Params = Record<string, string | number>;

export const catalogs = { en, es } satisfies Record<string, Catalog>;
export type Locale = keyof typeof catalogs;
export const LOCALES: { code: Locale; name: string }[] = [
  { code: "en", name: "English" },
  { code: "es", name: "Español" },
];

const STORAGE_KEY = "porchlight.locale";

export function isLocale(s: unknown): s is Locale {
  return typeof s === "string" && s in catalogs;
}

/** The saved choice, else the system language if we have it, else English. */
export function initialLocale(saved: string | null, languages: readonly string[]): Locale {
  if (isLocale(saved)) return saved;
  for (const lang of languages) {
    const base = lang.toLowerCase().split("-")[0];
    if (isLocale(base)) return base;
  }
  return "en";
}

/** One plural rule set per language: making one costs far more than asking it. */
const pluralRules = new Map<string, Intl.PluralRules>();
function plural(locale: Locale, n: number): Intl.LDMLPluralRule {
  let rules = pluralRules.get(locale);
  if (!rules) {
    rules = new Intl.PluralRules(locale);
    pluralRules.set(locale, rules);
  }
  return rules.select(n);
}

/** Looks up `key` in `locale`'s catalog and fills `{name}` placeholders. */
export function translate(locale: Locale, key: MessageKey, params: Params = {}): string {
  const msg: Message = catalogs[locale][key] ?? en[key];
  let text: string;
  if (typeof msg === "string") {
    text = msg;
  } else {
    const n = Number(params.count ?? 0);
    text = plural(locale, n) === "one" ? msg.one : msg.other;
  }
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

function browserLocale(): Locale {
  if (typeof localStorage === "undefined" || typeof navigator === "undefined") return "en";
  return initialLocale(localStorage.getItem(STORAGE_KEY), navigator.languages ?? []);
}

export const locale = writable<Locale>(browserLocale());

locale.subscribe((l) => {
  if (typeof document !== "undefined") document.documentElement.lang = l;
  if (typeof localStorage !== "undefined") localStorage.setItem(STORAGE_KEY, l);
});

export type Translate = (key: MessageKey, params?: Params) => string;
export const t = derived(locale, (l): Translate => (key, params) => translate(l, key, params));
