//! `facts`: the one write model. A unit of work that reads, decides and writes back
//! ([`crate::Store::decide`]) does it in three parts:
//!
//! 1. it names the facts it decides on by typed [`Key`]s — an app, a grant, a refresh token by
//!    hash, a person, the signing keys of one algorithm, a setting, the operators;
//! 2. the store reads them ([`read`]) into [`Facts`], inside the unit's transaction: in the
//!    writer's batch on SQLite (one writer: nothing else changes them until the commit), and
//!    locked until the commit on PostgreSQL — rows by `SELECT … FOR UPDATE`, sets of rows (the
//!    keys of an algorithm, a setting that may not exist yet, the operators) by a
//!    transaction-scoped advisory lock, since a row another unit inserts is no row to lock;
//! 3. a pure decision takes the facts and returns the answer and the [`Writes`] it implies:
//!    statements built by the table modules' `*_into` functions, each changing exactly one row,
//!    and the facts they change (declared by those functions, so they cannot be forgotten).
//!
//! A second unit naming a fact the first holds waits for the first's commit on PostgreSQL and
//! then reads what it wrote; on SQLite it runs after it. Either way no update is lost.
//! PostgreSQL takes a unit's facts in one order (the order of [`Key`]), so two units naming the
//! same facts cannot deadlock on them. Why locks rather than `SERIALIZABLE` with retries: a
//! refresh's retry would repeat its signing and hashing work, the hot path of the server, and
//! a unit locks only the few rows it names, so units on different rows never wait for each
//! other.
//!
//! The writer reads the facts of consecutive units that name only [`Key::batched`] facts in one
//! query, and lets them decide in order: a unit whose facts an earlier one of the group changed
//! starts the next group, read after the first group's writes.

use crate::clients::ClientRow;
use crate::grants::GrantRow;
use crate::keys::KeyRow;
use crate::operators::OperatorRow;
use crate::refresh_tokens::{self, ForRefresh};
use crate::users::UserRow;
use crate::{Conn, Result, Script};
use std::ops::{Deref, DerefMut};

/// A fact a unit decides on, by its typed key. The order of the variants is the order
/// PostgreSQL locks them in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    /// A registry's first-time setup (mode, hash key, first signing key): nodes starting
    /// together would otherwise each see an empty database and each make a signing key.
    Setup,
    /// The set of operators (who is an admin): a unit that checks an admin remains decides on
    /// all of them, not only the one it changes.
    Operators,
    /// An app's row (its settings, secrets, enabled flag), by client id.
    App(String),
    /// Which app, if any, has a name that reads as this one (`authdesk_core::names`): a unit
    /// that gives an app a name decides it is free.
    AppName(String),
    /// A person's row, by sub.
    User(String),
    /// Which person, if any, has a user name that reads as this one (`authdesk_core::names`):
    /// a unit that gives a person a name decides it is free.
    UserName(String),
    /// A grant's row, by id.
    Grant(String),
    /// A refresh token by the hash of its value, with its grant and the claims of the grant's
    /// person ([`ForRefresh`]): what a refresh decides on.
    RefreshToken(Vec<u8>),
    /// The signing keys of one algorithm (which one is active).
    SigningKeys(String),
    /// One setting, by name, present yet or not.
    Setting(String),
}

impl Key {
    /// Whether the writer reads this kind of fact for many units in one query.
    pub fn batched(&self) -> bool {
        matches!(self, Key::RefreshToken(_))
    }
}

/// What was read for one key.
#[derive(Debug, Clone)]
enum Fact {
    /// Whether the registry has any signing key yet.
    Setup {
        has_keys: bool,
    },
    Operators(Vec<OperatorRow>),
    App(Option<ClientRow>),
    AppName(Option<(String, String)>),
    User(Option<UserRow>),
    UserName(Option<UserRow>),
    Grant(Option<GrantRow>),
    RefreshToken(Option<ForRefresh>),
    SigningKeys(Vec<KeyRow>),
    Setting(Option<String>),
}

/// The facts read for a unit, by key. Asking for a fact the unit did not name is a bug in
/// the unit: it panics, and the writer answers with an internal error, having written nothing.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    read: Vec<(Key, Fact)>,
}

impl Facts {
    fn get(&self, key: &Key) -> &Fact {
        self.read
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, f)| f)
            .unwrap_or_else(|| panic!("a unit of work decided on {key:?} without naming it"))
    }

    /// Whether the registry has a signing key yet (its first-time setup makes one).
    pub fn has_signing_keys(&self) -> bool {
        match self.get(&Key::Setup) {
            Fact::Setup { has_keys } => *has_keys,
            _ => unreachable!("the setup's key holds the setup"),
        }
    }

    pub fn app(&self, id: &str) -> Option<&ClientRow> {
        match self.get(&Key::App(id.to_string())) {
            Fact::App(row) => row.as_ref(),
            _ => unreachable!("an app's key holds an app"),
        }
    }

    /// The id and name of the app whose name reads as `name`, if there is one.
    pub fn app_named(&self, name: &str) -> Option<(&str, &str)> {
        match self.get(&Key::AppName(name.to_string())) {
            Fact::AppName(found) => found.as_ref().map(|(id, n)| (id.as_str(), n.as_str())),
            _ => unreachable!("an app name's key holds an app's name"),
        }
    }

    pub fn user(&self, sub: &str) -> Option<&UserRow> {
        match self.get(&Key::User(sub.to_string())) {
            Fact::User(row) => row.as_ref(),
            _ => unreachable!("a person's key holds a person"),
        }
    }

    /// The person whose user name reads as `username`, if there is one.
    pub fn user_named(&self, username: &str) -> Option<&UserRow> {
        match self.get(&Key::UserName(username.to_string())) {
            Fact::UserName(row) => row.as_ref(),
            _ => unreachable!("a user name's key holds a person"),
        }
    }

    pub fn grant(&self, id: &str) -> Option<&GrantRow> {
        match self.get(&Key::Grant(id.to_string())) {
            Fact::Grant(row) => row.as_ref(),
            _ => unreachable!("a grant's key holds a grant"),
        }
    }

    /// The refresh token with this hash, its grant and its person's claims.
    pub fn refresh_token(&self, hash: &[u8]) -> Option<&ForRefresh> {
        match self.get(&Key::RefreshToken(hash.to_vec())) {
            Fact::RefreshToken(found) => found.as_ref(),
            _ => unreachable!("a refresh token's key holds a refresh token"),
        }
    }

    /// Every operator, by name.
    pub fn operators(&self) -> &[OperatorRow] {
        match self.get(&Key::Operators) {
            Fact::Operators(all) => all,
            _ => unreachable!("the operators' key holds operators"),
        }
    }

    /// The operator whose name reads as `username` (`authdesk_core::names`), among
    /// [`Facts::operators`].
    pub fn operator(&self, username: &str) -> Option<&OperatorRow> {
        let key = authdesk_core::names::key_of(username);
        self.operators()
            .iter()
            .find(|o| authdesk_core::names::key_of(&o.username) == key)
    }

    /// The signing keys of `alg`, newest first.
    pub fn signing_keys(&self, alg: &str) -> &[KeyRow] {
        match self.get(&Key::SigningKeys(alg.to_string())) {
            Fact::SigningKeys(keys) => keys,
            _ => unreachable!("an algorithm's key holds signing keys"),
        }
    }

    pub fn setting(&self, name: &str) -> Option<&str> {
        match self.get(&Key::Setting(name.to_string())) {
            Fact::Setting(value) => value.as_deref(),
            _ => unreachable!("a setting's key holds a setting"),
        }
    }

    /// The keys of every fact these facts hold, the rows inside them included (a refresh
    /// token's grant and person): what an earlier unit's writes must not have changed for a
    /// unit to decide on them in the same group.
    pub(crate) fn covers(&self) -> Vec<Key> {
        let mut keys = Vec::with_capacity(self.read.len() * 3);
        for (key, fact) in &self.read {
            keys.push(key.clone());
            if let Fact::RefreshToken(Some(f)) = fact {
                keys.push(Key::Grant(f.grant.id.clone()));
                keys.push(Key::User(f.grant.sub.clone()));
            }
        }
        keys
    }

    fn with(mut self, key: Key, fact: Fact) -> Self {
        self.read.push((key, fact));
        self
    }
}

/// The writes a decision implies: statements each changing exactly one row (the table modules'
/// `*_into` functions add them, through `Deref` to [`Script`] for rows they add), and the facts
/// they change, which the functions that change a fact declare ([`Writes::changes`]). A row
/// changes at most once in a unit: PostgreSQL runs a unit's statements as one, where a second
/// change of a row is refused or lost, so a table module writes a row's new state whole.
#[derive(Debug, Clone, Default)]
pub struct Writes {
    script: Script,
    changed: Vec<Key>,
}

impl Writes {
    /// No writes (a refusal, or a decision that nothing needs changing).
    pub fn none() -> Self {
        Writes::default()
    }

    /// Declares that these writes change the fact `key` (the table modules call this for the
    /// statements that update or delete a row).
    pub fn changes(&mut self, key: Key) -> &mut Script {
        if !self.changed.contains(&key) {
            self.changed.push(key);
        }
        &mut self.script
    }

    pub fn changed(&self) -> &[Key] {
        &self.changed
    }

    pub fn into_script(self) -> Script {
        self.script
    }
}

impl Deref for Writes {
    type Target = Script;
    fn deref(&self) -> &Script {
        &self.script
    }
}

impl DerefMut for Writes {
    fn deref_mut(&mut self) -> &mut Script {
        &mut self.script
    }
}

/// Whether [`read`] locks what it reads until the transaction ends (PostgreSQL).
fn locking(conn: &Conn) -> bool {
    matches!(conn, Conn::Postgres(_))
}

/// Reads the facts `keys` name (see the module): locked until the commit on PostgreSQL, in
/// the order of [`Key`].
pub async fn read(conn: &mut Conn, keys: &[Key]) -> Result<Facts> {
    let mut sorted: Vec<&Key> = keys.iter().collect();
    sorted.sort();
    sorted.dedup();
    let lock = locking(conn);
    let mut facts = Facts::default();
    for key in sorted {
        let fact = match key {
            Key::Setup => {
                if lock {
                    advisory(conn, "setup", "").await?;
                }
                Fact::Setup {
                    has_keys: !crate::keys::all(conn).await?.is_empty(),
                }
            }
            Key::Operators => {
                if lock {
                    advisory(conn, "operators", "").await?;
                }
                Fact::Operators(crate::operators::list(conn).await?)
            }
            Key::App(id) => Fact::App(crate::clients::get_for_decision(conn, id, lock).await?),
            Key::AppName(name) => {
                if lock {
                    advisory(conn, "app_name", &authdesk_core::names::key_of(name)).await?;
                }
                Fact::AppName(crate::clients::named(conn, name).await?)
            }
            Key::User(sub) => Fact::User(crate::users::get_for_decision(conn, sub, lock).await?),
            Key::UserName(name) => {
                if lock {
                    advisory(conn, "user_name", &authdesk_core::names::key_of(name)).await?;
                }
                Fact::UserName(crate::users::by_username(conn, name).await?)
            }
            Key::Grant(id) => Fact::Grant(crate::grants::get_for_decision(conn, id, lock).await?),
            Key::RefreshToken(hash) => Fact::RefreshToken(if lock {
                refresh_tokens::for_refresh_locked(conn, hash).await?
            } else {
                refresh_tokens::for_refresh(conn, hash).await?
            }),
            Key::SigningKeys(alg) => {
                if lock {
                    advisory(conn, "signing_keys", alg).await?;
                }
                let all = crate::keys::all(conn).await?;
                Fact::SigningKeys(all.into_iter().filter(|k| &k.alg == alg).collect())
            }
            Key::Setting(name) => {
                if lock {
                    advisory(conn, "setting", name).await?;
                }
                Fact::Setting(crate::settings::get(conn, name).await?)
            }
        };
        facts = facts.with(key.clone(), fact);
    }
    Ok(facts)
}

/// The facts of several units' [`Key::RefreshToken`]s in one query (the writer's groups; never
/// locked: SQLite's writer runs alone). Returns one [`Facts`] per unit, in order.
pub(crate) async fn read_batched(conn: &mut Conn, units: &[&[Key]]) -> Result<Vec<Facts>> {
    let hashes: Vec<Vec<u8>> = units
        .iter()
        .flat_map(|keys| keys.iter())
        .filter_map(|k| match k {
            Key::RefreshToken(h) => Some(h.clone()),
            _ => None,
        })
        .collect();
    let mut found = refresh_tokens::for_refresh_many(conn, &hashes).await?;
    let mut out = Vec::with_capacity(units.len());
    for keys in units {
        let mut facts = Facts::default();
        for key in *keys {
            let Key::RefreshToken(hash) = key else {
                return Err(crate::StoreError::Internal(format!(
                    "{key:?} is not read in batches"
                )));
            };
            let at = found.iter().position(|f| &f.token.token_hash == hash);
            let fact = at.map(|i| found.swap_remove(i));
            facts = facts.with(key.clone(), Fact::RefreshToken(fact));
        }
        out.push(facts);
    }
    Ok(out)
}

/// A transaction-scoped advisory lock on a name in one of Authdesk's namespaces (hashed to the
/// 64-bit key PostgreSQL takes).
async fn advisory(conn: &mut Conn, namespace: &str, name: &str) -> Result<()> {
    let Conn::Postgres(db) = conn else {
        return Ok(());
    };
    if namespace == "setup" {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(SETUP_LOCK)
            .execute(&mut *db)
            .await?;
        return Ok(());
    }
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("authdesk.{namespace}.{name}"))
        .execute(&mut *db)
        .await?;
    Ok(())
}

/// The setup's advisory key (the value releases before this module used, so nodes of either
/// version starting together still take one lock).
const SETUP_LOCK: i64 = 7308324466430459236;
