//! The sandbox clock: what every token rule sees as now, moved by the sandbox's console and CLI
//! (a production data directory refuses). The offset is stored, so every process on the data
//! directory sees the same time (re-read by `Authdesk::sync`).

use super::audit::AuditAction;
use super::{Actor, ApiError, Authdesk, Mode, Result, audit};
use authdesk_core::clock::Clock;
use authdesk_core::roles::Power;
use authdesk_store::locks::{self, Fact};
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
            .write(move |tx| {
                Box::pin(async move {
                    locks::lock(tx, Fact::Setting(settings::CLOCK_OFFSET)).await?;
                    let current = settings::get(tx, settings::CLOCK_OFFSET)
                        .await?
                        .and_then(|s| s.parse::<i64>().ok())
                        .unwrap_or(0);
                    let next = current
                        .checked_add(by_seconds)
                        .filter(|n| n.abs() < 100 * 365 * 86_400)
                        .ok_or_else(|| {
                            ApiError::invalid("duration", "the clock can move at most 100 years")
                        })?;
                    settings::set(tx, settings::CLOCK_OFFSET, &next.to_string()).await?;
                    let version = settings::bump_and_get(tx, settings::CLOCK_VERSION).await?;
                    audit::record(
                        tx,
                        real_now + next,
                        &actor,
                        AuditAction::ClockAdvance,
                        "clock",
                        serde_json::json!({"by_seconds": by_seconds, "offset_seconds": next}),
                    )
                    .await?;
                    Ok((next, version))
                })
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
            .write(move |tx| {
                Box::pin(async move {
                    locks::lock(tx, Fact::Setting(settings::CLOCK_OFFSET)).await?;
                    settings::set(tx, settings::CLOCK_OFFSET, "0").await?;
                    let version = settings::bump_and_get(tx, settings::CLOCK_VERSION).await?;
                    audit::record(
                        tx,
                        now,
                        &actor,
                        AuditAction::ClockReset,
                        "clock",
                        serde_json::json!({}),
                    )
                    .await?;
                    Ok(version)
                })
            })
            .await?;
        self.clock.set_offset_as_of(version, Duration::zero());
        Ok(self.clock_show())
    }
}
