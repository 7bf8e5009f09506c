// Reads a JWT's header and payload for display (no verification: the backend explains that).

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

function b64url(part: string): string {
  const b64 = part
    .replace(/-/g, "+")
    .replace(/_/g, "/")
    .padEnd(Math.ceil(part.length / 4) * 4, "=");
  const bin = atob(b64);
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

export function decodeJwt(token: string): DecodedJwt | null {
  const parts = token.trim().split(".");
  if (parts.length !== 3) return null;
  try {
    return { header: JSON.parse(b64url(parts[0])), payload: JSON.parse(b64url(parts[1])) };
  } catch {
    return null;
  }
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return d.toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

export function relative(iso: string, nowIso: string): string {
  const days = (Date.parse(iso) - Date.parse(nowIso)) / 86_400_000;
  const abs = Math.abs(days);
  if (abs * 1440 < 1) return "just now";
  const text = abs >= 1 ? `${Math.round(abs)} d` : abs * 24 >= 1 ? `${Math.round(abs * 24)} h` : `${Math.round(abs * 1440)} min`;
  return days >= 0 ? `in ${text}` : `${text} ago`;
}

/** The time claims of a JWT payload (Unix seconds) as readable UTC times, in claim order. */
export function timeClaims(payload: Record<string, unknown>): [string, string][] {
  return ["iat", "nbf", "auth_time", "exp"]
    .filter((k) => typeof payload[k] === "number")
    .map((k) => [k, formatTime(new Date((payload[k] as number) * 1000).toISOString())]);
}

/** A length of time in the largest whole unit: "10 min", "1 h", "90 d", "365 d"; seconds else. */
export function humanSeconds(s: number): string {
  if (s > 0 && s % 86_400 === 0) return `${s / 86_400} d`;
  if (s > 0 && s % 3_600 === 0) return `${s / 3_600} h`;
  if (s > 0 && s % 60 === 0) return `${s / 60} min`;
  return `${s} s`;
}
