//! The sandbox clock: what every token rule sees as now, moved by the sandbox's console and CLI
//! (a production data directory refuses). The offset is stored, so every process on the data
//! directory sees the same time (re-read by `Authdesk::sync`).

use super::audit::AuditAction;
use super::{Actor, ApiError, Authdesk, Mode, Result, audit};
use authdesk_core::clock::Clock;
use authdesk_core::roles::Power;
use authdesk_store::facts::{Facts, Key, Writes};
use authdesk_store::settings;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ClockView {
    pub now: DateTime<Utc>,
    #[ts(type = "number")]
    pub offset_seconds: i64,
    pub mode: Mode,
}

impl Authdesk {
    /// The sandbox clock, as every token rule sees it.
    pub fn clock_show(&self) -> ClockView {
        ClockView {
            now: self.now(),
            offset_seconds: self.clock.offset().num_seconds(),
            mode: self.mode,
        }
    }

    /// Moves the sandbox clock forward (or back, with a negative duration) by `by`.
    pub async fn clock_advance(&self, by: Duration, actor: &Actor) -> Result<ClockView> {
        actor.may(Power::SandboxTools)?;
        self.require_sandbox("moving the clock")?;
        let by_seconds = by.num_seconds();
        let real_now = (self.clock.now() - self.clock.offset()).timestamp();
        let actor = actor.clone();
        let next = self
            .decide(clock_keys(), move |facts| {
                let current = number(facts, settings::CLOCK_OFFSET);
                let next = current
                    .checked_add(by_seconds)
                    .filter(|n| n.abs() < 100 * 365 * 86_400)
                    .ok_or_else(|| {
                        ApiError::invalid("duration", "the clock can move at most 100 years")
                    })?;
                let (mut writes, version) = set_offset(facts, next);
                audit::record_into(
                    &mut writes,
                    real_now + next,
                    &actor,
                    AuditAction::ClockAdvance,
                    "clock",
                    serde_json::json!({"by_seconds": by_seconds, "offset_seconds": next}),
                );
                Ok((writes, (next, version)))
            })
            .await?;
        let (next, version) = next;
        self.clock
            .set_offset_as_of(version, Duration::seconds(next));
        Ok(self.clock_show())
    }

    pub async fn clock_reset(&self, actor: &Actor) -> Result<ClockView> {
        actor.may(Power::SandboxTools)?;
        self.require_sandbox("moving the clock")?;
        let now = (self.clock.now() - self.clock.offset()).timestamp();
        let actor = actor.clone();
        let version = self
            .decide(clock_keys(), move |facts| {
                let (mut writes, version) = set_offset(facts, 0);
                audit::record_into(
                    &mut writes,
                    now,
                    &actor,
                    AuditAction::ClockReset,
                    "clock",
                    serde_json::json!({}),
                );
                Ok((writes, version))
            })
            .await?;
        self.clock.set_offset_as_of(version, Duration::zero());
        Ok(self.clock_show())
    }
}

/// What moving the clock decides on: its offset and the version that orders its moves.
fn clock_keys() -> Vec<Key> {
    [settings::CLOCK_OFFSET, settings::CLOCK_VERSION]
        .map(|name| Key::Setting(name.to_string()))
        .to_vec()
}

/// A setting that holds a number (0 when unset or unreadable).
fn number(facts: &Facts, name: &str) -> i64 {
    facts
        .setting(name)
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or(0)
}

/// The writes that set the clock's offset to `seconds`, and the clock's next version.
fn set_offset(facts: &Facts, seconds: i64) -> (Writes, i64) {
    let version = number(facts, settings::CLOCK_VERSION) + 1;
    let mut writes = Writes::none();
    settings::set_into(&mut writes, settings::CLOCK_OFFSET, &seconds.to_string());
    settings::set_into(&mut writes, settings::CLOCK_VERSION, &version.to_string());
    (writes, version)
}
