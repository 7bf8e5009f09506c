import { useEffect, useRef, useState } from "react";
import { api } from "../api";
import type { SearchHit } from "../bindings/SearchHit";
import { describe, move } from "../lib/search";

const KIND = { user: "Person", app: "App", grant: "Grant" } as const;

/** The Ctrl+K search inside a screen: a person's name, an app's name, or a pasted token;
 *  arrow keys and Enter pick, Esc closes the list. `kinds` limits what may be picked. */
export function Picker({
  id,
  placeholder,
  kinds = ["user", "app", "grant"],
  onPick,
}: {
  id: string;
  placeholder: string;
  kinds?: SearchHit["kind"][];
  onPick: (hit: SearchHit) => void;
}) {
  const [term, setTerm] = useState("");
  const [hits, setHits] = useState<SearchHit[]>([]);
  const [at, setAt] = useState(0);
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!term.trim()) {
      setHits([]);
      return;
    }
    let stale = false;
    const t = setTimeout(() => {
      api.search(term).then(
        (h) => {
          if (stale) return;
          setHits(h.filter((x) => kinds.includes(x.kind)));
          setAt(0);
          setOpen(true);
        },
        () => {},
      );
    }, 120);
    return () => {
      stale = true;
      clearTimeout(t);
    };
    // `kinds` is a constant per use.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [term]);
  const pick = (h: SearchHit) => {
    setOpen(false);
    setTerm("");
    onPick(h);
  };
  const onKey = (e: React.KeyboardEvent) => {
    if (e.key === "Escape") return setOpen(false);
    if (e.key === "Enter" && open && hits[at]) {
      e.preventDefault();
      return pick(hits[at]);
    }
    const next = move(e.key, at, hits.length);
    if (next !== null) {
      e.preventDefault();
      setOpen(true);
      setAt(next);
    }
  };
  return (
    <div
      className="picker"
      ref={box}
      onBlur={(e) => {
        if (!box.current?.contains(e.relatedTarget as Node)) setOpen(false);
      }}
    >
      <input
        id={id}
        placeholder={placeholder}
        value={term}
        autoComplete="off"
        role="combobox"
        aria-expanded={open}
        aria-controls={`${id}-hits`}
        onChange={(e) => setTerm(e.target.value)}
        onKeyDown={onKey}
        onFocus={() => hits.length && setOpen(true)}
      />
      {open && term.trim() && (
        <ul className="hits picker-hits" id={`${id}-hits`} role="listbox">
          {hits.map((h, i) => {
            const d = describe(h);
            return (
              <li
                key={d.key}
                role="option"
                aria-selected={i === at}
                tabIndex={-1}
                className={i === at ? "at" : ""}
                onMouseEnter={() => setAt(i)}
                onMouseDown={(e) => {
                  e.preventDefault();
                  pick(h);
                }}
                data-kind={h.kind}
              >
                <span className="kind">{KIND[h.kind]}</span>
                <span className="title">{d.title}</span>
                <span className="dim">{d.detail}</span>
              </li>
            );
          })}
          {hits.length === 0 && <li className="dim">Nothing matches “{term.trim()}”.</li>}
        </ul>
      )}
    </div>
  );
}
