-- Authdesk schema v1. Forward-only: a shipped migration is never edited.
-- Times are Unix seconds (UTC). Secrets (client secrets, codes, refresh tokens, sessions) are
-- stored only as keyed hashes (HMAC-SHA-256 under settings.hash_key).

CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE clients (
    id                TEXT PRIMARY KEY NOT NULL,
    name              TEXT NOT NULL,
    -- the validated registration (authdesk_core::client::ClientSettings) as JSON
    settings          TEXT NOT NULL,
    secret_hash       BLOB,
    secret_rotated_at INTEGER,
    enabled           INTEGER NOT NULL DEFAULT 1,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX clients_name ON clients (name);

CREATE TABLE users (
    sub           TEXT PRIMARY KEY NOT NULL,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    claims        TEXT NOT NULL DEFAULT '{}',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY NOT NULL,
    alg         TEXT NOT NULL,
    private_der BLOB NOT NULL,
    public_jwk  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    retired_at  INTEGER
);

CREATE TABLE sessions (
    id_hash    BLOB PRIMARY KEY NOT NULL,
    sub        TEXT NOT NULL REFERENCES users (sub) ON DELETE CASCADE,
    auth_time  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

-- An authorization request waiting for login and consent.
CREATE TABLE interactions (
    id         TEXT PRIMARY KEY NOT NULL,
    csrf_token TEXT NOT NULL,
    request    TEXT NOT NULL,
    sub        TEXT,
    auth_time  INTEGER,
    expires_at INTEGER NOT NULL
);

CREATE TABLE consents (
    sub        TEXT NOT NULL REFERENCES users (sub) ON DELETE CASCADE,
    client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    scope      TEXT NOT NULL,
    granted_at INTEGER NOT NULL,
    PRIMARY KEY (sub, client_id)
);

-- A grant: one authorization, the root of a refresh-token chain.
CREATE TABLE grants (
    id               TEXT PRIMARY KEY NOT NULL,
    client_id        TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    sub              TEXT NOT NULL,
    scope            TEXT NOT NULL,
    auth_time        INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    chain_started_at INTEGER,
    chain_ends_at    INTEGER,
    revoked_at       INTEGER,
    revoked_by       TEXT,
    revoke_reason    TEXT
);
CREATE INDEX grants_client ON grants (client_id, created_at);
CREATE INDEX grants_sub ON grants (sub, created_at);

CREATE TABLE authorization_codes (
    code_hash      BLOB PRIMARY KEY NOT NULL,
    client_id      TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    sub            TEXT NOT NULL,
    redirect_uri   TEXT NOT NULL,
    scope          TEXT NOT NULL,
    code_challenge TEXT,
    nonce          TEXT,
    auth_time      INTEGER NOT NULL,
    issued_at      INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER,
    grant_id       TEXT REFERENCES grants (id) ON DELETE SET NULL
);

CREATE TABLE refresh_tokens (
    id           TEXT PRIMARY KEY NOT NULL,
    grant_id     TEXT NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
    parent_id    TEXT REFERENCES refresh_tokens (id),
    token_hash   BLOB NOT NULL UNIQUE,
    issued_at    INTEGER NOT NULL,
    -- the token's own expiry (issued_at + 90 days); the effective expiry also takes the
    -- grant's chain_ends_at into account
    expires_at   INTEGER NOT NULL,
    consumed_at  INTEGER,
    last_used_at INTEGER,
    use_count    INTEGER NOT NULL DEFAULT 0
);
-- A refresh token is revoked by revoking its grant (grants.revoked_at): one write kills a tree.
CREATE INDEX refresh_tokens_grant ON refresh_tokens (grant_id, issued_at);
CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at);

CREATE TABLE access_tokens (
    jti              TEXT PRIMARY KEY NOT NULL,
    client_id        TEXT NOT NULL,
    sub              TEXT NOT NULL,
    grant_id         TEXT REFERENCES grants (id) ON DELETE CASCADE,
    refresh_token_id TEXT,
    scope            TEXT NOT NULL,
    issued_at        INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    revoked_at       INTEGER
);
CREATE INDEX access_tokens_grant ON access_tokens (grant_id);
CREATE INDEX access_tokens_expiry ON access_tokens (expires_at);

-- private_key_jwt assertion ids seen, to refuse a replayed assertion until it expires.
CREATE TABLE client_assertions (
    client_id  TEXT NOT NULL,
    jti        TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (client_id, jti)
);

CREATE TABLE audit (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at     INTEGER NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_at ON audit (at);
