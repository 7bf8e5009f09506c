// The time zone the console shows times in (Settings chooses): this computer's, or UTC. Times
// show UTC on hover either way.
export type Zone = "local" | "UTC";
const KEY = "authdesk.zone";

export function loadZone(storage: Pick<Storage, "getItem"> = localStorage): Zone {
  return storage.getItem(KEY) === "UTC" ? "UTC" : "local";
}

export function saveZone(zone: Zone, storage: Pick<Storage, "setItem"> = localStorage) {
  storage.setItem(KEY, zone);
}

/** `2026-12-02 09:00:00` in `zone` (Unix seconds), with the zone's short name after it. */
export function inZone(unix: number, zone: Zone): string {
  const d = new Date(unix * 1000);
  if (zone === "UTC") return `${d.toISOString().replace("T", " ").slice(0, 19)} UTC`;
  const pad = (n: number) => String(n).padStart(2, "0");
  const name = new Intl.DateTimeFormat("en-GB", { timeZoneName: "short" }).formatToParts(d).find((p) => p.type === "timeZoneName")?.value ?? "";
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${name}`.trim();
}
