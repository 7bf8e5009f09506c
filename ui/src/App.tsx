import { useCallback, useEffect, useRef, useState } from "react";
import { api, SIGN_IN_REQUIRED } from "./api";
import type { DeskView } from "./bindings/DeskView";
import { can, DeskContext, whoIsHere } from "./lib/desk";
import { LeaveGuardContext } from "./lib/leave";
import { Operators } from "./screens/desk/Operators";
import { SignIn } from "./screens/desk/SignIn";
import type { ConsoleStatus } from "./bindings/ConsoleStatus";
import { Applications } from "./screens/Applications";
import { Overview, type OverviewLink } from "./screens/Overview";
import { Audit } from "./screens/Audit";
import { Chains, type ChainQuery } from "./screens/chains/Chains";
import { Keys } from "./screens/Keys";
import { Sandbox } from "./screens/Sandbox";
import { Explain } from "./screens/Explain";
import { Search } from "./screens/Search";
import { Settings } from "./screens/Settings";
import { NotifyContext, Toasts } from "./screens/common";
import { oneOf } from "./lib/theme";
import type { SearchHit } from "./bindings/SearchHit";
import { type AuditForm, type AuditTarget, utcDay } from "./lib/audit";
import { Timeline } from "./screens/timeline/Timeline";

const SCREENS = ["Overview", "Explain", "Applications", "Chains", "Timeline", "Sandbox", "Keys", "Audit", "Operators", "Settings"] as const;
export type Screen = (typeof SCREENS)[number];
const SCREEN_KEY = "authdesk.screen";

/** The screen open when the console last closed; the Overview the first time. */
function rememberedScreen(): Screen {
  return oneOf(localStorage.getItem(SCREEN_KEY), SCREENS, "Overview");
}

export function App() {
  const [screen, setScreen] = useState<Screen>(rememberedScreen);
  // The last screen opens again next time.
  useEffect(() => localStorage.setItem(SCREEN_KEY, screen), [screen]);
  // A new, empty registry opens on the Overview's start page, whatever was open last time.
  useEffect(() => {
    api.overview().then(
      (o) => {
        if (o.apps === 0 && o.users === 0 && !o.tokens_issued) setScreen("Overview");
      },
      () => {},
    );
  }, []);
  const [toasts, setToasts] = useState<{ id: number; text: string }[]>([]);
  const notify = useCallback((text: string) => {
    const id = Date.now() + Math.random();
    setToasts((t) => [...t, { id, text }]);
    setTimeout(() => setToasts((t) => t.filter((m) => m.id !== id)), 4000);
  }, []);
  const [auditInitial, setAuditInitial] = useState<Partial<AuditForm> | null>(null);
  const [status, setStatus] = useState<ConsoleStatus | null>(null);
  const [focusGrant, setFocusGrant] = useState<string | null>(null);
  const [chainQuery, setChainQuery] = useState<ChainQuery | null>(null);
  const [focusApp, setFocusApp] = useState<string | null>(null);
  const [searching, setSearching] = useState(false);
  // Ctrl+K (or ⌘K) opens the search from anywhere.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "k") {
        e.preventDefault();
        setSearching(true);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  const [desk, setDesk] = useState<DeskView | null>(null);
  const refreshStatus = useCallback(() => {
    api
      .status()
      .then(setStatus)
      .catch(() => setStatus(null));
    // Looking who is at the desk also locks one idle too long.
    api.desk
      .view()
      .then(setDesk)
      .catch(() => setDesk(null));
  }, []);
  useEffect(() => {
    refreshStatus();
    const t = setInterval(refreshStatus, 2000);
    window.addEventListener(SIGN_IN_REQUIRED, refreshStatus);
    return () => {
      clearInterval(t);
      window.removeEventListener(SIGN_IN_REQUIRED, refreshStatus);
    };
  }, [refreshStatus]);
  const signOut = () => api.desk.signOut().then(setDesk, () => refreshStatus());
  const openChain = (grantId: string, target: Screen = "Chains") => {
    setFocusGrant(grantId);
    setScreen(target);
  };
  const showGrantsOf = (q: ChainQuery) => {
    setChainQuery(q);
    setScreen("Chains");
  };
  const openApp = (clientId: string) => {
    setFocusApp(clientId);
    setScreen("Applications");
  };
  const openUser = (sub: string) => showGrantsOf({ by: "user", term: sub });
  const openTarget = (t: AuditTarget) => {
    if (t.kind === "app") openApp(t.id);
    else if (t.kind === "user") openUser(t.id);
    else {
      setChainQuery(null);
      openChain(t.id);
    }
  };
  // A screen holding something lost when it is left (a secret shown once) asks first.
  const [guard, setGuard] = useState<string | null>(null);
  const [leaving, setLeaving] = useState<(() => void) | null>(null);
  const guarded = (go: () => void) => (guard ? setLeaving(() => go) : go());
  // The sidebar opens a screen fresh: nothing focused or filtered by an earlier link.
  const openScreen = (s: Screen) =>
    guarded(() => {
      setFocusApp(null);
      setFocusGrant(null);
      setChainQuery(null);
      setAuditInitial(null);
      setScreen(s);
    });
  const openFromOverview = (link: OverviewLink) => {
    if (link.to === "Audit") setAuditInitial({ action: link.action, fromDay: utcDay(link.since) });
    if (link.to === "Chains") setChainQuery("ending" in link ? { by: "ending", ending: link.ending } : null);
    setScreen(link.to);
  };
  const openHit = (hit: SearchHit) =>
    guarded(() => {
      setSearching(false);
      if (hit.kind === "user") openUser(hit.sub);
      else if (hit.kind === "grant") openTarget({ kind: "grant", id: hit.grant.grant_id });
      else openApp(hit.client_id);
    });
  const moved = status && status.clock.offset_seconds !== 0;
  const production = status?.mode === "production";
  const visible = SCREENS.filter((s) => s !== "Operators" || can(desk, "manage_operators"));
  const productionBar = production && (
    <div className="production-bar" id="production-bar" role="note">
      Production registry{desk?.operator ? ` · every action is recorded as ${whoIsHere(desk)}` : ""}
    </div>
  );
  if (desk?.sign_in_required) {
    return (
      <div className="signed-out">
        {productionBar}
        <SignIn
          desk={desk}
          onSignedIn={(d) => {
            setDesk(d);
            refreshStatus();
          }}
        />
      </div>
    );
  }
  return (
    <DeskContext.Provider value={desk}>
      <NotifyContext.Provider value={notify}>
        <LeaveGuardContext.Provider value={setGuard}>
          {productionBar}
          {leaving && guard && (
            <LeaveDialog
              message={guard}
              onStay={() => setLeaving(null)}
              onLeave={() => {
                const go = leaving;
                setLeaving(null);
                setGuard(null);
                go();
              }}
            />
          )}
          <div className={`shell ${production ? "in-production" : ""}`}>
            <nav className="sidebar">
              <div className="brand">Authdesk</div>
              <button className="search-button" id="nav-search" onClick={() => setSearching(true)} title="Search people, apps, grants and tokens (Ctrl+K)">
                Search… <span className="dim">Ctrl K</span>
              </button>
              {visible.map((s) => (
                <button key={s} id={`nav-${s.toLowerCase()}`} className={s === screen ? "active" : ""} onClick={() => openScreen(s)}>
                  {s}
                </button>
              ))}
            </nav>
            <main className="content">
              {moved && (
                <div className="clock-banner" id="clock-banner">
                  Sandbox clock moved {status!.clock_offset_text}: every token rule sees{" "}
                  {new Date(status!.clock.now).toISOString().slice(0, 16).replace("T", " ")} UTC
                </div>
              )}
              {screen === "Overview" && <Overview status={status} onOpen={openFromOverview} />}
              {screen === "Applications" && (
                <Applications key={focusApp ?? "apps"} focus={focusApp} status={status} onGrants={(clientId) => showGrantsOf({ by: "app", term: clientId })} />
              )}
              {screen === "Chains" && (
                <Chains
                  key={chainQuery ? JSON.stringify(chainQuery) : "chains"}
                  initial={chainQuery}
                  focus={focusGrant}
                  onTimeline={(id) => openChain(id, "Timeline")}
                  onApp={openApp}
                  onUser={openUser}
                />
              )}
              {screen === "Timeline" && <Timeline focus={focusGrant} onEnding={(ending) => showGrantsOf({ by: "ending", ending })} />}
              {screen === "Sandbox" && <Sandbox onClockChange={refreshStatus} onGrants={openUser} onChain={(id) => openTarget({ kind: "grant", id })} />}
              {screen === "Explain" && <Explain onGrant={(id) => openTarget({ kind: "grant", id })} onApp={openApp} onUser={openUser} />}
              {screen === "Keys" && <Keys />}
              {screen === "Settings" && <Settings status={status} onRestarted={refreshStatus} />}
              {screen === "Operators" && can(desk, "manage_operators") && <Operators />}
              {screen === "Audit" && <Audit key={JSON.stringify(auditInitial)} initial={auditInitial} onTarget={openTarget} />}
            </main>
            {searching && <Search onOpen={openHit} onClose={() => setSearching(false)} />}
            <Toasts messages={toasts} />
            <footer className="statusbar" id="statusbar">
              {status ? (
                <>
                  <span className={status.server_running ? "ok" : "bad"}>● {status.server_running ? "serving" : "stopped"}</span>
                  <span id="status-profile" className={status.profile === "banno" ? "profile banno" : "profile"}>
                    {status.profile === "banno" ? "Banno profile" : "default profile"}
                    {status.tls ? " · https" : ""}
                    {status.sandbox_api ? " · sandbox API" : ""}
                  </span>
                  <span id="status-issuer">{status.issuer}</span>
                  <span>
                    {status.mode} data: {status.data_dir}
                  </span>
                  <span id="status-clock">clock offset {status.clock_offset_text}</span>
                  {desk && (
                    <span id="status-operator" className="operator">
                      {whoIsHere(desk)}
                      {desk.operator && (
                        <button className="small" id="sign-out" onClick={signOut}>
                          Sign out
                        </button>
                      )}
                    </span>
                  )}
                  {status.server_error && <span className="bad">{status.server_error}</span>}
                </>
              ) : (
                <span>connecting…</span>
              )}
            </footer>
          </div>
        </LeaveGuardContext.Provider>
      </NotifyContext.Provider>
    </DeskContext.Provider>
  );
}

/** Asks before leaving a screen that holds something shown only once. Stay has the focus;
 *  Esc stays. */
function LeaveDialog({ message, onStay, onLeave }: { message: string; onStay: () => void; onLeave: () => void }) {
  const stay = useRef<HTMLButtonElement>(null);
  useEffect(() => stay.current?.focus(), []);
  return (
    <div className="overlay" onKeyDown={(e) => e.key === "Escape" && onStay()}>
      <div className="confirm-panel leave-dialog" role="alertdialog" aria-modal="true" aria-labelledby="leave-title" id="leave-dialog">
        <strong id="leave-title">Leave this screen?</strong>
        <p>{message}</p>
        <div className="actions">
          <button ref={stay} className="primary" id="leave-stay" onClick={onStay}>
            Stay
          </button>
          <button className="danger" id="leave-go" onClick={onLeave}>
            Leave without it
          </button>
        </div>
      </div>
    </div>
  );
}
