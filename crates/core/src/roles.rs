//! Who may do what in the console and the CLI: an operator's role and the powers it gives.
//!
//! A bank's back office separates administrators (apps, keys, settings, operators) from support
//! staff (find, explain, revoke) from auditors (read and export). The use-case layer asks
//! [`Role::may`] before it acts, so hiding a button is never the only thing in the way; the
//! console shows what [`Role::powers`] lists.

use serde::{Deserialize, Serialize};

/// An operator's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Role {
    /// Everything: apps, keys, settings, people, operators, and what the others do.
    Admin,
    /// Finds people and grants, explains, revokes grants and signs people out.
    Support,
    /// Reads everything and exports the audit; changes nothing.
    Auditor,
}

/// What an action needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Power {
    /// Read the registry: apps, people, grants, keys, the audit and its chain.
    Read,
    /// Write the audit to a file.
    ExportAudit,
    /// Revoke grants, and sign people out everywhere.
    Revoke,
    /// Register, change, enable, disable and delete apps; rotate their secrets.
    ManageApps,
    /// Add people, change their claims, delete them.
    ManagePeople,
    /// Rotate signing keys.
    ManageKeys,
    /// The registry's settings (profile, https, retention, the console's lock) and serving.
    ManageSettings,
    /// Add operators, change their roles and passwords, disable them.
    ManageOperators,
    /// Export and import the registry.
    Transfer,
    /// The sandbox's tools: mint tokens, move the clock, seed demo data.
    SandboxTools,
}

impl Power {
    pub const ALL: [Power; 10] = [
        Power::Read,
        Power::ExportAudit,
        Power::Revoke,
        Power::ManageApps,
        Power::ManagePeople,
        Power::ManageKeys,
        Power::ManageSettings,
        Power::ManageOperators,
        Power::Transfer,
        Power::SandboxTools,
    ];

    /// What the power lets one do, as a refusal names it ("… may not {what}").
    pub fn what(self) -> &'static str {
        match self {
            Power::Read => "read the registry",
            Power::ExportAudit => "export the audit",
            Power::Revoke => "revoke grants or sign people out",
            Power::ManageApps => "change applications",
            Power::ManagePeople => "change people",
            Power::ManageKeys => "rotate signing keys",
            Power::ManageSettings => "change settings",
            Power::ManageOperators => "manage operators",
            Power::Transfer => "export or import the registry",
            Power::SandboxTools => "use the sandbox's tools",
        }
    }
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Support, Role::Auditor];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Support => "support",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(s: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("no role {s:?}: admin, support or auditor"))
    }

    /// The one rule: may an operator with this role use `power`?
    pub fn may(self, power: Power) -> bool {
        match self {
            Role::Admin => true,
            Role::Support => matches!(power, Power::Read | Power::Revoke),
            Role::Auditor => matches!(power, Power::Read | Power::ExportAudit),
        }
    }

    /// Every power the role has, for the console to show what it offers.
    pub fn powers(self) -> Vec<Power> {
        Power::ALL.into_iter().filter(|p| self.may(*p)).collect()
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admins_may_do_everything() {
        assert_eq!(Role::Admin.powers(), Power::ALL.to_vec());
    }

    #[test]
    fn support_finds_explains_and_revokes_and_changes_nothing_else() {
        assert_eq!(Role::Support.powers(), [Power::Read, Power::Revoke]);
        for p in [
            Power::ExportAudit,
            Power::ManageApps,
            Power::ManagePeople,
            Power::ManageKeys,
            Power::ManageSettings,
            Power::ManageOperators,
            Power::Transfer,
            Power::SandboxTools,
        ] {
            assert!(!Role::Support.may(p), "{p:?}");
        }
    }

    #[test]
    fn auditors_read_and_export_and_change_nothing() {
        assert_eq!(Role::Auditor.powers(), [Power::Read, Power::ExportAudit]);
        assert!(!Role::Auditor.may(Power::Revoke));
    }

    #[test]
    fn roles_parse_by_name_only() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
        }
        assert!(Role::parse("Admin").is_err());
        assert!(
            Role::parse("root")
                .unwrap_err()
                .contains("admin, support or auditor")
        );
    }
}
