import { useEffect, useRef, useState } from "react";
import { api } from "../api";
import type { SearchHit } from "../bindings/SearchHit";
import { describe, move } from "../lib/search";
import { ErrorBox } from "./common";

const KIND_LABEL = { user: "Person", app: "App", grant: "Grant" } as const;

/** One search over people, apps, grants and pasted tokens (Ctrl+K from anywhere): type, move
 *  with the arrow keys, open with Enter or a click, close with Escape. */
export function Search({ onOpen, onClose }: { onOpen: (hit: SearchHit) => void; onClose: () => void }) {
  const [term, setTerm] = useState("");
  const [hits, setHits] = useState<SearchHit[]>([]);
  const [at, setAt] = useState(0);
  const [searched, setSearched] = useState("");
  const [error, setError] = useState<unknown>(null);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  useEffect(() => {
    let stale = false;
    const t = setTimeout(() => {
      api.search(term).then(
        (h) => !stale && (setHits(h), setAt(0), setSearched(term), setError(null)),
        (e) => !stale && setError(e),
      );
    }, 120);
    return () => {
      stale = true;
      clearTimeout(t);
    };
  }, [term]);
  const onKey = (e: React.KeyboardEvent) => {
    if (e.key === "Escape") return onClose();
    if (e.key === "Enter" && hits[at]) return onOpen(hits[at]);
    const next = move(e.key, at, hits.length);
    if (next !== null) {
      e.preventDefault();
      setAt(next);
    }
  };
  return (
    <div className="overlay" onClick={onClose}>
      <div className="search" id="search" onClick={(e) => e.stopPropagation()}>
        <input
          ref={input}
          id="search-input"
          placeholder="A user name, e-mail or name; an app; a grant id; or paste a token"
          value={term}
          onChange={(e) => setTerm(e.target.value)}
          onKeyDown={onKey}
        />
        <ErrorBox error={error} />
        <ul className="hits" id="search-hits">
          {hits.map((h, i) => {
            const d = describe(h);
            return (
              <li key={d.key} className={i === at ? "at" : ""} onMouseEnter={() => setAt(i)} onClick={() => onOpen(h)} data-kind={h.kind}>
                <span className="kind">{KIND_LABEL[h.kind]}</span>
                <span className="title">{d.title}</span>
                <span className="dim">{d.detail}</span>
              </li>
            );
          })}
        </ul>
        {searched.trim() !== "" && hits.length === 0 && (
          <p className="empty" id="search-none">
            Nothing matches “{searched.trim()}”.
          </p>
        )}
        <p className="dim small-text keys">↑ ↓ to move · Enter to open · Esc to close</p>
      </div>
    </div>
  );
}
